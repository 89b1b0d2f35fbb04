"""Structured logging: one JSON object per line, carrying the current request id."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# color_message: uvicorn's copy of its message with terminal colour codes.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
}


# Secrets that can ride in a URL: a WebSocket's ?token=, a reset link's token, a signed
# download's signature. Whatever logs a URL (uvicorn's WebSocket lines, errors quoting a
# request), the line written keeps the parameter's name and loses its value.
_SECRET_QUERY = re.compile(
    r"([?&](?:token|access_token|refresh_token|password|code|otp|secret|signature|key)=)"
    r"[^&\s\"'#]+",
    re.IGNORECASE,
)
_SIGNED_PATH = re.compile(r"(/download/)[^/?\s\"'#]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Return text with the values of secret URL parts replaced by [redacted]."""
    if "=" not in text and "/download/" not in text:
        return text
    return _SIGNED_PATH.sub(r"\1" + REDACTED, _SECRET_QUERY.sub(r"\1" + REDACTED, text))


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", "-"),
        }
        # Anything passed as logger.info(..., extra={...}) becomes a field.
        event.update(
            {
                k: redact(v) if isinstance(v, str) else v
                for k, v in vars(record).items()
                if k not in _STANDARD
            }
        )
        if record.exc_info:
            event["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(event, default=str)


class AnsweredHandshakeFilter(logging.Filter):
    """Drop uvicorn's "returned without completing handshake" error: it also fires after a
    handshake answered with an HTTP response (the 503 of a full server), and every socket
    that really ends unanswered is logged by kasamonitor.asgi_sockets instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name == "uvicorn.error"
            and record.msg == "ASGI callable returned without completing handshake."
        )
