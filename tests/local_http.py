"""A real HTTP server on 127.0.0.1 for the downloader tests (the tests never use the internet).

`server.routes` maps a path to (mode, body): "ok" serves it, "drop" sends half and hangs up,
"stall" sends half and waits for `server.release` before the rest, anything else is a 404.
`server.hits` lists the paths asked for.
"""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        mode, body = self.server.routes.get(self.path, ("missing", b""))
        self.server.hits.append(self.path)
        if mode not in ("ok", "drop", "stall"):
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "ok":
            self.wfile.write(body)
            return
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        if mode == "stall":
            self.server.release.wait(60)
            self.wfile.write(body[len(body) // 2 :])
            return
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, *args):
        pass


@contextmanager
def local_http_server():
    """Yields the running server; `server.base` is its http://127.0.0.1:<port> address."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.routes, srv.hits, srv.release = {}, [], threading.Event()
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()
