"""Lobby guidance's pure rules (no database, no clock)."""
