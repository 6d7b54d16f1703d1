"""The threaded HTTP server: it reads each request, hands it to the :class:`App` and writes the
answer with one ``send`` and a ``Content-Length`` (keep-alive works; nothing waits on Nagle)."""

from __future__ import annotations

import contextlib
import http
import socket
import socketserver
import struct
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from bedrock_lifecycle.testing.app import App

__all__ = ["LocalHTTPServer"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one send per answer, and no 40 ms delayed-ACK stalls
    server: LocalHTTPServer

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            # botocore always sends a length; other SDKs pointed here by the CLI may not.
            parts = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        try:
            raw = self._read_body()
        except ValueError:
            self.close_connection = True
            self.send_error(400, "Bad request body framing")
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        response = self.server.app.handle(self.command, self.path, headers, raw)
        if response.reset:  # SO_LINGER 0: close() sends RST, not FIN
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            return
        lines = [f"HTTP/1.1 {response.status} {_reason(response.status)}\r\n"]
        lines += [f"{name}: {value}\r\n" for name, value in response.headers]
        lines.append(f"x-amzn-RequestId: {uuid.uuid4()}\r\n")
        lines.append(f"Content-Length: {len(response.body)}\r\n")
        if self.close_connection:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        try:
            self.wfile.write("".join(lines).encode("latin-1") + response.body)
        except OSError:  # the client gave up (read timeout) while we were scripted to wait
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the server sits in benchmarks, and request bodies may hold prompts."""


_REASONS: Final = {s.value: s.phrase for s in http.HTTPStatus}


def _reason(status: int) -> str:
    return _REASONS.get(status, "Unknown")


class LocalHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many client threads open connections at once

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall on DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        with self._connections_lock:
            self._connections.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client closed its connection: normal for timeouts and pool churn
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Unblock handler threads parked on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


_session_lock = threading.Lock()
_session: Any = None
