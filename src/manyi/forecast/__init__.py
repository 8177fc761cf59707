"""Forecasting: wait prediction, staffing (Erlang), the simulator (digital twin) and
flexible-counter advice. See docs/forecast.md.

Other features use forecasting only through what the application wires at start-up (the lobby's
wait-predictor and advice ports, the worker's jobs, the CLI); nothing imports it directly.
"""

PUBLIC: tuple[str, ...] = ()
