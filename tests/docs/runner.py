"""Running documentation examples: Python blocks executed as modules, config blocks loaded, apps called in-process."""

from __future__ import annotations

import dataclasses
import sys
import types
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from fastapi_maintenance import MaintenanceSettings, load_settings
from tests.docs.markdown_blocks import Block, doc_block
from tests.support.asgi import client_for

MAINTENANCE_BODY = '{"detail":"Service temporarily unavailable due to maintenance"}'
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: The folder the pages show their examples in; tests put a folder of their own in its place.
SHOWN_FOLDER = "/srv/app"


def run_python(file: str, block_id: str, namespace: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Execute a Python block as the page shows it; return its globals.

    ``namespace`` supplies names a block takes from an earlier block on the same page (stated
    in the page's prose) or from the reader's own code (for example ``perform_deployment``).
    """
    block = doc_block(file, block_id)
    assert block.lang == "python", f"{block.where} is a {block.lang!r} block, not python"
    scope: Dict[str, Any] = {"__name__": f"docs_example_{block_id.replace('-', '_')}"}
    scope.update(namespace or {})
    exec(compile(block.code, block.where, "exec"), scope)
    return scope


def install_module(file: str, block_id: str, folder: Path, name: str = "main") -> types.ModuleType:
    """Write a block to ``folder/<name>.py`` and import it, as ``from <name> import app`` would.

    The caller removes the module from ``sys.modules`` (the ``example_modules`` fixture does).
    """
    block = doc_block(file, block_id)
    path = folder / f"{name}.py"
    path.write_text(block.code, encoding="utf-8")
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    exec(compile(block.code, str(path), "exec"), module.__dict__)
    return module


#: The in-process client of every docs test; ``peer`` is the client address the app sees.
client = client_for


def in_folder(block: Block, folder: Path) -> Block:
    """The block with the pages' example folder replaced by ``folder``."""
    return dataclasses.replace(block, code=block.code.replace(SHOWN_FOLDER, str(folder)))


def write_block(block: Block, folder: Path, name: Optional[str] = None) -> Path:
    """Write a TOML or YAML block to a file whose suffix matches its language."""
    suffix = {"toml": ".toml", "yaml": ".yaml", "yml": ".yaml"}.get(block.lang)
    assert suffix is not None, f"{block.where}: not a config block ({block.lang!r})"
    path = folder / (name or f"maintenance{suffix}")
    path.write_text(block.code, encoding="utf-8")
    return path


def load_block(file: str, block_id: str, folder: Path, **overrides: Any) -> Tuple[MaintenanceSettings, Path]:
    """Load a TOML/YAML block through ``load_settings`` from a file in ``folder``."""
    path = write_block(doc_block(file, block_id), folder)
    return load_settings(path, **overrides), path
