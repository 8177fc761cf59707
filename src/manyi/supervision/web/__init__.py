"""Supervision's pages: thin, no SQL (they call the services and queries)."""
