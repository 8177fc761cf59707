"""Complaint files going out: the Excel (.xlsx) exports of the lists a manager looks at."""
