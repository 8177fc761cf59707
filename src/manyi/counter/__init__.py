"""Paperless counter: field dictionary, transaction catalogue and merged bundle forms.

Other features import nothing of the counter but what it registers itself: its staff routers,
its worker job and its dashboard card are wired by the application (`manyi.web.app`, `manyi.cli`).
The application also chooses its adapters (`adapters.registry`). Home and hospital visits
(`manyi.special`) open a bundle away from the counter through `away.open_away`, which lets only
the transaction types the catalogue marks `away_from_counter`. The cockpit reads the bundle
measures' daily sums through `facts`.
"""

PUBLIC = ("adapters", "away", "facts")
