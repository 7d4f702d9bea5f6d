"""A response template (Jinja2): read, compiled and tried at start-up, so a mistake stops the app there.

Undefined names are errors (``jinja2.StrictUndefined``), never blank text: a
misspelt ``{{ mesage }}`` is found when the template is compiled, naming the
name and its line, and the template is then rendered with sample notices (one
with an end time, one without) so that errors like ``{{ retry_after + 60 }}``
stop the start-up too. What can only fail with a particular request's values
fails at request time; the caller then sends its own page instead.
"""

from __future__ import annotations

import logging
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional, Tuple

from .errors import MaintenanceConfigError, require_extra
from .notice import TEMPLATE_VARIABLES, Notice

__all__ = ["MAX_TEMPLATE_BYTES", "ResponseTemplate"]

logger = logging.getLogger("fastapi_maintenance")

MAX_TEMPLATE_BYTES = 1024 * 1024
"""A maintenance page is small; anything bigger is the wrong file."""

_SAMPLE_PATH = "/"


class ResponseTemplate:
    """A Jinja2 page compiled once, autoescaped, with strict undefined names."""

    def __init__(self, path: Path, sample: Notice) -> None:
        self.path = path
        jinja2 = require_extra("jinja2", extra="templates", purpose=f"response.template ({path})")
        source = _read_source(path)
        environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
        try:
            tree = environment.parse(source)
            self._template = environment.from_string(tree)
        except jinja2.TemplateSyntaxError as exc:
            raise MaintenanceConfigError(
                f"response.template: {path}, line {exc.lineno}: {exc.message}"
            ) from exc
        self._check_names(jinja2, environment, tree)
        self._failure_logged = False
        for label, notice in _samples(sample):
            try:
                self.render(notice, _SAMPLE_PATH)
            except Exception as exc:
                raise MaintenanceConfigError(
                    f"response.template: {path}: rendering it with a sample notice {label} failed: "
                    f"{type(exc).__name__}: {exc}{_line_of(exc, path)}"
                ) from exc

    def _check_names(self, jinja2: Any, environment: Any, tree: Any) -> None:
        """Every name the template reads must be a template variable or a Jinja2 global (``range``, ...)."""
        known = set(TEMPLATE_VARIABLES) | set(environment.globals)
        meta = require_extra("jinja2.meta", extra="templates", purpose=f"response.template ({self.path})")
        unknown = sorted(meta.find_undeclared_variables(tree) - known)
        if not unknown:
            return
        name = unknown[0]
        lines = sorted(
            node.lineno
            for node in tree.find_all(jinja2.nodes.Name)
            if node.name == name and node.ctx == "load"
        )
        where = f", line {lines[0]}" if lines else ""
        raise MaintenanceConfigError(
            f"response.template: {self.path}{where}: {name!r} is undefined; "
            f"a template sees: {', '.join(TEMPLATE_VARIABLES)}"
        )

    def render(self, notice: Notice, path: str) -> str:
        return str(self._template.render(**notice.template_context(path)))

    def try_render(self, notice: Notice, path: str) -> Optional[str]:
        """The page, or None when it fails with this request's values (logged the first time only)."""
        try:
            return self.render(notice, path)
        except Exception:
            if not self._failure_logged:
                self._failure_logged = True
                logger.exception(
                    "response.template %s failed to render; sending the built-in maintenance response "
                    "(logged once; later failures of this template are not logged)",
                    self.path,
                )
            return None


def _read_source(path: Path) -> str:
    """The template's text: a regular file, at most ``MAX_TEMPLATE_BYTES``, UTF-8."""
    try:
        with open(path, "rb", opener=_open_regular) as file:
            data = file.read(MAX_TEMPLATE_BYTES + 1)
    except OSError as exc:
        raise MaintenanceConfigError(f"response.template: cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_TEMPLATE_BYTES:
        raise MaintenanceConfigError(
            f"response.template: {path} is larger than {MAX_TEMPLATE_BYTES} bytes; is it the right file?"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MaintenanceConfigError(
            f"response.template: {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "save it as UTF-8"
        ) from exc


def _open_regular(name: str, flags: int) -> int:
    """Open without blocking (a FIFO would wait for a writer) and refuse anything but a regular file."""
    fd = os.open(name, flags | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _samples(sample: Notice) -> Tuple[Tuple[str, Notice], ...]:
    """The configured notice as is (no end known), and with an end an hour away and a start just now."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with_end = Notice(
        message=sample.message,
        retry_after="3600",
        retry_after_seconds=3600,
        until=now + timedelta(hours=1),
        since=now,
    )
    return (("without an end time", sample), ("with an end time (until, since, seconds_left set)", with_end))


def _line_of(exc: BaseException, path: Path) -> str:
    """ ", line N" for the template line that raised, from the traceback Jinja2 rewrites to template lines."""
    line: Optional[int] = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" (line {line})" if line is not None else ""
