"""Home and hospital visits (特事特办, issue 20): a customer who cannot come to the outlet is
visited by two staff, and the paperless counter goes with them on a tablet.

- `domain/`: pure rules — the request's states and transitions, the eligibility rules (data in
  `domain/eligibility.json`: places, needs, reasons, the amount above which the branch above
  must approve too), the two-staff rule, who may approve;
- `requests` (create, approve, refuse, cancel), `visits` (assign, schedule, record, bundle,
  close): the use cases, each step audited; `photos`: the visit's evidence;
- `ports`: what special needs from features it does not import (the family's message, the
  follow-up survey, the counter bundle), plugged by the composition roots;
- `queries`: the visits list with its times; `web/`: the pages; `demo`: the demo bank's visits.

Other features use nothing of special.
"""

PUBLIC = ()
