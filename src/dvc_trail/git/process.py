"""The only module that starts git: one-shot commands, the fast spawn of `trail ls`, and batched object reads."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from dvc_trail.errors import GitError, TrailError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from subprocess import CompletedProcess
    from typing import IO

MAX_BLOB = 64 << 20  # bytes of one file read from git (a few KB of packed zeros inflate to gigabytes)
MAX_BLOBS = 1 << 30  # bytes of all the files one read_objects call returns
GitObject = tuple[str, str, bytes]  # object id, type (blob, tree, commit, tag), content


def spawn(args: list[str], cwd: Path, input: bytes | None = None, env: dict | None = None) -> CompletedProcess:
    """Run git with an argument list and return the finished process, whatever its exit code."""
    import subprocess  # here: `trail ls` reads its one git output with read_git and skips this import

    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,  # never read the user's stdin (`fd::0`)
            capture_output=True,
            env={**os.environ, **(env or {})},
        )
    except FileNotFoundError:
        raise TrailError("git is not installed or not on PATH") from None


def run_git(args: list[str], cwd: Path, input: bytes | None = None, env: dict | None = None) -> bytes:
    """Git's stdout for an argument list; a failure raises GitError with git's exit code and stderr."""
    proc = spawn(args, cwd, input, env)
    if proc.returncode != 0:
        raise GitError(args[0], proc.returncode, proc.stderr.decode(errors="replace"))
    return proc.stdout


def first_error(stderr: bytes) -> str:
    """The `fatal:` line of git's stderr, else its last line: the one worth showing the user."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return next((line for line in lines if line.startswith("fatal:")), lines[-1] if lines else "no detail")


def read_git(args: list[str], cwd: Path) -> bytes:
    """A git command with no input whose stderr is tiny (for-each-ref), spawned without the subprocess module.

    `trail ls` is the hot path of scripts; importing subprocess is a tenth of its time. stdout is read to the
    end before stderr, which is safe because git writes at most a line or two there before exiting.
    """
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        pid = os.posix_spawnp(
            "git",
            ["git", "-C", str(cwd), *args],
            os.environ,
            file_actions=[(os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)],
        )
    except FileNotFoundError:
        raise TrailError("git is not installed or not on PATH") from None
    finally:
        os.close(out_w)
        os.close(err_w)
    with os.fdopen(out_r, "rb") as out, os.fdopen(err_r, "rb") as err:
        stdout, stderr = out.read(), err.read()
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if code != 0:
        raise GitError(args[0], code, stderr.decode(errors="replace"))
    return stdout


class Pending:
    """A git command started now and collected later (a head start); threads drain its pipes so git never blocks."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        import subprocess
        import threading

        self.args = args
        pipe = subprocess.PIPE
        self.proc = subprocess.Popen(["git", *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=pipe, stderr=pipe)
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        self._drains = [
            threading.Thread(target=_drain, args=(source, sink), daemon=True)
            for source, sink in ((self.proc.stdout, self._out), (self.proc.stderr, self._err))
        ]
        for drain in self._drains:
            drain.start()

    def output(self) -> bytes:
        """Git's stdout once it has finished; a failure raises GitError with git's exit code and stderr."""
        code = self.close(kill=False)
        if code != 0:
            raise GitError(self.args[0], code, b"".join(self._err).decode(errors="replace"))
        return b"".join(self._out)

    def close(self, kill: bool = True) -> int:
        """Wait for git (stopped first with `kill`: its output is not wanted); returns its exit code."""
        if kill and self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait()
        for drain in self._drains:
            drain.join()
        return code


def _drain(source: IO[bytes], sink: list[bytes]) -> None:
    sink.append(source.read())


def read_objects(cwd: Path, specs: list[str]) -> dict[str, GitObject | None]:
    """Objects (`REV`, `REV:PATH`, `REV^{tree}`) with their sizes checked before any content is read.

    One `git cat-file --batch-command` answers `info` for every spec, then `contents` for the objects
    within MAX_BLOB and MAX_BLOBS, so a packed zero-bomb is refused before git inflates it. Git older
    than 2.36 lacks `--batch-command`: there a `--batch-check` and a `--batch` process do the same.
    """
    unique = list(dict.fromkeys(specs))
    if any("\n" in s for s in unique):
        raise TrailError("a revision or path with a newline cannot be read from git")
    if not unique:
        return {}
    session = _CatFile(cwd)
    try:
        lines = session.ask([f"info {s}" for s in unique], lambda out: [out.readline() for _ in unique])
        if not lines[-1] and session.proc.wait() == 129:  # git < 2.36: no --batch-command
            return _read_objects_two_pass(cwd, unique)
        if not lines[-1]:
            raise session.failure()
        heads = _headers(unique, lines)
        ids = list(dict.fromkeys(h[0] for h in heads.values()))
        data = session.ask([f"contents {i.decode()}" for i in ids], lambda out: _contents(out, len(ids)), last=True)
        if len(data) < len(ids):
            raise session.failure()
    finally:
        session.close()
    by_id = dict(zip(ids, data, strict=True))
    return {s: (hd[0].decode(), hd[1].decode(), by_id[hd[0]]) if (hd := heads.get(s)) else None for s in unique}


class _CatFile:
    """One `git cat-file --batch-command --buffer` process, its stderr drained by a thread."""

    def __init__(self, cwd: Path) -> None:
        import subprocess
        import threading

        pipe = subprocess.PIPE
        try:
            self.proc = subprocess.Popen(
                ["git", "cat-file", "--batch-command", "--buffer"], cwd=cwd, stdin=pipe, stdout=pipe, stderr=pipe
            )
        except FileNotFoundError:
            raise TrailError("git is not installed or not on PATH") from None
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr
        self.stdin, self.stdout, stderr = self.proc.stdin, self.proc.stdout, self.proc.stderr
        self.stderr: list[bytes] = []
        self._drain = threading.Thread(target=_drain, args=(stderr, self.stderr), daemon=True)
        self._drain.start()

    def ask(self, commands: list[str], answer: Callable[[IO[bytes]], list[bytes]], last: bool = False) -> list[bytes]:
        """Send commands and a flush from a thread (full pipes never deadlock) while `answer` reads stdout."""
        import threading

        def write() -> None:
            try:
                self.stdin.write("".join(c + "\n" for c in [*commands, "flush"]).encode(errors="surrogateescape"))
                self.stdin.flush()
                if last:
                    self.stdin.close()
            except OSError:
                pass  # git exited: its stdout ends early, and the caller reports why

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        try:
            return answer(self.stdout)
        finally:
            writer.join()

    def failure(self) -> GitError:
        """Why git stopped answering: its exit code and stderr."""
        self.close()
        return GitError("cat-file", self.proc.returncode, b"".join(self.stderr).decode(errors="replace"))

    def close(self) -> None:
        """Stop git (killed if it still waits for commands) and collect its stderr."""
        if self.proc.poll() is None and not self.stdin.closed:
            self.proc.kill()
        try:
            self.stdin.close()
        except OSError:
            pass  # a pipe git already closed
        self.proc.wait()
        self._drain.join()
        self.stdout.close()


def _headers(unique: list[str], lines: list[bytes]) -> dict[str, list[bytes]]:
    """Each found spec's `ID TYPE SIZE`, after refusing an oversized object or total."""
    heads = {s: h for s, line in zip(unique, lines, strict=False) if _is_header(h := line.rstrip(b"\n").split(b" "))}
    big = next((s for s, h in heads.items() if int(h[2]) > MAX_BLOB), f"{len(heads)} objects")
    if big in heads or sum(int(h[2]) for h in heads.values()) > MAX_BLOBS:
        raise TrailError(f"refusing {big}: more than {(MAX_BLOBS, MAX_BLOB)[big in heads] >> 20:,} MiB in git")
    return heads


def _is_header(header: list[bytes]) -> bool:  # `ID TYPE SIZE`, not `SPEC missing` (a path may hold spaces)
    return len(header) == 3 and header[1] in (b"tree", b"blob", b"commit", b"tag") and header[2].isdigit()


def _contents(out: IO[bytes], count: int) -> list[bytes]:
    """`count` answers of `contents`: a header line, that many bytes and a newline each (fewer if git died)."""
    found = []
    for _ in range(count):
        header = out.readline().rstrip(b"\n").split(b" ")
        if not _is_header(header):
            break
        size = int(header[2])
        body = out.read(size + 1)
        if len(body) != size + 1:
            break
        found.append(body[:size])
    return found


def _read_objects_two_pass(cwd: Path, unique: list[str]) -> dict[str, GitObject | None]:
    """read_objects for git before 2.36: sizes from one `--batch-check`, then contents from one `--batch`."""
    request = "".join(s + "\n" for s in unique).encode(errors="surrogateescape")
    heads = _headers(unique, run_git(["cat-file", "--batch-check"], cwd, input=request).split(b"\n"))
    ids, pos, data = list(dict.fromkeys(h[0] for h in heads.values())), 0, {}
    out = run_git(["cat-file", "--batch"], cwd, input=b"".join(i + b"\n" for i in ids)) if ids else b""
    for oid in ids:  # each answer: `ID TYPE SIZE`, the bytes and a newline
        end = out.index(b"\n", pos)
        size, pos = int(out[pos:end].rsplit(b" ", 1)[1]), end + 1
        data[oid], pos = out[pos : pos + size], pos + size + 1
    return {s: (hd[0].decode(), hd[1].decode(), data[hd[0]]) if (hd := heads.get(s)) else None for s in unique}
