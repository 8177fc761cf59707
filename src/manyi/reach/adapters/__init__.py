"""The gateways a customer message leaves manyi by (they reach no database and no web)."""
