"""The pure pieces behind wdir/nested pipelines, hash prefixes and the DVC cache reader (no subprocess)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from dvc_trail.dvcfiles import documents
from dvc_trail.dvcfiles.locks import FileHash, StageLock, fast_edges, parse_lock
from dvc_trail.errors import TrailError, UsageError
from dvc_trail.lineage import pipelines
from dvc_trail.store.dvc_cache import LocalCache, cache_dir

FULL = "1a2b3c4d" + "0" * 24


def test_hash_prefix_validation() -> None:
    assert pipelines.hash_prefix("1A2B3C4") == "1a2b3c4"
    assert pipelines.hash_prefix(FULL + ".dir") == FULL
    for bad in ("zz;x", "1a2b3c", "", FULL + "0", "1a2b3c4d/../x", " .dir"):
        with pytest.raises(UsageError):
            pipelines.hash_prefix(bad)


def test_match_hash_unique_ambiguous_and_absent() -> None:
    known = {FULL, "1a2b3c4e" + "0" * 24 + ".dir", "ffffffff" + "0" * 24}
    assert pipelines.match_hash("1A2B3C4D", known) == FULL
    assert pipelines.match_hash("1a2b3c4e.dir", known) == "1a2b3c4e" + "0" * 24 + ".dir"
    assert pipelines.match_hash("abcdef0", known) is None
    with pytest.raises(UsageError, match="ambiguous.*1a2b3c4d.*1a2b3c4e"):
        pipelines.match_hash("1a2b3c4", known)


def test_merge_names_stages_from_the_artifacts_own_pipeline() -> None:
    def stage(name: str, lockfile: str) -> StageLock:
        return StageLock(name, lockfile, (), (FileHash(f"{lockfile}-{name}", None),))

    merged = pipelines.merge(
        {"dvc.lock": {"train": stage("train", "dvc.lock")}, "sub/dvc.lock": {"prep": stage("prep", "sub/dvc.lock")}},
        home="sub/dvc.lock",
    )
    assert list(merged) == ["prep", "dvc.yaml:train"]
    assert list(pipelines.merge({"a/dvc.lock": {"x": stage("x", "a/dvc.lock")}, "dvc.lock": None})) == ["a/dvc.yaml:x"]


def test_wdir_stages_resolve_paths_from_their_folder() -> None:
    doc = {
        "stages": {
            "train": {"wdir": "sub", "cmd": "x", "metrics": [{"m.json": {"cache": False}}]},
            "each": {"foreach": [1, 2], "do": {"wdir": "../other", "cmd": "y"}},
            "plain": {"wdir": ".", "cmd": "z"},
        },
        "metrics": ["top.json"],
    }
    assert documents.stage_wdirs(doc, "pipe/dvc.yaml", "w") == {"train": "pipe/sub", "each": "other"}
    assert documents.metric_paths(doc, "pipe/dvc.yaml") == ["pipe/top.json", "pipe/sub/m.json"]
    lock = (
        "schema: '2.0'\nstages:\n  train:\n    cmd: x\n    outs:\n    - path: ../models/m.pkl\n"
        f"      hash: md5\n      md5: {FULL}\n  each@1:\n    cmd: y\n    outs:\n    - path: out.csv\n"
        f"      hash: md5\n      md5: {FULL}\n"
    )
    wdirs = documents.stage_wdirs(doc, "pipe/dvc.yaml", "w")
    fast = fast_edges(lock, "pipe/dvc.lock", "w", wdirs)
    assert [o.path for s in fast.values() for o in s.outs] == ["pipe/models/m.pkl", "other/out.csv"]
    import yaml

    slow = parse_lock(yaml.safe_load(lock), "pipe/dvc.lock", "w", wdirs)
    assert [o.path for s in slow.values() for o in s.outs] == ["pipe/models/m.pkl", "other/out.csv"]
    without = fast_edges(lock, "pipe/dvc.lock", "w")  # what reading relative to the dvc.yaml folder gets wrong
    assert [o.path for s in without.values() for o in s.outs] == ["models/m.pkl", "pipe/out.csv"]


def _store(cache: Path, data: bytes, suffix: str = "") -> str:
    md5 = hashlib.md5(data).hexdigest() + suffix
    obj = cache / "files" / "md5" / md5[:2] / md5[2:]
    obj.parent.mkdir(parents=True, exist_ok=True)
    obj.write_bytes(data)
    return md5


def test_local_cache_reads_files_inside_cached_folders(tmp_path: Path) -> None:
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text("[cache]\n    dir = ../elsewhere\n")
    assert cache_dir(tmp_path) == tmp_path / ".dvc" / "../elsewhere"
    (tmp_path / ".dvc" / "config").write_text("[core]\n    remote = x\n")
    cache = LocalCache(tmp_path)
    assert cache.dir == tmp_path / ".dvc" / "cache"
    metrics = _store(cache.dir, b'{"acc": 0.9}')
    manifest = _store(cache.dir, json.dumps([{"md5": metrics, "relpath": "metrics.json"}]).encode(), ".dir")
    assert cache.lookup("eval", manifest, "eval/metrics.json").data == b'{"acc": 0.9}'
    assert cache.lookup("eval", manifest, "eval/other.json").data is None
    assert cache.lookup("eval/metrics.json", metrics, "eval/metrics.json").data == b'{"acc": 0.9}'
    absent = "f" * 32
    assert cache.lookup("eval", absent + ".dir", "eval/metrics.json").missing == absent + ".dir"
    with pytest.raises(TrailError, match="malformed DVC hash"):
        cache.lookup("eval", "../../etc/passwd", "eval/x")
    (cache.dir / "files" / "md5" / metrics[:2] / metrics[2:]).write_bytes(b"tampered")
    with pytest.raises(TrailError, match="corrupt"):
        cache.read(metrics)
