"""Bad input gets a clear 4xx JSON error, never a 500, and loses nothing (DESIGN.md contract).

Every operation of the OpenAPI schema under /api, /health* and /download/* gets a fixed,
deterministic battery of bad requests as an admin (and a smaller one anonymously): malformed
JSON, JSON of the wrong top-level type, each documented body field set to wrong types and
edge values, garbage query and path parameters, wrong content types and an oversize body.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.forms.models import model_to_dict

from tests.factories import DeviceFactory, UserFactory
from tests.monitoring.factories import (
    AlertFactory,
    CameraFactory,
    ChannelFactory,
    HostFactory,
    RuleFactory,
)

# ~1,900 requests: about 35 s of CPU, so it runs with the other slow tests.
pytestmark = pytest.mark.integration

ERROR_KEYS = {"detail", "message", "error_code", "status_code", "timestamp"}
PREFIXES = ("/api", "/health", "/download/")
WRITE_METHODS = {"post", "put", "patch"}

# Path parameter values that must never reach a file, a query or a template unchecked (the
# test client unquotes the path, so %2F arrives as "/" and %00 as a NUL byte). Writes get the
# first three only: the GET and DELETE of the same route resolve the id the same way.
BAD_PATH_VALUES = ["%00", "99999999999999999999", "A" * 3000, "..%2F..%2Fetc%2Fpasswd", "abc"]
# Documented query parameters: one kind gets a bad value, the others a valid one (so the bad
# value reaches the query), plus an unknown parameter.
BAD_QUERY_VALUES = [
    ("integer", "99999999999999999999"),
    ("integer", "-99999999999999999999"),
    ("string", "2024-13-45"),
    ("string", "yesterday"),
    ("any", "{}"),
    ("any", "a\x00b"),
]
HUGE_INT = "99999999999999999999999999"
DEVICE_ERRORS = {"DEVICE_UNREACHABLE", "DEVICE_ERROR"}  # 504 / 502, documented per operation
LONG = "x" * 100_000


@dataclass
class Operation:
    method: str
    path: str
    query: list[str] = field(default_factory=list)
    query_schemas: dict = field(default_factory=dict)
    path_params: list[str] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    body_schema: dict = field(default_factory=dict)
    first_of_path: bool = False

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    for key in ("allOf", "oneOf", "anyOf"):
        if schema.get(key):
            return _resolve(schema[key][0], components)
    return schema


def _operations() -> list[Operation]:
    """Read the schema in-process once, at collection time (pytest-django has set Django up)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})
    operations = []
    for path, methods in schema["paths"].items():
        if not path.startswith(PREFIXES) or path.startswith(("/api/schema", "/api/docs")):
            continue
        for method, op in methods.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            params = op.get("parameters", [])
            content = op.get("requestBody", {}).get("content", {})
            body = next(iter(content.values()), {}).get("schema", {}) if content else {}
            operations.append(
                Operation(
                    method=method,
                    path=path,
                    query=[p["name"] for p in params if p["in"] == "query"],
                    query_schemas={
                        p["name"]: _resolve(p.get("schema", {}), components)
                        for p in params
                        if p["in"] == "query"
                    },
                    path_params=[p["name"] for p in params if p["in"] == "path"],
                    content_types=list(content),
                    body_schema=_resolve(body, components) if body else {},
                    first_of_path=not any(o.path == path for o in operations),
                )
            )
    return operations


OPERATIONS = _operations()


# --- bodies ---------------------------------------------------------------------------------


def _example(prop: dict, components: dict):
    """A plausible valid value for one schema property, so one bad field is all that's wrong."""
    prop = _resolve(prop, components)
    if prop.get("enum"):
        return next((v for v in prop["enum"] if v not in ("", None)), None)
    kind, fmt = prop.get("type"), prop.get("format", "")
    if kind == "integer":
        return max(1, prop.get("minimum", 1))
    if kind == "number":
        return max(1.5, prop.get("minimum", 1.5))
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return {
        "date-time": "2024-01-01T00:00:00Z",
        "date": "2024-01-01",
        "email": "someone@example.com",
        "ipv4": "127.0.0.9",
        "uuid": "00000000-0000-0000-0000-000000000000",
        "uri": "http://127.0.0.1:9/",
        "binary": "x",
    }.get(fmt, "x")


def _fields(operation: Operation, components: dict) -> dict[str, dict]:
    props = operation.body_schema.get("properties", {})
    return {
        name: _resolve(prop, components)
        for name, prop in props.items()
        if not _resolve(prop, components).get("readOnly")
    }


def _field_bodies(operation: Operation, components: dict) -> list[tuple[str, str]]:
    """Bodies built from a valid example with one kind of field replaced by one bad value."""
    fields = _fields(operation, components)
    if not fields:
        return [("empty object", "{}")]
    valid = {name: _example(prop, components) for name, prop in fields.items()}
    numeric = [n for n, p in fields.items() if p.get("type") in ("integer", "number")]
    textual = [n for n, p in fields.items() if p.get("type", "string") == "string"]
    others = [n for n in fields if n not in numeric]

    def raw(overrides: dict[str, str]) -> str:
        parts = {n: json.dumps(v) for n, v in valid.items()}
        parts.update(overrides)
        return "{" + ",".join(f"{json.dumps(n)}:{v}" for n, v in parts.items()) + "}"

    # One bad value per kind of field, the rest valid: field validation sees every bad value;
    # a bad value that slips through reaches the service and the database.
    text_values = [
        '""',
        json.dumps(LONG),
        '"a\\u0000b"',
        '"\\u202e m\\u00fcnchen \\ud83d\\ude00 \\u00b3"',
        '"\\ud800"',
    ]
    number_values = ["1e309", HUGE_INT, "-1", "0", "1"]
    bodies = [
        ("wrong types", raw({n: '"not-a-number"' for n in numeric} | {n: "123" for n in others})),
        ("nested objects", raw({n: '{"a": {"b": [1, {"c": "\\u0000"}]}}' for n in fields})),
    ]
    for text, number in zip(text_values, number_values, strict=True):
        overrides = {n: number for n in numeric} | {n: text for n in textual}
        bodies.append((f"fields {number} / {text[:8]}", raw(overrides)))
    return bodies


def _body_requests(operation: Operation, components: dict) -> list[dict]:
    json_bodies = [("malformed JSON", '{"a": '), ("JSON list", "[]"), ("JSON string", '"x"')]
    if operation.content_types or operation.method in WRITE_METHODS:
        json_bodies += _field_bodies(operation, components)
    requests = [dict(what=w, data=d, content_type="application/json") for w, d in json_bodies]
    requests += [
        dict(what="text/plain", data="hello", content_type="text/plain"),
        dict(what="xml", data="<a><b>1</b></a>", content_type="application/xml"),
        dict(
            what="multipart without the file",
            data=b"--BOUNDARY--\r\n",
            content_type="multipart/form-data; boundary=BOUNDARY",
        ),
        dict(
            what="oversize body",
            data='{"a": "' + "x" * (2 * 1024 * 1024 + 10) + '"}',
            content_type="application/json",
        ),
    ]
    return requests


# --- the world ------------------------------------------------------------------------------


@dataclass
class World:
    device: object
    other_user: object
    ids: dict[str, str]

    def snapshot(self) -> list[dict]:
        rows = [type(self.device).objects.get(pk=self.device.pk)]
        rows.append(type(self.other_user).objects.get(pk=self.other_user.pk))
        return [model_to_dict(row, exclude=["last_login", "updated_at"]) for row in rows]


@pytest.fixture
def world(db, settings) -> World:
    # Devices answer from loopback only; keep any accidental discovery or poll short.
    settings.KASA_DISCOVERY_TIMEOUT = 0.2
    settings.KASA_DEVICE_TIMEOUT = 0.3
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    device = DeviceFactory()
    other = UserFactory(username="dave", role="operator")
    ids = {
        "/api/device/": str(device.pk),
        "/api/devices/": str(device.pk),
        "/api/users/": str(other.pk),
        "/api/auth/users/": str(other.pk),
        "/api/alerts/rules/": str(RuleFactory().pk),
        "/api/alerts/channels/": str(ChannelFactory().pk),
        "/api/alerts/": str(AlertFactory(device=device).pk),
        "/api/cameras/": str(CameraFactory().pk),
        "/api/hosts/": str(HostFactory().pk),
    }
    return World(device=device, other_user=other, ids=ids)


def _real_path(operation: Operation, world: World) -> str:
    """The operation's path with ids of objects that exist, so bodies reach validation."""
    value = next((v for prefix, v in world.ids.items() if operation.path.startswith(prefix)), "1")
    path = operation.path
    for name in operation.path_params:
        path = path.replace("{" + name + "}", value)
    return path


def _garbage_paths(operation: Operation) -> list[str]:
    paths = []
    for bad in BAD_PATH_VALUES:
        path = operation.path
        for name in operation.path_params:
            path = path.replace("{" + name + "}", bad)
        paths.append(path)
    return paths


# --- checks ---------------------------------------------------------------------------------


def _problem(response, path: str) -> str | None:
    """Why this answer breaks the contract, or None when it keeps it."""
    status = response.status_code
    if status == 503 and path.startswith("/health/ready"):
        return None  # readiness says "no worker" in this test run: true, and not about input
    if status in (502, 504) and _device_answer(response):
        # The input was acceptable and the operation went to the device, which is not
        # running here: the documented answer about the device, not about the input.
        return None
    if status >= 500:
        return f"{status}: {_text(response)}"
    if status < 400 or not path.startswith(PREFIXES):
        return None
    if "application/json" not in response.get("Content-Type", ""):
        return f"{status} not JSON ({response.get('Content-Type')}): {_text(response)}"
    try:
        body = json.loads(response.content)
    except ValueError:
        return f"{status} unparsable JSON: {_text(response)}"
    missing = ERROR_KEYS - set(body) if isinstance(body, dict) else ERROR_KEYS
    if missing:
        return f"{status} error body lacks {sorted(missing)}: {_text(response)}"
    if body["status_code"] != status:
        return f"{status} but body says status_code={body['status_code']}"
    return None


def _device_answer(response) -> bool:
    try:
        return json.loads(response.content).get("error_code") in DEVICE_ERRORS
    except (ValueError, AttributeError):
        return False


def _text(response) -> str:
    content = getattr(response, "content", b"")
    return content[:300].decode("utf-8", "replace")


def _send(client, method: str, path: str, **kwargs):
    try:
        return getattr(client, method)(path, **kwargs)
    except Exception as exc:  # an exception escaping the test client is a 500 in production
        return _Raised(exc)


class _Raised:
    status_code = 500

    def __init__(self, exc: Exception):
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/.venv/" not in f.filename]
        where = (
            f" at {frames[-1].filename}:{frames[-1].lineno} ({frames[-1].name})" if frames else ""
        )
        self.content = f"{type(exc).__name__}: {str(exc)[:150]}{where}".encode()

    def get(self, key, default=None):
        return default


def _battery(operation: Operation, world: World, components: dict) -> list[tuple[str, dict]]:
    """(path, request kwargs) pairs: a fixed, deterministic list per operation."""
    real = _real_path(operation, world)
    write = operation.method in WRITE_METHODS
    sends: list[tuple[str, dict]] = []
    empty = dict(data="{}", content_type="application/json") if write else {}
    if operation.first_of_path:  # a method no view handles: 405, not a KeyError
        sends.append((_garbage_paths(operation)[1], dict(what="TRACE", method="trace")))
    garbage = _garbage_paths(operation) if operation.path_params else []
    for path in garbage[:3] if write else garbage:
        sends.append((path, dict(empty, what="garbage path")))
    # Query strings go to reads, and to a missing id for DELETE: never delete the real rows.
    target = garbage[1] if operation.method == "delete" and garbage else real
    queries = BAD_QUERY_VALUES if operation.query else BAD_QUERY_VALUES[4:5] if not write else []
    for kind, value in queries:
        query = {}
        for name, schema in operation.query_schemas.items():
            hit = kind == "any" or schema.get("type", "string") == kind
            query[name] = value if hit else json.dumps(_example(schema, {})).strip('"').lower()
        query = urlencode(query | {"zzz_unknown": value})
        sends.append((f"{target}?{query}", dict(empty, what=f"query {query[:60]}")))
    if write:
        sends += [(real, request) for request in _body_requests(operation, components)]
    return sends


def _schema_components() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


@pytest.fixture(scope="module")
def components(django_db_blocker) -> dict:
    return _schema_components()


@pytest.mark.parametrize("operation", [pytest.param(op, id=op.id) for op in OPERATIONS])
def test_bad_input_gets_a_4xx_json_error_and_loses_nothing(
    operation, world, admin_api, api_client, components
):
    before = world.snapshot()
    counts = _row_counts()
    problems, accepted = [], []
    sends = _battery(operation, world, components)
    write = operation.method in WRITE_METHODS
    for index, (path, request) in enumerate(sends):
        what = request.pop("what")
        method = request.pop("method", operation.method)
        for who, client in (("admin", admin_api), ("anonymous", api_client)):
            if who == "anonymous" and not (what == "malformed JSON" if write else index == 0):
                continue
            response = _send(client, method, path, **request)
            if 200 <= response.status_code < 300:
                accepted.append(what)
            problem = _problem(response, path)
            if problem:
                problems.append(f"[{who}] {what} {path[:80]}: {problem}")
    assert not problems, "\n".join(problems)
    assert all(_row_counts()[k] >= n for k, n in counts.items()), "rows were lost"
    if not accepted:
        assert world.snapshot() == before, f"refused input still changed data ({accepted})"


def _row_counts() -> dict[str, int]:
    from django.contrib.auth import get_user_model

    from devices.models import Device

    return {"devices": Device.objects.count(), "users": get_user_model().objects.count()}


@pytest.mark.parametrize(
    "operation",
    [pytest.param(op, id=op.id) for op in OPERATIONS if op.path_params or op.query],
)
def test_unicode_digits_in_ids_and_filters_get_a_4xx(operation, world, admin_api):
    """'³'.isdigit() is True, yet int('³') fails: ids and filters must check isascii() too."""
    path = operation.path
    for name in operation.path_params:
        path = path.replace("{" + name + "}", "\u00b31")
    if operation.query:
        path += "?" + urlencode({name: "\u00b3" for name in operation.query})
    if operation.method == "delete" and not operation.path_params:
        return
    body = dict(data="{}", content_type="application/json")
    response = _send(
        admin_api, operation.method, path, **(body if operation.method in WRITE_METHODS else {})
    )
    problem = _problem(response, path)
    assert not problem, problem


@pytest.mark.parametrize(
    "body",
    [{"format": {"a": 1}}, {"format": ["csv"]}, {"compression": {"a": 1}}, {"compression": []}],
)
def test_an_export_with_an_object_where_a_name_belongs_gets_a_400(body, world, admin_api):
    """Found by schemathesis: an unhashable format/compression was looked up in a dict (a 500)."""
    response = admin_api.post(
        "/api/exports/create", {"export_type": "device_data", **body}, format="json"
    )
    assert response.status_code == 400, _text(response)
    assert response.json()["error_code"]
