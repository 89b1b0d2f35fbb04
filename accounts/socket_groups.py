"""The channel-layer groups of a socket's login session and user, and the message that
closes every socket of ended sessions in every web process (accounts/ws_auth.py joins the
groups; accounts/sessions.py and the user signals end them)."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("accounts.ws_auth")

CLOSE_UNAUTHORISED = 4401  # the close code the spec's clients treat as "log in again"
SESSION_ENDED = "session.ended"  # the channel-layer message type a consumer handles


def session_group(session_id: str) -> str:
    return f"auth.session.{session_id}"


def user_group(user_id: int) -> str:
    return f"auth.user.{user_id}"


def sockets_end_for_sessions(session_ids) -> None:
    """Close the open sockets of these sessions, once the ending transaction commits."""
    _announce([session_group(str(getattr(s, "hex", s))) for s in session_ids])


def sockets_end_for_user(user_id: int) -> None:
    """Close every open socket of a user (disabled or deleted), once the transaction commits."""
    _announce([user_group(user_id)])


def _announce(groups: list[str]) -> None:
    if groups:
        transaction.on_commit(lambda: _send(groups))


def _send(groups: list[str]) -> None:
    # Best effort, like every live event: a Redis outage must not fail a logout. While the
    # layer is away the sockets' own token expiry still closes them.
    try:
        layer = get_channel_layer()

        async def send_all():
            for group in groups:
                await layer.group_send(group, {"type": SESSION_ENDED, "group": group})

        async_to_sync(send_all)()
    except Exception:  # noqa: BLE001 (any layer error)
        logger.exception("Could not tell open sockets that %d session(s) ended", len(groups))
