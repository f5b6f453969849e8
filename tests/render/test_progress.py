"""Progress of long transfers: drawn on stderr when it is a terminal, never in pipes, silenced by -q."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.fixtures.hostile import hostile_repo, local_remote, manifest


def _run_with_tty_stderr(cwd: Path, *args: str) -> tuple[int, str]:
    """Run trail with stderr on a pseudo-terminal (stdout piped); returns the exit code and what the terminal got."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dvc_trail", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=slave, env=env
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    proc.communicate(timeout=120)
    return proc.returncode, b"".join(chunks).decode(errors="replace")


def test_progress_on_a_terminal_only(tmp_path: Path) -> None:
    store = tmp_path / "store"
    files = manifest(store, {f"part-{i}.bin": os.urandom(2048) for i in range(5)})
    repo = hostile_repo(tmp_path, "data", files, None, local_remote(store), name="source")
    work = tmp_path / "work"
    work.mkdir()
    code, terminal = _run_with_tty_stderr(work, "get", "model", "--repo", str(repo), "-o", "a")
    assert code == 0 and "download:" in terminal and "5/5 files" in terminal, terminal
    code, terminal = _run_with_tty_stderr(work, "-q", "get", "model", "--repo", str(repo), "-o", "b")
    assert code == 0 and terminal == "", terminal
    piped = subprocess.run(
        [sys.executable, "-m", "dvc_trail", "get", "model", "--repo", str(repo), "-o", "c"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert piped.returncode == 0 and piped.stderr == "" and "5 file(s)" in piped.stdout
    code, terminal = _run_with_tty_stderr(repo, "verify", "model", "--deep")
    assert code == 0 and "verify:" in terminal and "6/6 files" in terminal, terminal


class _Bar:
    """Stands in for rich's display: the counts are what the test reads."""

    def update(self, *args: object, **kwargs: object) -> None:
        pass


def test_upload_reports_files_and_bytes_through_dvc_callbacks(tmp_path: Path, reproduced_repo: Path) -> None:
    import shutil

    from dvc_trail.dvc import adapter
    from dvc_trail.project import Project
    from dvc_trail.render.progress import TransferProgress
    from dvc_trail.store.data_address import version_data

    repo = tmp_path / "repo"
    shutil.copytree(reproduced_repo, repo, symlinks=True)
    Project.open(repo).register("iris-data")
    project = Project.open(repo)
    target = version_data(project, *project.lookup("iris-data"))
    counter = TransferProgress(_Bar(), None)
    with adapter.open_remote(repo) as store:
        report = store.upload(target.data, counter)
    sizes = sum(p.stat().st_size for p in (repo / "data" / "prepared").iterdir())
    assert report.uploaded == counter.total_files == counter.files == 3  # two files and the manifest
    assert counter.bytes >= sizes
