"""GET /metrics: the Prometheus exposition, for a bearer token or an allowed address."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CONTENT_TYPE_LATEST

from kasamonitor.errors import error_response

from . import access, metrics
from .conf import metrics_enabled


@csrf_exempt  # no cookie authenticates here and nothing is written: a POST gets the 405
def metrics_view(request):
    if not metrics_enabled():
        raise Http404  # off: the route does not exist
    if request.method not in ("GET", "HEAD"):
        response = error_response(405, "METHOD_NOT_ALLOWED", "Only GET is allowed here.")
        response["Allow"] = "GET, HEAD"
        return response
    if not (access.token_matches(request) or access.address_allowed(request)):
        response = error_response(
            401, "METRICS_TOKEN_REQUIRED", "Send Authorization: Bearer <METRICS_TOKEN>."
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
