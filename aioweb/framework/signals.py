"""Signals (lists of async callbacks) and the cleanup context of an application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from aioweb.framework.app import Application

__all__ = ["CleanupContext", "CleanupError", "FrozenList", "Signal"]


class FrozenList(list[Any]):
    """A list that refuses changes once frozen (the application's started state)."""

    _frozen = False

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        self._frozen = True

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError("Cannot modify frozen list.")

    def append(self, item: Any) -> None:
        self._check()
        super().append(item)

    def extend(self, items: Any) -> None:
        self._check()
        super().extend(items)

    def insert(self, index: Any, item: Any) -> None:
        self._check()
        super().insert(index, item)

    def remove(self, item: Any) -> None:
        self._check()
        super().remove(item)

    def pop(self, index: Any = -1) -> Any:
        self._check()
        return super().pop(index)

    def clear(self) -> None:
        self._check()
        super().clear()

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check()
        super().__setitem__(index, value)

    def __delitem__(self, index: Any) -> None:
        self._check()
        super().__delitem__(index)

    # list's own signature (any iterable, in place); mypy compares it with the inherited
    # ``__add__``, which takes only lists, and the two are not meant to agree.
    def __iadd__(self, items: Iterable[Any]) -> Self:  # type: ignore[misc]
        self._check()
        super().extend(items)
        return self

    def __hash__(self) -> int:  # type: ignore[override]
        return id(self)


class Signal(FrozenList):
    """Callbacks awaited in order by :meth:`send` (``app.on_startup`` and friends)."""

    def __init__(self, owner: Any) -> None:
        super().__init__()
        self._owner = owner

    def __repr__(self) -> str:
        return f"<Signal owner={self._owner!r}, frozen={self.frozen}, {list(self)!r}>"

    async def send(self, *args: Any, **kwargs: Any) -> None:
        if not self._frozen:
            raise RuntimeError("Cannot send non-frozen signal.")
        for receiver in self:
            await receiver(*args, **kwargs)


class CleanupContext(FrozenList):
    """Async generators run to their ``yield`` on startup and resumed on cleanup (reversed)."""

    def __init__(self) -> None:
        super().__init__()
        self._running: list[AsyncIterator[None]] = []

    async def _on_startup(self, app: Application) -> None:
        for factory in self:
            iterator = _as_async_iterator(factory, app)
            await iterator.__anext__()
            self._running.append(iterator)

    async def _on_cleanup(self, app: Application) -> None:
        """Resume every context, newest first, even when some of them fail.

        A failing cleanup must not keep the others from releasing their resources, so
        errors are collected: one error is raised as itself, several as a
        :class:`CleanupError` listing them all (as aiohttp does).  A cancellation raised
        inside a cleanup is collected the same way, so the remaining contexts still run.
        """
        errors: list[BaseException] = []
        for iterator in reversed(self._running):
            try:
                await iterator.__anext__()
            except StopAsyncIteration:
                pass
            except (Exception, asyncio.CancelledError) as exc:
                errors.append(exc)
            else:
                errors.append(RuntimeError(f"{iterator!r} has more than one 'yield'"))
        self._running.clear()
        if errors:
            if len(errors) == 1:
                raise errors[0]
            raise CleanupError("Multiple errors on cleanup stage", errors)


class CleanupError(RuntimeError):
    """Several ``cleanup_ctx`` contexts failed on cleanup; ``exceptions`` lists their errors.

    Raised by ``app.cleanup()`` (and so by ``runner.cleanup()``) after every context ran.
    """

    @property
    def exceptions(self) -> list[BaseException]:
        return self.args[1]  # type: ignore[no-any-return]


def _as_async_iterator(
    factory: Callable[[Application], Any], app: Application
) -> AsyncIterator[None]:
    result = factory(app)
    if isinstance(result, AbstractAsyncContextManager):
        manager = result

        async def _iter() -> AsyncIterator[None]:
            async with manager:
                yield

        return _iter()
    return result  # type: ignore[no-any-return]
