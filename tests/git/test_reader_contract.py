"""The GitReader/GitWriter contract, run against FakeGit and real git alike: the fake cannot drift from git.

Each test builds its history with the same calls on both (tests/fixtures/builders.py); dates are fixed, so the
commit and tag ids agree too, and `test_fake_answers_every_call_as_real_git_does` compares them call by call.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dvc_trail.errors import GitError, NotFound, TrailError
from dvc_trail.git import process
from dvc_trail.git.repository import NewTag
from tests.fixtures.builders import FakeRepo, RealRepo, build

KINDS = ["fake", "real"]


@pytest.fixture(params=KINDS)
def repo(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeRepo | RealRepo:
    return build(request.param, tmp_path, monkeypatch)


def _history(repo: FakeRepo | RealRepo) -> dict[str, str]:
    """Three commits (nested folders, a unicode path and message), annotated and lightweight tags."""
    ids = {"first": repo.commit({"a.txt": "one\n", "data/x.csv": "1,2\n", "données/é.txt": "é"}, "first")}
    ids["second"] = repo.commit({"a.txt": "two\n", "a.b": "dot", "a0": "zero"}, "Ünïcode subject\nwrapped\n\nbody")
    ids["third"] = repo.commit({"data/y.csv": "3\n", "a0": None}, "third")
    ids["b"] = repo.tag("b@v1.0.0", ids["first"], "Registering b ✓", tagger="Tag Ger", email="tg@example.com")
    ids["a"] = repo.tag("a@v1.0.0", ids["second"], "Registering a")
    ids["light"] = repo.tag("a@v2.0.0", ids["third"])  # lightweight: a name, not a registry event
    return ids


def test_tags_records_and_names_in_refname_order(repo: FakeRepo | RealRepo) -> None:
    ids = _history(repo)
    records, names = repo.reader.tags()
    assert names == ["a@v1.0.0", "a@v2.0.0", "b@v1.0.0"]
    assert [(r.name, r.commit) for r in records] == [("a@v1.0.0", ids["second"]), ("b@v1.0.0", ids["first"])]
    b = records[1]
    assert (b.tagger, b.email, b.tz_offset, b.message) == ("Tag Ger", "tg@example.com", "+0000", "Registering b ✓\n")
    assert b.timestamp == 1_700_000_004 and records[0].timestamp == 1_700_000_005
    light, _ = repo.reader.tags(details=False)
    assert [(r.tagger, r.email, r.message, r.timestamp) for r in light] == [
        ("", "", "", 1_700_000_005),
        ("", "", "", 1_700_000_004),
    ]
    assert repo.reader.tags(patterns=["refs/tags/a@*"])[1] == ["a@v1.0.0", "a@v2.0.0"]
    assert repo.reader.tags(patterns=["refs/tags/nothing@*"]) == ([], [])


def test_read_objects_and_blobs(repo: FakeRepo | RealRepo) -> None:
    ids = _history(repo)
    first = ids["first"]
    specs = [f"{first}:a.txt", f"{first}:données/é.txt", f"{first}:data", f"{first}:missing", "nope:a.txt", "HEAD:a0"]
    blobs = repo.reader.read_blobs([*specs, specs[0]])
    assert list(blobs) == specs
    assert list(blobs.values()) == [b"one\n", "é".encode(), None, None, None, None]
    objects = repo.reader.read_objects([f"{first}^{{tree}}", "b@v1.0.0", "a@v2.0.0", f"{first}:data", "HEAD~2"])
    kinds = {spec: found[1] if found else None for spec, found in objects.items()}
    assert kinds == {
        f"{first}^{{tree}}": "tree",
        "b@v1.0.0": "tag",
        "a@v2.0.0": "commit",
        f"{first}:data": "tree",
        "HEAD~2": "commit",
    }
    assert objects["HEAD~2"] is not None and objects["HEAD~2"][0] == first
    assert objects["b@v1.0.0"] is not None and objects["b@v1.0.0"][0] == ids["b"]
    assert repo.reader.read_objects([]) == {} and repo.reader.read_blobs([]) == {}
    with pytest.raises(TrailError, match="newline"):
        repo.reader.read_blobs(["HEAD:a\nb"])


def test_objects_over_the_size_bounds_are_refused(repo: FakeRepo | RealRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.commit({"small": "x" * 8, "big": "x" * 40})
    monkeypatch.setattr(process, "MAX_BLOB", 32)
    assert repo.reader.read_blobs(["HEAD:small", "HEAD:missing"]) == {"HEAD:small": b"x" * 8, "HEAD:missing": None}
    with pytest.raises(TrailError, match=r"^refusing HEAD:big: more than 0 MiB in git$"):
        repo.reader.read_blobs(["HEAD:small", "HEAD:big"])
    monkeypatch.setattr(process, "MAX_BLOB", 1 << 20)
    monkeypatch.setattr(process, "MAX_BLOBS", 44)
    with pytest.raises(TrailError, match=r"^refusing 2 objects: more than 0 MiB in git$"):
        repo.reader.read_blobs(["HEAD:small", "HEAD:big"])


def test_revisions_resolve_to_commits_and_unknown_ones_are_named(repo: FakeRepo | RealRepo) -> None:
    ids = _history(repo)
    reader = repo.reader
    assert reader.resolve_commit("HEAD") == ids["third"]
    assert reader.resolve_commit("HEAD~1") == reader.resolve_commit("HEAD^") == ids["second"]
    assert reader.resolve_commit("b@v1.0.0") == ids["first"]  # an annotated tag, peeled to its commit
    assert reader.resolve_commit(ids["first"][:10]) == ids["first"]
    assert reader.resolve_commits(["a@v1.0.0", "HEAD", "main"]) == [ids["second"], ids["third"], ids["third"]]
    for bad in ("nope", "HEAD~7", "-x", "HEAD:a.txt", f"{ids['first']}:a.txt"):
        with pytest.raises(NotFound, match=f"^unknown revision {bad!r}$"):
            reader.resolve_commit(bad)
    with pytest.raises(NotFound, match="^unknown revision 'nope'$"):
        reader.resolve_commits(["HEAD", "nope", "also-bad"])


def test_commit_infos_author_iso_date_and_subject(repo: FakeRepo | RealRepo) -> None:
    ids = _history(repo)
    infos = repo.reader.commit_infos([ids["second"], ids["first"], ids["second"]])
    assert list(infos) == [ids["second"], ids["first"]]
    second = infos[ids["second"]]
    assert (second.author, second.email) == ("Test Author", "author@example.com")
    assert (second.date, second.subject) == ("2023-11-14T22:13:22+00:00", "Ünïcode subject wrapped")
    assert repo.reader.commit_infos([]) == {}
    unknown = "0" * 39 + "1"
    with pytest.raises(GitError, match=f"^git log failed: fatal: bad object {unknown}$"):
        repo.reader.commit_infos([unknown])


def test_last_changes_of_files_and_folders(repo: FakeRepo | RealRepo) -> None:
    ids = _history(repo)
    found = repo.reader.last_changes("HEAD", ["a.txt", "data", "données/é.txt", "never", "a0"])
    assert found == {"a.txt": ids["second"], "données/é.txt": ids["first"], "a0": ids["third"], "data": ids["third"]}
    assert repo.reader.last_changes(ids["second"], ["data/", "a0"]) == {"data/": ids["first"], "a0": ids["second"]}
    assert repo.reader.last_changes("HEAD", []) == {}
    with pytest.raises(GitError):
        repo.reader.last_changes("nope", ["a.txt"])


def test_tree_work_tree_and_tracked_files_in_gits_order(repo: FakeRepo | RealRepo, tmp_path: Path) -> None:
    ids = _history(repo)
    head = ["a.b", "a.txt", "data/x.csv", "data/y.csv", "données/é.txt"]
    assert repo.reader.tree_files("HEAD") == head
    assert repo.reader.tree_files(ids["second"]) == ["a.b", "a.txt", "a0", "data/x.csv", "données/é.txt"]
    assert repo.reader.work_tree_files() == head
    assert repo.reader.tracked(["data", "a0", "a.txt", "nope"]) == ["a.txt", "data/x.csv", "data/y.csv"]
    with pytest.raises(GitError, match="^git ls-tree failed: fatal: Not a valid object name nope$"):
        repo.reader.tree_files("nope")
    (tmp_path / "new.txt").write_text("untracked")
    assert repo.reader.work_tree_files() == ["new.txt", *head]  # git lists untracked files first
    assert repo.reader.tracked(["new.txt"]) == []


def test_paths_and_config(repo: FakeRepo | RealRepo, tmp_path: Path) -> None:
    assert repo.reader.root == repo.reader.cwd == tmp_path
    assert repo.reader.git_dir() == (tmp_path / ".git").resolve()
    assert repo.reader.config("remote.origin.url") is None
    repo.configure("remote.origin.url", "git@github.com:o/r.git")
    assert repo.reader.config("remote.origin.url") == "git@github.com:o/r.git"


def test_create_tags_all_or_none_dated_at_least_not_before(repo: FakeRepo | RealRepo) -> None:
    ids = _history(repo)
    new = [NewTag("c@v1.0.0", ids["first"], "Registering c"), NewTag("c#prod#1", ids["first"], "Assigning ✓")]
    repo.reader.create_tags(new, not_before=2_000_000_000)
    records, _ = repo.reader.tags(patterns=["refs/tags/c*"])
    assert [(r.name, r.commit, r.timestamp, r.message) for r in records] == [
        ("c#prod#1", ids["first"], 2_000_000_000, "Assigning ✓\n"),
        ("c@v1.0.0", ids["first"], 2_000_000_000, "Registering c\n"),
    ]
    before = repo.reader.tags()
    with pytest.raises(TrailError, match="already exists"):
        repo.reader.create_tags([NewTag("d@v1.0.0", ids["first"], "m"), NewTag("a@v1.0.0", ids["first"], "m")])
    assert repo.reader.tags() == before  # d@v1.0.0 was not created either


def test_fake_answers_every_call_as_real_git_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same history, built twice: every read agrees (ids, bytes, orders), so FakeGit stands in for git."""
    for kind in KINDS:
        (tmp_path / kind).mkdir()
    fake, real = (build(kind, tmp_path / kind, monkeypatch) for kind in KINDS)
    ids = _history(fake)
    assert _history(real) == ids
    merge = [fake.commit({"m.txt": "m"}, "side", parents=[ids["first"]])]
    merge.append(fake.commit({}, "merge", parents=[ids["third"], merge[0]]))
    assert [real.commit({"m.txt": "m"}, "side", parents=[ids["first"]])] == merge[:1]
    assert real.commit({}, "merge", parents=[ids["third"], merge[0]]) == merge[1]
    revs = ["HEAD", "HEAD^2", "HEAD^1~2", "a@v1.0.0", "b@v1.0.0^{}", ids["first"], merge[0][:7]]
    specs = [
        *revs,
        *(f"{r}^{{tree}}" for r in revs),
        *(f"{r}:{p}" for r in revs for p in ("a.txt", "data", "m.txt", "")),
    ]
    calls = [
        ("tags", ()),
        ("tags", (False, ["refs/tags/b@*"])),
        ("read_objects", (specs,)),
        ("read_blobs", (specs,)),
        ("resolve_commits", (revs,)),
        ("commit_infos", ([*ids.values()][:3] + merge,)),
        ("tree_files", ("HEAD",)),
        ("tracked", (["data", "m.txt"],)),
    ]
    for name, args in calls:
        assert getattr(fake.reader, name)(*args) == getattr(real.reader, name)(*args), name
    # linear history: last_changes agrees (through merges git simplifies history; the fake does not)
    for paths in (["a.txt", "data", "données"], ["a0"]):
        assert fake.reader.last_changes(ids["third"], paths) == real.reader.last_changes(ids["third"], paths)
