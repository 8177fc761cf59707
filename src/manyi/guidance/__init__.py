"""Lobby guidance and staff development (issue 23, docs/guidance.md).

- Triage at the door (大堂引导分流): `domain/triage`, `tables`, `triage` (record, a ticket
  after all, a diversion's result), `machines` (an outlet's self-service machines), `queries`,
  `facts` (per outlet and day, for the cockpit), `web/triage_pages`, `web/machines_page`,
  `web/card` (the lobby dashboard's card), `demo`;
- the typical-case library and scenario training (典型案例集, 情景演练): `domain/cases` (the
  personal-data check), `domain/training`, `training_tables`, `cases`, `training` (modules,
  assignment, after an inspection's finding, attempts), `training_queries`, `web/cases_pages`,
  `web/training_pages`, `training_demo`;
- financial-literacy outreach (普及金融知识): `domain/outreach`, `outreach_tables`,
  `outreach`, `outreach_queries`, `web/outreach_pages`, `outreach_demo`;
- the outlet head's daily self-check (网点负责人全天候管理): `domain/selfcheck`,
  `selfcheck_tables`, `selfcheck`, `selfcheck_queries`, `jobs` (the missed-round alert),
  `web/selfcheck_pages`, `selfcheck_demo`;
- `access`: who acts (the audit actor, permissions).

Above the lobby, the counter, complaints and supervision (contract guidance-above); the cockpit
reads `facts`.
"""

PUBLIC = ("facts",)
