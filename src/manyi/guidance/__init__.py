"""Lobby guidance and staff development (issue 23, docs/guidance.md): the lobby manager's triage
at the door, with diversion to self-service, mobile and online banking and one-to-one teaching.

- `domain/`: pure rules — outcomes, the catalogue's proposals, a diversion's checks, the wait
  avoided, the figures of a day;
- `tables`: the outlet's self-service machines and the encounters; `triage`: the use cases
  (record, take a ticket after all, record the result), each audited; `machines`: an outlet's
  machines kept by its branch head; `queries`: the phone page's data, the figures per outlet
  and day; `facts`: what the cockpit rolls up;
- `web/`: the lobby manager's phone page (/guidance/triage), the machines page, the dashboard
  card; `demo`: a month of triage at the demo outlets.

Above the lobby and the counter (contract guidance-above); the cockpit reads `facts`.
"""

PUBLIC = ("facts",)
