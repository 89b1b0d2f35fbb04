from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Many users are built per test; argon2 would dominate this suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def console(admin_user) -> Client:
    """A browser session of an admin (role admin, no 2FA device) in the operator console."""
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def clean_backups_dir(settings):
    """An empty $KASA_DATA_DIR/backups (other apps' tests share the data dir)."""
    import shutil

    folder = settings.DATA_DIR / "backups"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def eager_celery():
    """Run .delay()/.apply_async() in-process, so an action's queued work is visible at once."""
    from kasamonitor.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(scope="session")
def kettle_sim():
    """One simulated HS110 plug on a free loopback address (answers broadcasts too)."""
    from tests.simulator import Simulator, device_spec, free_loopback_block

    (host,) = free_loopback_block(1)
    with Simulator([device_spec("hs110", host, alias="Kettle")], broadcast=True) as sim:
        yield sim


@pytest.fixture
def kettle(db, kettle_sim, settings):
    """The simulated plug, added through the devices app's manual-add service."""
    from devices import services
    from tests.simulator import BROADCAST_TARGET

    settings.KASA_DISCOVERY_TARGET = [BROADCAST_TARGET]
    settings.KASA_DISCOVERY_TIMEOUT = 1.0
    settings.KASA_DEVICE_TIMEOUT = 1.0
    settings.KASA_POLL_DEADLINE = 1.5
    return services.device_add_manual(ip=kettle_sim.hosts[0])
