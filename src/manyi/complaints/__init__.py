"""Complaints: intake, classification, routing, regulatory deadlines, escalation (督办)."""
