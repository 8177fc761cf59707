"""Pure rules of complaint intelligence: no database, no web, no clock."""
