"""The one error edge: exit codes, one masked line, tracebacks only on --verbose, quiet closed pipes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dvc_trail.edge import ErrorEdge
from dvc_trail.errors import GitError, NotFound, TrailError, UsageError


@pytest.mark.parametrize(("error", "code"), [(TrailError("x"), 1), (NotFound("x"), 1), (UsageError("x"), 2)])
def test_trail_errors_exit_with_their_code_in_one_line(
    error: Exception, code: int, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as done, ErrorEdge():
        raise error
    assert done.value.code == code
    assert capsys.readouterr().err == "trail: error: x\n"


def test_a_bug_exits_3_with_the_hint_and_secrets_are_masked(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as done, ErrorEdge(hint="rerun with --verbose"):
        raise ValueError("cannot reach s3://user:hunter2@bucket with password=hunter2")
    assert done.value.code == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hunter2" not in err and "Traceback" not in err
    assert err.startswith("trail: error: internal error: ValueError:") and err.endswith("(rerun with --verbose)\n")


def test_verbose_traceback_is_masked_too(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit), ErrorEdge(verbose=True):
        raise TrailError("upload failed: secret_access_key=abcdefgh12345")
    err = capsys.readouterr().err
    assert "Traceback" in err and "abcdefgh12345" not in err and "trail: error:" in err


def test_interrupt_exits_130(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as done, ErrorEdge():
        raise KeyboardInterrupt
    assert done.value.code == 130 and capsys.readouterr().err == "trail: error: interrupted\n"


def test_passthrough_and_exits_go_through() -> None:
    with pytest.raises(SystemExit) as done, ErrorEdge():
        raise SystemExit(4)
    assert done.value.code == 4
    with pytest.raises(LookupError), ErrorEdge(passthrough=(LookupError,)):
        raise LookupError


def test_git_error_carries_code_and_stderr() -> None:
    err = GitError("push", 128, "hint: something\nfatal: unable to access 'x'\n")
    assert (err.returncode, err.command) == (128, "push") and "hint: something" in err.stderr
    assert str(err) == "git push failed: fatal: unable to access 'x'" and err.exit_code == 1


def test_a_closed_pipe_exits_quietly() -> None:
    code = "from dvc_trail.edge import ErrorEdge\nwith ErrorEdge():\n    for _ in range(200_000): print('x' * 80)\n"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader left, as `trail ls | head` does
    err = proc.stderr.read()
    assert proc.wait() == 0 and err == b""
