"""Complaint intelligence's pages: opinions and suggestions (意见建议)."""
