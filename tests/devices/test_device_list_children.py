"""GET /api/devices?expand=children: a power strip's outlets inside its row."""

from __future__ import annotations

import pytest

from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def strip():
    strip = DeviceFactory(alias="Desk strip", model="HS300", device_type="strip")
    for n in range(3):
        DeviceFactory(alias=f"Outlet {n}", device_type="outlet", parent=strip, host=strip.host,
                      child_id=f"{strip.device_id}0{n}", status="offline" if n else "online")  # fmt: skip
    return strip


def test_without_expand_outlets_are_rows_of_their_own(viewer_api, strip):
    rows = viewer_api.get("/api/devices").json()
    assert len(rows) == 4 and all("children" not in row for row in rows)


def test_expand_children_puts_the_outlets_in_the_strip(viewer_api, strip):
    plug = DeviceFactory(alias="Kettle")
    rows = viewer_api.get("/api/devices?expand=children").json()
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == {"Desk strip", "Kettle"}
    assert [c["name"] for c in by_name["Desk strip"]["children"]] == [
        "Outlet 0",
        "Outlet 1",
        "Outlet 2",
    ]
    assert all(
        c["parent"] == strip.pk and "children" not in c for c in by_name["Desk strip"]["children"]
    )
    assert by_name["Kettle"]["children"] == [] and by_name["Kettle"]["id"] == plug.pk


def test_a_status_filter_keeps_outlets_whose_strip_is_filtered_out(viewer_api, strip):
    strip.status = "offline"
    strip.save()
    rows = viewer_api.get("/api/devices?status=online&expand=children").json()
    assert [row["name"] for row in rows] == ["Outlet 0"]


def test_an_unknown_expansion_is_a_400(viewer_api):
    response = viewer_api.get("/api/devices?expand=everything")
    assert response.status_code == 400
    assert response.json()["field"] == "expand"
