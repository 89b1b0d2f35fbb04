"""JWTs bound to a login session ("sid" claim), signed with the current key.

Verification also accepts settings.JWT_PREVIOUS_KEYS, so the signing key can be rotated
without logging everyone out: sign with the new key, keep the old one as "previous" until
its tokens have expired.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import (
    ExpiredTokenError,
    TokenBackendError,
    TokenBackendExpiredToken,
    TokenError,
)
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token
from rest_framework_simplejwt.utils import aware_utcnow, datetime_from_epoch

from .errors import InvalidToken, TokenExpired

SESSION_CLAIM = "sid"


class KeyRingBackend(TokenBackend):
    """Sign with JWT_SIGNING_KEY; verify with it or any of JWT_PREVIOUS_KEYS."""

    def __init__(self) -> None:
        super().__init__(settings.SIMPLE_JWT["ALGORITHM"], settings.JWT_SIGNING_KEY)

    def decode(self, token, verify: bool = True) -> dict:
        error: TokenBackendError | None = None
        for key in [settings.JWT_SIGNING_KEY, *settings.JWT_PREVIOUS_KEYS]:
            try:
                return TokenBackend(self.algorithm, key).decode(token, verify=verify)
            except TokenBackendExpiredToken:
                raise  # the signature matched: expired is the real answer
            except TokenBackendError as exc:
                error = exc
        raise error or TokenBackendError("Token is invalid")


class _KeyRing:
    @property
    def token_backend(self) -> TokenBackend:
        return KeyRingBackend()


class SessionAccessToken(_KeyRing, AccessToken):
    pass


class SessionRefreshToken(_KeyRing, RefreshToken):
    access_token_class = SessionAccessToken

    def verify(self, *args, **kwargs) -> None:
        # No blacklist check here: sessions.session_refresh() judges a reused token itself,
        # because reuse must also end the whole session.
        Token.verify(self, *args, **kwargs)


def new_refresh(*, user_id: int, session_id: str) -> SessionRefreshToken:
    """Return a new refresh token for a session (recorded as outstanding)."""
    token = SessionRefreshToken()
    token[api_settings.USER_ID_CLAIM] = str(user_id)
    token[SESSION_CLAIM] = session_id
    token.outstand()
    return token


def expires_at(token: Token):
    return datetime_from_epoch(token["exp"])


def _decode(cls: type[Token], raw) -> Token:
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    try:
        token = cls(raw)
    except ExpiredTokenError as exc:
        raise TokenExpired() from exc
    except TokenError as exc:
        raise InvalidToken() from exc
    if not token.get(SESSION_CLAIM):
        raise InvalidToken("The token belongs to no login session. Please log in again.")
    return token


def decode_access(raw) -> SessionAccessToken:
    """Return the verified access token, or raise TokenExpired / InvalidToken.

    Every API request reads its token twice (rate limits, authentication) and a client
    sends the same one for many minutes: a token already verified is only checked for
    expiry again. Access tokens have no blacklist; revocation is the login session's,
    looked up on every request."""
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    token = _verified_access(raw, (settings.JWT_SIGNING_KEY, *settings.JWT_PREVIOUS_KEYS))
    try:
        token.check_exp(current_time=aware_utcnow())
    except TokenError as exc:
        raise TokenExpired() from exc
    return token


@lru_cache(maxsize=1024)
def _verified_access(raw: str, key_ring: tuple[str, ...]) -> SessionAccessToken:
    # key_ring is part of the cache key: a key taken out of the ring refuses its tokens.
    return _decode(SessionAccessToken, raw)  # a refused token raises: nothing is kept


def decode_refresh(raw) -> SessionRefreshToken:
    """Return the verified refresh token, or raise TokenExpired / InvalidToken."""
    return _decode(SessionRefreshToken, raw)
