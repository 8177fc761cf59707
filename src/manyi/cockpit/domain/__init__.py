"""The cockpit's pure rules: the wait histogram and its percentiles (`histogram`), one
outlet-day summed from its raw facts (`day`), the levels of the bank (`levels`), targets,
distance from target and alerts (`targets`)."""
