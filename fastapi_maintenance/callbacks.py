"""User callbacks, sync or async, normalised once to one awaitable calling convention."""

from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable, TypeVar, Union, cast

from starlette.requests import Request

T = TypeVar("T")

RequestCallback = Callable[[Request], Union[T, Awaitable[T]]]


def as_async(callback: RequestCallback[T]) -> Callable[[Request], Awaitable[T]]:
    """Wrap a sync or async callable taking a Request so that it is always awaited the same way.

    Sync callbacks run inline on the event loop (no thread hop): keep them quick.
    Objects with an async ``__call__`` and functions returning awaitables are handled too.
    """
    if inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(
        getattr(callback, "__call__", None)  # noqa: B004 - we need the method itself
    ):
        return cast(Callable[[Request], Awaitable[T]], callback)

    async def call(request: Request) -> T:
        result: Any = callback(request)
        if inspect.isawaitable(result):
            result = await result
        return cast(T, result)

    return call
