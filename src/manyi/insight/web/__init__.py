"""Complaint intelligence's pages: the complaint analysis page (`/insight/complaints`), its
Excel report and the regulator's quarterly statistics; opinions and suggestions (意见建议); the
classifier's model store and auto-apply setting (`/insight/classifier`); the
prominent-issue categories, their tracker and the emerging-issue alerts (`/insight/issues`,
`/insight/alerts`)."""
