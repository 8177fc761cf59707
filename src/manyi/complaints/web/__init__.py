"""The complaint pages: the staff workbench, one case with its actions, registration, the
supervision board and consultations, settings, and the customer's public form and status page.
Thin: parse, call `handling`/`queries`, render. `workbench.router` gathers the staff routers.
"""
