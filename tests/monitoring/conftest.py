from __future__ import annotations

import pytest

from .peers import RtspResponder, TcpListener, WebhookReceiver


@pytest.fixture
def webhook():
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def rtsp_camera():
    with RtspResponder() as responder:
        yield responder


@pytest.fixture
def rtsp_camera_with_auth():
    with RtspResponder(username="admin", password="s3cret!") as responder:
        yield responder


@pytest.fixture
def tcp_listener():
    listener = TcpListener()
    yield listener
    listener.close()


@pytest.fixture
def eager_celery():
    """Run .delay() in-process (retries included) for tests that don't need a worker."""
    from kasamonitor.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Argon2 makes every user fixture cost ~0.3 s; these tests are not about hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
