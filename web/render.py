"""Render a page with the layout's context (navigation, abilities, first-run checklist)."""

from __future__ import annotations

from django.shortcuts import render

from .context import layout


def render_page(request, template: str, current: str = "", status: int = 200, **context):
    response = render(request, template, {**layout(request, current), **context}, status=status)
    if context.get("problem") is not None or context.get("no_store"):
        # A refused form or one-time secrets (backup codes): never from a cache or history.
        response["Cache-Control"] = "no-store"
    return response
