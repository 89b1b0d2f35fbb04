"""First run, registration, login (with 2FA), refresh, logout, current user."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import serializers as s
from accounts import services, sessions
from accounts.authentication import REFRESH_COOKIE, enforce_csrf
from accounts.cookies import clear_auth_cookies, set_auth_cookies
from accounts.errors import InvalidToken, RefreshTokenRequired
from accounts.permissions import IsAdminRole
from kasamonitor.drf import validated
from kasamonitor.parsers import StrictJSONParser

TAG = ["auth"]


class PublicApi(APIView):
    """No authentication at all: a stale cookie must never block login or setup.

    JSON bodies only: an HTML form on another site can post form-encoded or text/plain
    bodies without asking, but not JSON (that needs a CORS preflight), so no other site
    can log a browser in to an account of its choosing (login CSRF) or use these endpoints.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [StrictJSONParser]

    def get_authenticate_header(self, request) -> str:
        # Keeps a 401 a 401 (DRF turns it into 403 when no authenticator names a scheme).
        return 'Bearer realm="api"'


def _logged_in(request, issued, status_code=status.HTTP_200_OK) -> Response:
    response = Response(s.login_payload(issued), status=status_code)
    set_auth_cookies(response, request, issued)
    return response


class SetupRequiredApi(PublicApi):
    @extend_schema(
        tags=TAG,
        summary="Whether the first admin still has to be created",
        responses={200: s.inline_bool("setup_required")},
    )
    def get(self, request):
        return Response({"setup_required": services.setup_required()})


class SetupApi(PublicApi):
    @extend_schema(
        tags=TAG,
        summary="Create the first admin (only while no user exists)",
        request=s.SetupSerializer,
        responses={201: s.SetupResponseSerializer, 409: OpenApiResponse(description="Done.")},
    )
    def post(self, request):
        data = validated(s.SetupSerializer, request.data)
        user = services.setup_first_admin(**data, request=request)
        body = {
            "message": "Admin account created. Please log in.",
            "user": s.UserSerializer(user).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class RegisterApi(PublicApi):
    @extend_schema(
        tags=TAG,
        summary="Register a viewer account (when the admin allows registration)",
        request=s.RegisterSerializer,
        responses={201: s.LoginResponseSerializer, 403: OpenApiResponse(description="Closed.")},
    )
    def post(self, request):
        data = validated(s.RegisterSerializer, request.data)
        full_name = data.pop("name", "") or data["full_name"]
        issued = services.register(**{**data, "full_name": full_name}, request=request)
        return _logged_in(request, issued, status.HTTP_201_CREATED)


LOGIN_DOC = """Log in with `username` (or `email`) and `password`.

Without 2FA the answer holds the tokens (also set as HTTP-only cookies `access_token` and
`refresh_token`, with a readable `csrftoken` cookie for cookie clients).

With 2FA the answer is `{"requires_2fa": true, "challenge_token": ..., "expires_in": 300}`
and no tokens: POST `{"challenge_token", "code"}` to `/api/auth/login/2fa` within
`expires_in` seconds, with a 6-digit code from the authenticator app or a backup code.

5 attempts per minute per IP; repeated failures for one account add a growing wait (429).
"""


class LoginApi(PublicApi):
    @extend_schema(
        tags=TAG,
        summary="Log in (step 1)",
        description=LOGIN_DOC,
        request=s.LoginSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="LoginResult",
                serializers=[s.LoginResponseSerializer, s.LoginChallengeSerializer],
                resource_type_field_name=None,
            ),
            401: OpenApiResponse(description="INVALID_CREDENTIALS"),
            429: OpenApiResponse(description="RATE_LIMIT_EXCEEDED, with retry_after"),
        },
    )
    def post(self, request):
        data = validated(s.LoginSerializer, request.data)
        result = services.login(
            identifier=data["identifier"], password=data["password"], request=request
        )
        if isinstance(result, services.LoginChallenge):
            return Response(s.challenge_payload(result))
        return _logged_in(request, result)


class LoginChallengeApi(PublicApi):
    @extend_schema(
        tags=TAG,
        summary="Log in (step 2, users with 2FA): redeem the challenge with a code",
        request=s.ChallengeSerializer,
        responses={
            200: s.LoginResponseSerializer,
            401: OpenApiResponse(description="INVALID_2FA_CODE or INVALID_2FA_CHALLENGE"),
            429: OpenApiResponse(description="TWO_FACTOR_THROTTLED: wait Retry-After seconds"),
        },
    )
    def post(self, request):
        data = validated(s.ChallengeSerializer, request.data)
        issued = services.login_with_challenge(
            challenge_token=data["challenge_token"], code=data["code"], request=request
        )
        return _logged_in(request, issued)


def _refresh(request, raw, missing: Exception) -> sessions.IssuedTokens:
    """Rotate the body's refresh token, else the refresh cookie's; raise `missing` without."""
    if not raw:
        raw = request.COOKIES.get(REFRESH_COOKIE)
        if not raw:
            raise missing
        enforce_csrf(request)  # the cookie came along by itself: prove the page sent it
    return sessions.session_refresh(raw, request=request)


class RefreshApi(PublicApi):
    @extend_schema(
        tags=TAG,
        summary="Rotate the refresh token and get a new access token",
        description="Each refresh token works once: presenting a rotated one again ends "
        "the whole session (401 REFRESH_TOKEN_REUSED).",
        request=s.RefreshSerializer,
        responses={200: s.RefreshResponseSerializer, 401: OpenApiResponse(description="")},
    )
    def post(self, request):
        data = validated(s.RefreshSerializer, request.data)
        issued = _refresh(
            request, data.get("refresh_token"), InvalidToken("A refresh token is required.")
        )
        response = Response(s.refresh_payload(issued))
        set_auth_cookies(response, request, issued)
        return response


class SecurityRefreshApi(PublicApi):
    @extend_schema(
        tags=["security"],
        summary="Rotate the refresh token (camelCase variant)",
        request=s.SecurityRefreshSerializer,
        responses={
            200: s.SecurityTokensSerializer,
            400: OpenApiResponse(description="REFRESH_TOKEN_REQUIRED: no token in body or cookie"),
            401: OpenApiResponse(description="Invalid or expired refresh token"),
        },
    )
    def post(self, request):
        data = validated(s.SecurityRefreshSerializer, request.data)
        # security-api.md: a request without any refresh token is a 400, not a 401.
        issued = _refresh(
            request, data.get("refreshToken"), RefreshTokenRequired(field="refreshToken")
        )
        response = Response({"accessToken": issued.access, "refreshToken": str(issued.refresh)})
        set_auth_cookies(response, request, issued)
        return response


class LogoutApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Log out of this session",
        request=None,
        responses={200: s.LogoutSerializer},
    )
    def post(self, request):
        ended = services.logout(request)
        response = Response({"message": "Logged out successfully", "sessions_terminated": ended})
        clear_auth_cookies(response)
        return response


class SecurityLogoutApi(APIView):
    @extend_schema(
        tags=["security"],
        summary="Log out everywhere (ends all sessions)",
        request=None,
        responses={200: s.LogoutSerializer},
    )
    def post(self, request):
        ended = services.logout_everywhere(request)
        response = Response({"message": "Logged out successfully", "sessions_terminated": ended})
        clear_auth_cookies(response)
        return response


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAG, summary="The current user", responses={200: s.UserSerializer})
    def get(self, request):
        return Response(s.UserSerializer(request.user).data)


class SecurityStatusApi(APIView):
    permission_classes = [IsAdminRole()]

    @extend_schema(
        tags=TAG,
        summary="JWT and security settings (admin)",
        responses={200: s.SecurityStatusSerializer},
    )
    def get(self, request):
        return Response(services.security_status())
