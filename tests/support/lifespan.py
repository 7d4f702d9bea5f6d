"""Run only the lifespan start-up of an ASGI app, to see how it ends."""

from __future__ import annotations

from typing import Any, Dict, List

import anyio
from starlette.types import ASGIApp, Message


def startup_result(app: ASGIApp) -> Dict[str, Any]:
    """The message the app answers ``lifespan.startup`` with (``lifespan.startup.complete`` or ``.failed``)."""
    result: Dict[str, Any] = anyio.run(startup_result_async, app)
    return result


async def startup_result_async(app: ASGIApp) -> Dict[str, Any]:
    """``startup_result`` inside a running event loop."""
    sent: List[Dict[str, Any]] = []
    messages: List[Message] = [{"type": "lifespan.startup"}]

    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    answered = anyio.Event()

    async def send(message: Message) -> None:
        sent.append(dict(message))
        answered.set()

    async def run() -> None:
        with anyio.move_on_after(10):
            async with anyio.create_task_group() as group:

                async def lifespan() -> None:
                    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)

                group.start_soon(lifespan)
                await answered.wait()
                group.cancel_scope.cancel()

    await run()
    assert sent, "the app answered nothing to lifespan.startup"
    return sent[0]


def startup_failure(app: ASGIApp) -> str:
    """The message of a failed start-up; AssertionError if the start-up succeeded."""
    result = startup_result(app)
    assert result["type"] == "lifespan.startup.failed", result
    return str(result["message"])


async def startup_failure_async(app: ASGIApp) -> str:
    """``startup_failure`` inside a running event loop."""
    result = await startup_result_async(app)
    assert result["type"] == "lifespan.startup.failed", result
    return str(result["message"])
