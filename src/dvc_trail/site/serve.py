"""`trail site --serve`: a preview of the built site on 127.0.0.1 until interrupted (the standard library's server)."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

from dvc_trail.errors import TrailError


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def serve(folder: Path, port: int) -> None:
    """Serve `folder` on http://127.0.0.1:PORT/ until Ctrl-C (port 0: any free port)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as err:
        raise TrailError(f"cannot serve on 127.0.0.1:{port}: {err.strerror}") from None
    with server:
        print(f"Serving {folder} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("Stopped.")
