"""The observe feature's route: `/metrics`."""
