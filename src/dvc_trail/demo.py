"""`trail demo`: a guided tour on a throwaway copy of the example project (never this clone's tags)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from dvc_trail import dvc, git
from dvc_trail.errors import TrailError

_STEP = "\n\033[1m== {} ==\033[0m"


def _say(title: str) -> None:
    print(_STEP.format(title), flush=True)


def _trail(workspace: Path, *args: str) -> None:
    """Run one `trail` command in-process, echoing it as a user would type it."""
    from dvc_trail.cli import _settings, app

    print(f"$ trail {' '.join(args)}", flush=True)
    saved = dict(_settings)
    try:
        code = app(["-C", str(workspace), *args], standalone_mode=False, prog_name="trail")
    finally:
        _settings.update(saved)
    if code:
        raise TrailError(f"demo step `trail {' '.join(args)}` failed (exit {code})")


def _copy_example(source: Path, workspace: Path) -> None:
    origin = git.Git.discover(source)
    if not (origin.root / "dvc.yaml").is_file():
        raise TrailError(f"{origin.root} has no dvc.yaml: run the demo from a dvc-trail clone")
    for rel in git.tracked_files(origin):
        src = origin.root / rel
        if src.is_file() and not rel.startswith((".venv/", ".dvc-storage/")):
            dst = workspace / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _set_param(workspace: Path, key: str, value: int) -> None:
    path = workspace / "params.yaml"
    text, count = re.subn(rf"(?m)^(\s+{key}:\s*)\S+", rf"\g<1>{value}", path.read_text())
    if count != 1:
        raise TrailError(f"demo: cannot find {key} in params.yaml")
    path.write_text(text)


def run_demo(source: Path, workspace: Path | None) -> Path:
    if workspace is None:
        workspace = Path(tempfile.mkdtemp(prefix="trail-demo-"))
    elif workspace.exists() and any(workspace.iterdir()):
        raise TrailError(f"demo workspace {workspace} is not empty")
    workspace.mkdir(parents=True, exist_ok=True)
    workspace = workspace.resolve()
    _say(f"Workspace: a fresh copy of the example project in {workspace}")
    _copy_example(source, workspace)
    repo = git.init_repo(workspace)
    git.commit_all(repo, "Example project: iris pipeline")

    _say("1. Run the pipeline (dvc repro) and commit dvc.lock")
    print("ran stages:", ", ".join(dvc.repro(workspace)) or "none")
    git.commit_all(repo, "Train the first model")

    _say("2. Register the first versions of the data set and the model")
    _trail(workspace, "register", "iris-data", "--version", "v1.0.0")
    _trail(workspace, "register", "iris-model", "--version", "v1.0.0")
    _trail(workspace, "assign", "iris-model@v1.0.0", "prod")

    _say("3. Change a parameter (train.n_estimators 50 -> 120), rerun, register the next version")
    _set_param(workspace, "n_estimators", 120)
    print("ran stages:", ", ".join(dvc.repro(workspace)) or "none")
    git.commit_all(repo, "More trees")
    _trail(workspace, "register", "iris-model", "--bump-minor")

    _say("4. Promote it: the prod stage moves to v1.1.0")
    _trail(workspace, "assign", "iris-model@v1.1.0", "prod")

    _say("5. Share the data: dvc push to the project's local remote (.dvc-storage/)")
    print("objects pushed:", dvc.push(workspace))

    _say("6. Query the registry")
    _trail(workspace, "ls")
    _trail(workspace, "show", "iris-model#prod")
    _trail(workspace, "history", "iris-model")

    _say(f"Done. Explore it: cd {workspace} && trail ls")
    return workspace
