"""Adapters of the organisation feature: the bank's identity platform (OpenID Connect,
`oidc`) and its directory (LDAP / Active Directory, `ldap`)."""
