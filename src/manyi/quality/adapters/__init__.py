"""Quality's adapters: the Excel export of the satisfaction page."""
