"""The complaint rules, pure: the workflow (`model`), deadline policies and the deadline clock
(`policies`, `deadlines`), working-day calendars (`workcal`) and the JR/T 0169-2018 taxonomy.
"""
