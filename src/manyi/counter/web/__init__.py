"""The counter's pages: the teller's bundle screen, the supervisors' authorisations, the
catalogue editor, measures, and the customer's pre-fill on a phone or the kiosk. Thin: parse, call
a service or a query, render. `routes` gathers the staff routers.
"""
