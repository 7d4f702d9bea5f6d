"""A backend that shares the state through Redis: many workers, many hosts, changes seen at once."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any, Awaitable, Callable, Optional, TypeVar
from urllib.parse import urlsplit

try:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub
    from redis.asyncio.connection import parse_url
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError
except ImportError as exc:  # pragma: no cover - exercised by a test that hides the package
    raise ImportError(
        'RedisBackend needs the redis package; install it with: pip install "fastapi-maintenance[redis]"',
        name=exc.name,  # still names the missing module, for callers that check which one it was
    ) from exc

if sys.version_info >= (3, 11):
    from asyncio import timeout as _time_limit

    #: asyncio.Timeout can be rescheduled from a loop callback, which the stall tolerance needs.
    _STALL_TOLERANT = True
else:  # pragma: no cover - redis-py depends on async-timeout on these versions
    from async_timeout import timeout as _time_limit  # type: ignore[import-not-found, unused-ignore]

    #: async_timeout ties a rescheduled deadline to the task running at that moment (none, in a
    #: callback), so on Python < 3.11 every call keeps a plain deadline.
    _STALL_TOLERANT = False

from ..record import MaintenanceState, encode_state, plain
from ..settings.backend import DEFAULT_REDIS_KEY, redact_url_credentials
from ._parse import RecordReader
from .base import BackendUnavailable, BaseStateBackend
from .outage import outage_of

logger = logging.getLogger("fastapi_maintenance.backends")

_T = TypeVar("_T")

# What a failing store looks like; anything else escaping a Redis call is a bug and propagates.
_STORE_ERRORS = (RedisError, OSError, asyncio.TimeoutError)
_FIRST_RETRY_DELAY = 0.05
_MAX_RETRY_DELAY = 2.0
# How many times one call's deadline is pushed back because the event loop was stalled past it.
_MAX_STALL_EXTENSIONS = 10


class RedisBackend(BaseStateBackend):
    """State in one Redis key holding ``1`` or ``0`` (or a JSON record), followed in memory through pub/sub.

    A request never waits for Redis: ``peek`` answers from memory. The first
    ``get_state`` (or ``start``) connects, reads the key and starts a subscriber
    task in the running event loop; ``set_state`` writes the key and publishes
    on ``channel`` in one transaction, and every subscribed instance re-reads the
    key when the message arrives. The key is also re-read every
    ``resync_interval`` seconds in case a message was lost. Each Redis call is
    bounded by ``timeout``; while Redis is unreachable ``peek`` raises
    ``BackendUnavailable`` (the middleware's fault policy answers) and the
    subscriber reconnects by itself. An instance follows one event loop at a
    time; ``aclose`` stops it, and a later call starts it again.
    """

    def __init__(
        self,
        url: str,
        key: str = DEFAULT_REDIS_KEY,
        *,
        channel: Optional[str] = None,
        timeout: float = 0.5,
        resync_interval: float = 5.0,
    ) -> None:
        self._description = _describe_url(url)
        if not key:
            raise ValueError("RedisBackend: key must be a non-empty string")
        if channel is not None and not channel:
            raise ValueError("RedisBackend: channel must be a non-empty string or None")
        if not timeout > 0:
            raise ValueError(f"RedisBackend: timeout must be a positive number of seconds, got {timeout!r}")
        if not resync_interval > 0:
            raise ValueError(
                f"RedisBackend: resync_interval must be a positive number of seconds, got {resync_interval!r}"
            )
        self.url = url
        self.key = key
        self.channel = channel if channel is not None else f"{key}:changed"
        self.timeout = float(timeout)
        self.resync_interval = float(resync_interval)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._client: Optional[Redis] = None
        self._subscriber: Optional[asyncio.Task[None]] = None
        self._shared_read: Optional[asyncio.Future[MaintenanceState]] = None
        self._subscribed = False
        self._state: Optional[MaintenanceState] = None
        self._outage: Optional[str] = None
        self._read = RecordReader(f"Redis key {key} at {self._description}")

    # -- the contract -------------------------------------------------------

    def peek(self) -> Optional[bool]:
        state = self.peek_state()
        return None if state is None else state.in_effect()

    def peek_state(self) -> Optional[MaintenanceState]:
        subscriber = self._subscriber
        if subscriber is None or subscriber.done():
            return None
        if self._outage is not None:
            raise BackendUnavailable(self._outage)
        return self._state

    async def get_value(self) -> bool:
        return (await self.get_state()).in_effect()

    async def set_value(self, value: bool) -> None:
        await self.set_state(plain(bool(value)))

    async def get_state(self) -> MaintenanceState:
        client = self._ensure_started()
        # Concurrent callers (a burst of requests at start-up) share one GET and one connection.
        read = self._shared_read
        if read is None or read.done():
            read = self._shared_read = asyncio.ensure_future(self._refresh(client))
            read.add_done_callback(_retrieve_outcome)
        try:
            return await asyncio.shield(read)
        except _STORE_ERRORS as exc:
            if not self._subscribed:
                self._enter_outage(exc)
            raise BackendUnavailable(f"{self.describe()}: cannot read the state: {_reason(exc)}") from exc

    async def set_state(self, state: MaintenanceState) -> None:
        client = self._ensure_started()
        text = encode_state(state)
        try:
            await self._bounded(self._write(client, text))
        except _STORE_ERRORS as exc:
            raise BackendUnavailable(f"{self.describe()}: cannot store the state: {_reason(exc)}") from exc
        self._state = state
        self._shared_read = None  # a read started before this write must not answer later callers

    async def start(self) -> None:
        """Connect, read the key and start following changes now rather than on first use.

        Raises ``BackendUnavailable`` when Redis cannot be reached; the
        subscriber keeps trying in the background all the same.
        """
        await self.get_value()

    async def aclose(self) -> None:
        subscriber, self._subscriber = self._subscriber, None
        read, self._shared_read = self._shared_read, None
        self._client = None
        self._loop = None
        self._subscribed = False
        self._state = None
        self._outage = None
        outage_of(self).forget()
        if subscriber is None or subscriber.done():
            return
        if subscriber.get_loop() is not asyncio.get_running_loop():
            _cancel_in_its_loop(subscriber)
            return
        subscriber.cancel()
        # The subscriber closes its connections while it unwinds; wait for that. A read still in
        # flight then fails fast (its connection is gone) and is left to end by itself: cancelling
        # it would hand a CancelledError to callers that were not cancelled.
        pending = [task for task in (subscriber, read) if task is not None and not task.done()]
        await asyncio.wait(pending, timeout=self.timeout * 4)

    def describe(self) -> str:
        return f"{self._description} key={self.key}"

    # -- connection and subscriber ------------------------------------------

    def _ensure_started(self) -> Redis:
        """Create the client and the subscriber in the running loop, once (no await: no race)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._forget_other_loop()
            self._loop = loop
        client = self._client
        if client is None:
            client = self._client = self._new_client()
        subscriber = self._subscriber
        if subscriber is None or subscriber.done():
            self._subscriber = loop.create_task(
                self._follow(client), name=f"fastapi_maintenance redis subscriber {self.describe()}"
            )
        return client

    def _forget_other_loop(self) -> None:
        # An earlier event loop (a finished test client, a CLI call) owned our connections.
        # Its subscriber closes them when cancelled in that loop; nothing to await from here.
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None and not subscriber.done():
            _cancel_in_its_loop(subscriber)
        self._client = None
        self._shared_read = None
        self._subscribed = False
        self._state = None

    def _new_client(self) -> Redis:
        client: Redis = Redis.from_url(
            self.url,
            # No socket_timeout: redis-py would bound each send with asyncio.wait_for, which before
            # Python 3.12 can swallow a cancellation. Every call is bounded by _bounded() instead.
            socket_timeout=None,
            socket_connect_timeout=self.timeout,
            retry=Retry(NoBackoff(), 0),  # our own timeout bounds each call; the subscriber retries
            decode_responses=False,
        )
        return client

    async def _follow(self, client: Redis) -> None:
        """Stay subscribed to the change channel, re-reading the key on each message and periodically."""
        delay = _FIRST_RETRY_DELAY
        try:
            while True:
                pubsub = client.pubsub()
                try:
                    await self._bounded(self._subscribe(pubsub))
                    await self._refresh(client)
                    self._subscribed = True
                    self._leave_outage()
                    delay = _FIRST_RETRY_DELAY
                    await self._listen(client, pubsub)
                except Exception as exc:
                    self._subscribed = False
                    self._enter_outage(exc)
                finally:
                    close_pubsub: Callable[[], Awaitable[None]] = pubsub.aclose  # untyped in redis-py
                    await self._close_quietly(close_pubsub())
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_RETRY_DELAY)
        finally:
            self._subscribed = False
            if self._client is client:
                self._client = None
            await self._close_quietly(client.aclose())

    async def _subscribe(self, pubsub: PubSub) -> None:
        await pubsub.subscribe(self.channel)
        # Wait for the confirmation so that no change published after our read can be missed.
        while True:
            message = await pubsub.get_message(timeout=self.timeout)
            if message is not None and message.get("type") == "subscribe":
                return

    async def _listen(self, client: Redis, pubsub: PubSub) -> None:
        loop = asyncio.get_running_loop()
        next_check = loop.time() + self.resync_interval
        ping_unanswered = False
        while True:
            wait = next_check - loop.time()
            if wait <= 0:
                if ping_unanswered:
                    raise RedisConnectionError("the subscription connection stopped answering PING")
                await self._bounded(pubsub.ping())
                ping_unanswered = True
                await self._refresh(client)
                next_check = loop.time() + self.resync_interval
                continue
            message: Optional[dict[str, Any]] = await pubsub.get_message(
                ignore_subscribe_messages=True, timeout=wait
            )
            if message is None:
                continue
            kind = message.get("type")
            if kind == "pong":
                ping_unanswered = False
            elif kind == "message":
                # Re-read rather than trust the payload: the key is the truth, whatever the order of messages.
                await self._refresh(client)

    # -- reading and writing ------------------------------------------------

    async def _refresh(self, client: Redis) -> MaintenanceState:
        raw = await self._bounded(client.get(self.key))
        state = self._interpret(raw)
        current = self._state
        if current is not None and current == state:
            return current  # the identical object while the record is unchanged
        self._state = state
        return state

    async def _write(self, client: Redis, text: str) -> None:
        async with client.pipeline(transaction=True) as pipe:
            pipe.set(self.key, text)
            pipe.publish(self.channel, text)
            await pipe.execute()

    def _interpret(self, raw: Any) -> MaintenanceState:
        return self._read.record(raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw)

    async def _bounded(self, call: Awaitable[_T]) -> _T:
        # Not asyncio.wait_for: before Python 3.12 it can swallow a cancellation, and a
        # subscriber that ignores aclose() or the end of its event loop would run forever.
        if not _STALL_TOLERANT:  # pragma: no cover - Python < 3.11
            async with _time_limit(self.timeout):
                return await call
        async with _time_limit(None) as limit:
            deadline = _StallTolerantDeadline(limit, self.timeout)
            try:
                return await call
            finally:
                deadline.stop()

    async def _close_quietly(self, call: Awaitable[None]) -> None:
        try:
            await self._bounded(call)
        except Exception:  # closing a broken connection may fail; there is nothing left to do
            logger.debug("Closing a connection to %s failed", self._description, exc_info=True)

    # -- outage: requests answer by the fault policy without waiting; logged once, by outage_of ---

    def _enter_outage(self, exc: BaseException) -> None:
        if self._outage is not None:
            return
        self._outage = f"{self.describe()} is unreachable: {_reason(exc)}"
        outage_of(self).began(f"unreachable, reconnecting in the background: {_reason(exc)}")

    def _leave_outage(self) -> None:
        if self._outage is None:
            return
        self._outage = None
        outage_of(self).ended()


class _StallTolerantDeadline:
    """Ends a Redis call after ``timeout`` seconds, not counting time the event loop was stalled.

    A plain deadline also fires when the event loop itself was blocked past it (a synchronous
    endpoint, a long computation): Redis's answer may be sitting unread in the socket, and the
    backend would report an outage that never happened and hand requests to the fault policy.
    A deadline callback that runs later than half the timeout shows such a stall; the call then
    gets a fresh window (a few times at most), in which the loop reads what has arrived.
    Python 3.11+ only (``limit`` is an ``asyncio.Timeout``).
    """

    def __init__(self, limit: Any, timeout: float) -> None:
        self._limit = limit
        self._timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._extensions_left = _MAX_STALL_EXTENSIONS
        self._due = self._loop.time() + timeout
        self._handle = self._loop.call_at(self._due, self._expire)

    def _expire(self) -> None:
        now = self._loop.time()
        if now - self._due > self._timeout / 2 and self._extensions_left > 0:
            self._extensions_left -= 1
            self._due = now + self._timeout
            self._handle = self._loop.call_at(self._due, self._expire)
            return
        self._limit.reschedule(now)  # expires at once: the call is cancelled and raises TimeoutError

    def stop(self) -> None:
        self._handle.cancel()


def _cancel_in_its_loop(task: asyncio.Task[None]) -> None:
    # Task.cancel is not thread-safe; the task's own loop must do it (and run its clean-up).
    loop = task.get_loop()
    if not loop.is_closed():
        loop.call_soon_threadsafe(task.cancel)


def _retrieve_outcome(read: asyncio.Future[MaintenanceState]) -> None:
    # Every caller may have been cancelled; fetching the exception keeps asyncio from logging it as lost.
    if not read.cancelled():
        read.exception()


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _describe_url(url: str) -> str:
    """The URL without user name or password, checked the way redis-py will read it."""
    safe_url = redact_url_credentials(url)
    try:
        options = parse_url(url)
        parts = urlsplit(url)
        port = parts.port
        db_text = parts.path.strip("/") if parts.scheme != "unix" else ""
        if db_text and not db_text.isdigit():
            raise ValueError(f"the database must be a number, got {db_text!r}")
    except ValueError as exc:
        raise ValueError(f"RedisBackend: invalid Redis URL {safe_url!r}: {exc}") from None
    db = options.get("db", 0)
    if parts.scheme == "unix":
        return f"unix://{parts.path}?db={db}"
    host = parts.hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{port or 6379}/{db}"
