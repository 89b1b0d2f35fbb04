"""What the pages' POST forms share: turning a service's refusal into errors at the fields.

The pages validate with the API's own serializers and act through the same services, so a
form and the API refuse the same input with the same message; this module only reshapes
the refusal (an ApiError, a DRF or a Django ValidationError) for a template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions as drf

from kasamonitor.errors import ApiError

FORM_ERRORS = (ApiError, drf.APIException, DjangoValidationError)


@dataclass
class Problem:
    """A refused form: one message for the form, and one per field the refusal names."""

    message: str
    status: int = 400
    fields: dict[str, str] = field(default_factory=dict)
    retry_after: int | None = None

    def at(self, name: str) -> str:
        return self.fields.get(name, "")


def problem_of(exc: Exception, renames: dict[str, str] | None = None) -> Problem:
    """Describe exc for a form; `renames` maps the API's field names to the form's."""
    if isinstance(exc, ApiError):
        fields = _flatten(exc.context.get("errors") or {})
        if exc.context.get("field"):
            fields.setdefault(str(exc.context["field"]), exc.message)
        retry = exc.context.get("retry_after")
        problem = Problem(exc.message, exc.status_code, fields, retry)
    elif isinstance(exc, DjangoValidationError):
        detail = getattr(exc, "message_dict", None) or {"": exc.messages}
        problem = Problem(_first(detail), 400, _flatten(detail))
    else:
        fields = _flatten(exc.detail) if isinstance(exc.detail, dict) else {}
        retry = int(exc.wait) if isinstance(exc, drf.Throttled) and exc.wait else None
        problem = Problem(_first(exc.detail), exc.status_code, fields, retry)
    for api_name, form_name in (renames or {}).items():
        if api_name in problem.fields:
            problem.fields.setdefault(form_name, problem.fields[api_name])
    return problem


def _flatten(detail: Any, prefix: str = "") -> dict[str, str]:
    """{"a": {"b": ["msg"]}} -> {"a.b": "msg", "b": "msg"}: the full path and the last name."""
    out: dict[str, str] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict | list) and not _is_messages(value):
                out.update(_flatten(value, path))
            else:
                out[path] = _first(value)
                out.setdefault(str(key), out[path])
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    return out


def _is_messages(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _first(detail: Any) -> str:
    """The first message in a DRF/Django error detail (nested lists and dicts)."""
    if isinstance(detail, list):
        return next((_first(d) for d in detail if d), "")
    if isinstance(detail, dict):
        return next((_first(v) for v in detail.values() if _first(v)), "")
    return str(detail)


def values(request, *secret: str) -> dict[str, str]:
    """The POSTed values to put back in the form, without the secret ones."""
    return {k: v for k, v in request.POST.items() if k not in secret and k != "csrfmiddlewaretoken"}
