"""Links and devices in the work tree (issue 17, class 3): every work-tree read is bounded and stays inside.

A clone can commit symlinks. Each attack builds the attacker's repository for real, clones it (git keeps the
links) and runs trail in the clone: a link out of the repository, a device, a FIFO, a directory or a file too
large is refused with the one line of any unreadable file (a gate fails on it), never read, never waited on,
and nothing of the link's target reaches any output. The user's secrets live in the test's own folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dvc_trail.errors import TrailError
from dvc_trail.git.repository import Git
from dvc_trail.metrics.compare import compare
from dvc_trail.project import Project
from dvc_trail.store import worktree
from tests.fixtures.hostile import BASE, SECRET, TOKEN, Link, _isolated, attack, cloned, md5, snapshot, store_object  # noqa: F401
from tests.fixtures.repos import commit_all, dvc, git, trail


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The victim's secrets, where the attacker's links point: a gh token and a docker password."""
    home = tmp_path / "home"
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".config" / "gh" / "hosts.yml").write_text(f"github.com:\n  oauth_token: {TOKEN}\n  user: alice\n")
    (home / ".docker").mkdir()
    (home / ".docker" / "config.json").write_text(json.dumps({"auths": {"x": {"auth": SECRET, "n": 1}}}))
    (home / ".bashrc").write_text("# mine\n")
    return home


def visit(repo: Path, *args: str, code: int = 0, stdin: int | None = None) -> subprocess.CompletedProcess:
    """Run trail in the clone: the expected exit code, no traceback, no secret, nothing changed."""
    before = snapshot(repo)
    proc = subprocess.run(
        [sys.executable, "-m", "dvc_trail", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL if stdin is None else stdin,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == code, (proc.returncode, output)
    assert TOKEN not in output and SECRET not in output and "Traceback" not in output, output
    assert snapshot(repo) == before
    return proc


def test_a_link_to_the_users_token_is_never_read(tmp_path: Path, home: Path) -> None:
    """The issue's example, through every command that reads the work tree: diff, --md, --json, report, gates.

    The pull request turns metrics.yaml into a link; CI compares its base (HEAD~1) with the work tree.
    """
    repo = cloned(tmp_path, {"metrics.yaml": (str(home / ".config/gh/hosts.yml"),)}, BASE)
    unread = "trail: warning: metrics.yaml at workspace could not be read: it is a link out of the repository"
    for args in (["diff", "HEAD~1"], ["diff", "HEAD~1", "--md"], ["report", "--base", "HEAD~1"]):
        proc = visit(repo, *args)
        assert proc.stderr.splitlines() == [unread], proc.stderr
        assert "0.9" in proc.stdout and ("could not be read" in proc.stdout or args == ["diff", "HEAD~1"])
    proc = visit(repo, "diff", "HEAD~1", "--json")
    assert json.loads(proc.stdout)["metrics"] == {"metrics.yaml": {"acc": {"old": 0.9, "new": None}}}
    report = tmp_path / "report.md"
    visit(repo, "report", "--base", "HEAD~1", "-o", str(report))
    assert TOKEN not in report.read_text() and "could not be read" in report.read_text()
    proc = visit(repo, "diff", "HEAD~1", "--fail-on", "acc<-0.5", code=1)  # the gate fails: it cannot be checked
    assert proc.stderr.splitlines() == [
        unread,
        "trail: error: gate failed: acc<-0.5: FAILED (could not read metrics.yaml at workspace)",
    ], proc.stderr
    (repo / "trail.yaml").write_text("gates:\n- acc<-0.5\n")  # the gates of trail.yaml (at the base) fail alike
    commit_all(repo, "gates")
    assert "FAILED (could not read `metrics.yaml at workspace`)" in visit(repo, "report", code=1).stdout


def test_params_and_trail_yaml_as_links(tmp_path: Path, home: Path) -> None:
    docker = (str(home / ".docker/config.json"),)
    repo = cloned(tmp_path, {"params.yaml": docker, "trail.yaml": docker}, BASE)
    proc = visit(repo, "diff", "HEAD~1", "--json")
    assert proc.stderr.startswith("trail: warning: params.yaml at workspace could not be read"), proc.stderr
    assert json.loads(proc.stdout)["params"] == {"params.yaml": {"lr": {"old": 0.1, "new": None}}}
    failed = visit(repo, "diff", "HEAD~1", "--fail-on", "acc<-1", code=1).stderr
    assert "FAILED (could not read params.yaml at workspace)" in failed
    # trail.yaml gives the gates when the work tree is the base: refused, never "no gates"
    line = attack(repo, "diff", "workspace", "HEAD", code=1)
    assert line == "trail: error: could not read trail.yaml: it is a link out of the repository", line
    (repo / ".gto").symlink_to(home / ".config/gh/hosts.yml")
    assert attack(repo, "ls", code=1) == "trail: error: could not read .gto: it is a link out of the repository"


@pytest.mark.parametrize("name", ["dvc.yaml", "dvc.lock", "data.dvc"])
def test_dvc_files_as_links_are_refused(tmp_path: Path, home: Path, name: str) -> None:
    repo = cloned(tmp_path, {name: (str(home / ".config/gh/hosts.yml"),)}, BASE)
    line = attack(repo, "diff", code=1)
    assert line == f"trail: error: could not read {name}: it is a link out of the repository", line


def test_devices_fifos_and_folders_are_never_read_or_waited_on(tmp_path: Path) -> None:
    outside = tmp_path / "fifo"
    os.mkfifo(outside)
    (tmp_path / "folder").mkdir()
    cases = {
        "/dev/zero": "it is not a regular file",  # was MemoryError, exit 3
        "/dev/stdin": "it is not a regular file",  # a pipe the test keeps open: reading it would wait forever
        "/dev/tty": "it is not a regular file",  # never opened
        str(outside): "it is not a regular file",
        "../fifo": "it is not a regular file",
        str(tmp_path / "folder"): "it is not a regular file",
        "metrics.yaml": "too many levels of symbolic links",  # a link to itself (was OSError, exit 3)
    }
    repo = cloned(tmp_path, {"metrics.yaml": ("/dev/zero",)}, BASE)
    read_end, write_end = os.pipe()
    try:
        for target, why in cases.items():
            (repo / "metrics.yaml").unlink()
            (repo / "metrics.yaml").symlink_to(target)
            started = time.monotonic()
            proc = visit(repo, "diff", "--fail-on", "acc<-1", code=1, stdin=read_end)
            assert f"metrics.yaml at workspace could not be read: {why}" in proc.stderr, (target, proc.stderr)
            assert time.monotonic() - started < 30
        (repo / "metrics.yaml").unlink()
        os.mkfifo(repo / "metrics.yaml")  # a FIFO in the work tree itself (git cannot commit one; a process can)
        assert "could not be read: it is not a regular file" in visit(repo, "diff", stdin=read_end).stderr
        (repo / "metrics.yaml").unlink()
        (repo / "metrics.yaml").mkdir()  # a folder of the repository is no file, as at a commit: not an error
        proc = visit(repo, "diff", "HEAD~1", "--json")
        assert proc.stderr == "" and json.loads(proc.stdout)["metrics"]["metrics.yaml"]["acc"]["new"] is None
    finally:
        os.close(read_end)
        os.close(write_end)


def test_links_that_leave_by_a_longer_way(tmp_path: Path, home: Path) -> None:
    """A chain of links, a linked parent folder, and dvc.yaml paths with `..` or absolute."""
    token = str(home / ".config/gh/hosts.yml")
    chain = {"metrics.yaml": ("links/a",), "links/a": ("../links/b",), "links/b": (token,)}
    repo = cloned(tmp_path, chain, BASE)
    assert "metrics.yaml at workspace could not be read: it is a link out" in visit(repo, "diff").stderr
    folder = {"dvc.yaml": "metrics:\n- results/hosts.yml\n", "results": (str(home / ".config/gh"),)}
    repo = cloned(tmp_path, folder, BASE, name="2")
    assert "results/hosts.yml at workspace could not be read: it is a link out" in visit(repo, "diff").stderr
    for path in ("../home/.config/gh/hosts.yml", token, "sub/../../home/.config/gh/hosts.yml"):
        (repo / "dvc.yaml").write_text(f"metrics:\n- {path}\n")
        assert "leaves the repository" in attack(repo, "diff", code=1)
    (repo / "dvc.yaml").write_text(
        "stages:\n  s:\n    cmd: x\n    wdir: ../home/.config/gh\n    metrics:\n    - hosts.yml\n"
    )
    assert "leaves the repository" in attack(repo, "diff", code=1)


def test_links_inside_the_repository_keep_working(tmp_path: Path) -> None:
    files = {"metrics.yaml": ("results/metrics.yaml",), "results/metrics.yaml": "acc: 0.95\n"}
    repo = cloned(tmp_path, files, BASE)
    proc = visit(repo, "diff", "HEAD~1", "--json")
    assert proc.stderr == "" and json.loads(proc.stdout)["metrics"]["metrics.yaml"]["acc"]["new"] == 0.95


def test_links_into_the_dvc_cache_keep_working_with_real_dvc(tmp_path: Path) -> None:
    """DVC's `symlink` link type, with a cache outside the repository (`cache.dir` in config.local)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(repo))
    dvc(repo, "init", "--quiet")
    dvc(repo, "config", "cache.type", "symlink")
    dvc(repo, "config", "--local", "cache.dir", str(tmp_path / "shared-cache"))
    (repo / "gen.py").write_text("import sys; open('metrics.json', 'w').write('{\"acc\": %s}' % sys.argv[1])\n")
    stage = "stages:\n  gen:\n    cmd: python gen.py {v}\n    metrics:\n    - metrics.json:\n        cache: true\n"
    (repo / "dvc.yaml").write_text(stage.format(v="0.5"))
    dvc(repo, "repro", "--quiet")
    commit_all(repo, "first")
    (repo / "dvc.yaml").write_text(stage.format(v="0.75"))
    dvc(repo, "repro", "--quiet")
    assert (repo / "metrics.json").is_symlink()
    assert os.path.realpath(repo / "metrics.json").startswith(str(tmp_path / "shared-cache"))
    proc = visit(repo, "diff", "--json")
    assert json.loads(proc.stdout)["metrics"]["metrics.json"]["acc"] == {"old": 0.5, "new": 0.75, "diff": 0.25}
    assert proc.stderr == ""


def test_the_cache_exception_is_no_way_out(tmp_path: Path, home: Path) -> None:
    """A repository that names the user's folder as its DVC cache, or links to a cache object that does not match
    its name, gains nothing: only a file named by its own hash, in the configured cache, is followed."""
    token = str(home / ".config/gh/hosts.yml")
    config = f"[cache]\n    dir = {home / '.config' / 'gh'}\n"
    repo = cloned(tmp_path, {".dvc/config": config, "metrics.yaml": (token,)}, BASE)
    assert "metrics.yaml at workspace could not be read: it is a link out" in visit(repo, "diff").stderr
    forged = home / ".config" / "gh" / "files" / "md5" / "ab" / ("c" * 30)
    forged.parent.mkdir(parents=True)
    forged.write_text(f"token: {TOKEN}\n")
    (repo / "metrics.yaml").unlink()
    (repo / "metrics.yaml").symlink_to(forged)
    assert "to an object that does not match its hash" in visit(repo, "diff").stderr
    good = b"acc: 0.5\n"
    real = forged.parent.parent / md5(good)[:2] / md5(good)[2:]
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_bytes(good)
    (repo / "metrics.yaml").unlink()
    (repo / "metrics.yaml").symlink_to(real)  # by hand, as DVC's symlink link type makes it
    assert "0.5" in visit(repo, "diff").stdout


def test_links_into_git_are_refused(tmp_path: Path) -> None:
    """`.git/config` holds the origin URL, with its token when the user cloned with one."""
    repo = cloned(tmp_path, {"metrics.yaml": (".git/config",)}, BASE)
    git(repo, "remote", "set-url", "origin", f"https://alice:{TOKEN}@example.com/x.git")
    assert "metrics.yaml at workspace could not be read: it is a link into .git" in visit(repo, "diff").stderr
    (repo / "dvc.yaml").write_text("metrics:\n- .git/config\n")
    assert ".git/config at workspace could not be read: it is inside .git" in visit(repo, "diff").stderr
    (repo / "dvc.yaml").write_text("metrics:\n- sub/.GIT/config\n")
    assert "it is inside .git" in visit(repo, "diff").stderr


def test_a_file_over_the_bound_is_not_read(tmp_path: Path) -> None:
    repo = cloned(tmp_path, {}, BASE)
    with open(repo / "metrics.yaml", "wb") as handle:
        handle.truncate(worktree.MAX_FILE + 1)  # sparse: 64 MiB of zeros that take no disk
    assert "could not be read: it is larger than 64 MiB" in visit(repo, "diff").stderr


def test_dvc_config_as_a_link_is_refused_before_dvc_reads_it(tmp_path: Path, home: Path) -> None:
    creds = home / ".aws-credentials"
    creds.write_text(f"[default]\naws_access_key_id = AKIA\naws_secret_access_key = {SECRET}\n")
    files = {"dvc.yaml": "artifacts:\n  model:\n    path: model.bin\n    type: model\n", ".dvc/config": (str(creds),)}
    repo = cloned(tmp_path, files, {"model.bin.dvc": "outs:\n- md5: " + "a" * 32 + "\n  path: model.bin\n"})
    git(repo, "tag", "-a", "-m", "Registering artifact model version v1.0.0", "model@v1.0.0")
    expected = "trail: error: could not read .dvc/config: it is a link out of the repository"
    assert attack(repo, "get", "model", "-o", str(tmp_path / "out.bin")) == expected
    assert attack(repo, "verify", "model@v1.0.0") == expected
    doctor = visit(repo, "doctor", "--json", code=1).stdout  # named in its checks, never read
    assert {c["check"]: c["ok"] for c in json.loads(doctor)}["credentials"] is False
    assert "could not read .dvc/config: it is a link out of the repository" in doctor
    (repo / ".dvc" / "config").unlink()
    (repo / ".dvc" / "config").symlink_to("/dev/zero")
    assert "not a regular file" in attack(repo, "verify", "model@v1.0.0")


def test_dvc_cache_objects_that_are_links(tmp_path: Path, home: Path) -> None:
    """A clone can commit `.dvc/cache`: an object that is /dev/zero, a FIFO or the user's file is refused."""
    data = b'{"acc": 0.9}'
    oid = md5(data)
    base = {
        "dvc.yaml": "artifacts:\n  model:\n    path: eval\n    type: model\nmetrics:\n- eval/metrics.json\n",
        "dvc.lock": f"schema: '2.0'\nstages:\n  s:\n    cmd: x\n    outs:\n    - path: eval/metrics.json\n"
        f"      hash: md5\n      md5: {oid}\n",
    }
    os.mkfifo(tmp_path / "fifo")
    obj = f".dvc/cache/files/md5/{oid[:2]}/{oid[2:]}"
    repo = cloned(tmp_path, {obj: ("/dev/zero",)}, base)
    git(repo, "tag", "-a", "-m", "Registering artifact model version v1.0.0", "model@v1.0.0")
    for target, why in (("/dev/zero", "not a regular file"), (str(tmp_path / "fifo"), "not a regular file")):
        (repo / obj).unlink()
        (repo / obj).symlink_to(target)
        assert why in attack(repo, "metrics", "model", code=1, timeout=30)
    (repo / obj).unlink()
    (repo / obj).symlink_to(home / ".config/gh/hosts.yml")
    assert "does not match its hash" in attack(repo, "metrics", "model", code=1)


def test_fetch_writes_through_no_planted_link(tmp_path: Path, home: Path) -> None:
    """`diff --fetch` downloads into `.dvc/cache`: a link the clone planted at a temporary name is not written
    through (it was: `.<hash>.trail-tmp -> ~/.bashrc` received the remote's bytes)."""
    payload = b'{"acc": 0.75}'
    store = tmp_path / "store"
    oid = store_object(store, payload)
    dest = f".dvc/cache/files/md5/{oid[:2]}"
    base = {
        "dvc.yaml": "metrics:\n- eval/metrics.json\n",
        "dvc.lock": f"schema: '2.0'\nstages:\n  s:\n    cmd: x\n    outs:\n    - path: eval/metrics.json\n"
        f"      hash: md5\n      md5: {oid}\n",
        ".dvc/config": f"[core]\n    remote = store\n['remote \"store\"']\n    url = {store}\n",
    }
    repo = cloned(tmp_path, {f"{dest}/.{oid[2:]}.trail-tmp": (str(home / ".bashrc"),)}, base)
    before = (home / ".bashrc").read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "dvc_trail", "diff", "HEAD", "workspace", "--fetch", "--json"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (home / ".bashrc").read_bytes() == before
    assert json.loads(proc.stdout)["metrics"] == {}  # read at both sides from the fetched object
    assert (repo / dest / oid[2:]).read_bytes() == payload
    assert [p.name for p in (repo / dest).iterdir() if p.name.endswith(".trail-tmp")] == [f".{oid[2:]}.trail-tmp"]


def test_a_link_swapped_in_while_opening_is_caught(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TOCTOU: the file is checked, then replaced by a link to the secret before it is opened."""
    repo = cloned(tmp_path, {}, BASE)
    real_open = os.open

    def swapping_open(path: str, flags: int, *args: int) -> int:
        if str(path).endswith("metrics.yaml"):
            os.unlink(path)
            os.symlink(home / ".config/gh/hosts.yml", path)
        return real_open(path, flags, *args)

    monkeypatch.setattr(worktree.os, "open", swapping_open)
    with pytest.raises(worktree.Refused, match="changed while being opened"):
        worktree.read_workspace_file(repo, "metrics.yaml")
    monkeypatch.undo()
    result = compare(Project(Git(repo)), None, None)  # in-process: the comparison names it, reads nothing
    assert [u.message for u in result.unreadable] == [
        "metrics.yaml at workspace could not be read: it is a link out of the repository"
    ]
    assert TOKEN not in repr(result.to_json())


def test_the_reader_in_process(tmp_path: Path, home: Path) -> None:
    """The one reader's answers: bytes, None when absent, Refused otherwise (a TrailError: one line)."""
    (tmp_path / "r" / "sub").mkdir(parents=True)
    root = tmp_path / "r"
    (root / "sub" / "a.json").write_text("{}")
    (root / "in.json").symlink_to("sub/a.json")
    (root / "out.json").symlink_to(home / ".docker/config.json")
    assert worktree.read_workspace_file(root, "in.json") == b"{}"
    assert worktree.read_workspace_file(root, "missing.json") is None
    assert worktree.read_workspace_file(root, "sub/a.json/x") is None
    with pytest.raises(TrailError, match="link out of the repository") as err:
        worktree.read_workspace_file(root, "out.json")
    assert SECRET not in str(err.value)
    with pytest.raises(worktree.Refused, match="larger than 0 MiB"):
        worktree.read_workspace_file(root, "in.json", limit=1)


def test_outputs_are_never_written_through_a_link(tmp_path: Path, home: Path) -> None:
    """`-o report.md`, `card -o` and a plot's `.html` beside its `.svg`: a committed link there is refused."""
    bashrc = (str(home / ".bashrc"),)
    base = {
        **BASE,
        "dvc.yaml": "artifacts:\n  model:\n    path: model.bin\n    type: model\nmetrics:\n- metrics.yaml\n",
        "model.bin.dvc": "outs:\n- md5: " + "a" * 32 + "\n  path: model.bin\n",
    }
    repo = cloned(tmp_path, {"report.md": bashrc, "card.md": bashrc, "acc.html": bashrc}, base)
    git(repo, "tag", "-a", "-m", "Registering artifact model version v1.0.0", "model@v1.0.0")
    for args, name in (
        (["report", "-o", "report.md"], "report.md"),
        (["card", "model@v1.0.0", "-o", "card.md"], "card.md"),
        (["metrics", "model", "--plot", "acc.svg"], "acc.html"),  # neither file is written
    ):
        line = attack(repo, *args, code=1)
        assert line == f"trail: error: refusing to write {name}: it is a link (remove it, or name another file)"
    assert (home / ".bashrc").read_text() == "# mine\n"
    for link in ("report.md", "card.md", "acc.html"):
        (repo / link).unlink()
    trail(repo, "metrics", "model", "--plot", "acc.svg")  # once the links are gone, both are written
    assert (repo / "acc.html").is_file() and not (repo / "acc.html").is_symlink()


def test_links_through_proc(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`/proc/self/environ` holds CI's GITHUB_TOKEN; `/proc/self/root/...` reaches any file by another name."""
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    repo = cloned(tmp_path, {"metrics.yaml": ("/proc/self/environ",)}, BASE)
    assert "could not be read: it is a link out of the repository" in visit(repo, "diff", "HEAD~1").stderr
    (repo / "metrics.yaml").unlink()
    (repo / "metrics.yaml").symlink_to(f"/proc/self/root{home}/.config/gh/hosts.yml")
    assert "could not be read: it is a link out of the repository" in visit(repo, "diff", "HEAD~1").stderr
    (repo / "metrics.yaml").unlink()
    (repo / "metrics.yaml").symlink_to("/proc/self/cwd/results.yaml")  # the repository itself: read
    (repo / "results.yaml").write_text("acc: 0.5\n")
    assert json.loads(visit(repo, "diff", "HEAD~1", "--json").stdout)["metrics"]["metrics.yaml"]["acc"]["new"] == 0.5


def test_many_links_to_one_big_file_are_bounded_in_total(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each link is inside the repository and under the bound of one file, but not all of them together."""
    names = [f"m{i}.yaml" for i in range(4)]
    base = {**BASE, "dvc.yaml": "metrics:\n" + "".join(f"- {n}\n" for n in names), "big.yaml": "a: 1\n" * 100_000}
    repo = cloned(tmp_path, {n: ("big.yaml",) for n in names}, base)
    monkeypatch.setattr(worktree, "MAX_TOTAL", 1 << 20)  # 1 MiB; 4 x 600 KB read would pass it
    with pytest.raises(TrailError, match="refusing to read more than 1 MiB from the work tree"):
        compare(Project(Git(repo)), "HEAD~1", None)


def test_names_the_system_cannot_open(tmp_path: Path) -> None:
    """A NUL or a 300-byte name in a dvc.yaml metric path (both were exit 3 in the work tree)."""
    repo = cloned(tmp_path, {}, BASE)
    (repo / "dvc.yaml").write_text('metrics:\n- "a\\0b.yaml"\n- ' + "x" * 300 + ".yaml\n")
    proc = visit(repo, "diff", "--fail-on", "acc<-1", code=1)
    assert "ab.yaml at workspace could not be read: it is not a file name" in proc.stderr, proc.stderr
    assert ".yaml at workspace could not be read: file name too long" in proc.stderr, proc.stderr
