"""OpenAPI description of the two ways to authenticate (loaded with the schema views: kasamonitor/urls.py)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class KasaJWTScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.JWTAuthentication"
    name = ["bearerAuth", "cookieAuth"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            {
                "type": "apiKey",
                "in": "cookie",
                "name": "access_token",
                "description": "Set by login. Unsafe methods also need the X-CSRFToken "
                "header (value of the csrftoken cookie).",
            },
        ]
