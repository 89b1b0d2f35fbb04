"""Text that a spreadsheet would run as a formula is exported as text (kasamonitor/spreadsheet.py)."""

from __future__ import annotations

import pytest

from kasamonitor.spreadsheet import formula_safe, formula_unquoted


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://127.51.100.7","x")', "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
     "@SUM(1,2)", "\t=1+1", "\r=1+1", "=1"],
)  # fmt: skip
def test_text_a_spreadsheet_would_run_gets_an_apostrophe_and_round_trips(text):
    assert formula_safe(text) == "'" + text
    assert formula_unquoted(formula_safe(text)) == text


@pytest.mark.parametrize(
    "value", ["Living Room", "-3.5", "+4", "1e3", "", 12, -1.5, None, "'quoted"]
)
def test_names_numbers_and_other_values_are_left_as_they_are(value):
    assert formula_safe(value) == value
    assert formula_unquoted(value) == value
