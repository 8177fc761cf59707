"""Pages of lobby guidance."""
