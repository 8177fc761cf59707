"""Workload's pure rules: a teller's day (`day`), fairness across tellers (`fairness`), overload
alerts and break advice (`advice`), and the anonymous pulse survey (`pulse`)."""
