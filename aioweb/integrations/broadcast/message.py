"""One broadcast message, and the ids that order them.

Ids are Redis stream ids (``"<milliseconds>-<sequence>"``), also in the in-process backend, so a
client's last id means the same thing whichever backend is configured. They are totally ordered
per layer (one stream per layer, see ``redis_backend``), which is what lets a connection drop a
message it already has: anything whose id is not above the last one delivered is a duplicate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ("GROUP", "USER", "CLOSE", "Message", "MessageId", "encode_data", "parse_id")

#: Message kinds: to the members of a group, to the connections of a user, close a user's
#: connections (a control message: never stored, never replayed).
GROUP = "g"
USER = "u"
CLOSE = "x"

MessageId = tuple[int, int]


def parse_id(text: str) -> MessageId:
    """``"1700000000000-3"`` -> ``(1700000000000, 3)``; ``ValueError`` for anything else (a
    client-supplied last id is untrusted input)."""
    ms, sep, seq = text.partition("-")
    if not ms.isdigit() or (sep and not seq.isdigit()):
        raise ValueError(f"not a message id: {text[:40]!r}")
    return int(ms), int(seq) if sep else 0


def encode_data(data: Any) -> tuple[str, bool]:
    """The text carried for ``data``, and whether it is JSON (a ``str`` travels as itself)."""
    if isinstance(data, str):
        return data, False
    return json.dumps(data, separators=(",", ":")), True


@dataclass(slots=True, eq=False)
class Message:
    """A message as the layer hands it to connections.

    ``id`` is None only for the local copy of a message the backend refused (it is live only:
    not replayable, and it does not advance a connection's last id).
    """

    id: str | None
    kind: str
    target: str
    data: str
    is_json: bool = False
    event: str | None = None
    #: "<node>:<n>", set by the sending process: lets it recognise a message it already
    #: delivered locally when the backend had refused it (see Broadcast._publish)
    origin: str | None = None
    #: the parsed id, for the duplicate check (computed once per message, not per connection)
    key: MessageId | None = field(default=None)
    _ws_text: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.key is None and self.id is not None:
            self.key = parse_id(self.id)

    def ws_text(self) -> str:
        """The WebSocket frame: a JSON envelope, built once per message for all connections.

        ``{"id": ..., "group"|"user": ..., "event": ..., "data": ...}``: the client keeps ``id``
        to send back when it reconnects; ``data`` is the JSON value sent, or the string.
        """
        text = self._ws_text
        if text is None:
            data = self.data if self.is_json else json.dumps(self.data)
            where = "group" if self.kind == GROUP else "user"
            event = "null" if self.event is None else json.dumps(self.event)
            ident = "null" if self.id is None else f'"{self.id}"'
            text = f'{{"id":{ident},"{where}":{json.dumps(self.target)},"event":{event},"data":{data}}}'
            self._ws_text = text
        return text
