"""The web shell every feature's pages share: the app factory, access dependencies, templating,
i18n, the request-size cap and the staff home. Feature pages live in each feature's `web/`.
"""
