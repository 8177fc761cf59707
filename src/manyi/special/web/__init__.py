"""Visit pages: the list, the request form, the request's steps and the on-site tablet page."""
