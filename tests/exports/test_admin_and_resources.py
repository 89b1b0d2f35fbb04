"""The admin's 'retry failed exports' action and the import-export resources for the devices admin."""

from __future__ import annotations

import pytest
import tablib
from django.contrib.admin.utils import quote

from devices.models import Device
from devices.resources import DeviceResource, ExportOnlyError, ReadingResource
from exports import services
from exports.models import ExportJob
from tests.exports.helpers import RANGE, make_readings, plug

pytestmark = pytest.mark.django_db


def test_the_admin_retries_failed_exports(client, admin_user, operator_user):
    job = services.export_create(
        user=operator_user, data={"export_type": "device_data", "date_range": RANGE}
    )
    services.export_mark_failed(job.pk, "worker died")
    client.force_login(admin_user)
    response = client.post(
        "/admin/exports/exportjob/", {"action": "retry_failed", "_selected_action": [job.pk]}
    )
    assert response.status_code == 302
    assert ExportJob.objects.get(pk=job.pk).status == "queued"
    assert client.get("/admin/exports/exportjob/").status_code == 200
    assert client.get(f"/admin/exports/exportjob/{quote(job.pk)}/change/").status_code == 200
    assert client.get("/admin/exports/exportschedule/").status_code == 200


def test_devices_export_and_import_by_device_id():
    plug(alias="Lamp", device_id="50:C7:BF:00:00:01", host="127.0.5.1")
    dataset = DeviceResource().export()
    assert dataset.dict[0]["alias"] == "Lamp" and "credentials" not in dataset.headers
    dataset = tablib.Dataset(headers=dataset.headers)
    dataset.append(["50:C7:BF:00:00:01", "50:C7:BF:00:00:01", "", "", "127.0.5.9", 9999, "Desk Lamp", "HS110",
                    "plug", "", "", True, True, ""])  # fmt: skip
    dataset.append(["50:C7:BF:00:00:02", "50:C7:BF:00:00:02", "", "", "127.0.5.2", 9999, "Fan", "HS105",
                    "plug", "", "", False, True, ""])  # fmt: skip
    result = DeviceResource().import_data(dataset, dry_run=False)
    assert not result.has_errors(), [e.error for row in result.row_errors() for e in row[1]]
    assert Device.objects.get(device_id="50:C7:BF:00:00:01").alias == "Desk Lamp"
    assert Device.objects.get(device_id="50:C7:BF:00:00:02").host == "127.0.5.2"


def test_readings_export_with_their_device_but_cannot_be_imported():
    make_readings(plug(device_id="50:C7:BF:00:00:03", host="127.0.5.3"), count=2)
    dataset = ReadingResource().export()
    assert len(dataset) == 2
    assert (
        dataset.dict[0]["device"] == "50:C7:BF:00:00:03"
        and dataset.dict[0]["device_ip"] == "127.0.5.3"
    )
    result = ReadingResource().import_data(dataset, dry_run=True)
    assert result.has_errors()
    assert isinstance(result.base_errors[0].error, ExportOnlyError)
