"""Dead letters kept in memory, for the fakes of the consumers' ports: what
:meth:`services.common.dead_letters.DeadLetterStore.keep` does, without a database."""

from __future__ import annotations

from collections.abc import Iterable

from services.common.dead_letters import DeadLetter

Key = tuple[str, str, int, int]
"""A dead letter's identity: its kind and the record it is about (topic, partition, offset)."""


def keep_new(
    kept: dict[Key, DeadLetter], letters: Iterable[DeadLetter], published: list[DeadLetter]
) -> tuple[DeadLetter, ...]:
    """Add to ``kept`` the letters it does not hold yet, append those of them that go to the DLQ
    topic to ``published``, and return them (a replayed batch's letters are not new)."""
    new = []
    for letter in letters:
        s = letter.source
        key = (letter.kind, s.topic, s.partition, s.offset)
        if key not in kept:
            kept[key] = letter
            new.append(letter)
            if letter.to_topic:
                published.append(letter)
    return tuple(new)
