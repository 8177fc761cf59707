"""Pure rules of home and hospital visits: states, eligibility, the team, approvals."""
