"""The cockpit's pages (`pages`): /cockpit and its Excel export."""
