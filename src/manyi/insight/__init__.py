"""Complaint intelligence (issue 19): the customer's voice turned into figures and actions.

- `domain/`: the pure rules (the text classifier and its evaluation, prominent-issue categories
  and their targets, the emerging-issue detector, period arithmetic for comparisons);
- services at the root: suggestions for new complaints, the model store, the analysis, the
  prominent-issue tracker, opinions and praise;
- `web/`: the pages.

Insight sits above complaints and supervision: it reads complaints through what they offer and
opens rectification tasks through supervision; neither imports insight.
"""

PUBLIC: tuple[str, ...] = ("domain",)
