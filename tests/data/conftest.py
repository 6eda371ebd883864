"""Fixtures for the data tests: an isolated environment and a local HTTP server.

No test here reaches the internet: downloads go to a server on 127.0.0.1 started in a
thread, and the user cache and system data folder point into a temporary folder.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hebbian.data import registry


@pytest.fixture(autouse=True)
def isolated_data_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point the cache and the system folder into tmp_path and unset HEBBIAN_DATA."""
    cache = tmp_path / "xdg-cache"
    system = tmp_path / "usr-share-datasets"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("HEBBIAN_DATA", raising=False)
    monkeypatch.setattr(registry, "SYSTEM_DATA_ROOT", system)
    return {"cache": cache / "hebbian", "system": system}


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes
    status: int = 200
    content_length: int | None = None  # header value; None means len(body)


@dataclass
class LocalServer:
    """An HTTP server on 127.0.0.1 serving ``routes``; ``requests`` logs the paths asked."""

    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    def serve(
        self, path: str, body: bytes, *, status: int = 200, content_length: int | None = None
    ) -> str:
        """Answer GET ``path`` with ``body``; return its URL."""
        self.routes["/" + path.lstrip("/")] = Route(body, status, content_length)
        return self.url(path)


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """Serve ``server.routes`` from a thread; unknown paths get 404."""
    state = LocalServer(port=0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            self.send_response(route.status)
            length = len(route.body) if route.content_length is None else route.content_length
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(route.body)  # then the connection closes (HTTP/1.0)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
