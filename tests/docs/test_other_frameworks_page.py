"""docs/other-frameworks.md: Litestar and Quart examples, and what holds without a Starlette router."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from tests.docs.runner import MAINTENANCE_BODY, client, install_module, run_python

PAGE = "docs/other-frameworks.md"

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def _logging_left_alone() -> Iterator[None]:
    """Litestar configures the root logger when an app is built with its defaults; undo that afterwards."""
    manager = logging.Logger.manager
    saved: Dict[str, Tuple[int, bool, List[logging.Handler], bool]] = {
        name: (item.level, item.disabled, item.handlers[:], item.propagate)
        for name, item in manager.loggerDict.items()
        if isinstance(item, logging.Logger)
    }
    root = (logging.root.level, logging.root.handlers[:])
    yield
    logging.root.setLevel(root[0])
    logging.root.handlers[:] = root[1]
    for name, item in list(manager.loggerDict.items()):
        if not isinstance(item, logging.Logger):
            continue
        level, disabled, handlers, propagate = saved.get(name, (logging.NOTSET, False, [], True))
        item.setLevel(level)
        item.disabled = disabled
        item.handlers[:] = handlers
        item.propagate = propagate


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _get(app: Any, path: str) -> Tuple[int, str]:
    async with client(app) as http:
        response = await http.get(path)
        return response.status_code, response.text


async def test_litestar_through_its_hook(example_modules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Litestar reads handler annotations from the handler's module, so the block runs as a module.
    app = install_module(PAGE, "litestar-hook", example_modules, name="litestar_hook").app
    # Litestar replaced the root logger's handlers when the app was built; listen on ours directly.
    listener = _Records()
    records = listener.records
    ours = logging.getLogger("fastapi_maintenance")
    ours.addHandler(listener)
    ours.setLevel(logging.INFO)
    assert await _get(app, "/orders") == (200, "orders")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    assert await _get(app, "/orders") == (503, MAINTENANCE_BODY)
    lines = [record for record in records if "no Starlette router" in record.getMessage()]
    assert [record.levelno for record in lines] == [logging.INFO], "once, at INFO (one route handler so far)"
    assert await _get(app, "/health") == (200, "ok")
    assert (await _get(app, "/schema/openapi.json"))[0] == 200, "the schema exempted by glob"
    assert (await _get(app, "/nowhere"))[0] == 404, "Litestar answers unknown paths before its middleware"


async def test_litestar_wrapped(example_modules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = install_module(PAGE, "litestar-wrapped", example_modules, name="litestar_wrapped").app
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    assert await _get(app, "/orders") == (503, MAINTENANCE_BODY)
    assert (await _get(app, "/schema/openapi.json"))[0] == 200
    assert (await _get(app, "/nowhere"))[0] == 503, "without a route table an unknown path gets the 503"


async def test_quart(monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_python(PAGE, "quart")["app"]
    assert await _get(app, "/orders") == (200, "orders")
    monkeypatch.setenv("FASTAPI_MAINTENANCE_MODE", "1")
    assert await _get(app, "/orders") == (503, MAINTENANCE_BODY)
    assert await _get(app, "/health") == (200, "ok")
    assert (await _get(app, "/nowhere"))[0] == 503
    async with client(app) as http:
        assert (await http.delete("/orders")).status_code == 503, "a wrong method too, not a 405"
