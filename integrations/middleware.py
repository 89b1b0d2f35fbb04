"""HTTP request latency by route for /metrics (only while metrics are on)."""

from __future__ import annotations

import time

from django.core.exceptions import MiddlewareNotUsed

from .conf import metrics_enabled

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request) -> str:
    """The URL pattern that answered (e.g. api/devices/<str:key>), never the raw path, so the
    label set stays small whatever clients ask for."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.route or match.view_name or "unmatched"


class RequestMetricsMiddleware:
    """Time the rest of the chain and the view (sync: the chain runs in one thread hop)."""

    def __init__(self, get_response):
        if not metrics_enabled():
            raise MiddlewareNotUsed
        from . import metrics

        self.get_response = get_response
        self.histogram = metrics.HTTP_SECONDS
        metrics.watch_sockets()

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        status = f"{response.status_code // 100}xx"
        self.histogram.labels(method, route_of(request), status).observe(
            time.perf_counter() - started
        )
        return response
