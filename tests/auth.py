"""How tests obtain real tokens (the accounts app decides what a token carries)."""

from __future__ import annotations

from rest_framework_simplejwt.tokens import RefreshToken


def access_token_for(user) -> str:
    return str(RefreshToken.for_user(user).access_token)
