"""One form for a bundle: what the merged form saves (fields, PIN entries, authorisations)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from manyi.counter.domain.authorisation_rules import Level
from manyi.counter.domain.merge import (
    authorisations_saved,
    fields_merged,
    fields_separately,
    measure,
    merge,
    pin_entries_saved,
    saving_percent,
)
from tests.catalogue_helpers import (
    LOST_CARD,
    NEW_CUSTOMER,
    NEW_PHONE,
    TERM_ROLLOVER,
    good_values,
    types,
)

# --- what merging saves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "separately", "merged", "percent"),
    [
        (NEW_CUSTOMER, 27, 13, 51.9),
        (LOST_CARD, 14, 9, 35.7),
        (TERM_ROLLOVER, 23, 15, 34.8),
        (NEW_PHONE, 22, 15, 31.8),
    ],
)
def test_typical_bundles_save_fields(
    codes: Sequence[str], separately: int, merged: int, percent: float
) -> None:
    bundle = types(*codes)
    assert fields_separately(bundle) == separately
    assert fields_merged(bundle) == merged
    assert saving_percent(separately, merged) == percent
    assert measure(merge(bundle)).fields_saved_percent == percent


def test_one_transaction_saves_nothing() -> None:
    saving = measure(merge(types("deposit")))
    assert (saving.fields_separately, saving.fields_merged, saving.fields_saved_percent) == (
        7,
        7,
        0.0,
    )
    assert (saving.pin_entries_saved, saving.authorisations_saved) == (0, 0)
    assert saving_percent(0, 0) == 0.0


def test_pin_entries_saved() -> None:
    assert pin_entries_saved(types(*NEW_CUSTOMER)) == 1  # card PIN and mobile banking
    assert pin_entries_saved(types(*TERM_ROLLOVER)) == 2
    assert pin_entries_saved(types("deposit", "card_loss")) == 0


def test_authorisations_saved_depend_on_the_values() -> None:
    bundle = types("withdraw", "transfer", "close_account", "deposit")
    small = [{"amount": "100"}, {"amount": "100"}, {}, {"amount": "100"}]
    large = [{"amount": "60000"}, {"amount": "300000"}, {}, {"amount": "100"}]
    assert authorisations_saved(bundle, small) == 0  # only the closure needs one
    assert authorisations_saved(bundle, large) == 2
    assert authorisations_saved(bundle, small, {"elderly"}) == 2


def test_measure_reports_the_one_authorisation_level() -> None:
    form = merge(types("withdraw", "transfer", "close_account"))
    values = good_values(form) | {"item1.amount": "60000", "item2.amount": "300000"}
    saving = measure(form, values)
    assert saving.level is Level.REMOTE
    assert saving.authorisations_saved == 2
    assert saving.pin_entries_saved == 2
    assert saving.identity_checks_saved == 0
    assert measure(form).level is Level.SUPERVISOR  # without values: the closure's rule only
