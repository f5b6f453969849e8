"""Progress of long transfers (publish, get, verify --deep): files and bytes on stderr, for people only.

`transfer_progress` yields None unless stderr is a terminal and the user did not ask for quiet, so pipes,
CI logs and `-q` see nothing. The DVC adapter reports into a `TransferProgress` through DVC's callbacks.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any


class TransferProgress:
    """Counts files and bytes of one transfer and draws them as a rich progress bar on stderr."""

    def __init__(self, bar: Any, task: Any) -> None:
        self._bar = bar
        self._task = task
        self._lock = threading.Lock()  # DVC reports from its worker threads
        self.files = 0
        self.total_files = 0
        self.bytes = 0
        self.reported = 0  # bytes DVC's callbacks reported (it reports none for small files and links)

    def expect(self, files: int) -> None:
        """Announce `files` more files to transfer."""
        with self._lock:
            self.total_files += files
            self._bar.update(self._task, total=self.total_files, description=self._label())

    def advance(self, files: int = 0, nbytes: int = 0, from_dvc: bool = False) -> None:
        """Count finished files and transferred bytes."""
        with self._lock:
            self.files += files
            self.bytes += nbytes
            self.reported += nbytes if from_dvc else 0
            self._bar.update(self._task, completed=self.files, description=self._label())

    def callback(self) -> Any:
        """A DVC (fsspec) transfer callback counting finished files and bytes into this display."""
        from fsspec.callbacks import Callback

        sink = self

        class Bytes(Callback):
            seen = 0

            def call(self, *args: Any, **kwargs: Any) -> None:
                sink.advance(nbytes=self.value - self.seen, from_dvc=True)
                self.seen = self.value

        class Files(Callback):
            """Counts files as DVC finishes them (its totals per batch are ignored: trail announced the total)."""

            def relative_update(self, inc: int = 1) -> None:
                super().relative_update(inc)
                sink.advance(files=inc)

            def branch(self, path_1: Any, path_2: Any, kwargs: dict) -> None:
                kwargs["callback"] = Bytes()

            def branched(self, path_1: Any, path_2: Any, **kwargs: Any) -> Any:
                return Bytes()

        return Files()

    def _label(self) -> str:
        from rich.filesize import decimal

        return f"{self.files}/{self.total_files} files, {decimal(self.bytes)}"


def enabled(quiet: bool) -> bool:
    """Whether to draw progress: stderr is a terminal and quiet is off."""
    return not quiet and sys.stderr.isatty()


@contextlib.contextmanager
def transfer_progress(what: str, show: bool) -> Iterator[TransferProgress | None]:
    """A progress display for one transfer on stderr while the block runs, or None when `show` is off."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(f"{what}:"), BarColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        yield TransferProgress(bar, bar.add_task("", total=None))
