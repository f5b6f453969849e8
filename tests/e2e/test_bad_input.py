"""Every command meets bad input with one line, a non-zero exit, no traceback, and nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.repos import commit_all, git, refs_snapshot, run, trail

BAD_NAMES = ["", "bad name", "a..b:m", "-m", "naïve", "x" * 300, "a//b", "m@v1.0.0@v2", "--upload-pack=touch /tmp/x"]
READ_COMMANDS = [
    ["show", "{ref}"],
    ["show", "{ref}", "--json"],
    ["history", "{ref}"],
    ["lineage", "{ref}"],
    ["card", "{ref}"],
    ["metrics", "{ref}"],
    ["diff", "{ref}"],
    ["check-ref", "{ref}"],
]


@pytest.fixture
def registry(example_repo: Path) -> Path:
    trail(example_repo, "register", "iris-model", "--version", "v1.0.0")
    trail(example_repo, "assign", "iris-model@v1.0.0", "prod")
    git(example_repo, "tag", "lightweight")  # foreign tags are ignored, not fatal
    git(example_repo, "tag", "-a", "-m", "a release", "release-2024")
    git(example_repo, "tag", "iris-model@v9.9.9")  # a lightweight tag in GTO's format: gto ignores it too
    return example_repo


def _refused(repo: Path, args: list[str]) -> int:
    before = refs_snapshot(repo)
    proc = trail(repo, *args, check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode in (1, 2), (args, proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1 or lines[-1].startswith("Error:"), proc.stderr  # Typer's usage errors are a box
    assert refs_snapshot(repo) == before
    return proc.returncode


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c))
def test_bad_names_and_refs(registry: Path, command: list[str], name: str) -> None:
    args = [a.replace("{ref}", name) for a in command]
    if args[0] == "check-ref" and name and not name.startswith("-"):
        assert _refused(registry, args) == 1  # a tag outside the registry
        return
    _refused(registry, ["--", *args] if name.startswith("-") else args)


@pytest.mark.parametrize(
    "args",
    [
        ["show", "iris-model@v2.0.0"],
        ["show", "iris-model#staging"],
        ["show", "nope"],
        ["lineage", "iris-model@no-such-rev"],
        ["lineage", "iris-model@v3.0.0"],
        ["impact", "no/such/path"],
        ["impact", "data/prepared", "--rev", "nope"],
        ["impact", "../outside"],
        ["diff", "nope", "HEAD"],
        ["diff", "HEAD", "iris-model@v7.0.0"],
        ["metrics", "iris-model", "--plot", "/tmp/chart.png"],
        ["metrics", "iris-model", "--plot", "/tmp/chart.svg", "--metric", "nope"],
        ["assign", "iris-model@v1.0.0", "-prod"],
        ["register", "iris-model", "--rev", "HEAD~5"],
        ["history", "iris-model@v1.0.0"],
    ],
)
def test_missing_things(registry: Path, args: list[str]) -> None:
    _refused(registry, args)


def test_foreign_and_lightweight_tags_are_ignored(registry: Path) -> None:
    out = trail(registry, "ls", "--json").stdout
    assert "release" not in out and "v9.9.9" not in out


def test_detached_head_and_shallow_clone(registry: Path, tmp_path: Path) -> None:
    commit_all(registry, "second")
    trail(registry, "register", "iris-model")
    git(registry, "checkout", "--quiet", "--detach", "HEAD~1")
    assert '"prod": "v1.0.0"' in trail(registry, "ls", "--json").stdout
    trail(registry, "show", "iris-model@v1.0.1")
    shallow = tmp_path / "shallow"
    run(["git", "clone", "--quiet", "--depth", "1", "--no-single-branch", f"file://{registry}", str(shallow)], tmp_path)
    proc = trail(shallow, "ls", "--json", check=False)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    for args in (["show", "iris-model@v1.0.0"], ["lineage", "iris-model@v1.0.0"], ["impact", "data/prepared"]):
        proc = trail(shallow, *args, check=False)
        assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, (args, proc.stderr)


def test_malformed_files_at_a_commit(registry: Path) -> None:
    (registry / "params.yaml").write_text("train: [unclosed\n")
    (registry / "metrics" / "scores.json").write_text("{not json")
    sha = commit_all(registry, "broken files")
    for args in (["diff", "HEAD~1", "HEAD"], ["show", f"iris-model@{sha}"]):
        proc = trail(registry, *args, check=False)
        assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr, proc.stderr
    proc = trail(registry, "diff", "HEAD~1", "HEAD", check=False)
    assert f"at {sha[:7]}" in proc.stderr


def test_verbose_shows_the_traceback(registry: Path) -> None:
    proc = trail(registry, "--verbose", "show", "nope", check=False)
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "trail: error:" in proc.stderr
