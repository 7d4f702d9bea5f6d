"""Driving an ASGI app with exact scopes (as uvicorn builds them), and seeing what came back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional
from urllib.parse import unquote

from starlette.types import ASGIApp, Message

from tests.routes.served_routes import ran


@dataclass
class Outcome:
    """What the client saw: the HTTP status (or for a websocket what happened), and which endpoint ran."""

    status: int
    endpoint: Optional[str]
    body: str
    messages: List[Message]


def http_scope(
    raw_path: str, method: str = "GET", host: str = "testserver", root_path: str = ""
) -> Dict[str, Any]:
    """The scope uvicorn sends for ``method raw_path``: ``path`` percent-decoded, ``raw_path`` as sent.

    With ``root_path`` (a proxy prefix, uvicorn's ``--root-path``) the path includes it, as uvicorn sends it.
    """
    target = root_path + raw_path
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(target),
        "raw_path": target.encode("latin-1"),
        "root_path": root_path,
        "query_string": b"",
        "headers": [(b"host", host.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


def websocket_scope(raw_path: str, host: str = "testserver", root_path: str = "") -> Dict[str, Any]:
    scope = http_scope(raw_path, host=host, root_path=root_path)
    del scope["method"], scope["http_version"]
    scope.update(type="websocket", scheme="ws", subprotocols=[], extensions={})
    return scope


async def call(app: ASGIApp, scope: Dict[str, Any]) -> Outcome:
    """Run one request (or websocket connection) through the app."""
    if scope["type"] == "websocket":
        incoming: List[Message] = [{"type": "websocket.connect"}]
    else:
        incoming = [{"type": "http.request", "body": b"", "more_body": False}]
    sent: List[Message] = []

    async def receive() -> Message:
        if incoming:
            return incoming.pop(0)
        return (
            {"type": "websocket.disconnect", "code": 1000}
            if scope["type"] == "websocket"
            else {"type": "http.disconnect"}
        )

    async def send(message: Message) -> None:
        sent.append(message)

    await app(dict(scope), receive, send)
    if scope["type"] == "websocket":
        texts = [message.get("text", "") for message in sent if message["type"] == "websocket.send"]
        closes = [message for message in sent if message["type"] == "websocket.close"]
        body = "".join(texts)
        status = int(closes[-1].get("code", 1000)) if closes else 101  # the close code, or still open
        return Outcome(status, ran(body), body, sent)
    start = next(message for message in sent if message["type"] == "http.response.start")
    content = b"".join(
        message.get("body", b"") for message in sent if message["type"] == "http.response.body"
    )
    text = content.decode(errors="replace")
    return Outcome(start["status"], ran(text), text, sent)
