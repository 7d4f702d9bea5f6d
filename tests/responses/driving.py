"""Driving a MaintenanceResponder directly as the middleware does, and reading the built-in page back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any, Dict, List, Optional, Tuple

from starlette.types import Message

from fastapi_maintenance import MaintenanceState
from fastapi_maintenance.access import WindowSchedule
from fastapi_maintenance.responses import MaintenanceResponder, MaintenanceResponses
from fastapi_maintenance.rules import Reason

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
DEFAULT_BODY = b'{"detail":"Service temporarily unavailable due to maintenance"}'


class Clock:
    """A settable clock in unix seconds, injected where the library reads the time."""

    def __init__(self, moment: datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.timestamp()


@dataclass
class Answer:
    status: int
    headers: Dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


def responder(
    clock: Clock,
    schedule: Optional[WindowSchedule] = None,
    **options: Any,
) -> MaintenanceResponder:
    """A responder as the plan builds it, on ``clock``; ``options`` go to MaintenanceResponses."""
    return MaintenanceResponder(MaintenanceResponses(clock=clock, **options), None, schedule, clock=clock)


async def answer(
    target: MaintenanceResponder,
    state: Optional[MaintenanceState] = None,
    *,
    accept: Optional[str] = None,
    reason: Reason = Reason.BACKEND,
    path: str = "/orders",
) -> Answer:
    """One HTTP request through the responder; header names lower-cased (no header is repeated)."""
    headers: List[Tuple[bytes, bytes]] = [(b"host", b"testserver")]
    if accept is not None:
        headers.append((b"accept", accept.encode("latin-1")))
    scope: Dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
    }
    sent: List[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await target(scope, receive, send, reason, state)
    start = sent[0]
    names = [name.decode("latin-1") for name, _ in start["headers"]]
    assert len(names) == len(set(names)), f"a header is repeated: {names}"
    return Answer(
        status=start["status"],
        headers={name.decode("latin-1"): value.decode("latin-1") for name, value in start["headers"]},
        body=b"".join(message.get("body", b"") for message in sent[1:]),
    )


@dataclass
class Element:
    tag: str
    attrs: Dict[str, str]
    text: str = ""


@dataclass
class PageParts:
    """The parts of an HTML page the tests look at, read with the standard library's parser."""

    elements: List[Element] = field(default_factory=list)
    doctype: Optional[str] = None

    def all(self, tag: str) -> List[Element]:
        return [element for element in self.elements if element.tag == tag]

    def one(self, tag: str) -> Element:
        found = self.all(tag)
        assert len(found) == 1, f"expected one <{tag}>, found {len(found)}"
        return found[0]

    def by_id(self, element_id: str) -> Optional[Element]:
        found = [element for element in self.elements if element.attrs.get("id") == element_id]
        assert len(found) <= 1, f"id {element_id!r} is used {len(found)} times"
        return found[0] if found else None


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts = PageParts()
        self._open: List[Element] = []

    def handle_decl(self, decl: str) -> None:
        self.parts.doctype = decl

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.parts.elements.append(element)
        if tag not in ("meta", "link", "img", "br", "input", "path", "circle"):
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        self.parts.elements.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            element = self._open.pop()
            if element.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data


def read_page(text: str) -> PageParts:
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return reader.parts
