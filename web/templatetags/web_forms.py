"""Field errors of a refused POST form (web.forms.Problem), where the field is.

<input name="email" {% invalid problem "email" %}>{% field_error problem "email" %}
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


def _message(problem, name: str) -> str:
    return problem.at(name) if problem else ""


@register.simple_tag
def invalid(problem, name: str, described_by: str = "") -> str:
    """aria-invalid and aria-describedby (the error, plus any hint id given) for an input."""
    ids = [described_by] if described_by else []
    if not _message(problem, name):
        return format_html('aria-describedby="{}"', ids[0]) if ids else ""
    ids.append(f"error-{name}")
    return format_html('aria-invalid="true" aria-describedby="{}"', " ".join(ids))


@register.simple_tag
def field_error(problem, name: str) -> str:
    message = _message(problem, name)
    if not message:
        return ""
    return format_html('<span class="field-error errorlist" id="error-{}">{}</span>', name, message)


@register.inclusion_tag("web/_form_message.html")
def form_message(problem, ok: str = "", box_id: str = ""):
    """The form's message box: the refusal (role=alert) or the success note (role=status)."""
    return {"problem": problem, "ok": ok, "box_id": box_id}
