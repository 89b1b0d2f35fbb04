"""Every admin page renders with data present, and changelists don't query per row."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.admin.world import SINGLETONS, build

pytestmark = pytest.mark.django_db

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
MODELS = [model for model, _ in REGISTRY]
LABELS = [model._meta.label for model in MODELS]
# Rendering 20 rows may cost a few more queries than 1 (e.g. a filter listing the rows' own
# values), never one or more per row.
QUERY_SLACK = 3


def _url(model, view: str, *args) -> str:
    # quote() as the admin's own links do: an export id such as "export_23…" would otherwise
    # be read back as "export#…" (the admin unquotes "_23"), and the page would redirect.
    args = [quote(arg) for arg in args]
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _get(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response


def _rows_and_queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = _get(client, url)
    return response.context["cl"].result_count, len(captured)


@pytest.mark.parametrize("model", MODELS, ids=LABELS)
def test_every_change_form_opens_for_an_existing_object(console, model):
    obj = build(model)[0]
    _get(console, _url(model, "change", obj.pk))


@pytest.mark.parametrize("model", MODELS, ids=LABELS)
def test_every_add_form_opens_where_adding_is_allowed(console, rf, admin_user, model):
    build(model)  # with data present: choices, singletons and filters see real rows
    request = rf.get("/admin/")
    request.user = admin_user
    if not admin.site._registry[model].has_add_permission(request):
        assert console.get(_url(model, "add")).status_code == 403
        return
    _get(console, _url(model, "add"))


@pytest.mark.parametrize("model", MODELS, ids=LABELS)
def test_every_changelist_lists_its_rows_without_a_query_per_row(console, model):
    url = _url(model, "changelist")
    build(model)
    _get(console, url)  # warm up per-process caches (content types, site)
    rows, one = _rows_and_queries(console, url)
    assert rows >= 1
    build(model, 19)
    rows_after, many = _rows_and_queries(console, url)
    assert rows_after >= rows + 19 or model._meta.label in SINGLETONS
    assert many <= one + QUERY_SLACK, (
        f"{url}: {one} queries for {rows} row(s), {many} for {rows_after}"
    )


def test_the_index_lists_every_registered_model(console):
    content = _get(console, "/admin/").content.decode()
    for model in MODELS:
        assert _url(model, "changelist") in content, model._meta.label
