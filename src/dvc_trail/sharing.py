"""Team sharing: publish a version's data then its tags, get it anywhere, verify a remote, check the set-up.

The order is the point: objects first, checked on the remote, and only then one atomic git push, so a
registry tag that reached the git remote always names data that is on the DVC remote.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from dvc_trail import dvc
from dvc_trail.dvc import DataObject, DataRef, MissingManifest, RemoteStore
from dvc_trail.errors import NotFound, TrailError, UsageError, mask_secrets
from dvc_trail.git import Git
from dvc_trail.project import Project
from dvc_trail.registry import ArtifactState, Event, VersionState, parse_ref
from dvc_trail.tags import Action, parse_tag


@dataclass(frozen=True)
class VersionData:
    """A version of an artifact and the data its commit records."""

    name: str
    version: str
    commit: str
    registered: bool
    data: DataRef

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}" if self.registered else f"{self.name} at {self.commit[:7]}"


def version_data(project: Project, artifact: ArtifactState, version: VersionState) -> VersionData:
    snap = project.snapshot(artifact.name, version.commit, with_metrics=False)
    short = version.commit[:7]
    if snap.decl is None:
        raise NotFound(f"{artifact.name} is not declared in {snap.commit[:7]}'s dvc.yaml")
    if snap.output is None:
        raise TrailError(f"no hash for {snap.decl.path} at {short}: neither dvc.lock nor a .dvc file records it")
    data = DataRef(snap.output.md5, snap.output.hash_name, snap.decl.path)
    return VersionData(artifact.name, version.version, version.commit, version.is_registered, data)


def _tag_patterns(name: str) -> list[str]:
    """Every tag of one artifact, as fetch/push globs (`name@...` and `name#...`, GTO's `=` for folders)."""
    prefix = name.replace(":", "=")
    return [f"refs/tags/{prefix}@*", f"refs/tags/{prefix}#*"]


def _names(objects: list[DataObject], limit: int = 5) -> str:
    shown = ", ".join(o.relpath for o in objects[:limit])
    return shown + (f" and {len(objects) - limit} more" if len(objects) > limit else "")


# --- publish -----------------------------------------------------------------------------------


@dataclass
class PublishResult:
    ref: str
    remote: str
    objects: int
    uploaded: int
    git_remote: str
    commit: str
    pushed: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tag: str | None = None  # the tag a write command created (renamed if a stage counter was retaken)

    def to_dict(self) -> dict:
        return asdict(self)


def publish(project: Project, ref: str, remote: str | None = None, git_remote: str = "origin") -> PublishResult:
    """Upload every object of a version, check each is on the DVC remote, then push its tags atomically."""
    artifact, version = project.lookup(ref)
    target = version_data(project, artifact, version)
    project.git.remote_url(git_remote)  # fail before a long upload, not after
    label, objects, uploaded = upload(project, target, remote)
    result = PublishResult(target.ref, label, objects, uploaded, git_remote, target.commit)
    _push_version_tags(project, artifact.name, version.version, git_remote, result)
    return result


def upload(project: Project, target: VersionData, remote: str | None) -> tuple[str, int, int]:
    """Send a version's objects to the DVC remote; a TrailError (saying what to retry) unless all are there."""
    retry = f"no tag was pushed; run `trail publish {target.ref}` again"
    try:
        with dvc.open_remote(project.git.root, remote) as store:
            label = store.label
            report = store.upload(target.data)
    except MissingManifest as err:
        raise TrailError(f"{err} (run `dvc pull` or `dvc repro` at {target.commit[:7]}); {retry}") from None
    except TrailError as err:
        raise TrailError(f"{err}; {retry} when the remote is reachable") from None
    if report.not_cached:
        raise TrailError(
            f"{len(report.not_cached)} object(s) of {target.ref} are neither in the local DVC cache nor on "
            f"DVC remote {label} ({_names(report.not_cached)}): restore them with `dvc pull` or `dvc repro` "
            f"at {target.commit[:7]}; {retry}"
        )
    if report.missing:
        cause = f": {report.error}" if report.error else ""
        raise TrailError(
            f"upload of {target.ref} to DVC remote {label} is incomplete, {len(report.missing)} of "
            f"{len(report.objects)} objects missing{cause}; {retry} to finish it"
        )
    return label, len(report.objects), report.uploaded


def _find(project: Project, name: str, version: str) -> VersionState:
    artifact = project.state.artifact(name)
    for v in artifact.versions:
        if v.version == version and (v.is_registered or v.discovered):
            return v
    raise NotFound(f"{name}@{version} is gone from the registry")


def _push_version_tags(project: Project, name: str, version: str, git_remote: str, result: PublishResult) -> None:
    """One atomic push of the version's tags; a stage tag someone took meanwhile is renumbered once."""
    for attempt in range(2):
        events = _find(project, name, version).events
        push = project.git.push_atomic(git_remote, [f"refs/tags/{e.tag}" for e in events])
        if not push.rejected:
            result.pushed = [r.removeprefix("refs/tags/") for r in push.pushed]
            result.up_to_date = [r.removeprefix("refs/tags/") for r in push.up_to_date]
            return
        taken = {r.removeprefix("refs/tags/") for r, why in push.rejected.items() if why == "already exists"}
        if not taken:
            reasons = "; ".join(f"{r.removeprefix('refs/tags/')}: {why}" for r, why in push.rejected.items())
            raise TrailError(f"git push to {git_remote} was rejected ({reasons}); nothing was pushed")
        mine = {e.tag: e for e in events if e.tag in taken}
        _take_remote_tags(project, name, sorted(taken), git_remote, result)
        lost = [e for e in mine.values() if e.action in (Action.REGISTER, Action.DEREGISTER)]
        if lost and all(_same_on_remote(project, e) for e in lost):
            result.notes.append(f"{git_remote} already had {', '.join(e.tag for e in lost)} at the same commit")
        elif lost:
            _report_lost_registration(project, lost, git_remote)
        if attempt == 1:
            raise TrailError(
                f"git push to {git_remote} was rejected twice: {', '.join(sorted(taken))} already exist there "
                f"(busy registry?); {git_remote}'s tags were fetched, nothing was pushed: run the command again"
            )
        for event in sorted((e for e in mine.values() if e not in lost), key=lambda e: e.order):
            _redo_stage_event(project, event, git_remote, result)


def _take_remote_tags(project: Project, name: str, taken: list[str], git_remote: str, result: PublishResult) -> None:
    """Drop our local tags that lost the race, fetch the artifact's tags from the remote, reload the registry."""
    for tag, oid in project.git.tag_targets(taken).items():
        project.git.delete_tag(tag, oid)
    try:
        project.git.fetch_tags(git_remote, _tag_patterns(name))
    except TrailError as err:
        result.notes.append(f"some local tags of {name} differ from {git_remote}'s and were kept ({err})")
    project.refresh()


def _same_on_remote(project: Project, event: Event) -> bool:
    """Did the other writer register the very same version at the very same commit?"""
    artifact = project.state.artifacts.get(event.artifact)
    found = artifact.find(event.version) if artifact and event.version else None
    return found is not None and found.commit == event.commit


def _report_lost_registration(project: Project, lost: list[Event], git_remote: str) -> None:
    event = lost[0]
    theirs = project.state.artifacts.get(event.artifact)
    other = next((v for v in theirs.versions if v.version == event.version), None) if theirs else None
    where = f" at {other.commit[:7]} by {other.authoring_event.author}" if other and other.events else ""
    raise TrailError(
        f"{event.tag} already exists on {git_remote}{where}: someone registered it first. Your local tag "
        f"(at {event.commit[:7]}) was replaced by {git_remote}'s and nothing was pushed; register your commit "
        f"again with `trail register {event.artifact} --rev {event.commit[:7]} --push`"
    )


def _redo_stage_event(project: Project, event: Event, git_remote: str, result: PublishResult) -> None:
    """Recreate a stage assignment (or unassignment) whose tag was taken, with the next free counter."""
    ref = f"{event.artifact}@{event.version}"
    stage = event.stage or ""
    try:
        if event.action is Action.ASSIGN:
            new = project.assign(ref, stage, message=event.message)
        else:
            new = project.unassign(ref, stage, message=event.message)
    except TrailError as err:  # e.g. the other writer did the same thing: nothing left to do
        result.notes.append(f"{event.tag} was taken on {git_remote}; not redone: {err}")
        return
    result.notes.append(f"{event.tag} was taken on {git_remote} meanwhile: fetched its tags and retried as {new}")
    if result.tag == event.tag:
        result.tag = new


def register_and_publish(
    project: Project, name: str, remote: str | None = None, git_remote: str = "origin", **register: Any
) -> PublishResult:
    """`trail register ... --push`: create the tag, then take the publish path (a failed upload keeps it local)."""
    project.git.remote_url(git_remote)
    tag = project.register(name, **register)
    parsed = parse_tag(tag)
    result = publish(project, f"{name}@{parsed.version if parsed else ''}", remote, git_remote)
    result.tag = tag
    return result


def assign_and_publish(
    project: Project,
    ref: str,
    stage: str,
    message: str | None = None,
    remote: str | None = None,
    git_remote: str = "origin",
) -> PublishResult:
    """`trail assign ... --push`: a stage tag whose `#N` someone took meanwhile is renumbered and pushed again."""
    project.git.remote_url(git_remote)
    tag = project.assign(ref, stage, message=message)
    artifact, version = project.lookup(ref)
    target = version_data(project, artifact, version)
    label, objects, uploaded = upload(project, target, remote)
    result = PublishResult(target.ref, label, objects, uploaded, git_remote, target.commit, tag=tag)
    _push_version_tags(project, artifact.name, version.version, git_remote, result)
    return result


# --- resolve and get, from a repository given by path or URL ------------------------------------


@dataclass(frozen=True)
class Resolved:
    """Where a reference points: the version, its commit and the data address that commit records."""

    name: str
    version: str
    commit: str
    stages: list[str]
    path: str
    md5: str
    hash_name: str
    repo: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Registry:
    project: Project
    kind: str  # "worktree", "bare" or "copy" (a blob-less fetch of a remote URL)
    location: str


@contextlib.contextmanager
def open_registry(repo: str | os.PathLike | None, name: str) -> Iterator[Registry]:
    """A repository's registry by path (work tree or bare) or URL (fetched blob-less, depth 1, one artifact's tags)."""
    location = os.fspath(repo) if repo is not None else "."
    kind = Git.repo_kind(Path(location)) if os.path.exists(location) else None
    if kind == "worktree":
        yield Registry(Project.open(location), kind, location)
        return
    if kind == "bare":
        yield Registry(Project(Git(Path(location).resolve())), kind, location)
        return
    if os.path.exists(location):
        raise TrailError(f"not a git repository: {location}")
    with tempfile.TemporaryDirectory(prefix="trail-registry-") as tmp:
        git = Git.fetch_registry_copy(location, Path(tmp) / "registry.git", _tag_patterns(name))
        project = Project(git)
        if name not in project.state.artifacts:
            raise NotFound(f"artifact {name!r} has no registry tags in {location}")
        yield Registry(project, "copy", location)


def _resolve_in(registry: Registry, ref: str) -> tuple[Resolved, VersionData]:
    artifact, version = registry.project.lookup(ref)
    target = version_data(registry.project, artifact, version)
    resolved = Resolved(
        artifact.name,
        version.version,
        version.commit,
        artifact.stages_of(version),
        target.data.path,
        target.data.md5,
        target.data.hash_name,
        registry.location,
    )
    return resolved, target


def resolve(ref: str, repo: str | os.PathLike | None = None) -> Resolved:
    """What `NAME`, `NAME@vX.Y.Z` or `NAME#STAGE` points at in a repository (never imports DVC)."""
    with open_registry(repo, parse_ref(ref).name) as registry:
        return _resolve_in(registry, ref)[0]


def _remote_for(registry: Registry, commit: str, scratch: Path, remote: str | None) -> RemoteStore:
    """A work tree's own DVC config (config.local included, as DVC does); else the commit's `.dvc/config`."""
    if registry.kind == "worktree":
        return dvc.open_remote_from_config(registry.project.git.root / ".dvc", remote)
    blob = registry.project.git.read_blobs([f"{commit}:.dvc/config"])[f"{commit}:.dvc/config"]
    if blob is None:
        raise TrailError(f"{registry.location} has no .dvc/config at {commit[:7]}: not a DVC project")
    (scratch / ".dvc").mkdir()
    (scratch / ".dvc" / "config").write_bytes(blob)
    store = dvc.open_remote_from_config(scratch / ".dvc", remote)
    if store.url.startswith(str(scratch)):
        raise TrailError(
            f"the DVC remote {store.name!r} of {registry.location} is a folder relative to a work tree; "
            "get from a clone's path (--repo PATH) or give the project a shared remote (S3 ...)"
        )
    return store


@dataclass(frozen=True)
class GetResult:
    resolved: Resolved
    out: Path
    files: int


def get(
    ref: str,
    repo: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
    remote: str | None = None,
) -> GetResult:
    """Download a version's data from its repository's DVC remote into `out`, every hash checked."""
    with open_registry(repo, parse_ref(ref).name) as registry, tempfile.TemporaryDirectory() as scratch:
        resolved, target = _resolve_in(registry, ref)
        store = _remote_for(registry, resolved.commit, Path(scratch), remote)
        dest = _destination(resolved.path, out)
        if (dest.exists() or dest.is_symlink()) and not force:
            raise TrailError(f"{dest} already exists (use --force to replace it)")
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".trail-get-", dir=dest.parent))
        try:
            staged = staging / dest.name
            files = store.download(target.data, staged)
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)
            elif dest.exists() or dest.is_symlink():
                dest.unlink()
            os.replace(staged, dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return GetResult(resolved, dest, files)


def _destination(path: str, out: str | os.PathLike | None) -> Path:
    """`-o PATH` as `dvc artifacts get` reads it: an existing folder receives the artifact under its own name."""
    base = PurePosixPath(path).name
    if out is None:
        return Path(base)
    target = Path(out)
    return target / base if target.is_dir() else target


@contextlib.contextmanager
def open_file(
    ref: str, repo: str | os.PathLike | None = None, mode: str = "rb", remote: str | None = None
) -> Iterator[IO[Any]]:
    """A file artifact opened for reading, downloaded (hash checked) into a temporary folder removed afterwards."""
    if mode not in ("r", "rb", "rt"):
        raise UsageError(f"mode must be 'r' or 'rb', not {mode!r}")
    with tempfile.TemporaryDirectory(prefix="trail-open-") as tmp:
        result = get(ref, repo, Path(tmp) / "artifact", remote=remote)
        if result.out.is_dir():
            raise TrailError(f"{ref} is a directory ({result.resolved.path}): use get() instead of open()")
        with open(result.out, mode) as fobj:
            yield fobj


# --- verify ------------------------------------------------------------------------------------


@dataclass
class VersionCheck:
    ref: str
    path: str
    md5: str
    objects: int = 0
    missing: list[dict] = field(default_factory=list)
    corrupt: list[dict] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupt or self.error)


def _as_dicts(objects: list[DataObject]) -> list[dict]:
    return [{"path": o.relpath, "oid": o.oid} for o in objects]


def verify(
    project: Project, ref: str | None = None, all_versions: bool = False, deep: bool = False, remote: str | None = None
) -> dict:
    """Is every object of a version (or of every active version) on the DVC remote, and with `deep`, intact?"""
    if (ref is None) == (not all_versions):
        raise UsageError("give a REF or --all (not both)")
    if ref is not None:
        targets = [project.lookup(ref)]
    else:
        targets = [(a, v) for a in project.state.artifacts.values() for v in a.active_versions(True)]
    checks: list[tuple[VersionCheck, VersionData | None, list[DataObject]]] = []
    with dvc.open_remote(project.git.root, remote) as store:
        for artifact, version in targets:
            try:
                target = version_data(project, artifact, version)
            except TrailError as err:
                name = f"{artifact.name}@{version.version}"
                checks.append((VersionCheck(name, "", "", error=str(err)), None, []))
                continue
            check = VersionCheck(target.ref, target.data.path, target.data.md5)
            try:
                objects = store.objects(target.data)
            except MissingManifest:
                objects = []
                check.missing = _as_dicts([DataObject(target.data.md5, f"{target.data.path}/ (directory manifest)")])
            check.objects = len(objects) or 1
            checks.append((check, target, objects))
        for hash_name in sorted({t.data.hash_name for _, t, _ in checks if t}):
            wanted = [o for _, t, objs in checks if t and t.data.hash_name == hash_name for o in objs]
            absent = {o.oid for o in store.missing(wanted, hash_name)}
            bad: set[str] = set()
            if deep:
                present = list({o.oid: o for o in wanted if o.oid not in absent}.values())
                with tempfile.TemporaryDirectory(prefix="trail-verify-") as scratch:
                    bad = {o.oid for o in store.corrupt(present, hash_name, Path(scratch))}
            for check, t, objs in checks:
                if t and t.data.hash_name == hash_name:
                    check.missing += _as_dicts([o for o in objs if o.oid in absent])
                    check.corrupt += _as_dicts([o for o in objs if o.oid in bad])
        label = store.label
    versions = [{**asdict(c), "ok": c.ok} for c, _, _ in checks]
    return {"remote": label, "deep": deep, "ok": all(c.ok for c, _, _ in checks), "versions": versions}


# --- doctor ------------------------------------------------------------------------------------

_SECRET_CONFIG_KEYS = {
    "access_key_id",
    "secret_access_key",
    "session_token",
    "password",
    "ask_password",
    "account_key",
    "sas_token",
    "connection_string",
    "client_secret",
    "gdrive_client_secret",
    "key_passphrase",
    "passphrase",
}
_CONFIG_LINE = re.compile(r"^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$")
_SECTION = re.compile(r"^\s*\[+\s*'?([^\]']*)'?\s*\]+\s*$")


def secrets_in_config(text: str) -> list[str]:
    """`section.key` of every credential written in a DVC config text (names only, never values)."""
    found, section = [], ""
    for line in text.splitlines():
        if match := _SECTION.match(line):
            section = match[1].strip()
        elif (match := _CONFIG_LINE.match(line)) and match[1].lower() in _SECRET_CONFIG_KEYS:
            if match[1].lower() != "ask_password":
                found.append(f"{section}.{match[1]}")
        elif match and match[1].lower() == "url" and re.search(r"://[^/@\s]*:[^/@\s]+@", match[2]):
            found.append(f"{section}.url (password in the URL)")
    return found


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str | None = None

    def to_dict(self) -> dict:
        return {"check": self.name, "ok": self.ok, "detail": mask_secrets(self.detail), "fix": self.fix}


def doctor(path: str | os.PathLike, remote: str | None = None, git_remote: str = "origin") -> list[Check]:
    """Check git, DVC, the remotes, where credentials live and the registry tags; say how to fix each problem."""
    checks: list[Check] = []
    try:
        project = Project.open(os.fspath(path))
        checks.append(Check("git", True, f"git {Git.version()}, repository {project.git.root}"))
    except TrailError as err:
        return [Check("git", False, str(err), "install git and run trail inside a git repository (`git init`)")]
    who = project.git.identity()
    fix = "git config user.name NAME && git config user.email EMAIL"
    checks.append(Check("git identity", who is not None, who or "git does not know who you are", fix))
    try:
        url = project.git.remote_url(git_remote)
        checks.append(Check("git remote", True, f"{git_remote} -> {url}"))
    except TrailError as err:
        checks.append(Check("git remote", False, str(err), f"git remote add {git_remote} URL (publish pushes there)"))
    root = project.git.root
    if not (root / ".dvc").is_dir():
        checks.append(Check("dvc", False, f"{root} has no .dvc folder", "dvc init && git commit -m 'dvc init'"))
        return checks
    checks.append(Check("dvc", True, f"dvc {dvc.dvc_version()}, project {root}"))
    checks.append(_remote_check(root, remote))
    checks.append(_credentials_check(project))
    checks.append(_tags_check(project))
    return checks


def _remote_check(root: Path, remote: str | None) -> Check:
    try:
        with dvc.open_remote(root, remote) as store:
            return Check("dvc remote", True, f"{store.label}: {store.probe()}")
    except TrailError as err:
        fix = (
            "`dvc remote add -d NAME URL` if none is set; for S3 check the bucket, the endpoint "
            "(`dvc remote modify --local NAME endpointurl URL`) and credentials (AWS_* environment variables, "
            "an AWS profile, or `dvc remote modify --local NAME access_key_id ...`)"
        )
        return Check("dvc remote", False, str(err), fix)


def _credentials_check(project: Project) -> Check:
    git = project.git
    problems = []
    tracked = git.tracked([".dvc/config", ".dvc/config.local"])
    if ".dvc/config.local" in tracked:
        problems.append(".dvc/config.local is tracked by git")
    config = git.root / ".dvc" / "config"
    if ".dvc/config" in tracked and config.is_file():
        problems += [f".dvc/config: {key}" for key in secrets_in_config(config.read_text(errors="replace"))]
    head = git.read_blobs(["HEAD:.dvc/config"]).get("HEAD:.dvc/config")
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
