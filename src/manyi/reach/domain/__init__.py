"""Customer reach's pure rules: no database, no web, no clock (now is an argument)."""
