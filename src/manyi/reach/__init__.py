"""Customer reach (issue 20): messages to customers, appointments, and what they share.

- `domain/`: pure rules (message kinds and templates, consent, quiet hours, the per-number rate
  limit; appointment slots and booking rules);
- `adapters/`: the gateways a customer message leaves by (`gateway`: the contract; SMPP 3.4 to the
  bank's SMS centre, a WeChat official account's template messages, the simulated gateway);
- appointments (docs/appointments.md): `appointment_slots` (slots and places from the staffing
  plan), `appointments` (codes, book, change, cancel), `appointment_checkin` (the lobby ticket),
  `appointment_jobs` (reminders, no-shows), `appointment_rules`, `appointment_queries`,
  `appointment_ports` (`CapacityPort`, `AppointmentNotices`), `appointment_tables`,
  `appointment_demo`; pages and the app's API in `web/`;

Other features do not import reach: they declare ports (quality's `CustomerMessagePort`, the
complaints' and the lobby's) and the composition roots plug reach's adapters into them.
docs/reach.md explains the rules and how to connect the real SMS centre and WeChat account.
The cockpit (above reach) reads appointments booked and kept per outlet and day through `facts`.
"""

PUBLIC = ("domain", "facts")
