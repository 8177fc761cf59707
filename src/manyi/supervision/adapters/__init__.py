"""Supervision's file formats (Excel exports): no database, no web."""
