"""Complaints: intake, classification, routing, regulatory deadlines, escalation (督办).

Other features may use its pure rules (`domain`: the working-day calendar `workcal`, the upload
file checks `files`) and read `facts` (complaint counts per unit, no personal data: supervision's
spot-check sampler; complaints naming a staff member and praise registered for them:
supervision's service stars; one complaint by reference: a misconduct case opened from it), and
fill its `ports` (a complaint's rectification tasks on its case page, from supervision; the 回访
survey's answer, from quality through the application); the application wires its pages, its
deadline scan (a worker job) and its commands. Complaint intelligence (`manyi.insight`) reads
the case rows (`tables`) and the classification axes as stored (`categories`) for its
analysis and its classifier, and export files with the pure parsers (`imports`) for the
classifier's evaluation, and applies a model's confident values through `classification`
(marked machine-made, on the timeline).
"""

PUBLIC: tuple[str, ...] = (
    "domain",
    "facts",
    "ports",
    "tables",
    "categories",
    "imports",
    "classification",
)
