"""Forecasting: wait prediction, staffing (Erlang), the simulator (digital twin) and
flexible-counter advice. See docs/forecast.md."""
