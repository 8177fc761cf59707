"""Paperless counter: field dictionary, transaction catalogue and merged bundle forms."""
