"""The app served over real HTTP on a loopback port, for stand-ins that call its webhooks."""
from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass  # thousands of webhook posts would drown the test's own output


class LiveApp:
    """`with LiveApp(app) as live: live.url` (a threaded WSGI server; each request gets its own context)."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="live-app")

    def __enter__(self) -> "LiveApp":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
