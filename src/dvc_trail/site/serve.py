"""`trail site --serve`: a preview of the built site on 127.0.0.1 until interrupted (the standard library's server).

Only requests addressed to `127.0.0.1:PORT` or `localhost:PORT` are answered (a web page that rebinds its own
host name to 127.0.0.1 sends its own name and gets 421), only GET and HEAD, only regular files reached from the
folder without passing a link (each part opened with `O_NOFOLLOW` from the folder's fd), never a listing.
"""

from __future__ import annotations

import http.server
import mimetypes
import os
import stat
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from dvc_trail.errors import TrailError
from dvc_trail.site import safefs


class _Handler(http.server.BaseHTTPRequestHandler):
    """Files of one folder, by fd."""

    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802 - the base class's name
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        host = self.headers.get_all("Host") or []
        if len(host) != 1:
            return self._fail(400, "one Host header expected")
        if host[0].strip().lower() not in self.server.hosts:
            return self._fail(421, "this server answers only 127.0.0.1 and localhost")
        try:
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path, errors="strict")
        except (UnicodeDecodeError, ValueError):
            return self._fail(404, "not found")
        parts = path.split("/")[1:]
        if not path.startswith("/") or any(p in (".", "..") or "\0" in p or "\\" in p for p in parts):
            return self._fail(404, "not found")
        fd = self._open([*parts[:-1], parts[-1] or "index.html"]) if parts else None
        if fd is None and parts and parts[-1] and self._is_folder(parts):
            self.send_response(301)
            self.send_header("Location", urllib.parse.quote(path + "/"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if fd is None:
            return self._fail(404, "not found")
        with os.fdopen(fd, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            self.send_response(200)
            kind = mimetypes.guess_type(parts[-1] or "index.html")[0]
            self.send_header("Content-Type", kind or "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if body:
                while chunk := handle.read(1 << 16):
                    self.wfile.write(chunk)
        return None

    def _open(self, parts: list[str]) -> int | None:
        """A regular file's fd, every folder on the way opened without following a link; None when there is none."""
        folder = self._folder(parts[:-1])
        if folder is None:
            return None
        try:
            fd = os.open(parts[-1], safefs.READ_FLAGS, dir_fd=folder)
        except (OSError, ValueError):
            return None
        finally:
            os.close(folder)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return fd

    def _is_folder(self, parts: list[str]) -> bool:
        if (fd := self._folder(parts)) is None:
            return False
        os.close(fd)
        return True

    def _folder(self, parts: list[str]) -> int | None:
        """A new fd of the folder at `parts`, each part opened from the root without following a link; or None."""
        fd = os.dup(self.server.root)
        try:
            for part in parts:
                below = safefs.open_dir(part, fd)
                os.close(fd)
                fd = below
        except (OSError, ValueError):
            os.close(fd)
            return None
        return fd

    def _fail(self, code: int, why: str) -> None:
        data = f"{code} {why}\n".encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    root: int
    hosts: frozenset[str]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Nothing for a browser that closed a connection early (the standard server prints a traceback)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def make_server(folder: Path, port: int) -> _Server:
    """A server for `folder` on 127.0.0.1:PORT (port 0: any free port), not yet serving; close it when done."""
    try:
        root = safefs.open_dir(str(folder))
    except OSError as err:
        raise TrailError(f"cannot serve {folder}: {err.strerror}") from None
    try:
        server = _Server(("127.0.0.1", port), _Handler)
    except OSError as err:
        os.close(root)
        raise TrailError(f"cannot serve on 127.0.0.1:{port}: {err.strerror}") from None
    server.root = root
    bound = server.server_address[1]
    server.hosts = frozenset({f"127.0.0.1:{bound}", f"localhost:{bound}"})
    return server


def serve(folder: Path, port: int) -> None:
    """Serve `folder` on http://127.0.0.1:PORT/ until Ctrl-C (port 0: any free port)."""
    server = make_server(folder, port)
    try:
        with server:
            print(f"Serving {folder} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)", flush=True)
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                print("Stopped.")
    finally:
        os.close(server.root)
