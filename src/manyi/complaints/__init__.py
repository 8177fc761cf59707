"""Complaints: intake, classification, routing, regulatory deadlines, escalation (督办).

Other features may use its pure rules (`domain`: the working-day calendar `workcal`, the upload
file checks `files`) and read the number of complaints naming a staff member (`facts`, for
supervision's service stars); the application wires its pages, its deadline scan (a worker job)
and its commands.
"""

PUBLIC: tuple[str, ...] = ("domain", "facts")
