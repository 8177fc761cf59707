"""Code the bench scripts share. Not a script itself: `make bench` runs bench/*.py only."""
