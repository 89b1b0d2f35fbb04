"""CompiledGet: the per-request login-session lookup with its SQL compiled once must give
exactly what the ORM gives, including the related user and converted column values."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import LoginSession, User
from kasamonitor.compiled import CompiledGet

pytestmark = pytest.mark.django_db


def _session(username: str, **extra) -> LoginSession:
    user = User.objects.create_user(username, f"{username}@example.com", "pw-123456789012")
    return LoginSession.objects.create(
        user=user, ip_address="127.0.0.7", device_name="Firefox on Linux",
        expires_at=timezone.now() + timedelta(days=1), **extra,
    )  # fmt: skip


def test_gives_what_the_orm_gives_with_the_user_loaded():
    lookup = CompiledGet(LoginSession.objects.select_related("user"))
    made = [_session("ann"), _session("bob", revoked_at=timezone.now(), console=True)]
    for session in made:
        expected = LoginSession.objects.select_related("user").get(pk=session.pk)
        with CaptureQueriesContext(connection) as queries:
            got = lookup.get(session.pk)
            user = got.user  # loaded with the session: no second query
        assert len(queries) == 1
        for field in LoginSession._meta.concrete_fields:
            assert getattr(got, field.attname) == getattr(expected, field.attname), field.name
        assert user.pk == expected.user.pk and user.username == expected.user.username
        assert user.role == expected.user.role and user.is_active is True
        assert got.created_at.tzinfo is not None  # converters ran (SQLite keeps text)
        assert got.is_active == expected.is_active
        assert got._state.adding is False and got._state.db == expected._state.db


def test_unknown_key_raises_does_not_exist_every_time():
    lookup = CompiledGet(LoginSession.objects.select_related("user"))
    _session("cid")
    for _ in range(2):  # the first call compiles, the second reuses the compiled query
        with pytest.raises(LoginSession.DoesNotExist):
            lookup.get(uuid.uuid4())


def test_sees_changes_made_after_it_compiled():
    lookup = CompiledGet(LoginSession.objects.select_related("user"))
    session = _session("dee")
    assert lookup.get(session.pk).revoked_at is None
    LoginSession.objects.filter(pk=session.pk).update(revoked_at=timezone.now())
    User.objects.filter(pk=session.user_id).update(is_active=False)
    again = lookup.get(session.pk)
    assert again.revoked_at is not None and again.user.is_active is False
