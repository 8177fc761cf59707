"""Paperless counter: field dictionary, transaction catalogue and merged bundle forms.

Other features import nothing of the counter but what it registers itself: its staff routers,
its worker job and its dashboard card are wired by the application
(`manyi.web.wiring`, `manyi.cli`).
The application also chooses its adapters (`adapters.registry`). Home and hospital visits
(`manyi.special`) open a bundle away from the counter through `away.open_away`, which lets only
the transaction types the catalogue marks `away_from_counter`. Teller workload (`manyi.workload`)
reads the weight of the work done on lobby tickets through `work.ticket_work`; the cockpit reads
the bundle measures' daily sums through `facts`; lobby guidance reads where else each type can
be done through `channels`.
"""

PUBLIC = ("adapters", "away", "channels", "facts", "work")

# Bundle state changes reach the event stream when it is on (a flush listener).
from manyi.counter import stream_events  # noqa: E402, F401
