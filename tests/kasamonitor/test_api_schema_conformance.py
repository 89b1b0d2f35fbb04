"""The API answers as its OpenAPI schema says: schemathesis over /api/schema/, every check.

Each operation of the schema the app serves is one test: schemathesis generates requests
(boundary values of every parameter and field, then random valid and invalid ones) and
sends them as an admin to the real WSGI application in this process, on the test's own
database transaction, and checks every answer: a documented status code, content type,
headers and body schema, no server error, auth not ignored, 405 for other methods.
Client generators build on this schema, so a view and its schema cannot drift apart.
"""

from __future__ import annotations

import ipaddress
import itertools
import socket
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.meta import TestPhase

from kasamonitor.wsgi import application
from tests.auth import access_token_for
from tests.devices.factories import daily, hourly
from tests.factories import DeviceFactory, UserFactory
from tests.monitoring.factories import (
    AlertFactory,
    CameraFactory,
    ChannelFactory,
    HostFactory,
    RuleFactory,
)
from tests.simulator import Simulator, device_spec, free_loopback_block

pytestmark = pytest.mark.integration  # the devices answer from the simulator

# Operations not run, and why. Each operation gets a world of its own in a transaction
# that is rolled back, so logging out or deleting a user spoils only that operation's
# later cases (they get the documented 401 or 404); those stay in.
EXCLUDED = [
    # Replaces the database and the configuration with an uploaded archive's (and takes a
    # safety backup first): not something to do to the test run's database at random.
    "POST /api/backups/restore",
]
# Random cases per operation after the coverage cases (about 5,600 requests in all): the
# run stays near 90 s on two busy cores.
MAX_EXAMPLES = 8

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 17,  # the same cases every run: a failure reproduces
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "database": "none",
            # The test authenticates (a Bearer token); the cookie login is not a parameter.
            "with-security-parameters": False,
        },
        "phases": {"coverage": {"generation": {"mode": "positive"}}},
        "checks": {
            # These two judge input validation, not the answers: the API checks more than JSON
            # Schema can say (cron syntax, the password policy, date order, that an address
            # answers), so schema-valid input may get its documented 400; and it reads some
            # input leniently (an empty filter is no filter, "0" is false in a form).
            "positive_data_acceptance": {"enabled": False},
            "negative_data_rejection": {"enabled": False},
        },
        "operations": [
            {  # no worker runs beside this test, and readiness says so
                "include-path": "/health/ready",
                "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "4xx", 503]}},
            },
            {  # each case waits (a discovery broadcast, an RSA key): random cases only
                "include-path": ["/api/discover", "/api/ssl/generate-csr"],
                "phases": {"coverage": {"enabled": False}},
            },
            {  # a device that does not answer (a generated port, say): 504, as documented
                "include-path-regex": r"^/api/devices?(/manual|/\{key\}(/control)?)?$",
                "include-method": ["POST", "PUT", "PATCH"],
                "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "4xx", 502, 504]}},
            },
        ],
    }
)


def _served_schema() -> dict:
    """The document /api/schema/ serves, made as its view makes it (drf-spectacular's
    generator and JSON renderer), without a request: at collection time the middleware may
    not reach the database (require_https is read from it)."""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


SCHEMA = schemathesis.openapi.from_dict(_served_schema(), config=CONFIG)
SCHEMA.app = application  # every generated request goes to the WSGI app in this process
SCHEMA = SCHEMA.exclude(name=EXCLUDED)


@pytest.fixture(scope="module")
def plug_address():
    (address,) = free_loopback_block(1)
    with Simulator([device_spec("hs110", address, alias="Kettle")]):
        yield address


@pytest.fixture
def world(db, settings, tmp_path, plug_address) -> World:
    settings.DATA_DIR = tmp_path  # SSL files, backups and exports land in the test's folder
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KASA_DISCOVERY_TIMEOUT = 0.3
    settings.KASA_DEVICE_TIMEOUT = 0.5
    return World(plug_address)


class World:
    """An admin and one of everything the API lists, in the states that leave fields empty
    (a queued export, a schedule that never ran, a pending backup); ids of real objects for
    the path parameters, the costly ones (a backup archive, SSL files) made when first asked."""

    def __init__(self, plug_address: str):
        from backups import schedules
        from backups.models import BackupJob, BackupSchedule
        from billing import services as billing
        from exports.models import ExportJob, ExportSchedule

        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        self.admin = UserFactory(username="alice", role="admin")
        self.headers = {"Authorization": f"Bearer {access_token_for(self.admin)}"}
        device = DeviceFactory(host=plug_address, alias="Kettle")
        hourly(device, now - timedelta(hours=3), 3)
        daily(device, (now - timedelta(days=2)).date(), 2)
        billing.rate_plan_save({"name": "Flat", "rate_type": "flat", "currency": "USD",
                                "rate_config": {"flat_rate": 0.15}}, now=now - timedelta(days=3))  # fmt: skip
        billing.price_pending()
        export_schedule = ExportSchedule.objects.create(
            user=self.admin, name="Monthly", schedule="0 9 1 * *",
            export_config={"export_type": "device_data", "format": "csv"},
        )  # fmt: skip
        queued = ExportJob.objects.create(user=self.admin, export_type="device_data", format="csv")
        ExportJob.objects.create(
            user=self.admin, export_type="device_data", format="csv", status="failed",
            error="boom", schedule=export_schedule,
        )  # fmt: skip
        self.export = self._completed_export(now)
        expired = ExportJob.objects.create(
            user=self.admin, export_type="device_data", format="csv", status="expired",
            expires_at=now - timedelta(days=1),
        )  # fmt: skip
        exports = itertools.cycle([self.export.pk, queued.pk, expired.pk])
        BackupJob.objects.create(type="manual", status="pending", created_by=self.admin)
        other = UserFactory(username="dave", role="operator")
        self.ids = {  # by path prefix (the longest that matches wins)
            "/api/alerts/channels/": ChannelFactory().pk,
            "/api/alerts/rules/": RuleFactory(device=device).pk,
            "/api/alerts/": AlertFactory(device=device, rule=RuleFactory()).pk,
            "/api/auth/sessions/": self._other_session,
            "/api/security/sessions/": self._other_session,
            "/api/auth/users/": other.pk,
            "/api/users/": other.pk,
            "/api/backups/schedules/": schedules.schedule_save(
                BackupSchedule(name="Nightly", cron="0 3 * * *")
            ).pk,
            "/api/backups/": self._backup_file,
            "/api/cameras/": CameraFactory().pk,
            "/api/hosts/": HostFactory().pk,
            "/api/device/": device.pk,
            "/api/devices/": device.pk,
            "/api/exports/schedules/": export_schedule.pk,
            "/api/exports/": lambda: next(exports),  # ready, not ready, gone
            "/api/security/download/": self._signature,
            "/download/": self._signature,
            "/api/ssl/download/": self._ssl_file,
        }

    def value(self, path: str) -> str | None:
        """A real object's id for this path's parameter (None: keep the generated one)."""
        prefix = max((p for p in self.ids if path.startswith(p)), key=len, default=None)
        found = self.ids.get(prefix)
        return str(found() if callable(found) else found) if prefix else None

    def _completed_export(self, now):
        from exports import files
        from exports.models import ExportJob

        job = ExportJob.objects.create(
            user=self.admin, export_type="device_data", format="csv", status="completed",
            progress=100, record_count=1, file_name="device_data.csv", completed_at=now,
            started_at=now, expires_at=now + timedelta(days=7),
        )  # fmt: skip
        path = files.job_path(job)
        path.write_text("timestamp,power_w\n2024-01-01T00:00:00Z,12.5\n")
        ExportJob.objects.filter(pk=job.pk).update(file_size=path.stat().st_size)
        return job

    def _other_session(self) -> str:
        from accounts.sessions import session_start

        return session_start(self.admin, ip="127.0.0.1", user_agent="pytest").session.pk

    def _backup_file(self) -> str:
        from backups.services import backup_create

        return backup_create().name

    def _signature(self) -> str:
        from exports import files
        from security.signed_urls import signed_download_create

        return signed_download_create(files.job_path(self.export), self.admin).signature

    def _ssl_file(self) -> str:
        from security.certificates import ssl_generate_csr

        fields = {"common_name": "kasa.local"}
        ssl_generate_csr(fields=fields, alt_names=[], key_size=2048, self_signed=True, request=None)
        return "cert.pem"


@pytest.fixture(autouse=True)
def _wsgi_on_the_test_transaction():
    """Django's test client does the same: a request must not close the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Generated cases name any address: nothing may leave 127.0.0.0/8 (they are refused)."""
    real_connect, real_sendto = socket.socket.connect, socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def check(address) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not _is_loopback(host):
            raise OSError(101, f"blocked by the test: {host} is not a loopback address")

    def connect(self, address):
        check(address)
        return real_connect(self, address)

    def sendto(self, data, *args):
        check(args[-1])
        return real_sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _is_loopback(str(host)):
            raise socket.gaierror(socket.EAI_NONAME, f"blocked by the test: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _to_loopback(value):
    """An address or URL pointing elsewhere, moved to 127.0.0.1 (same type, still valid)."""
    if not isinstance(value, str):
        return value
    try:
        if not ipaddress.ip_address(value).is_loopback:
            return "127.0.0.1"
        return value
    except ValueError:
        pass
    parts = urlsplit(value)
    if parts.scheme and parts.hostname and not _is_loopback(parts.hostname):
        netloc = "127.0.0.1" + (f":{parts.port}" if _has_port(parts) else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return value


def _has_port(parts) -> bool:
    try:
        return parts.port is not None
    except ValueError:
        return False


ADDRESS_FIELDS = {"ip", "ip_address", "rtsp_url", "snapshot_url", "target"}


# One world per operation: its cases run one after the other on it (what one made, the
# next may use or delete), and the test's transaction undoes it all afterwards.
@SCHEMA.parametrize()
@hypothesis.settings(
    deadline=None, suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture]
)
def test_the_api_answers_as_its_schema_says(case, world):
    _keep_it_short_and_local(case)
    if case.meta.phase.name == TestPhase.FUZZING and case.path_parameters:
        # Random ids all miss (404, as the other phases show): these name real objects.
        for name in case.path_parameters:
            case.path_parameters[name] = world.value(case.path) or case.path_parameters[name]
    # The WSGI test client sets no client address; every server does (rate limits key on it).
    case.call_and_validate(headers=world.headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})


def _keep_it_short_and_local(case) -> None:
    """Addresses in bodies go to loopback; the discovery wait and the RSA key size, which
    the body chooses (up to 30 s of listening, 4096-bit keys), are kept to their minimum."""
    if not isinstance(case.body, dict):
        return
    for name in ADDRESS_FIELDS & case.body.keys():
        case.body[name] = _to_loopback(case.body[name])
    if case.path == "/api/discover" and isinstance(case.body.get("timeout"), int | float):
        case.body["timeout"] = 0.5
    if case.path == "/api/ssl/generate-csr" and case.body.get("key_size") == 4096:
        case.body["key_size"] = 2048


def test_the_schema_builds_without_warnings(capsys):
    """A warning means a part of the schema is wrong (two components of one name, say)."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)

    assert not GENERATOR_STATS, capsys.readouterr().err


def test_a_signed_download_of_an_unlisted_kind_of_file_has_a_documented_media_type(
    admin_api, api_client, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    notes = tmp_path / "backups" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("kept beside the archives")
    signed = admin_api.post(
        "/api/security/generate-signed-url",
        {"filePath": "backups/notes.txt", "fileType": "txt"},
        format="json",
    )
    documented = SCHEMA["/download/{signature}"]["GET"].definition.raw["responses"]["200"]

    assert signed.status_code == 200, signed.json()
    download = api_client.get(f"/download/{signed.json()['signedUrl']}")

    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Type"] in documented["content"]
