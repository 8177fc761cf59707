"""Adapters of the organisation feature: the bank's identity platform (OpenID Connect)."""
