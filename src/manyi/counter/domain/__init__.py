"""The counter's pure rules: the field dictionary, the catalogue, one merged form, authorisation
rules, bundle states, postings and execution order. No database, no web, no clock: `now` is
passed in.
"""
