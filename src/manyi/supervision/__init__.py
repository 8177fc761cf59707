"""Supervision and accountability (issue 18): rectification tasks (整改, one engine for every
source), window-service standards and inspections (巡查, 抽查, 暗访, 远程督导), service stars
(服务明星, 挂牌上岗) and misconduct cases with zero tolerance (恶性服务事件).

Supervision sits above the business features: it reads complaints, satisfaction and the lobby
through what they offer, and none of them imports supervision (a contract in `.importlinter`).
Where the lobby shows a teller's star badge, it asks through `lobby.ports`, which supervision's
adapters fill; where a complaint's page shows the rectification tasks opened from it, it asks
through `complaints.ports` (`complaints_adapters`).

- `domain/`: the pure rules (task states, due dates, scorecards, the sampler, star scores,
  misconduct severity and sanctions);
- `rectification` (+ `rectification_tables`, `rectification_queries`, `jobs`): the task engine;
- `standards`, `inspections`: checklists, plans, scorecards, spot checks, mystery shopping;
- `stars`: programmes, candidates, nominations, approvals, badges;
- `misconduct`: cases, sanctions, accountability, bulletins; `misconduct_sources` (a case
  opened from a complaint, an inspection finding or a survey flag, checked and prefilled) and
  `misconduct_deadlines` (the worker's watch over investigation deadlines);
- `web/`: the pages; `demo`: the demo bank's supervision data.

docs/supervision.md explains the rules.
"""

# `rectification`: complaint intelligence (insight) opens tasks for prominent issues and alerts,
# and lists the tasks addressing a category (`tasks_mentioning`). `findings`: lobby guidance
# hears of failed inspection items (training assignments) and writes typical cases from
# inspections and misconduct cases.
PUBLIC: tuple[str, ...] = ("domain", "findings", "rectification")
