"""The rates page's grid-intensity form: its rows to PUT /api/grid-intensity's body and back.

Each override is one row of repeated fields (o_label, o_start_month, ...); an empty row is
skipped, so the page shows a few spare rows and needs no script to add one.
"""

from __future__ import annotations

from .rate_form import MONTHS

FIELDS = ("label", "start_month", "end_month", "start_hour", "end_hour", "g_per_kwh")
SPARE_ROWS = 2


def intensity_from_form(post) -> dict:
    """The API's body from the posted form (billing.services validates it)."""
    columns = [post.getlist(f"o_{name}") for name in FIELDS]
    overrides = []
    for values in zip(*columns, strict=False):
        row = {name: value.strip() for name, value in zip(FIELDS, values, strict=True)}
        if any(row.values()):
            overrides.append({k: v for k, v in row.items() if v != "" or k == "g_per_kwh"})
    return {"default_g_per_kwh": post.get("default_g_per_kwh", "").strip(), "overrides": overrides}


def form_context(body: dict) -> dict:
    """What the template shows: the default, a row per override and the spare rows."""
    rows = [{name: _text(o.get(name)) for name in FIELDS} for o in body.get("overrides", [])]
    rows += [dict.fromkeys(FIELDS, "") for _ in range(SPARE_ROWS)]
    return {
        "default": _text(body.get("default_g_per_kwh")),
        "rows": rows,
        "months": list(enumerate(MONTHS, start=1)),
        "hours": list(range(25)),
    }


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
