"""Smoke tests for bench/: the generator, the quick benchmark, and trail vs gto on generated registries."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
BIN = Path(sys.executable).parent
_spec = importlib.util.spec_from_file_location("bench_generate", BENCH / "generate.py")
assert _spec and _spec.loader
generate_mod = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate_mod)


def out(args: list[str], cwd: Path) -> str:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_generate_is_deterministic_and_gto_shaped(tmp_path: Path) -> None:
    one = generate_mod.generate(tmp_path / "one", 20, 60, 7, 3)
    two = generate_mod.generate(tmp_path / "two", 20, 60, 7, 3)
    fmt = "--format=%(refname:strip=2) %(objecttype) %(*objectname) %(taggerdate:unix)"
    refs = out(["git", "for-each-ref", fmt, "refs/tags"], one)
    assert refs == out(["git", "for-each-ref", fmt, "refs/tags"], two)
    rows = [line.split() for line in refs.splitlines()]
    assert len(rows) == 60 and {r[1] for r in rows} == {"tag"}
    assert len({r[3] for r in rows}) == 60, "tagger dates must be distinct"
    assert out(["git", "rev-list", "--count", "HEAD"], one).strip() == "20"
    assert "artifacts:" in (one / "dvc.yaml").read_text() and (one / ".dvc" / "config").exists()
    for kind in ("@v", "#dev#", "#staging#", "#prod#", "!#", "@deprecated"):
        assert any(kind in r[0] for r in rows), f"no {kind} tag"
    assert any(r[0].endswith("!") for r in rows), "no deregistration tag"


def test_bench_registry_quick_runs() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench_registry.py"), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "trail ls --json" in proc.stdout and "MATCH" in proc.stdout


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("bench_diff.py", "trail diff HEAD~1 HEAD --json"),
        ("bench_lineage.py", "trail impact src/prepare.py"),
        ("bench_get.py", "dvc artifacts get"),
        ("bench_metrics.py", "in the DVC cache"),
    ],
)
def test_other_benchmarks_quick_runs(script: str, expected: str) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / script), "--quick"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert expected in proc.stdout


def test_the_comparison_with_another_revision_quick_runs() -> None:
    args = [sys.executable, str(BENCH / "vs_revision.py"), str(BIN / "trail"), "--quick"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "trail impact src/prepare.py --json (first run)" in proc.stdout


@pytest.mark.parametrize("seed", [0, 1])
def test_trail_ls_and_history_equal_gto(tmp_path: Path, seed: int) -> None:
    repo = generate_mod.generate(tmp_path / "repo", 20, 60, seed, 3)
    pairs = [(["ls", "--json"], ["show", "--json"]), (["ls", "--json", "--all"], ["show", "--json", "-d"])]
    pairs += [(["history", name, "--json"], ["history", name, "--json"]) for name in ("model-00", "model-02")]
    for ours, theirs in pairs:
        trail = json.loads(out([str(BIN / "trail"), *ours], repo))
        assert trail == json.loads(out([str(BIN / "gto"), *theirs], repo)), f"trail {ours} != gto {theirs}"
