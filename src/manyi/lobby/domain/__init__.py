"""The lobby's pure rules: services, classes and counters (`model`), tickets (`ticket`), fair
dispatch (`dispatch`), the wait estimate (`predict`) and an in-memory outlet (`engine`) used by the
simulator and the property tests. Other features (forecast) may use this package freely.
"""
