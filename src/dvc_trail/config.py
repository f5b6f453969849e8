"""`trail.yaml`: repository defaults for CI gates and metric directions, declared once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dvc_trail.dvcfiles.documents import load_yaml
from dvc_trail.errors import TrailError

CONFIG_FILE = "trail.yaml"


@dataclass(frozen=True)
class TrailConfig:
    """`gates`: rules checked by `trail diff` and `trail report` when no `--fail-on` is given.
    `directions`: metric -> `higher` or `lower` (which way is better), overriding the name heuristic."""

    gates: list[str] = field(default_factory=list)
    directions: dict[str, str] = field(default_factory=dict)


def load_config(root: Path) -> TrailConfig:
    """The work tree's trail.yaml (no file: no gates, default directions), read as any work-tree file."""
    from dvc_trail.store.worktree import read_workspace_file

    return parse_config(read_workspace_file(root, CONFIG_FILE), CONFIG_FILE)


def parse_config(raw: bytes | None, where: str) -> TrailConfig:
    """A TrailConfig from trail.yaml's bytes (None: the defaults); a malformed file is a TrailError."""
    if raw is None:
        return TrailConfig()
    doc = load_yaml(raw, where) or {}
    if not isinstance(doc, dict):
        raise TrailError(f"malformed {where}: expected a mapping")
    gates, directions = doc.get("gates") or [], doc.get("directions") or {}
    if not isinstance(gates, list) or not isinstance(directions, dict):
        raise TrailError(f"malformed {where}: expected `gates:` (a list) and `directions:` (a mapping)")
    for metric, direction in directions.items():
        if str(direction).lower() not in ("higher", "lower", "max", "min"):
            raise TrailError(f"malformed {where}: direction of {metric!r} must be higher or lower")
    return TrailConfig([str(g) for g in gates], {str(k): str(v) for k, v in directions.items()})
