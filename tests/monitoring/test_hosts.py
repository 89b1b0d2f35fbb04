from __future__ import annotations

import pytest

from monitoring import hosts
from monitoring.models import Alert, NetworkHost

from .factories import HostFactory
from .peers import closed_port

pytestmark = pytest.mark.django_db

SWITCH = {
    "name": "Core-Switch-01",
    "ip_address": "127.0.0.1",
    "vendor": "Cisco",
    "device_type": "switch",
    "port": 22,
    "meta": {"interfaces": 24, "firmware": "15.2"},
}


def test_operator_adds_a_host_as_in_the_spec(operator_api):
    response = operator_api.post("/api/hosts/", SWITCH, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["meta"] == {"interfaces": 24, "firmware": "15.2"} and body["status"] == "unknown"


@pytest.mark.parametrize(
    "change", [{"ip_address": "not an address!"}, {"port": 70000}, {"device_type": "toaster"}]
)
def test_it_rejects_bad_hosts(operator_api, change):
    assert operator_api.post("/api/hosts", {**SWITCH, **change}, format="json").status_code == 400


def test_a_listening_port_means_online(operator_api, tcp_listener):
    host = HostFactory(port=tcp_listener.port)
    body = operator_api.post(f"/api/hosts/{host.pk}/check").json()
    assert body["msg"] == "Host check completed"
    assert (body["result"]["status"], body["result"]["status_changed"]) == ("online", True)
    assert body["result"]["latency_ms"] is not None


def test_an_unreachable_host_raises_an_alert_that_resolves_when_it_is_back(tcp_listener):
    host = HostFactory(name="Router", port=closed_port())
    assert hosts.host_check(host)["status"] == "offline"
    (alert,) = Alert.objects.filter(host=host, resolved_at__isnull=True)
    assert alert.message.startswith("Host Router is unreachable")
    hosts.host_check_all()  # still down: no second alert
    assert Alert.objects.filter(host=host).count() == 1

    host.port = tcp_listener.port
    host.save()
    hosts.host_check_all()
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_status_summary_and_filter(viewer_api):
    HostFactory(status="online")
    HostFactory(status="offline")
    assert viewer_api.get("/api/hosts/status").json() == {
        "total": 2, "online": 1, "offline": 1, "unknown": 0,
    }  # fmt: skip
    offline = viewer_api.get("/api/hosts/?status=offline").json()
    assert [h["status"] for h in offline] == ["offline"]


def test_permission_matrix_for_hosts(viewer_api, operator_api, admin_api):
    host = HostFactory()
    assert viewer_api.get(f"/api/hosts/{host.pk}/").status_code == 200
    assert viewer_api.post("/api/hosts", SWITCH, format="json").status_code == 403
    assert viewer_api.post(f"/api/hosts/{host.pk}/check").status_code == 403
    renamed = operator_api.put(f"/api/hosts/{host.pk}", {**SWITCH, "name": "Edge"}, format="json")
    assert renamed.json()["name"] == "Edge"
    assert operator_api.delete(f"/api/hosts/{host.pk}").status_code == 403
    assert admin_api.delete(f"/api/hosts/{host.pk}").status_code == 200
    assert not NetworkHost.objects.exists()


def test_the_admin_check_now_action_checks_hosts(admin_client, tcp_listener):
    host = HostFactory(port=tcp_listener.port)
    admin_client.post(
        "/admin/monitoring/networkhost/",
        {"action": "check_now", "_selected_action": [host.pk]},
        follow=True,
    )
    host.refresh_from_db()
    assert host.status == "online"


def test_a_failed_check_says_which_kind_of_failure_not_the_os_text(operator_api):
    host = HostFactory(name="Router", port=closed_port())
    body = operator_api.post(f"/api/hosts/{host.pk}/check").json()
    assert body["result"]["status"] == "offline"
    assert body["result"]["detail"] == "connection refused"
    assert operator_api.get(f"/api/hosts/{host.pk}").json()["last_error"] == "connection refused"


@pytest.mark.parametrize(
    "error",
    [OSError(113, "No route to host"), OSError(101, "Network is unreachable"),
     OSError("Multiple exceptions: [Errno 111] Connect call failed ('127.1.2.3', 22)")],
)  # fmt: skip
def test_every_other_network_error_is_just_unreachable(monkeypatch, error):
    # Routing errors cannot be produced on loopback: the OS's answer is stood in for here.
    import asyncio

    from monitoring.netcheck import tcp_check

    async def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr(asyncio, "open_connection", fails)
    assert asyncio.run(tcp_check("127.0.0.1", 1, 1.0)).error == "unreachable"
