"""Text a spreadsheet would run as a formula stays text in every CSV and admin export.

Much of what we export is written by others: a plug's alias is whatever anyone on the LAN set
it to, an audit row keeps the User-Agent a client sent. Opened in Excel or LibreOffice, a CSV
cell starting with = + - @ (or a tab or carriage return before one) is read as a formula, and
a formula can fetch URLs or start programs ("CSV injection"). Such text gets a leading
apostrophe, which spreadsheets show as text; numbers ("-3.5") are left alone, and imports
take the apostrophe off again so a file round-trips.
"""

from __future__ import annotations

from typing import Any

from import_export import resources

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: Any) -> Any:
    """Return `value` with an apostrophe before text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def formula_unquoted(value: Any) -> Any:
    """Undo formula_safe() for a cell read back from a file we (or a spreadsheet) wrote."""
    if isinstance(value, str) and value.startswith("'") and formula_safe(value[1:]) == value:
        return value[1:]
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class FormulaSafeResource(resources.ModelResource):
    """A django-import-export resource (the admin's export and import files) whose exported
    text is formula_safe() and whose imported cells are formula_unquoted()."""

    def export_field(self, field, instance, **kwargs):
        return formula_safe(super().export_field(field, instance, **kwargs))

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        for key, value in row.items():
            row[key] = formula_unquoted(value)
