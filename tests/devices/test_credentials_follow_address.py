"""A device's stored TP-Link credentials were given for its address: an edit that moves it
elsewhere drops them unless new ones come along, so the next poll never logs in to the new
host with them. The new host is a KLAP peer on loopback that knows those credentials."""

from __future__ import annotations

import pytest

from devices import services
from devices.crypto import decrypt_credentials, encrypt_credentials
from devices.kasa_client import CloudCredentials
from devices.models import Device
from security.models import AuditLog
from tests.factories import DeviceFactory

from .klap_peer import KlapPeer

pytestmark = pytest.mark.django_db
OWNER = CloudCredentials("owner@example.com", "hunter2")


@pytest.fixture
def klap_device(devices_settings):
    """A device at 127.0.0.2 with stored credentials, and a KLAP peer at 127.0.0.1 that
    would accept them."""
    with KlapPeer(OWNER.username, OWNER.password) as peer:
        device = DeviceFactory(
            host="127.0.0.2", connection=peer.connection, credentials=encrypt_credentials(OWNER)
        )
        yield device, peer


def test_moving_a_device_drops_its_credentials_and_the_new_host_never_gets_them(
    operator_api, klap_device
):
    device, peer = klap_device
    response = operator_api.put(f"/api/devices/{device.pk}", {"ip": peer.host}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["has_credentials"] is False

    services.device_poll_one(Device.objects.get(pk=device.pk))

    assert peer.handshakes >= 1  # the poll did go to the new host...
    assert peer.logins == 0  # ...but without the old host's credentials
    cleared = AuditLog.objects.get(action="device.credentials_cleared")
    assert cleared.severity == "warning" and cleared.target_id == str(device.pk)
    assert cleared.details["from"] == "127.0.0.2:9999"
    assert cleared.details["to"] == f"{peer.host}:9999"


def test_credentials_given_with_the_new_address_are_used_there(operator_api, klap_device):
    device, peer = klap_device
    body = {"ip": peer.host, "username": OWNER.username, "password": OWNER.password}
    response = operator_api.put(f"/api/devices/{device.pk}", body, format="json")
    assert response.json()["has_credentials"] is True

    services.device_poll_one(Device.objects.get(pk=device.pk))

    assert peer.logins >= 1
    assert not AuditLog.objects.filter(action="device.credentials_cleared").exists()


def test_a_new_port_also_drops_them(operator_api, klap_device):
    device, _peer = klap_device
    operator_api.patch(f"/api/devices/{device.pk}", {"port": 9998}, format="json")
    assert Device.objects.get(pk=device.pk).credentials == ""


def test_edits_that_keep_the_address_keep_the_credentials(operator_api, klap_device):
    device, _peer = klap_device
    body = {"ip": "127.0.0.2", "notes": "by the door", "enabled": True}
    operator_api.put(f"/api/devices/{device.pk}", body, format="json")
    assert decrypt_credentials(Device.objects.get(pk=device.pk).credentials) == OWNER


def test_an_admin_changing_the_host_in_the_console_drops_them_too(admin_user, klap_device):
    from django.test import Client

    device, _peer = klap_device
    client = Client()
    client.force_login(admin_user)
    url = f"/admin/devices/device/{device.pk}/change/"
    form = {"host": "127.0.0.3", "port": 9999, "alias": device.alias, "notes": "", "enabled": "on",
            "connection": "{}", "outlets-TOTAL_FORMS": 0, "outlets-INITIAL_FORMS": 0}  # fmt: skip
    response = client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    moved = Device.objects.get(pk=device.pk)
    assert (moved.host, moved.credentials) == ("127.0.0.3", "")
    assert AuditLog.objects.filter(action="device.credentials_cleared").exists()


def test_an_import_that_moves_a_device_drops_them_too(klap_device):
    import tablib

    from devices.resources import DeviceResource

    device, _peer = klap_device
    rows = DeviceResource().export(queryset=Device.objects.filter(pk=device.pk))
    moved = tablib.Dataset(headers=rows.headers)
    moved.append(
        [("127.0.0.4" if h == "host" else v) for h, v in zip(rows.headers, rows[0], strict=True)]
    )
    result = DeviceResource().import_data(moved, dry_run=False, raise_errors=True)
    assert not result.has_errors()
    assert Device.objects.values_list("host", "credentials").get(pk=device.pk) == ("127.0.0.4", "")
