"""Every pipeline of many commits as one stage graph each (through the dvc.lock cache), and `.dvc` file hashes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dvc_trail.dvcfiles import documents
from dvc_trail.git import trees
from dvc_trail.lineage import pipelines
from dvc_trail.store.lock_edges import lock_edges

if TYPE_CHECKING:
    from dvc_trail.dvcfiles.locks import StageLock
    from dvc_trail.git.reader import GitReader


def lockfiles(git: GitReader, commit: str, beside: list[str]) -> list[str]:
    """Every dvc.lock in a commit's tree, plus the given ones (those beside the artifacts' dvc.yaml)."""
    found = trees.find_files(git, [commit], lambda n: n == "dvc.lock")[commit]
    return sorted({*found, *beside})


def commit_stages(
    git: GitReader, commits: list[str], locks: list[str]
) -> tuple[dict[str, dict[str, StageLock]], list[str]]:
    """Each commit's stages from all the given dvc.lock files, in one graph (see `pipelines.merge`)."""
    unique = list(dict.fromkeys(commits))
    edges, warnings = lock_edges(git, [(c, lf) for c in unique for lf in locks])
    return {c: pipelines.merge({lf: edges.get((c, lf)) for lf in locks}) for c in unique}, warnings


def dvcfile_hashes(git: GitReader, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(commit, path) -> the hash PATH.dvc records at that commit (`dvc add`, `dvc import`), where there is one."""
    blobs = git.read_blobs([f"{c}:{p}.dvc" for c, p in wanted])
    found = {}
    for commit, path in wanted:
        raw = blobs.get(f"{commit}:{path}.dvc")
        if raw is not None:
            out = documents.dvcfile_output(documents.load_blob(raw, f"{path}.dvc", commit), f"{path}.dvc")
            if out is not None and out.path == path:
                found[(commit, path)] = out.md5
    return found
