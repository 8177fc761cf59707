"""Maker-checker for bank-wide settings: a change proposed by one head-office administrator takes
effect only when a different one approves it (deadline policies, the catalogue's authorisation
rules). The maker may withdraw it, another may reject it, each with a reason; every step is an
audit event.

This package keeps the pending change and its states; the feature that owns a setting proposes
the change, shows it, and applies it in the same unit of work as the approval
(`complaints/policy_store.py`, `counter/catalogue_store.py`).
"""

PUBLIC = ("domain", "service", "tables")
