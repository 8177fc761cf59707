"""The lobby: services, priority classes, counters, tickets, fair dispatch, screens (docs/lobby.md).

Other features may use (checked by the `feature_api` contract in .importlinter): the pure rules
(`domain`), the slip and QR printing (`adapters`), the tables to read tickets and events
(`tables`), an outlet's configured layout and policy (`layouts`), the live snapshot and the event
log (`queries`, with `waits_for_new`: the kiosk's wait for a new ticket of each service),
`events.emit` to add an event to an outlet's log, and `issuing` to issue the ticket of a
checked-in appointment or the lobby manager's ticket at the door (lobby guidance). The lobby
itself imports no other business feature: forecasting plugs its wait predictor and its advice
in through `ports`.
"""

PUBLIC = ("domain", "adapters", "tables", "layouts", "queries", "events", "ports", "issuing")
