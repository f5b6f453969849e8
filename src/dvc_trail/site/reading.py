"""Reading one file of a registry site, bounded in bytes and in time (the site is untrusted).

Over http(s) each read has a total deadline, `timeout` seconds plus one second per MiB the server declares
(`Content-Length`; at most the JSON bound), so a server that trickles a byte now and then cannot hold the
reader: the read runs in a worker thread whose sockets (TLS handshake included) are shut at the deadline.
Redirects stay on the same scheme, host and port; a compressed body and a declared length over the bound are
refused before the body is read. From a folder, only a regular file that is not a link is read.
"""

from __future__ import annotations

import http.client
import math
import os
import socket
import stat
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import suppress
from pathlib import Path
from typing import Any

from dvc_trail.errors import NotFound, TrailError, UsageError
from dvc_trail.secrets import mask_secrets

MAX_JSON = 32 << 20
DEFAULT_TIMEOUT = 60.0  # seconds for each file of the site, plus one per MiB it declares
MIN_RATE = 1 << 20  # bytes per second a large file must at least average
READ_TIMEOUT = 30.0  # seconds one socket read may wait (the total deadline still applies)


# what a server can make urllib raise: no answer, a broken status line or header, a body cut short
_BROKEN = (urllib.error.URLError, OSError, http.client.HTTPException)


class Expired(TrailError):
    """A read from the site did not finish before its deadline."""


def check_timeout(timeout: float | None) -> float:
    """The deadline's base in seconds (default `DEFAULT_TIMEOUT`); a UsageError unless positive and finite."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not math.isfinite(timeout) or timeout <= 0:
        raise UsageError(f"the timeout must be a positive number of seconds, not {timeout!r}")
    return float(timeout)


def read_site_file(registry: str, rel: str, timeout: float | None = None) -> bytes:
    """The bytes of one site file (at most `MAX_JSON`), from an http(s) URL, a file:// URL or a folder."""
    scheme = urllib.parse.urlsplit(registry).scheme.lower()
    where = mask_secrets(f"{registry.rstrip('/')}/{rel}")
    if scheme in ("http", "https"):
        url = registry.rstrip("/") + "/" + urllib.parse.quote(rel)
        return _read_url(url, where, check_timeout(timeout))
    if scheme in ("", "file") or (len(scheme) == 1 and scheme.isalpha()):  # a Windows drive letter
        folder = Path(urllib.parse.unquote(urllib.parse.urlsplit(registry).path) if scheme == "file" else registry)
        return _read_path(folder / rel, where)
    raise UsageError(f"refusing registry {mask_secrets(registry)!r}: give an http(s) URL or a folder")


def _read_path(path: Path, where: str) -> bytes:
    """A regular file, not a link (`O_NOFOLLOW`), opened without blocking on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise NotFound(f"not in the registry: {where}") from None
    except OSError as err:
        reason = "a link: refused" if path.is_symlink() else err.strerror
        raise TrailError(f"cannot read {where}: {reason}") from None
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise TrailError(f"cannot read {where}: not a regular file")
        try:
            return _bounded(handle.read(MAX_JSON + 1), where)
        except OSError as err:
            raise TrailError(f"cannot read {where}: {err.strerror}") from None


def _bounded(raw: bytes, where: str) -> bytes:
    if len(raw) > MAX_JSON:
        raise TrailError(f"{where} is larger than {MAX_JSON >> 20} MiB: refused")
    return raw


class _Watch:
    """The sockets of one read and its deadline; `expire` shuts them so a blocked read returns at once."""

    def __init__(self, seconds: float) -> None:
        self.start = time.monotonic()
        self.seconds = seconds
        self.extra = 0.0  # one second per MiB the server declares, set once the headers are in
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def left(self) -> float:
        return self.start + self.seconds + self.extra - time.monotonic()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with suppress(OSError):  # the plain socket's shutdown, also under TLS: the other thread sees EOF
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _opener(watch: _Watch, where: str) -> urllib.request.OpenerDirector:
    """urllib with every connection watched and redirects kept on the same scheme, host and port."""

    class Plain(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            watch.add(self.sock)

    class Tls(http.client.HTTPSConnection):
        def connect(self) -> None:  # HTTPSConnection.connect, with the socket watched before the handshake
            http.client.HTTPConnection.connect(self)
            host = self._tunnel_host or self.host  # type: ignore[attr-defined]
            context = self._context  # type: ignore[attr-defined]
            self.sock = context.wrap_socket(self.sock, server_hostname=host, do_handshake_on_connect=False)
            watch.add(self.sock)
            self.sock.do_handshake()

    class PlainHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> Any:
            return self.do_open(Plain, req)

    class TlsHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> Any:
            return self.do_open(Tls, req, context=getattr(self, "_context", None))

    class SameOrigin(urllib.request.HTTPRedirectHandler):
        def redirect_request(
            self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
        ) -> urllib.request.Request | None:
            old, new = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
            if (old.scheme.lower(), old.netloc.lower()) != (new.scheme.lower(), new.netloc.lower()):
                target = mask_secrets(f"{new.scheme}://{new.netloc}")[:200]
                raise TrailError(f"cannot read {where}: refusing a redirect to another host or scheme ({target})")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(PlainHandler, TlsHandler, SameOrigin)


def _fetch(url: str, where: str, watch: _Watch) -> bytes:
    """The body, read in the worker thread; errors are TrailErrors naming `where`."""
    try:
        with _opener(watch, where).open(url, timeout=min(READ_TIMEOUT, watch.seconds)) as response:
            encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
            if encoding != "identity":
                raise TrailError(f"cannot read {where}: refusing a {encoding[:40]!r}-encoded body")
            declared = response.headers.get("Content-Length") or ""
            if declared.isascii() and declared.isdigit():
                if int(declared) > MAX_JSON:
                    raise TrailError(f"{where} is larger than {MAX_JSON >> 20} MiB: refused")
                watch.extra = int(declared) / MIN_RATE
            else:
                watch.extra = MAX_JSON / MIN_RATE
            return _bounded(response.read(MAX_JSON + 1), where)
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 404:
            raise NotFound(f"not in the registry: {where}") from None
        raise TrailError(f"cannot read {where}: HTTP {err.code}") from None
    except _BROKEN as err:
        raise TrailError(f"cannot read {where}: {getattr(err, 'reason', err)}") from None


def _read_url(url: str, where: str, seconds: float) -> bytes:
    """The body of one http(s) GET within the deadline; an `Expired` error naming the URL and `--timeout`.

    The read runs in a worker thread; at the deadline its sockets are shut, so it ends at once.
    """
    watch = _Watch(seconds)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trail-registry-read")
    try:
        future = pool.submit(_fetch, url, where, watch)
        while (left := watch.left()) > 0:  # the deadline grows once the headers declare the size
            try:
                return future.result(timeout=min(left, 3600.0))  # a lock wait past ~2^31 s overflows
            except FutureTimeout:
                continue
        watch.expire()
        limit = f"{watch.seconds:g} s" + (f" + {watch.extra:.0f} s for its size" if watch.extra >= 1 else "")
        raise Expired(f"reading {where} took longer than {limit}: refused (raise it with --timeout SECONDS, timeout=)")
    finally:
        pool.shutdown(wait=False)
