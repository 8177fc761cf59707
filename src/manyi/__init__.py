"""manyi (满意): service operations for retail bank branches."""

__version__ = "0.1.0"
