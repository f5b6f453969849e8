"""Registry state and `gto show NAME`'s version list from tags and commits in a FakeGit (no process)."""

from __future__ import annotations

from pathlib import Path

from dvc_trail.git import trees
from dvc_trail.git.fake import FakeGit
from dvc_trail.project import Project
from dvc_trail.registry.gto_json import version_list
from dvc_trail.registry.state import build_state


def _registry(root: Path) -> tuple[FakeGit, list[str]]:
    git = FakeGit(root)
    commits = [
        git.commit({"f": str(n)}, f"Ünïcode run {n}\n\nbody {n}", author=f"Dev {n}", email=f"d{n}@x.org")
        for n in range(3)
    ]
    for n, commit in enumerate(commits):
        git.tag(f"m@v1.{n}.0", commit, f"Registering m v1.{n}.0")
    git.tag("m#prod#1", commits[2], "to prod")
    git.tag("m@v1.2.0!", commits[2], "withdrawn")  # deregistered: loses `latest` and its stage
    git.tag("other@v0.1.0", commits[0], "Registering other")
    git.tag("other@deprecated", commits[0], "gone")
    return git, commits


def test_state_from_the_fakes_tags(tmp_path: Path) -> None:
    git, commits = _registry(tmp_path)
    state = build_state(*git.tags())
    m = state.artifacts["m"]
    latest = m.latest()
    assert latest is not None and latest.version == "v1.1.0"
    assert m.stage_holders() == {} and not state.artifacts["other"].is_active
    assert [v.commit for v in m.versions] == commits
    assert state.next_counter("m") == 2


def test_version_list_from_raw_commits(tmp_path: Path) -> None:
    git, commits = _registry(tmp_path)
    state = build_state(*git.tags())
    raw = trees.commits(git, commits)
    assert (raw[commits[1]].author, raw[commits[1]].author_email) == ("Dev 1", "d1@x.org")
    assert raw[commits[1]].commit_time == 1_700_000_002 and raw[commits[1]].message == "Ünïcode run 1\n\nbody 1\n"
    listed = version_list(state.artifacts["m"], raw)
    assert [v["version"] for v in listed] == ["v1.1.0", "v1.0.0"]  # the deregistered one only with `inactive`
    assert listed[0]["enrichments"][0]["author"] == "Dev 1"
    assert [v["version"] for v in version_list(state.artifacts["m"], raw, include_inactive=True)][0] == "v1.2.0"
    assert version_list(state.artifacts["other"], raw) == []


def test_one_artifact_is_read_from_its_own_tags(tmp_path: Path) -> None:
    git, _ = _registry(tmp_path)
    asked: list[list[str] | None] = []
    real_tags = git.tags

    def tags(details: bool = True, patterns: list[str] | None = None, started: object = None) -> tuple:
        asked.append(patterns)
        return real_tags(details, patterns)

    git.tags = tags  # type: ignore[method-assign]
    project = Project(git)
    assert [v.version for v in project.artifact_state("other").versions] == ["v0.1.0"]
    assert asked == [["refs/tags/other@*", "refs/tags/other#*"]]  # not the whole registry
    assert [e["ref"] for e in project.history("m")][:2] == ["m@v1.2.0!", "m#prod#1"]
