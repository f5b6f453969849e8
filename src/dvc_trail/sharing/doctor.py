"""`trail doctor`: check git, DVC, the remotes, where credentials live and the registry tags; say how to fix each."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dvc_trail.dvc import adapter
from dvc_trail.errors import TrailError
from dvc_trail.git.repository import Git
from dvc_trail.project import Project
from dvc_trail.registry.tags import parse_tag
from dvc_trail.secrets import mask_secrets, secrets_in_config
from dvc_trail.store.worktree import read_workspace_file


@dataclass(frozen=True)
class Check:
    """One check of the set-up: its verdict, what was found, and the command that fixes it."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None

    def to_dict(self) -> dict:
        """The check as plain JSON data, secrets masked."""
        return {"check": self.name, "ok": self.ok, "detail": mask_secrets(self.detail), "fix": self.fix}


def doctor(path: str | os.PathLike, remote: str | None = None, git_remote: str = "origin") -> list[Check]:
    """Every check of the set-up, in order; a failed one carries its fix."""
    checks: list[Check] = []
    try:
        repo = Git.discover(os.fspath(path))  # the adapter itself: identity and remotes are beyond a GitReader
        project = Project(repo)
        checks.append(Check("git", True, f"git {Git.version()}, repository {repo.root}"))
    except TrailError as err:
        return [Check("git", False, str(err), "install git and run trail inside a git repository (`git init`)")]
    who = repo.identity()
    fix = "git config user.name NAME && git config user.email EMAIL"
    checks.append(Check("git identity", who is not None, who or "git does not know who you are", fix))
    try:
        url = repo.remote_url(git_remote)
        checks.append(Check("git remote", True, f"{git_remote} -> {url}"))
    except TrailError as err:
        checks.append(Check("git remote", False, str(err), f"git remote add {git_remote} URL (publish pushes there)"))
    root = project.git.root
    if not (root / ".dvc").is_dir():
        checks.append(Check("dvc", False, f"{root} has no .dvc folder", "dvc init && git commit -m 'dvc init'"))
        return checks
    checks.append(Check("dvc", True, f"dvc {adapter.dvc_version()}, project {root}"))
    checks.append(_remote_check(root, remote))
    checks.append(_credentials_check(project))
    checks.append(_tags_check(project))
    return checks


def _remote_check(root: Path, remote: str | None) -> Check:
    try:
        with adapter.open_remote(root, remote) as store:
            return Check("dvc remote", True, f"{store.label}: {store.probe()}")
    except TrailError as err:
        fix = (
            "`dvc remote add -d NAME URL` if none is set; for S3 check the bucket, the endpoint "
            "(`dvc remote modify --local NAME endpointurl URL`) and credentials (AWS_* environment variables, "
            "an AWS profile, or `dvc remote modify --local NAME access_key_id ...`)"
        )
        return Check("dvc remote", False, str(err), fix)


def _credentials_check(project: Project) -> Check:
    repo = project.git
    problems = []
    tracked = repo.tracked([".dvc/config", ".dvc/config.local"])
    if ".dvc/config.local" in tracked:
        problems.append(".dvc/config.local is tracked by git")
    try:
        config = read_workspace_file(repo.root, ".dvc/config", dvc_config=True) if ".dvc/config" in tracked else None
    except TrailError as err:  # a link out of the repository: never read, and named
        config, problems = None, [*problems, str(err)]
    if config is not None:
        problems += [f".dvc/config: {key}" for key in secrets_in_config(config.decode(errors="replace"))]
    head = repo.read_blobs(["HEAD:.dvc/config"]).get("HEAD:.dvc/config")
    if head is not None:
        problems += [f"HEAD:.dvc/config: {key}" for key in secrets_in_config(head.decode(errors="replace"))]
    if problems:
        fix = (
            "move credentials to .dvc/config.local (`dvc remote modify --local NAME KEY VALUE`), the environment "
            "or an AWS profile; remove them from .dvc/config, `git rm --cached .dvc/config.local`, commit, and "
            "rotate any key that was ever committed"
        )
        return Check("credentials", False, "credentials in tracked config: " + "; ".join(problems), fix)
    return Check("credentials", True, "none in tracked config (.dvc/config.local, environment or AWS profiles)")


def _tags_check(project: Project) -> Check:
    records, names = project.git.tags()
    annotated = {r.name for r in records}
    registry = [n for n in names if parse_tag(n)]
    lightweight = [n for n in registry if n not in annotated]
    malformed = [n for n in names if not parse_tag(n) and ("@" in n or "#" in n)]
    problems = []
    if lightweight:
        problems.append(f"{len(lightweight)} lightweight (gto and trail read annotated tags only): {lightweight[:5]}")
    if malformed:
        problems.append(f"{len(malformed)} look like registry tags but are not in GTO's format: {malformed[:5]}")
    if problems:
        fix = (
            "recreate them with `trail register`/`trail assign` (or `git tag -a`), then delete the bad ones "
            "with `git tag -d TAG` and `git push origin :refs/tags/TAG`"
        )
        return Check("registry tags", False, "; ".join(problems), fix)
    return Check("registry tags", True, f"{len(registry)} registry tags, all in GTO's format")
