"""API-wide rate limits: per IP and per user, X-RateLimit-* headers, 429 in the spec's shape."""

from __future__ import annotations

import time

import pytest
import time_machine

from kasamonitor.ratelimit import parse_rate
from security.models import AuditLog


@pytest.fixture
def tight(settings):
    settings.API_RATE_LIMIT_PER_IP = "3/m"
    settings.API_RATE_LIMIT_PER_USER = "1000/h"


def test_every_api_answer_has_rate_limit_headers(client, db, settings):
    settings.API_RATE_LIMIT_PER_IP = "100/m"  # the default, whatever the environment says
    with time_machine.travel(time.time() // 60 * 60 + 30, tick=False):  # mid-window
        first, second = client.get("/api/nowhere"), client.get("/api/nowhere")
        assert first["X-RateLimit-Limit"] == "100"
        assert int(first["X-RateLimit-Remaining"]) == 99
        assert second["X-RateLimit-Remaining"] == "98"
        reset = int(first["X-RateLimit-Reset"])
        assert time.time() < reset <= time.time() + 60


@pytest.mark.parametrize("path", ["/health/live", "/api/health", "/static/x.css", "/login"])
def test_health_static_and_pages_are_not_limited(client, db, tight, path):
    for _ in range(5):
        response = client.get(path)
        assert response.status_code != 429 and "X-RateLimit-Limit" not in response


def test_past_the_ip_limit_the_api_answers_429_with_retry_after(client, db, tight):
    for remaining in (2, 1, 0):
        assert client.get("/api/nowhere")["X-RateLimit-Remaining"] == str(remaining)
    response = client.get("/api/nowhere")
    assert response.status_code == 429
    body = response.json()
    assert body["error"] == "rate_limit_exceeded" and body["error_code"] == "RATE_LIMIT_EXCEEDED"
    assert body["message"] == "Too many requests. Please try again later."
    assert 1 <= body["retry_after"] <= 60 and body["retryAfter"] == body["retry_after"]
    assert body["limit"] == "3 per minute" and body["status_code"] == 429
    assert response["Retry-After"] == str(body["retry_after"])
    assert response["X-RateLimit-Remaining"] == "0" and response["X-Content-Type-Options"]


def test_the_first_refusal_of_a_window_is_audited(client, db, tight):
    for _ in range(6):
        client.get("/api/nowhere")
    entry = AuditLog.objects.get(action="security.rate_limited")
    assert entry.ip_address == "127.0.0.1" and entry.details["limit"] == "3 per minute"


def test_the_allowance_comes_back_steadily_not_at_the_end_of_a_window(client, db, tight):
    """3 per minute is one request's worth every 20 s: a refused client waits 20 s, not
    until a window ends, and a refused request costs nothing."""
    with time_machine.travel(time.time(), tick=False) as traveller:
        for _ in range(3):
            assert client.get("/api/nowhere").status_code == 404
        refused = client.get("/api/nowhere")
        assert refused.status_code == 429 and refused.json()["retry_after"] == 20
        traveller.shift(10)
        assert client.get("/api/nowhere").json()["retry_after"] == 10  # refusals cost nothing
        traveller.shift(10)
        assert client.get("/api/nowhere").status_code == 404  # one request's worth is back
        assert client.get("/api/nowhere").status_code == 429
        traveller.shift(60)
        statuses = [client.get("/api/nowhere").status_code for _ in range(4)]
        assert statuses == [404, 404, 404, 429]  # whole again after a period, never more


def test_a_loop_that_spends_the_hourly_allowance_waits_seconds_not_the_rest_of_the_hour(
    admin_api, settings
):
    settings.API_RATE_LIMIT_PER_USER = "1000/h"
    with time_machine.travel(time.time(), tick=False) as traveller:
        for _ in range(1000):
            assert admin_api.get("/api/nowhere").status_code == 404
        refused = admin_api.get("/api/nowhere")
        assert refused.status_code == 429 and refused.json()["limit"] == "1000 per hour"
        assert int(refused["Retry-After"]) == 4  # 3.6 s: one request's worth of an hour
        traveller.shift(4)
        assert admin_api.get("/api/nowhere").status_code == 404


def test_other_clients_keep_their_own_budget(client, db, tight):
    for _ in range(4):
        client.get("/api/nowhere")
    assert client.get("/api/nowhere", REMOTE_ADDR="127.0.0.2").status_code == 404


def test_a_signed_in_user_has_an_hourly_budget_across_addresses(admin_api, settings):
    settings.API_RATE_LIMIT_PER_USER = "2/h"
    assert admin_api.get("/api/audit-logs", REMOTE_ADDR="127.0.0.3").status_code == 200
    response = admin_api.get("/api/audit-logs", REMOTE_ADDR="127.0.0.4")
    assert response["X-RateLimit-Limit"] == "2" and response["X-RateLimit-Remaining"] == "0"
    refused = admin_api.get("/api/audit-logs", REMOTE_ADDR="127.0.0.5")
    assert refused.status_code == 429 and refused.json()["limit"] == "2 per hour"


def test_a_cache_outage_does_not_take_the_api_down(client, db, settings):
    settings.CACHES = {"default": {**settings.CACHES["default"],
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # fmt: skip
    response = client.get("/api/health")
    assert response.status_code in (200, 503)
    assert client.get("/api/nowhere").status_code == 404


@pytest.mark.parametrize(
    "text,limit,seconds",
    [("100/m", 100, 60), ("1000/h", 1000, 3600), ("3/15m", 3, 900), ("10/hour", 10, 3600)],
)
def test_rates_are_read_from_settings_text(text, limit, seconds):
    rate = parse_rate(text)
    assert (rate.limit, rate.seconds) == (limit, seconds)


def test_each_window_expires_in_redis(client, db, settings):
    from django.core.cache import cache

    settings.API_RATE_LIMIT_PER_IP = "100/m"
    client.get("/api/devices")
    redis = cache._cache.get_client()
    keys = redis.keys(cache.make_key("ratelimit:ip:*"))
    assert keys and all(0 < redis.ttl(key) <= 65 for key in keys)


def test_a_client_address_that_is_not_an_ip_is_refused_cleanly_not_a_500(client, db):
    # A trusted proxy may pass on whatever a client put in X-Forwarded-For; the login limits
    # and the audit log then see no address instead of failing the request.
    body = {"username": "nobody", "password": "wrong-password"}
    for _ in range(5):
        response = client.post(
            "/api/auth/login", body, content_type="application/json", REMOTE_ADDR="evil"
        )
        assert response.status_code == 401
    entry = AuditLog.objects.filter(action="login_failed").latest("id")
    assert entry.ip_address is None
    refused = client.post(
        "/api/auth/login", body, content_type="application/json", REMOTE_ADDR="also-evil"
    )
    assert refused.status_code == 429  # one bucket for every unknown address


@pytest.mark.parametrize("text", ["", "5", "abc/m", "5/x", "5/15", "/m"])
def test_a_rate_that_is_not_a_rate_is_refused(text):
    with pytest.raises(ValueError):
        parse_rate(text)


@pytest.mark.parametrize(
    "text,shown",
    [("5/m", "5 per minute"), ("3/15m", "3 per 15 minutes"), ("1000/h", "1000 per hour"),
     ("10/2d", "10 per 2 days"), ("7/90s", "7 per 90 seconds")],
)  # fmt: skip
def test_errors_state_the_limit_in_words(text, shown):
    assert str(parse_rate(text)) == shown
