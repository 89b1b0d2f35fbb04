"""Optional imports our libraries make "in case", refused where we know they are unused.

Some libraries import a package at their own import, when it is installed, for a feature
this project never uses. Each such package costs every Django process memory and start-up
time (issue 24: docs/performance.md, "Footprint"). `refuse()` installs an import hook that
turns down exactly those imports — the package asked for by that library's module — so
the library sees the package as not installed, as its own code expects. Anyone else still
imports it normally (python-kasa imports aiohttp when the worker first polls a device).

It is installed when the kasamonitor package is imported, before Django or any library
loads, so the web process, the worker, job processes, manage.py and the tests all run the
same way (tests/kasamonitor/test_optional_imports.py checks what each process loads).
"""

from __future__ import annotations

import sys

# (importing module, package it asks for): why we never need it from there.
REFUSED = {
    ("rest_framework.compat", "requests"): "DRF's RequestsClient, a test client we do not use",
    ("rest_framework.compat", "pygments"): (
        "code highlighting in DRF's browsable API, which we do not serve (JSON only)"
    ),
    ("rest_framework.compat", "django.contrib.postgres"): (
        "DRF's serializer fields for PostgreSQL-only model fields: we have none (it would "
        "load psycopg even on SQLite)"
    ),
    ("import_export.resources", "django.contrib.postgres"): (
        "django-import-export's ArrayField widget: we have no ArrayField"
    ),
    ("kombu.serialization", "yaml"): (
        "Celery messages in YAML: ours are JSON (Celery accepts only JSON)"
    ),
    ("engineio.client", "requests"): "python-engineio's client: we are the server",
    ("engineio.async_client", "aiohttp"): "python-engineio's client: we are the server",
    ("redis.utils", "cryptography"): (
        "redis-py's OCSP check of TLS connections, which we do not ask for"
    ),
    ("jwt.algorithms", "cryptography"): "PyJWT's RSA/EC/EdDSA algorithms: our tokens are HS256",
    ("jwt.utils", "cryptography"): "PyJWT's EC signature helpers: our tokens are HS256",
}


def _importer(frame) -> str | None:
    """The module whose code runs the import: the first frame outside importlib."""
    while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        frame = frame.f_back
    return frame.f_globals.get("__name__") if frame is not None else None


class RefuseUnusedOptionalImports:
    """A meta path finder that finds nothing and refuses the imports in REFUSED."""

    def __init__(self, refused: dict[tuple[str, str], str]):
        self.packages = {package for _importer_name, package in refused}
        self.refused = refused

    def find_spec(self, name, path=None, target=None):
        if name in self.packages:
            importer = _importer(sys._getframe(1))
            if (importer, name) in self.refused:
                raise ModuleNotFoundError(
                    f"{name} is not imported for {importer} (kasamonitor.optional_imports)",
                    name=name,
                )
        return None  # every other import: the next finder's business


def refuse() -> None:
    """Install the hook once, first in sys.meta_path."""
    if not any(isinstance(f, RefuseUnusedOptionalImports) for f in sys.meta_path):
        sys.meta_path.insert(0, RefuseUnusedOptionalImports(REFUSED))
