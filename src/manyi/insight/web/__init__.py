"""Complaint intelligence's pages: the complaint analysis page (`/insight/complaints`), its
Excel report and the regulator's quarterly statistics; opinions and suggestions (意见建议); the
prominent-issue categories, their tracker and the emerging-issue alerts (`/insight/issues`,
`/insight/alerts`)."""
