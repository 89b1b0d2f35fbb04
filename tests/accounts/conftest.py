from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """MD5 keeps the suite fast; test_passwords checks the real Argon2 setting separately."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery():
    """Run tasks in-process, so their mail lands in the locmem outbox."""
    from kasamonitor.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved
