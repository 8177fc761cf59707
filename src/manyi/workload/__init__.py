"""Teller workload and wellbeing (员工减负, issue 21): per teller and day figures, fairness of
load, live overload alerts with break advice, and the monthly anonymous staff pulse survey.
See docs/workload.md.

- `domain/`: the pure rules: a teller's day (`day`), fairness (`fairness`), alerts and break
  advice (`advice`), the pulse survey's answers and five-or-more report (`pulse`);
- `queries`: what the lobby, the counter (`counter.work`) and complaints (`complaints.facts`)
  recorded, as intervals; `figures`: per teller and day figures, computed on read;
- `live` (+ `web/card`): the overload card on the lobby dashboard; `ports`: the simulator's
  check of break advice, filled by the application with `forecast.break_check`;
- `pulse` and `tables`: the anonymous survey; `view` and `web/`: the pages `/workload`,
  `/workload/me`, `/workload/pulse` and `/workload/pulse/results`.

Other features (the cockpit) read the per-teller figures through `figures` (`teller_days`,
`outlet_day`, `trend`) and the pure rules (`domain`); nothing below workload imports it.
"""

PUBLIC = ("domain", "figures")
