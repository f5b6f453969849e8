"""Registries for the site tests: the example project with hostile text in it, and a generated one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT, commit_all, trail

HOSTILE_DESC = "<script>document.title='pwned';alert('desc')</script> evil"
HOSTILE_MESSAGE = "<img src=x onerror=\"document.title='pwned';alert('tag')\"> tagged"


def example_registry(repo: Path) -> Path:
    """The example project with two versions of iris-model, one of iris-data, stages, and an artifact whose
    description and tag message carry markup."""
    spec = yaml.safe_load((repo / "dvc.yaml").read_text())
    spec["artifacts"]["scores"] = {"path": "metrics/scores.json", "type": "metrics", "desc": HOSTILE_DESC}
    (repo / "dvc.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    commit_all(repo, "declare scores")
    trail(repo, "register", "iris-data", "--version", "v1.0.0")
    trail(repo, "register", "iris-model", "--version", "v1.0.0")
    trail(repo, "register", "scores", "-m", HOSTILE_MESSAGE)
    trail(repo, "assign", "iris-model@v1.0.0", "prod")
    scores = json.loads((repo / "metrics" / "scores.json").read_text())
    scores = {k: (round(v + 0.01, 4) if isinstance(v, float) else v) for k, v in scores.items()}
    (repo / "metrics" / "scores.json").write_text(json.dumps(scores))
    commit_all(repo, "better metrics")
    trail(repo, "register", "iris-model", "--bump-minor")
    trail(repo, "assign", "iris-model@v1.1.0", "staging", "-m", HOSTILE_MESSAGE)
    return repo


def generated_registry(path: Path) -> Path:
    """A synthetic registry from bench/generate.py: 4 artifacts, 120 tags on 30 commits."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate import generate
    finally:
        sys.path.pop(0)
    return generate(path, 30, 120, 0, 4)


def build(repo: Path, out: Path, *args: str) -> str:
    return trail(repo, "site", "-o", str(out), *args).stdout
