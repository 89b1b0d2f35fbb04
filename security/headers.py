"""Security headers on every response, and logging of refused cross-origin requests."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponsePermanentRedirect

from kasamonitor.errors import error_response

from . import services


def content_security_policy(nonce: str, host: str = "") -> str:
    """Return the CSP: our own files only; inline <script> needs this response's nonce."""
    # Styles keep 'unsafe-inline': the admin, plotly.js and the API docs set inline styles,
    # and a nonce in style-src would switch that off; injected CSS cannot run code.
    sockets = f" ws://{host} wss://{host}" if host else ""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            f"connect-src 'self'{sockets}",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _host(request) -> str:
    try:
        return request.get_host()
    except DisallowedHost:
        return ""


class SecurityHeadersMiddleware:
    """Give every response (static files, 413s and 429s too) the security headers.

    request.csp_nonce is set before the view runs, so templates can write
    <script nonce="{{ request.csp_nonce }}">. Django's SecurityMiddleware and
    XFrameOptionsMiddleware set some of the same headers, but only for responses that
    pass through them; headers a view set itself are kept.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        for name, value in self._headers(request).items():
            if name not in response:
                response[name] = value
        if getattr(response, "xframe_options_exempt", False):
            del response["X-Frame-Options"]
        return response

    @staticmethod
    def _headers(request) -> dict[str, str]:
        headers = {
            "Content-Security-Policy": content_security_policy(request.csp_nonce, _host(request)),
            "X-Frame-Options": settings.X_FRAME_OPTIONS,
            "X-Content-Type-Options": "nosniff",
            "X-XSS-Protection": "1; mode=block",  # device-monitoring-backend.md; legacy browsers
            "Referrer-Policy": settings.SECURE_REFERRER_POLICY,
            "Permissions-Policy": settings.PERMISSIONS_POLICY,
            "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY,
        }
        if request.is_secure():
            hsts = _hsts()
            if hsts:
                headers["Strict-Transport-Security"] = hsts
        return headers


def _hsts() -> str:
    """The HSTS value: SECURE_HSTS_SECONDS, or a year whenever require_https is on."""
    from system.selectors import https_required

    seconds = settings.SECURE_HSTS_SECONDS or (HSTS_WHEN_REQUIRED if https_required() else 0)
    if not seconds:
        return ""
    hsts = f"max-age={seconds}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        hsts += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        hsts += "; preload"
    return hsts


HSTS_WHEN_REQUIRED = 31536000
HTTPS_EXEMPT = ("/health", "/api/health")  # probes often speak plain HTTP to the process


class HttpsRequiredMiddleware:
    """With require_https on (system config), plain HTTP is not served.

    GET and HEAD are redirected (301) to the same URL over HTTPS; other methods are refused
    with 403 HTTPS_REQUIRED (their body already crossed the network in clear, and a
    redirect would hide that). Behind a proxy, HTTPS is what the proxy says in
    X-Forwarded-Proto, believed only from FORWARDED_ALLOW_IPS (kasamonitor/serve.py).
    """

    def __init__(self, get_response):
        from system.selectors import https_required  # apps are ready once middleware loads

        self.get_response = get_response
        self.https_required = https_required

    def __call__(self, request):
        if (
            request.is_secure()
            or request.path.startswith(HTTPS_EXEMPT)
            or not self.https_required()
        ):
            return self.get_response(request)
        if request.method in ("GET", "HEAD"):
            return HttpResponsePermanentRedirect(
                f"https://{request.get_host()}{request.get_full_path()}"
            )
        return error_response(
            403, "HTTPS_REQUIRED", "This server takes requests over HTTPS only (require_https)."
        )


class CorsAuditMiddleware:
    """Log (and audit) a request whose Origin cors-headers did not allow.

    Sits outside CorsMiddleware: an answer without Access-Control-Allow-Origin to a
    foreign Origin is a refusal. Same-origin requests (browsers send Origin on POST) are
    not cross-origin and are ignored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        origin = request.headers.get("Origin")
        if (
            origin
            and "Access-Control-Allow-Origin" not in response
            and origin != f"{request.scheme}://{_host(request)}"
        ):
            services.cors_refused_record(request, origin)
        return response
