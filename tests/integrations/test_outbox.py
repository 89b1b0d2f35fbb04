"""The MQTT outbox: bounded, dropping the oldest first and counting what it dropped."""

from __future__ import annotations

from integrations.mqtt.outbox import Message, Outbox


def _messages(*numbers: int) -> list[Message]:
    return [Message(f"t/{n}", str(n).encode(), False) for n in numbers]


def test_a_full_outbox_drops_the_oldest_and_counts_them():
    box = Outbox(3)
    box.put(_messages(1, 2, 3, 4, 5))
    assert [m.topic for m in box.take(10)] == ["t/3", "t/4", "t/5"]
    assert box.dropped == 2


def test_unconfirmed_messages_go_back_to_the_front_in_order():
    box = Outbox(10)
    box.put(_messages(1, 2, 3, 4))
    sent = box.take(3)
    box.put(_messages(5))
    box.give_back(sent[1:])  # 1 was confirmed, 2 and 3 were not
    assert [m.topic for m in box.take(10)] == ["t/2", "t/3", "t/4", "t/5"]
    assert box.dropped == 0
