"""Health endpoints: /health, /health/live, /health/ready, /api/health, /api/health/detailed."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import psutil
import redis
from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdminRole
from devices.selectors import fleet_counts
from kasamonitor.timestamps import iso_utc

from . import heartbeat

STARTED = time.time()


def _now() -> str:
    return iso_utc(datetime.now(UTC))


def check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 (any driver error means "unhealthy")
        return {"status": "unhealthy", "error": str(exc)[:200]}
    return {
        "status": "healthy",
        "response_time_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def check_redis() -> dict:
    started = time.perf_counter()
    try:
        heartbeat.redis_client().ping()
    except redis.RedisError as exc:
        return {"status": "unhealthy", "error": str(exc)[:200]}
    return {
        "status": "healthy",
        "response_time_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def check_process(base: str) -> dict:
    try:
        beats = heartbeat.alive(base)
    except redis.RedisError as exc:
        return {"status": "unhealthy", "error": str(exc)[:200]}
    if not beats:
        return {"status": "unhealthy", "error": "no heartbeat"}
    return {"status": "healthy", "instances": len(beats)}


def database_size_mb() -> float:
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        size = sum(os.path.getsize(p) for p in (str(name), f"{name}-wal") if os.path.exists(p))
        return round(size / 1024 / 1024, 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return round(cursor.fetchone()[0] / 1024 / 1024, 2)


def health_payload() -> dict:
    return {"status": "healthy", "version": settings.VERSION, "timestamp": _now()}


def live_payload() -> dict:
    return {"status": "alive", "timestamp": _now()}


class PublicProbe(APIView):
    """Probes need no credentials and are not rate limited."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []


_STATUS = {"status": serializers.CharField(), "timestamp": serializers.DateTimeField()}


class Health(PublicProbe):
    @extend_schema(
        summary="Service status and version",
        responses=inline_serializer(
            "HealthStatus", {**_STATUS, "version": serializers.CharField()}
        ),
    )
    def get(self, request):
        return Response(health_payload())


class Live(PublicProbe):
    @extend_schema(summary="Liveness", responses=inline_serializer("Liveness", _STATUS))
    def get(self, request):
        return Response(live_payload())


class Ready(PublicProbe):
    @extend_schema(
        summary="Readiness: database, Redis and a live worker heartbeat (503 names what fails)",
        responses={200: dict, 503: dict},
    )
    def get(self, request):
        body = readiness()
        return Response(body, status=503 if body.get("failing") else 200)


def readiness() -> dict:
    """Return the readiness body; `failing` lists the components that are down."""
    components = {
        "database": check_database(),
        "redis": check_redis(),
        "worker": check_process(settings.WORKER_HEARTBEAT_KEY),
    }
    failing = [name for name, c in components.items() if c["status"] != "healthy"]
    body = {"status": "unhealthy" if failing else "ready", "components": components}
    body["timestamp"] = _now()
    if failing:
        body.update(
            error_code="NOT_READY", failing=failing, message=f"Not ready: {', '.join(failing)}"
        )
    return body


class ApiHealth(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses=inline_serializer(
            "Health", {"status": serializers.CharField(), "timestamp": serializers.DateTimeField()}
        )
    )
    def get(self, request):
        return Response({"status": "healthy", "timestamp": _now()})


class ApiHealthDetailed(APIView):
    permission_classes = [IsAdminRole()]

    @extend_schema(responses=dict)
    def get(self, request):
        return Response(detailed_health())


def detailed_health() -> dict:
    """Return every component's state with sizes, counts and process figures (admin only)."""
    database = check_database()
    if database["status"] == "healthy":
        counts = fleet_counts()
        database["details"] = {
            "size_mb": database_size_mb(),
            "device_count": counts["total"],
            "reading_count": counts["readings"],
        }
    components = {
        "database": database,
        "device_manager": _device_manager(),
        "cache": check_redis(),
        "broker": check_redis(),
        "worker": check_process(settings.WORKER_HEARTBEAT_KEY),
        "scheduler": check_process(settings.SCHEDULER_HEARTBEAT_KEY),
    }
    process = psutil.Process()
    status = "healthy" if all(c["status"] == "healthy" for c in components.values()) else "degraded"
    return {
        "status": status,
        "version": settings.VERSION,
        "components": components,
        "uptime_seconds": round(time.time() - STARTED, 1),
        "memory_usage_mb": round(process.memory_info().rss / 1024 / 1024, 1),
        "cpu_usage_percent": process.cpu_percent(interval=None),
        "timestamp": _now(),
    }


def _device_manager() -> dict:
    counts = fleet_counts()
    return {
        "status": "healthy",
        "connected_devices": counts["online"],
        "failed_devices": counts["offline"],
        "last_poll": counts["last_poll"],
    }


class SystemStatus(APIView):
    @extend_schema(responses=dict)
    def get(self, request):
        counts = fleet_counts()
        return Response(
            {
                "version": settings.VERSION,
                "uptime_seconds": round(time.time() - STARTED, 1),
                "devices_connected": counts["online"],
                "devices_total": counts["total"],
                "database_size_mb": database_size_mb(),
                "last_poll": counts["last_poll"],
            }
        )
