"""Fields, PIN entries and identity checks saved by one merged form per bundle (三个一).

Prints figures only. For typical bundles from the demo catalogue it counts the
fields a customer would fill on separate forms (one per transaction, each
asking name, ID, mobile … again) against the fields of the one merged form,
and the PIN entries and ID-card reads the bundle saves.
"""

from __future__ import annotations

from manyi.counter.domain.catalogue import Catalogue
from manyi.counter.domain.merge import measure, merge

BUNDLES = {
    "new customer: open account + debit card + mobile banking + first deposit": (
        "open_account",
        "card_issue",
        "mobile_banking_signup",
        "deposit",
    ),
    "lost card: loss report + replacement": ("card_loss", "card_replace"),
    "savings review: early withdrawal + new term deposit + wealth product": (
        "term_early_withdraw",
        "term_deposit",
        "wealth_buy",
    ),
    "new phone: change mobile + mobile banking + transfer": (
        "change_mobile",
        "mobile_banking_signup",
        "transfer",
    ),
    "household: deposit + bill payment + transfer": ("deposit", "bill_pay", "transfer"),
    "moving away: withdrawal + transfer + close account": ("withdraw", "transfer", "close_account"),
}


def main() -> None:
    catalogue = Catalogue.load()
    print(f"{'bundle':<76}{'separate':>9}{'merged':>8}{'saved':>8}{'PINs':>6}{'ID reads':>10}")
    total_separate = total_merged = 0
    for name, codes in BUNDLES.items():
        form = merge([catalogue.get(code) for code in codes])
        saving = measure(form)
        total_separate += saving.fields_separately
        total_merged += saving.fields_merged
        print(
            f"{name:<76}{saving.fields_separately:>9}{saving.fields_merged:>8}"
            f"{saving.fields_saved_percent:>7.1f}%{saving.pin_entries_saved:>6}"
            f"{saving.identity_checks_saved:>10}"
        )
    saved = 100 * (total_separate - total_merged) / total_separate
    print(f"{'all bundles above':<76}{total_separate:>9}{total_merged:>8}{saved:>7.1f}%")


if __name__ == "__main__":
    main()
