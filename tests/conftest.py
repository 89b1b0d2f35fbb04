"""World fixtures shared by every app's tests: users of each role and API clients for them."""

from __future__ import annotations

import secrets

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.support import PASSWORD, api_client_for  # noqa: F401 (PASSWORD: fixtures below)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Keep the SQLite test database in a file, so a real worker or web process can share it."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(settings.DATA_DIR / "test.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After the run, end other connections to the PostgreSQL test database (live
    processes, channels' worker threads) so it can be dropped cleanly."""
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Give every test its own cache namespace, so rate-limit counters never leak between tests."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": "t" + secrets.token_hex(6)}
    }
    # Templates resolve {% static %} without a collectstatic run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_https_setting():
    """devices.selectors remembers require_https per process: each test starts from the
    default (off, without a query); switching it through the service is seen at once."""
    from system.selectors import https_required_reset

    https_required_reset(False)
    yield
    https_required_reset(False)


@pytest.fixture(autouse=True)
def _drain_live_worker(request):
    """The real worker takes tasks only during the tests that ask for it; after such a test
    it finishes what the test set off (pricing after a poll, say) and stops taking tasks
    before the database is flushed: on PostgreSQL a task still running while TRUNCATE runs
    deadlocks the flush."""
    if "live_worker" not in request.fixturenames:
        yield
        return
    from tests import live

    request.getfixturevalue("_django_db_helper")  # so the flush happens after the drain
    worker = request.getfixturevalue("live_worker")
    live.worker_consumes(True)
    yield
    live.wait_for_idle_worker(worker.log_path)
    live.worker_consumes(False)


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def admin_user(db):
    return UserFactory(username="alice", role="admin", password=PASSWORD)


@pytest.fixture
def operator_user(db):
    return UserFactory(username="bob", role="operator", password=PASSWORD)


@pytest.fixture
def viewer_user(db):
    return UserFactory(username="charlie", role="viewer", password=PASSWORD)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    return api_client_for(admin_user)


@pytest.fixture
def operator_api(operator_user) -> APIClient:
    return api_client_for(operator_user)


@pytest.fixture
def viewer_api(viewer_user) -> APIClient:
    return api_client_for(viewer_user)


@pytest.fixture(scope="session")
def live_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker process on the test database and Redis (session-wide)."""
    from tests import live

    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with live.running(live.celery_worker_args(), live.process_env(), log) as proc:
        from django.conf import settings

        from kasamonitor import heartbeat

        live.wait_until(
            lambda: proc.poll() is not None or heartbeat.alive(settings.WORKER_HEARTBEAT_KEY),
            timeout=30,
            what="the Celery worker's heartbeat",
        )
        assert proc.poll() is None, log.read_text()
        proc.log_path = log
        yield proc


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, tmp_path_factory):
    """A real web process (uvicorn: HTTP + WebSocket) on a free port, on the test database."""
    import urllib.request

    from tests import live

    port = live.free_port()
    log = tmp_path_factory.mktemp("web") / "web.log"
    with live.running(live.WEB_ARGS, live.web_env(port), log) as proc:
        url = f"http://127.0.0.1:{port}"

        def up():
            if proc.poll() is not None:
                raise RuntimeError(log.read_text())
            try:
                return urllib.request.urlopen(url + "/health/live", timeout=1).status == 200
            except OSError:
                return False

        live.wait_until(up, timeout=30, what="the web process")
        yield url
