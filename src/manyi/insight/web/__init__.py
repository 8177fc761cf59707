"""Complaint intelligence's pages."""
