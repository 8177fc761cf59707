"""Complaints: intake, classification, routing, regulatory deadlines, escalation (督办).

Other features import nothing of complaints; the application wires its pages, its deadline scan
(a worker job) and its commands.
"""

PUBLIC: tuple[str, ...] = ()
