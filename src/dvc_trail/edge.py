"""The one error edge: every failure leaves trail as one masked `trail: error:` line and an exit code."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from dvc_trail.errors import TrailError

if TYPE_CHECKING:
    from types import TracebackType

BUG_EXIT = 3
INTERRUPTED_EXIT = 130


class ErrorEdge:
    """A context manager (as pre-commit's `error_handler`) that turns any exception into a message and an exit.

    `TrailError` exits with its code; Ctrl-C with 130; a closed pipe (`trail ls | head`) quietly with 0;
    anything else is a bug: exit 3 with `hint`. Tracebacks only with `verbose`; secrets are always masked.
    Exceptions in `passthrough` (the CLI framework's own exits) go through untouched.
    """

    def __init__(
        self,
        verbose: bool = False,
        hint: str = "rerun with --verbose for the traceback",
        passthrough: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.verbose, self.hint, self.passthrough = verbose, hint, passthrough

    def __enter__(self) -> ErrorEdge:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        if err is None or isinstance(err, (SystemExit, *self.passthrough)):
            return
        if isinstance(err, BrokenPipeError):  # the reader left: nothing to report, and no second error on exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0)
        if isinstance(err, KeyboardInterrupt):
            self._exit("interrupted", INTERRUPTED_EXIT)
        if self.verbose and isinstance(err, Exception):
            self._traceback(err)
        if isinstance(err, TrailError):
            self._exit(str(err), err.exit_code)
        if isinstance(err, Exception):
            self._exit(f"internal error: {type(err).__name__}: {err} ({self.hint})", BUG_EXIT)

    @staticmethod
    def _traceback(err: BaseException) -> None:
        import traceback  # only on --verbose

        from dvc_trail.render.escapes import for_terminal
        from dvc_trail.secrets import mask_secrets

        sys.stderr.write(for_terminal(mask_secrets("".join(traceback.format_exception(err)))))

    @staticmethod
    def _exit(message: str, code: int) -> None:
        from dvc_trail.render.escapes import for_terminal  # here: the fast `ls` path pays for these only on an error
        from dvc_trail.secrets import mask_secrets

        line = " ".join(for_terminal(mask_secrets(message)).split("\n"))  # one line, whatever the message holds
        sys.stderr.write(f"trail: error: {line}\n")
        raise SystemExit(code)
