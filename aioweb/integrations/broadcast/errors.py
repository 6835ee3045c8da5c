"""The broadcast layer's errors.

One error reaches callers: :class:`BroadcastUnavailable`, raised by a send when the shared backend
(Redis) cannot take the message within the layer's timeout. It subclasses ``ConnectionError`` so
code that already handles network failures handles it too; the local connections of the sending
process have still been given the message when it is raised (see ``docs/scaling.md``).
"""

from __future__ import annotations

__all__ = ("BroadcastError", "BroadcastUnavailable")


class BroadcastError(Exception):
    """Base class of the broadcast layer's errors."""


class BroadcastUnavailable(BroadcastError, ConnectionError):
    """The backend did not accept a message in time: other processes and hosts did not get it.

    The connections of the sending process did (live only: the message has no id and is not in
    the replay window). Catch it to retry, queue, or tell the user.
    """
