"""The DRF plumbing every app's API uses: input validation and page slicing.

Per-method permissions are accounts.permissions.HasPermissionFor; the error shape is
kasamonitor/errors.py's handler.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rest_framework import serializers


def bound(serializer_class, data, **kwargs) -> serializers.Serializer:
    """Return the serializer bound to `data` and validated (a 400 in the error shape if not),
    for input serializers whose methods read the data (e.g. credentials())."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer


def validated(serializer_class, data, **kwargs) -> dict:
    """Return the validated data of `data` (a 400 in the error shape if it is not valid)."""
    return bound(serializer_class, data, **kwargs).validated_data


def page_of(rows: Sequence, *, page: int, per_page: int) -> tuple[list, dict]:
    """Return one page of rows (a queryset is sliced in SQL) and its pagination block:
    {"page", "pages", "per_page", "total"}; pages is 0 when there are no rows."""
    total = len(rows) if isinstance(rows, list) else rows.count()
    start = (page - 1) * per_page
    info = {
        "page": page,
        "pages": math.ceil(total / per_page),
        "per_page": per_page,
        "total": total,
    }
    return list(rows[start : start + per_page]), info
