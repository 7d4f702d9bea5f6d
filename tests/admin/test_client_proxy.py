"""Plain http to this machine never goes through an environment proxy: the token would leave in clear."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from typing import List

import pytest

from fastapi_maintenance.access.admin_tokens import new_admin_token
from fastapi_maintenance.admin.client import AdminApiBackend
from fastapi_maintenance.backends.base import BackendUnavailable
from tests.support.processes import free_port

_PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")


class _FakeProxy:
    """A listener on 127.0.0.1 that records whatever reaches it and answers 502."""

    def __init__(self) -> None:
        self.received: List[bytes] = []
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(4)
        self._socket.settimeout(5)
        self.port = int(self._socket.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            connection, _ = self._socket.accept()
        except OSError:
            return
        with connection:
            connection.settimeout(5)
            try:
                self.received.append(connection.recv(65536))
                connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)  # wakes the waiting accept()
        self._socket.close()
        self._thread.join(timeout=10)


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY"])
def test_http_to_loopback_ignores_environment_proxies(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    proxy = _FakeProxy()
    monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")
    token = new_admin_token("deploy")
    # Nothing listens on the target port: the request fails there, and must not be relayed.
    backend = AdminApiBackend(f"http://127.0.0.1:{free_port()}/_maintenance", token, timeout=5)
    try:
        with pytest.raises(BackendUnavailable):
            asyncio.run(backend.get_state())
    finally:
        proxy.close()
    assert proxy.received == [], "the proxy saw the request (and the bearer token) in clear"
