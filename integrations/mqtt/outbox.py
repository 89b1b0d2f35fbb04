"""The bounded queue between the poll (any thread) and the broker connection."""

from __future__ import annotations

import threading
from collections import deque
from typing import NamedTuple


class Message(NamedTuple):
    topic: str
    payload: bytes
    retain: bool


class Outbox:
    """Messages waiting for the broker. Full, the oldest is dropped and counted: while the
    broker is away the newest readings are the ones worth keeping."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.items: deque[Message] = deque()
        self.dropped = 0
        self.in_flight = 0  # taken, not yet confirmed or given back
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.items)

    def put(self, messages: list[Message]) -> None:
        with self.lock:
            self.items.extend(messages)
            self._trim()

    def take(self, most: int) -> list[Message]:
        with self.lock:
            taken = [self.items.popleft() for _ in range(min(most, len(self.items)))]
            self.in_flight += len(taken)
            return taken

    def confirmed(self, count: int) -> None:
        with self.lock:
            self.in_flight -= count

    def give_back(self, messages: list[Message]) -> None:
        """Put unconfirmed messages back at the front, in their order (sent again first)."""
        with self.lock:
            self.in_flight -= len(messages)
            self.items.extendleft(reversed(messages))
            self._trim()

    def idle(self) -> bool:
        """True when nothing is waiting or awaiting the broker's confirmation."""
        with self.lock:
            return not self.items and not self.in_flight

    def _trim(self) -> None:
        while len(self.items) > self.size:
            self.items.popleft()
            self.dropped += 1
