"""Which payload wraps which body type: ``get_payload(value)`` and the registry behind it.

``Response(body=...)`` asks the registry for anything that is not bytes or str, so an
application registers its own body types (``@payload_type(MyType)``) and responses accept
them.  Lookup: the ``try_first`` factories, then the exact type, then ``isinstance`` over
the normal and ``try_last`` ones; a value that already is a ``Payload`` is itself.
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

from aioweb.framework.payloads.base import Payload

__all__ = [
    "PAYLOAD_REGISTRY",
    "LookupError",
    "Order",
    "PayloadRegistry",
    "get_payload",
    "payload_type",
    "register_payload",
]

Factory = Callable[..., Payload]


class LookupError(builtins.LookupError):
    """No payload type is registered for the value's type."""


class Order(enum.StrEnum):
    normal = "normal"
    try_first = "try_first"
    try_last = "try_last"


class PayloadRegistry:
    """Factories by body type, in three tiers (see the module docstring)."""

    def __init__(self) -> None:
        self._first: list[tuple[Factory, Any]] = []
        self._normal: list[tuple[Factory, Any]] = []
        self._last: list[tuple[Factory, Any]] = []
        self._exact: dict[type, Factory] = {}

    def get(self, data: Any, *args: Any, **kwargs: Any) -> Payload:
        for factory, type_ in self._first:
            if isinstance(data, type_):
                return factory(data, *args, **kwargs)
        exact = self._exact.get(type(data))
        if exact is not None:
            return exact(data, *args, **kwargs)
        if isinstance(data, Payload):
            return data
        for factory, type_ in chain(self._normal, self._last):
            if isinstance(data, type_):
                return factory(data, *args, **kwargs)
        raise LookupError(f"no payload type for {type(data).__name__}")

    def register(self, factory: Factory, type: Any, *, order: Order = Order.normal) -> None:
        if order is Order.try_first:
            self._first.append((factory, type))
        elif order is Order.normal:
            self._normal.append((factory, type))
            for one in type if isinstance(type, Iterable) else (type,):
                self._exact[one] = factory
        elif order is Order.try_last:
            self._last.append((factory, type))
        else:
            raise ValueError(f"Unsupported order {order!r}")


PAYLOAD_REGISTRY = PayloadRegistry()


def get_payload(data: Any, *args: Any, **kwargs: Any) -> Payload:
    return PAYLOAD_REGISTRY.get(data, *args, **kwargs)


def register_payload(factory: Factory, type: Any, *, order: Order = Order.normal) -> None:
    PAYLOAD_REGISTRY.register(factory, type, order=order)


class payload_type:
    """``@payload_type(SomeType)`` registers the decorated payload class for ``SomeType``."""

    def __init__(self, type: Any, *, order: Order = Order.normal) -> None:
        self.type = type
        self.order = order

    def __call__(self, factory: type[Payload]) -> type[Payload]:
        register_payload(factory, self.type, order=self.order)
        return factory
