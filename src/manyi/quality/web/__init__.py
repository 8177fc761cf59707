"""The satisfaction page (`/quality`): HTML, its JSON for the charts, its Excel export."""
