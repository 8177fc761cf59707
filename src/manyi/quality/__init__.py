"""Quality: satisfaction measured (issue 17): survey and imported responses, CSAT, NPS and CES
with honest 95 % intervals, reports by outlet, teller, service, channel and month.

- `domain/`: the measures and their intervals (`measures`), the additive `Aggregate` (pure);
- `imports/`: the CSV contract of `manyi quality import` (pure parsing);
- `tables`: `quality_responses`; `store`: inserting responses (imports, the demo, tests);
- `importer`: the import use case; `reports`: the grouped report (sums in SQL, intervals here);
- `cli`: `manyi quality import` and `manyi quality report`;
- the satisfaction page: `domain/periods` (pure), `themes` (pure: comment themes with jieba),
  `breakdown` (grouped sums of surveys and of the lobby's rating pad), `overview` and `rows`
  (the page's figures), `web/pages` (`/quality`, its JSON and Excel export),
  `manyi.spreadsheet` (its Excel export); `demo` and `demo_pad`: a year of history for the
  demo bank.
- `rollups` (+ `jobs`, the worker's job): monthly per-outlet sums; `report_sql`: reports from
  them plus the raw rows they do not cover yet; `sql`: the SQL both share.
- surveys: `domain/surveys` (definitions, answers, sampling), `survey_tables`, `surveys`
  (versions, rules, invitations, answers), `survey_scan` (the worker job that invites),
  `web/survey_page` (the customer's page `/s/{token}`).

Other features may use the pure measures (`domain`), `facts` (per-outlet satisfaction and the
low-satisfaction flag, read by supervision's spot-check sampler; per-outlet CSAT sums and the
outlets new responses touched, read by the cockpit's roll-ups) and `teller_facts` (per-teller
satisfaction counts, read by supervision's service stars) and `followups` (complaint-handling
satisfaction, 回访: one complaint's answer for its case page, through the application, and the
share satisfied for complaint intelligence); everything else is wired by the
composition roots. docs/quality.md explains the measures and the file and JSON contracts.
"""

PUBLIC = ("domain", "facts", "teller_facts", "followups")
