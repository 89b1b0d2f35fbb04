"""The JSON parser of every API view: DRF's, refusing text no database column can hold.

PostgreSQL refuses NUL in text and jsonb, and no database driver can encode a lone UTF-16
surrogate ("\\ud800" is valid JSON), so either one would surface as a 500 from whichever
query or save first met it. No field of this API accepts them: refuse them while parsing.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if _has_bad_text(data):
            raise ParseError("JSON parse error - strings may not contain NUL or lone surrogates.")
        return data


def _has_bad_text(data: Any) -> bool:
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and _bad(item):
            return True
    return False


def _bad(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
