"""A git repository seen as a registry: the git adapter feeding the pure core, reads and tag writes."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from dvc_trail.errors import NotFound, TrailError, UsageError
from dvc_trail.git.repository import Git, NewTag, StartedTags
from dvc_trail.registry import gto_json, tags, versions
from dvc_trail.registry.references import lookup, parse_ref, require_version_ref
from dvc_trail.registry.state import ArtifactState, Event, RegistryState, VersionState, build_state
from dvc_trail.registry.tags import Action

if TYPE_CHECKING:
    from dvc_trail.dvcfiles.documents import ArtifactDecl, Output
    from dvc_trail.git.reader import GitWriter
    from dvc_trail.store.revisions import Unreadable


class Snapshot(NamedTuple):
    """What a commit says about one artifact: its declaration, its hash, metrics and params."""

    commit: str
    decl: ArtifactDecl | None
    output: Output | None
    metrics: dict[str, dict[str, Any]]
    params: dict[str, dict[str, Any]]
    unreadable: list[Unreadable]


class Project:
    """Registry queries and writes on one repository. Reads never check out and never import DVC."""

    def __init__(
        self, git: GitWriter, details: bool = True, started: StartedTags | None = None, config_rev: str | None = None
    ) -> None:
        """`details=False`: events carry no tagger or message (for ls and impact, which never show them).

        `started`: the tags of this repository, already being read (see `git.repository.start_tags`).
        `config_rev`: read `.gto` at this revision, not in the work tree (a copy of a remote registry has none).
        """
        self.git: GitWriter = git  # `git.repository.Git`, or in tests `git.fake.FakeGit`
        self.details = details
        self.tag_names: set[str] = set()
        self.started = started
        self.config_rev = config_rev

    @classmethod
    def open(cls, path: Path | str = ".", details: bool = True, started: StartedTags | None = None) -> Project:
        """The registry of the repository containing PATH."""
        return cls(Git.discover(path), details, started if started and started.path == Path(path) else None)

    @cached_property
    def state(self) -> RegistryState:
        """The registry state from every tag (read once, with one for-each-ref)."""
        started, self.started = self.started, None
        records, names = self.git.tags(self.details, started=started)
        self.tag_names = set(names)
        return build_state(records, names)

    def artifact_state(self, name: str) -> ArtifactState:
        """One artifact's versions and events, from its own tags only (one narrow for-each-ref)."""
        if "state" not in self.__dict__:
            prefix = tags.validate_name(name).replace(":", "=")
            records, names = self.git.tags(self.details, [f"refs/tags/{prefix}@*", f"refs/tags/{prefix}#*"])
            found = build_state(records, names).artifacts.get(name)
            if found is not None:
                return found
        return self.state.artifact(name)  # the full registry: its error names the known artifacts

    def refresh(self) -> None:
        """Forget the cached registry state: tags changed underneath (a fetch, a deleted tag)."""
        self.__dict__.pop("state", None)

    # --- reads -------------------------------------------------------------------------------

    def ls(self, include_deprecated: bool = False) -> dict[str, dict]:
        """The registry as `gto show --json` prints it."""
        return gto_json.listing(self.state, self.allowed_stages(), include_deprecated)

    def versions(self, name: str, include_inactive: bool = False) -> list[dict[str, Any]]:
        """Every version of one artifact as `gto show NAME --json` prints it (`--deprecated`: inactive too)."""
        from dvc_trail.git import trees

        artifact = self.artifact_state(name)
        found = trees.commits(self.git, [v.commit for v in artifact.versions])
        return gto_json.version_list(artifact, found, include_inactive)

    def allowed_stages(self) -> list[str] | None:
        """The `stages:` list of the work tree's `.gto` config (gto's own file), or None when it sets none."""
        if self.config_rev is not None:
            raw = self.git.read_blobs([f"{self.config_rev}:.gto"])[f"{self.config_rev}:.gto"]
            return self._stages(raw)
        folder = self.git.cwd.resolve()
        while not (folder / ".git").exists() and folder.parent != folder:
            folder = folder.parent  # the top of the work tree, found without starting git
        from dvc_trail.store.worktree import read_workspace_file  # here: `trail ls` without a .gto reads nothing more

        return self._stages(read_workspace_file(folder, ".gto"))

    @staticmethod
    def _stages(raw: bytes | None) -> list[str] | None:
        if raw is None:
            return None
        from dvc_trail.dvcfiles.documents import load_yaml

        doc = load_yaml(raw, ".gto")
        stages = doc.get("stages") if isinstance(doc, dict) else None
        if stages is not None and not (isinstance(stages, list) and all(isinstance(s, str) for s in stages)):
            raise TrailError("malformed .gto: `stages` must be a list of names")
        return stages

    def lookup(self, ref: str) -> tuple[ArtifactState, VersionState]:
        """The artifact and the version a reference (`NAME`, `NAME@vX.Y.Z`, `NAME#STAGE`) points at now."""
        parsed = parse_ref(ref)
        return self.state.artifact(parsed.name), lookup(self.state, parsed)

    def history(self, name: str | None = None, ascending: bool = False) -> list[dict]:
        """Registry events, newest first, in `gto history --json`'s shape."""
        if name is not None:
            self.state.artifact(tags.validate_name(name))
        events = [e for a in self.state.artifacts.values() if name in (None, a.name) for e in a.events]
        priority = gto_json.PRIORITY
        events.sort(key=lambda e: (e.timestamp, priority[e.action], e.seq), reverse=not ascending)  # = created_at
        return gto_json.history(events)

    def check_ref(self, ref: str) -> Event | None:
        """The registry event a pushed tag created, or None for a tag outside the registry."""
        name = ref.removeprefix("refs/tags/")
        parsed = tags.parse_tag(name)
        if parsed is None or parsed.name not in self.state.artifacts:
            return None
        return next((e for e in self.state.artifacts[parsed.name].events if e.tag == name), None)

    def snapshot(
        self, name: str, commit: str, with_metrics: bool = True, fetch: bool = False, label: str | None = None
    ) -> Snapshot:
        """Declaration, output hash, metrics and params of an artifact at a commit (a few batched git reads).

        The hash comes from whichever stage outputs the artifact's path (any dvc.yaml, with its `wdir`), else
        from a `.dvc` file; metrics and params from the one reader (git objects, else the local DVC cache).
        """
        from dvc_trail.dvcfiles import documents  # here, not at the top: `trail ls` never parses YAML
        from dvc_trail.shorthand import at, short
        from dvc_trail.store.revisions import Revision, RevisionReader

        reader = RevisionReader(self.git)
        revision = Revision(label or short(commit), commit)
        (data,) = reader.read([revision], params=False, fetch=fetch, metrics=with_metrics)
        decl = data.artifacts().get(name)
        output = data.outputs().get(decl.path) if decl is not None else None
        lockfile = output.source if output and output.source.endswith("dvc.lock") else None
        lockfile = lockfile or documents.lock_beside(documents.dvcfile_for(name))
        params = documents.lock_params(data.locks.get(lockfile), at(lockfile, commit))
        metrics, unreadable = data.artifact_metrics(name)
        return Snapshot(commit, decl, output, metrics, params, unreadable)

    def show(self, ref: str) -> dict:
        """Everything about one version: registration, stages, path, hash, metadata, metrics, params."""
        return self.version_info(ref)[0]

    def version_info(self, ref: str, fetch: bool = False) -> tuple[dict, list[Unreadable]]:
        """`show`'s answer, and the declared metrics files that could not be read (not in the local DVC cache)."""
        artifact, version = self.lookup(ref)
        snap = self.snapshot(artifact.name, version.commit, fetch=fetch, label=f"{artifact.name}@{version.version}")
        commit = self.git.commit_infos([version.commit]).get(version.commit)
        subject = commit.subject if commit else None
        stages = artifact.stages_of(version)
        info = versions.version_record(
            artifact, version, stages, subject, snap.decl, snap.output, snap.metrics, snap.params
        )
        return info, snap.unreadable

    # --- writes ------------------------------------------------------------------------------

    def register(
        self,
        name: str,
        version: str | None = None,
        bump: str | None = None,
        rev: str = "HEAD",
        message: str | None = None,
    ) -> str:
        """Tag a new version of a declared artifact whose hash is committed; returns the tag."""
        from dvc_trail.dvcfiles import documents  # here, not at the top: `trail ls` never parses YAML

        tags.validate_name(name)
        if version and bump:
            raise UsageError("give either --version or a --bump option, not both")
        if version:
            tags.validate_version(version)
        self._require_dvc()
        commit = self.git.resolve_commit(rev)
        snap = self.snapshot(name, commit, with_metrics=False)
        dvcfile = documents.dvcfile_for(name)
        if snap.decl is None:
            raise NotFound(f"artifact {name!r} is not declared in the `artifacts:` section of {dvcfile} at {rev}")
        if snap.output is None:
            raise TrailError(
                f"no hash for {snap.decl.path} at {rev}: neither dvc.lock nor {snap.decl.path}.dvc records it "
                "(run `dvc repro` or `dvc add`, then commit)"
            )
        artifact = self.state.artifacts.get(name)
        if artifact is not None:
            existing = next((v for v in artifact.versions if v.commit == commit and not v.discovered), None)
            if existing is not None:  # gto's rule: one version per commit, deregistered ones included
                from dvc_trail.shorthand import short

                state = "registered" if existing.is_active else "deregistered"
                raise TrailError(
                    f"{name}@{existing.version} is already {state} at {short(commit)} (one version per commit)"
                )
        version = version or self._next_version(artifact, bump or "patch")
        tag = tags.register_tag(name, version)
        if tag in self.tag_names or (artifact and any(v.version == version for v in artifact.versions)):
            raise TrailError(f"{name}@{version} is already registered (a version is unique per artifact)")
        return self._write(artifact, tag, commit, message or tags.message(Action.REGISTER, name, version))

    def assign(self, ref: str, stage: str, message: str | None = None) -> str:
        """Tag a stage assignment of a registered version; returns the tag."""
        tags.validate_stage(stage)
        allowed = self.allowed_stages()
        if allowed is not None and stage not in allowed:
            raise UsageError(f"stage {stage!r} is not allowed by .gto (allowed: {', '.join(allowed) or 'none'})")
        artifact, version = self._registered(ref)
        holder = artifact.stage_holders().get(stage)
        if holder is version:
            raise TrailError(f"{artifact.name}@{version.version} is already in stage {stage!r}")
        tag = tags.assign_tag(artifact.name, stage, self.state.next_counter(artifact.name))
        default = tags.message(Action.ASSIGN, artifact.name, version.version, stage)
        return self._write(artifact, tag, version.commit, message or default)

    def unassign(self, ref: str, stage: str, message: str | None = None) -> str:
        """Tag the removal of a stage from a version; returns the tag."""
        tags.validate_stage(stage)
        artifact, version = self._registered(ref)
        if stage not in version.active_stages():
            raise TrailError(f"{artifact.name}@{version.version} is not in stage {stage!r}")
        tag = tags.unassign_tag(artifact.name, stage, self.state.next_counter(artifact.name))
        default = tags.message(Action.UNASSIGN, artifact.name, version.version, stage)
        return self._write(artifact, tag, version.commit, message or default)

    def deregister(self, ref: str, message: str | None = None) -> str:
        """Tag the withdrawal of a version; returns the tag."""
        artifact, version = self._registered(ref)
        tag = tags.deregister_tag(artifact.name, version.version)
        if tag in self.tag_names:
            raise TrailError(f"{tag} already exists")
        default = tags.message(Action.DEREGISTER, artifact.name, version.version)
        return self._write(artifact, tag, version.commit, message or default)

    def deprecate(self, name: str, message: str | None = None) -> str:
        """Tag the deprecation of an artifact; returns the tag."""
        artifact = self.state.artifact(tags.validate_name(name))
        if not artifact.is_active:
            raise TrailError(f"{name} is already deprecated")
        tag = tags.deprecate_tag(name)
        if tag in self.tag_names:
            tag = f"{tag}#{self.state.next_counter(name)}"
        commit = artifact.events[-1].commit
        return self._write(artifact, tag, commit, message or tags.message(Action.DEPRECATE, name))

    def _registered(self, ref: str) -> tuple[ArtifactState, VersionState]:
        parsed = require_version_ref(ref)
        return self.state.artifact(parsed.name), lookup(self.state, parsed)

    def _next_version(self, artifact: ArtifactState | None, part: str) -> str:
        """Bump the highest version ever registered (deregistered ones too, so tags never collide)."""
        versions = [v.version for v in artifact.versions if v.is_registered] if artifact else []
        if not versions:
            return tags.bump("v0.0.0", part)
        return tags.bump(max(versions, key=tags.semver_key), part)

    def _write(self, artifact: ArtifactState | None, tag: str, commit: str, message: str) -> str:
        """Create one tag, dated after the artifact's last event so every tool orders events alike."""
        not_before = artifact.events[-1].timestamp + 1 if artifact and artifact.events else 0
        self.git.create_tags([NewTag(tag, commit, message)], not_before=not_before)
        self.__dict__.pop("state", None)
        return tag

    def _require_dvc(self) -> None:
        if not (self.git.root / ".dvc").is_dir():
            raise TrailError(f"not a DVC project: {self.git.root} has no .dvc folder (run `dvc init`)")
