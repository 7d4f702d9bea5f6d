"""A backend that keeps the state in a small text file, shared by the processes of one host."""

from __future__ import annotations

import contextlib
import errno
import os
import stat as stat_module
import tempfile
import time
from pathlib import Path
from typing import Optional, Tuple, Union

from ..record import OFF, MaintenanceState, encode_state, plain
from ._parse import RecordReader
from .base import BaseStateBackend

_Signature = Tuple[int, int, int]
#: A file modified this recently (by its mtime) may change again within the same timestamp tick on
#: filesystems with whole-second mtimes, with the same inode and size: its content is re-read until
#: its mtime is this far behind the last read (git's "racy timestamp" rule).
_RACY_NS = 2_000_000_000

#: The most a state file is read of; a record is a few hundred bytes.
_MAX_TEXT = 64 * 1024


class LocalFileBackend(BaseStateBackend):
    """State in a file holding ``1`` or ``0``, or a JSON record when more than on/off is stored.

    Reads are cached: the file is stat-ed at most once per ``check_interval``
    seconds and re-read only when its inode, size or mtime changed, so a request
    never opens the file. Writes made here are visible at once; writes from
    another process within ``check_interval``. Writes are atomic (temporary file
    in the same folder, then ``os.replace``), so a reader never sees a torn file.
    A missing file means off; reading never creates it.
    """

    def __init__(self, file_path: Union[str, os.PathLike[str]], *, check_interval: float = 0.5) -> None:
        self.file_path = file_path  # as given (0.0.5 kept the str); the code uses self._path
        self._path = Path(file_path)
        self.check_interval = check_interval
        self._state = OFF
        self._signature: Optional[_Signature] = None
        self._next_check = 0.0
        self._read_at_ns = 0
        self._error: Optional[OSError] = None
        self._read = RecordReader(f"state file {self.file_path}")

    def peek(self) -> bool:
        return self.peek_state().in_effect()

    def peek_state(self) -> MaintenanceState:
        now = time.monotonic()
        if now < self._next_check:
            if self._error is not None:
                raise self._error
            return self._state
        self._next_check = now + self.check_interval
        return self._refresh()

    def _refresh(self) -> MaintenanceState:
        try:
            stat = os.stat(self.file_path)
            signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
            if (
                signature == self._signature
                and self._error is None
                and self._read_at_ns - stat.st_mtime_ns >= _RACY_NS
            ):
                return self._state
            read_at_ns = time.time_ns()
            text = self._read_regular_file()
        except FileNotFoundError:  # missing, or removed between the stat and the read
            self._error = None
            self._signature = None
            self._state = OFF
            return OFF
        except OSError as exc:
            self._error = exc
            raise
        except UnicodeDecodeError as exc:
            self._error = OSError(f"{self.file_path}: not UTF-8 text")
            raise self._error from exc
        self._error = None
        self._signature = signature
        self._read_at_ns = read_at_ns
        state = self._read.record(text)
        if state != self._state:  # keep the identical object while the record is unchanged
            self._state = state
        return self._state

    def _read_regular_file(self) -> str:
        """The first bytes of the file; never blocks: a FIFO or device put in its place is an error."""
        fd = os.open(self.file_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            mode = os.fstat(fd).st_mode
            if stat_module.S_ISDIR(mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(self.file_path))
            if not stat_module.S_ISREG(mode):
                raise OSError(
                    errno.EINVAL,
                    "not a regular file (a FIFO, device or socket); not read",
                    str(self.file_path),
                )
            return os.read(fd, _MAX_TEXT).decode("utf-8")
        finally:
            os.close(fd)

    async def get_value(self) -> bool:
        return (await self.get_state()).in_effect()

    async def set_value(self, value: bool) -> None:
        await self.set_state(plain(bool(value)))

    async def get_state(self) -> MaintenanceState:
        self._next_check = 0.0
        return self.peek_state()

    async def set_state(self, state: MaintenanceState) -> None:
        text = encode_state(state)
        if len(text.encode("utf-8")) > _MAX_TEXT:  # it would be read back truncated, as off
            raise ValueError(
                f"State file {self.file_path}: the record is longer than {_MAX_TEXT} bytes; shorten its message"
            )
        folder = self._path.parent
        fd, temp_name = tempfile.mkstemp(prefix=f".{self._path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(temp_name, 0o644)
            os.replace(temp_name, self._path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise
        self._state = state
        self._error = None
        self._signature = None
        self._next_check = 0.0

    def describe(self) -> str:
        return f"file://{self._path.resolve()}"
