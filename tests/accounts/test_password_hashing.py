"""Password hashing is bounded: OWASP's Argon2id parameters, a few hashes at a time, old hashes
rewritten at their next login (issue 24 item 3)."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from accounts.hashing import OWASP_ARGON2ID, gate, hashing_plan, hashing_stats
from accounts.models import PasswordHistory, User
from tests.accounts.support import login
from tests.support import PASSWORD

MIB = 1024
BOUNDED = "accounts.hashing.BoundedArgon2PasswordHasher"


@pytest.fixture
def argon2(settings):
    """The project's real hashers (the accounts tests use MD5 elsewhere), one web process."""
    settings.WEB_WORKERS = 1
    settings.PASSWORD_HASHING_MEMORY_MIB = 48
    settings.PASSWORD_HASHERS = [BOUNDED, "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    settings.AUTH_RATE_LIMITS = {**settings.AUTH_RATE_LIMITS, "login": "1000/m"}
    gate.reset_peaks()


def _params(encoded: str) -> tuple[int, int, int]:
    decoded = Argon2PasswordHasher().decode(encoded)
    return decoded["memory_cost"], decoded["time_cost"], decoded["parallelism"]


def _legacy_user() -> User:
    """A user whose hash (current and in the history) has Django's old 100 MiB, 8-lane cost."""
    old = Argon2PasswordHasher()
    legacy = old.encode(PASSWORD, old.salt())
    user = User.objects.create_user("legacy", "legacy@example.com", "x", role="viewer")
    User.objects.filter(pk=user.pk).update(password=legacy)
    PasswordHistory.objects.filter(user=user).update(password=legacy)
    assert _params(legacy) == (100 * MIB, 2, 8)
    return user


@pytest.mark.parametrize(
    ("workers", "memory", "passes", "slots"),
    [(1, 19, 2, 2), (2, 19, 2, 1), (3, 12, 3, 1), (4, 12, 3, 1), (5, 9, 4, 1), (6, 7, 5, 1)],
)
def test_the_parameters_are_owasps_and_all_web_processes_stay_within_the_budget(
    workers, memory, passes, slots
):
    plan = hashing_plan(48, workers, cpus=4)
    assert (plan.memory_kib, plan.time_cost, plan.slots) == (memory * MIB, passes, slots)
    assert (plan.memory_kib, plan.time_cost) in OWASP_ARGON2ID
    assert plan.total_mib <= 48


def test_no_more_hashes_at_once_than_cores():
    assert hashing_plan(64, 1, cpus=4).slots == 3  # 3 x 19 MiB fit
    assert hashing_plan(64, 1, cpus=2).slots == 2
    assert hashing_plan(64, 1, cpus=1).slots == 1


def test_too_many_web_processes_for_the_budget_stop_the_start_with_a_reason():
    with pytest.raises(ImproperlyConfigured, match="PASSWORD_HASHING_MEMORY_MIB"):
        hashing_plan(48, 7)
    assert hashing_plan(49, 7).memory_kib == 7 * MIB


def test_a_new_password_is_hashed_with_the_bounded_parameters(argon2):
    assert _params(make_password(PASSWORD)) == (19 * MIB, 2, 1)


@pytest.mark.django_db
def test_an_old_hash_is_rewritten_at_the_next_api_login(argon2):
    user = _legacy_user()
    assert login(APIClient(), "legacy").status_code == 200
    user.refresh_from_db()
    assert _params(user.password) == (19 * MIB, 2, 1)
    # The history keeps one entry for the password, now the new hash: still one password.
    assert list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True)) == [
        user.password
    ]
    assert login(APIClient(), "legacy").status_code == 200
    user.refresh_from_db()
    assert _params(user.password) == (19 * MIB, 2, 1)


@pytest.mark.django_db
def test_an_old_hash_is_rewritten_at_the_next_web_form_login(argon2, client):
    user = _legacy_user()
    response = client.post("/login", {"username": "legacy", "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert _params(user.password) == (19 * MIB, 2, 1)


@pytest.mark.django_db
def test_a_wrong_password_leaves_the_old_hash_alone(argon2):
    user = _legacy_user()
    before = User.objects.get(pk=user.pk).password
    assert login(APIClient(), "legacy", "Wrong-passw0rd!").status_code == 401
    assert User.objects.get(pk=user.pk).password == before


@pytest.mark.django_db
def test_an_unknown_name_costs_one_hash_at_the_same_parameters_as_a_wrong_password(argon2):
    User.objects.create_user("alice", "alice@example.com", PASSWORD, role="viewer")
    gate.reset_peaks()
    assert login(APIClient(), "nobody", PASSWORD).status_code == 401
    unknown = hashing_stats()
    gate.reset_peaks()
    assert login(APIClient(), "alice", "Wrong-passw0rd!").status_code == 401
    wrong = hashing_stats()
    assert unknown["peak_kib"] == wrong["peak_kib"] == 19 * MIB
    assert unknown["peak_running"] == wrong["peak_running"] == 1


def test_twenty_concurrent_hashes_never_run_more_than_the_bound_at_once(argon2):
    encoded = make_password(PASSWORD)
    gate.reset_peaks()
    start = threading.Barrier(20)
    results = []

    def one(i):
        start.wait()
        # Half check a password (a login), half hash one (an unknown name's dummy hash).
        results.append(check_password(PASSWORD, encoded) if i % 2 else bool(make_password("x")))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = hashing_stats()
    assert results == [True] * 20
    assert stats["peak_running"] == hashing_plan().slots  # reached, never passed
    assert stats["peak_kib"] == hashing_plan().slots * 19 * MIB <= 48 * MIB
    assert stats["running"] == stats["in_use_kib"] == 0


def test_an_old_100_mib_hash_takes_the_whole_gate_and_still_gets_its_turn(argon2):
    old = Argon2PasswordHasher()
    legacy = old.encode(PASSWORD, old.salt())
    gate.reset_peaks()
    start = threading.Barrier(6)
    results = []

    def one(i):
        start.wait()
        results.append(check_password(PASSWORD, legacy if i == 0 else make_password(PASSWORD)))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 6
    assert hashing_stats()["peak_kib"] <= 48 * MIB


@pytest.mark.django_db(transaction=True)
def test_concurrent_api_logins_hash_no_more_than_the_bound_at_once(argon2):
    from django.db import connection

    users = [f"user{n}" for n in range(6)]
    encoded = make_password(PASSWORD)
    for name in users:
        user = User.objects.create_user(name, f"{name}@example.com", "x", role="viewer")
        User.objects.filter(pk=user.pk).update(password=encoded)
    gate.reset_peaks()
    start = threading.Barrier(len(users))
    statuses = []

    def one(name):
        try:
            start.wait()
            statuses.append(login(APIClient(), name).status_code)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=one, args=(name,)) for name in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * len(users)
    stats = hashing_stats()
    assert stats["peak_running"] == hashing_plan().slots
    assert stats["peak_kib"] <= 48 * MIB
