"""The lobby's entry points: JSON APIs for kiosks, pads, staff and phones (`api`, `public_api`,
`config_api`, `screens_api`, `schemas`) and the screens (`pages`). Thin: no SQL here.
"""
