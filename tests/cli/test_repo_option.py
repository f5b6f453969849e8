"""`-r/--repo PATH|URL` and `-C PATH` for every command, before or after the command word (issue 18).

Read commands given a URL answer from a blob-less copy exactly as in a local clone; every other command
refuses a URL in one line. In-process through Typer's runner, but for the paths that run before Typer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dvc_trail.cli import app
from tests.fixtures.repos import EXAMPLE_FILES, ROOT, commit_all, git, refs_snapshot


def trail_in(*args: str) -> tuple[int, str, str]:
    """`trail ARGS` in this process: exit code, stdout, stderr (a bug, exit 3, fails the test)."""
    result = CliRunner().invoke(app, list(args), prog_name="trail")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code != 3, result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A registry (two versions, stages, a deprecation, a `.gto`) and the file:// URL of a bare copy of it."""
    top = tmp_path_factory.mktemp("registry")
    repo = top / "repo"
    for rel in EXAMPLE_FILES:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, repo / rel)
    (repo / ".gto").write_text("stages: [dev, staging, prod]\n")
    git(top, "init", "--quiet", "--initial-branch=main", str(repo))
    commit_all(repo, "example project")
    for args in (["register", "iris-model"], ["register", "iris-data"], ["assign", "iris-model@v0.0.1", "prod"]):
        assert trail_in("-C", str(repo), *args)[0] == 0
    (repo / "metrics" / "scores.json").write_text('{"accuracy": 0.97, "f1": 0.96}\n')
    (repo / "src" / "pipeline" / "train.py").write_text("print('trained again')\n")
    commit_all(repo, "better model")
    for args in (["register", "iris-model"], ["assign", "iris-model@v0.0.2", "dev"], ["deprecate", "iris-data"]):
        assert trail_in("-C", str(repo), *args)[0] == 0
    git(top, "clone", "--quiet", "--bare", str(repo), str(top / "served.git"))
    return repo, (top / "served.git").as_uri()


@pytest.fixture
def no_temp_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """TMPDIR is an empty folder of the test's; it must be empty again afterwards."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    yield temp
    assert not list(temp.iterdir()), "a registry copy was left in TMPDIR"


READS = [
    ["ls", "--json"],
    ["ls", "--json", "--all"],
    ["ls", "iris-model", "--json"],
    ["show", "iris-model", "--json"],
    ["show", "iris-model#prod", "--json"],
    ["show", "iris-data@v0.0.1", "--json"],
    ["history", "--json"],
    ["history", "iris-model", "--json", "--ascending"],
    ["check-ref", "iris-model#prod#1", "--json"],
    ["check-ref", "refs/tags/iris-model@v0.0.2", "--json"],
    ["lineage", "iris-model", "--json"],
    ["lineage", "iris-model@v0.0.2", "--vs", "iris-model@v0.0.1", "--json"],
    ["metrics", "iris-model", "--json"],
    ["card", "iris-model#prod"],
]


@pytest.mark.parametrize("args", READS, ids=lambda a: " ".join(a))
def test_a_url_reads_as_a_local_clone(registry: tuple[Path, str], args: list[str], no_temp_left: Path) -> None:
    repo, url = registry
    local = trail_in("-C", str(repo), *args)
    assert local[0] == 0, local[2]
    assert trail_in("--repo", url, *args) == local  # before the command word
    assert trail_in(*args, "-r", url) == local  # after it
    assert trail_in(*args, "-r", url.removeprefix("file://")) == local  # the bare repository by path
    if "--json" in args:
        assert json.loads(local[1]) or args[0] == "history"


def test_the_url_copy_reads_the_remote_default_branch_gto(registry: tuple[Path, str], no_temp_left: Path) -> None:
    repo, url = registry
    listed = json.loads(trail_in("ls", "--json", "-r", url)[1])
    assert list(listed["iris-model"]["stage"]) == ["dev", "staging", "prod"]  # the order .gto gives
    assert listed == json.loads(trail_in("ls", "--json", "-r", str(repo))[1])


def test_every_option_before_or_after_the_word(registry: tuple[Path, str]) -> None:
    repo, _ = registry
    first = trail_in("-C", str(repo), "history", "--json")
    assert first[0] == 0
    for args in (
        ["history", "-C", str(repo), "--json"],
        ["history", "--json", "--repo", str(repo)],
        ["history", f"--repo={repo}", "--json"],
        ["--verbose", "-r", str(repo), "history", "-q", "--json"],
        ["history", "--json", "--verbose", "-C", str(repo)],
    ):
        assert trail_in(*args) == first, args


WRITES = [
    ["register", "iris-model"],
    ["assign", "iris-model@v0.0.2", "staging"],
    ["unassign", "iris-model@v0.0.1", "prod"],
    ["deregister", "iris-model@v0.0.1"],
    ["deprecate", "iris-model"],
    ["publish", "iris-model"],
    ["register", "iris-model", "--push"],
    ["site", "-o", "SITE"],
    ["report"],
    ["diff"],
    ["impact", "data/prepared"],
    ["verify", "iris-model"],
    ["doctor"],
    ["demo", "SITE"],
    ["show", "iris-model", "--fetch"],
    ["metrics", "iris-model", "--json", "--fetch"],
]


@pytest.mark.parametrize("args", WRITES, ids=lambda a: " ".join(a))
def test_other_commands_refuse_a_url_in_one_line(
    registry: tuple[Path, str], args: list[str], tmp_path: Path, no_temp_left: Path
) -> None:
    repo, url = registry
    served = Path(url.removeprefix("file://"))
    before = refs_snapshot(repo), git(served, "for-each-ref")
    args = [str(tmp_path / "out") if a == "SITE" else a for a in args]
    for line in (["-r", url, *args], [*args, "--repo", url]):
        code, out, err = trail_in(*line)
        assert code == 2, (line, err)
        assert err.startswith("trail: error:") and err.count("\n") == 1, err
        assert ("needs a local repository" in err or "--fetch" in err) and out == ""
    assert (refs_snapshot(repo), git(served, "for-each-ref")) == before
    assert not (tmp_path / "out").exists()


def test_bad_repository_options(registry: tuple[Path, str], tmp_path: Path) -> None:
    repo, url = registry
    code, _, err = trail_in("-C", str(repo), "ls", "-r", url)
    assert code == 2 and "name the repository once" in err
    code, _, err = trail_in("ls", "-C", url)  # -C is a folder, never a URL
    assert code == 1 and err == f"trail: error: no such directory: {url}\n"
    code, _, err = trail_in("get", "iris-model", "-C", url, "-o", str(tmp_path / "m"))
    assert code == 1 and "no such directory" in err
    for unsafe in ("ext::sh -c touch% /tmp/x", "ftp://127.0.0.1/x.git", "fd::0"):
        code, _, err = trail_in("ls", "-r", unsafe)
        assert code == 2 and "only https" in err, err
    token = "ghp_" + "a1B2" * 9
    for args in (["register", "iris-model"], ["ls"]):  # a refusal and a failed read: the token never shows
        code, out, err = trail_in(*args, "-r", f"https://alice:{token}@127.0.0.1:9/org/models.git")
        assert code in (1, 2) and token not in out + err and "***" in err, err
    code, _, err = trail_in("get", "iris-model", "--registry", str(tmp_path), "-r", str(repo))
    assert code == 2 and "give no -r/--repo or --remote" in err
    code, _, err = trail_in("history", "-r", "file:///nonexistent/registry.git")
    assert code == 1 and err.startswith("trail: error: cannot read repository"), err


def test_r_is_the_repository_and_remote_is_spelled_out(registry: tuple[Path, str]) -> None:
    repo, _ = registry
    for command in ("publish", "verify", "get", "doctor", "register", "assign"):
        code, out, _ = trail_in(command, "--help")
        assert code == 0 and "--remote" in out and "-r, --remote" not in out
        assert "-r, --repo PATH|URL" in out and "-C PATH" in out
    code, _, err = trail_in("verify", "iris-model", "-r", "myremote")  # the old spelling names a folder now
    assert code == 1 and "no such directory: myremote" in err


def test_h_is_help() -> None:
    assert trail_in("-h")[1] == trail_in("--help")[1]
    assert "Usage: trail ls" in trail_in("ls", "-h")[1]


def _trail_process(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dvc_trail", *args], cwd=cwd, capture_output=True, text=True
    )


def test_fast_ls_reads_c_and_r_after_the_word_without_typer(registry: tuple[Path, str], tmp_path: Path) -> None:
    repo, url = registry
    expected = _trail_process(repo, "ls", "--json")
    for args in (["ls", "-C", str(repo), "--json"], ["ls", "--json", "-r", str(repo)], ["-r", str(repo), "ls"]):
        proc = _trail_process(tmp_path, *args)
        assert proc.returncode == 0, proc.stderr
        imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()}
        assert not imported & {"typer", "click", "rich", "dvc"}, args
        if "--json" in args:
            assert proc.stdout == expected.stdout
    bare = url.removeprefix("file://")
    for args in (["ls", "--json", "-r", url], ["-r", bare, "ls", "--json"]):
        proc = subprocess.run([sys.executable, "-m", "dvc_trail", *args], capture_output=True)
        assert proc.returncode == 0 and json.loads(proc.stdout) == json.loads(expected.stdout), proc.stderr
    metrics = _trail_process(repo, "metrics", "iris-model", "--json").stdout
    for where in (url, bare):
        proc = subprocess.run(
            [sys.executable, "-m", "dvc_trail", "metrics", "iris-model", "--json", "-r", where],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0 and proc.stdout == metrics, proc.stderr
