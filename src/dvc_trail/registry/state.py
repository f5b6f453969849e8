"""Registry state from GTO tags: versions, stages, latest, history (pure, GTO's semantics).

The rules follow gto's `base.py` so `trail ls --json` equals `gto show --json`: tags are replayed
in time order; a stage tag belongs to the registered version at its commit; a version is active
while its last registration event is a registration; a stage is held by the active version whose
latest assignment is newest; an artifact is hidden once its newest event is a deprecation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from dvc_trail.errors import NotFound
from dvc_trail.registry.dates import tz
from dvc_trail.registry.tags import Action, ParsedTag, parse_tag, semver_key

if TYPE_CHECKING:
    from datetime import datetime


class TagRecord(NamedTuple):
    """One annotated tag as git stores it (what the git adapter reads)."""

    name: str
    commit: str
    tagger: str
    email: str
    timestamp: int
    tz_offset: str = "+0000"
    message: str = ""


class Event(NamedTuple):
    """A registry event: one GTO tag, with the version it applies to resolved."""

    action: Action
    artifact: str
    tag: str
    commit: str
    timestamp: int
    tz_offset: str
    author: str
    author_email: str
    message: str
    version: str | None
    stage: str | None
    counter: int | None
    seq: int

    @property
    def created_at(self) -> datetime:
        """The tag date in the tagger's time zone (made on demand: most queries only compare timestamps)."""
        from datetime import datetime  # not at the top: `trail ls` prints no dates

        return datetime.fromtimestamp(self.timestamp, tz(self.tz_offset))

    @property
    def order(self) -> tuple[int, int]:
        """The replay order: tag date, then position in the replay."""
        return (self.timestamp, self.seq)


def _latest(events: list[Event]) -> Event:
    """The newest event of a list: every list is filled in replay (time) order, so it is the last."""
    return events[-1]


class VersionState:
    """One version of an artifact: a registered semver, or a bare commit that only holds stages."""

    __slots__ = ("artifact", "version", "commit", "registrations", "deregistrations", "stage_events")

    def __init__(self, artifact: str, version: str, commit: str) -> None:
        self.artifact, self.version, self.commit = artifact, version, commit
        self.registrations: list[Event] = []
        self.deregistrations: list[Event] = []
        self.stage_events: dict[str, list[Event]] = {}

    def __repr__(self) -> str:
        from dvc_trail.shorthand import short

        return f"VersionState({self.artifact}@{self.version} at {short(self.commit)})"

    @property
    def discovered(self) -> bool:
        """Whether the version is only a commit holding stages (no version tag)."""
        return not (self.registrations or self.deregistrations)

    @property
    def is_registered(self) -> bool:
        """Whether a registration tag names this version."""
        return bool(self.registrations)

    @property
    def is_active(self) -> bool:
        """Whether the version counts: registered and not deregistered since."""
        if self.deregistrations:
            direct = self.registrations + self.deregistrations
            return max(direct, key=lambda e: e.order).action is Action.REGISTER
        return bool(self.registrations) or any(self.stage_events.values())

    @property
    def authoring_event(self) -> Event:
        """The event that made the version: its newest registration, else its newest event."""
        if self.registrations:
            return _latest(self.registrations)
        return _latest(self.events)

    @property
    def created_at(self) -> datetime:
        """When the version was made (the date of its authoring event)."""
        return self.authoring_event.created_at

    @property
    def events(self) -> list[Event]:
        """Every event of the version, in time order."""
        events = self.registrations + self.deregistrations
        events += [e for evs in self.stage_events.values() for e in evs]
        return sorted(events, key=lambda e: e.order)

    def active_stages(self) -> list[str]:
        """Stages whose newest event on this version is an assignment, oldest assignment first."""
        active = [s for s, evs in self.stage_events.items() if _latest(evs).action is Action.ASSIGN]
        return sorted(active, key=lambda s: self.stage_assigned_at(s))

    def stage_assigned_at(self, stage: str) -> int:
        """When the stage was last assigned to this version (epoch seconds)."""
        return _latest([e for e in self.stage_events[stage] if e.action is Action.ASSIGN]).timestamp


class ArtifactState:
    """All versions and events of one artifact."""

    __slots__ = ("name", "versions", "events", "_active", "_holders")

    def __init__(self, name: str) -> None:
        self.name = name
        self.versions: list[VersionState] = []
        self.events: list[Event] = []
        self._active: dict[bool, list[VersionState]] = {}  # answers kept: the state is final once built
        self._holders: dict[str, VersionState] | None = None

    @property
    def is_active(self) -> bool:
        """Whether the artifact is listed: it has events and the newest is not a deprecation."""
        return bool(self.events) and _latest(self.events).action is not Action.DEPRECATE

    def active_versions(self, include_unregistered: bool = False) -> list[VersionState]:
        """Active versions, highest semver first (bare-commit versions last)."""
        known = self._active.get(include_unregistered)
        if known is None:
            found = [v for v in self.versions if v.is_active and (v.is_registered or include_unregistered)]
            registered = sorted((v for v in found if v.is_registered), key=lambda v: semver_key(v.version))
            bare = sorted((v for v in found if not v.is_registered), key=lambda v: v.version)
            known = self._active[include_unregistered] = registered[::-1] + bare[::-1]
        return list(known)

    def latest(self) -> VersionState | None:
        """The highest active registered version, or None."""
        versions = self.active_versions()
        return versions[0] if versions else None

    def stage_holders(self) -> dict[str, VersionState]:
        """Which version holds each stage now: the newest active assignment wins."""
        if self._holders is None:
            by_time = sorted((v for v in self.versions if v.is_active), key=lambda v: v.authoring_event.timestamp)
            pairs = [(v, s) for v in by_time[::-1] for s in v.active_stages()]
            self._holders = {}
            for version, stage in sorted(pairs, key=lambda p: p[0].stage_assigned_at(p[1]))[::-1]:
                self._holders.setdefault(stage, version)
        return dict(self._holders)

    def stages_of(self, version: VersionState) -> list[str]:
        """The stages a version holds now, sorted."""
        return sorted(s for s, v in self.stage_holders().items() if v is version)

    def find(self, version: str) -> VersionState | None:
        """The registered version named VERSION, or None."""
        for v in self.versions:
            if v.version == version and v.is_registered:
                return v
        return None


class RegistryState:
    """Every artifact seen in the tags, and the highest `#N` counter per artifact."""

    def __init__(self) -> None:
        self.artifacts: dict[str, ArtifactState] = {}
        self.counters: dict[str, int] = {}

    def artifact(self, name: str) -> ArtifactState:
        """The artifact named NAME, or a NotFound listing the known ones."""
        try:
            return self.artifacts[name]
        except KeyError:
            known = ", ".join(sorted(self.artifacts)) or "none registered yet"
            raise NotFound(f"artifact {name!r} has no registry tags (known: {known})") from None

    def next_counter(self, name: str) -> int:
        """GTO's `#N` for a new stage tag: one more than the highest counter on any tag of `name`."""
        return self.counters.get(name, 0) + 1


def build_state(records: list[TagRecord], all_tag_names: list[str] | None = None) -> RegistryState:
    """Replay annotated GTO tags into the registry state; foreign tags are ignored.

    As in gto, version tags are replayed first and stage tags second (each in time order), so a stage tag
    belongs to the version registered at its commit even when both carry the same second. Ties in time go
    by tag counter (`#N` grows with each stage event), then by name.
    """
    state = RegistryState()
    parsed_names = {name: parse_tag(name) for name in (all_tag_names or [r.name for r in records])}
    for parsed in parsed_names.values():
        if parsed and parsed.counter is not None:
            state.counters[parsed.name] = max(state.counters.get(parsed.name, 0), parsed.counter)
    parsed_records = [(r, p) for r in records if (p := parsed_names.get(r.name) or parse_tag(r.name))]
    parsed_records.sort(key=lambda rp: (rp[0].timestamp, rp[1].counter or 0, rp[0].name))
    stage_actions = (Action.ASSIGN, Action.UNASSIGN)
    ordered = [(seq, r, p) for seq, (r, p) in enumerate(parsed_records)]
    ordered = [x for x in ordered if x[2].action not in stage_actions] + [
        x for x in ordered if x[2].action in stage_actions
    ]
    by_commit: dict[str, dict[str, list[VersionState]]] = {}  # artifact -> commit -> versions with version tags
    for seq, record, parsed in ordered:
        artifact = state.artifacts.get(parsed.name)
        if artifact is None:
            artifact = state.artifacts[parsed.name] = ArtifactState(parsed.name)
            by_commit[parsed.name] = {}
        commits = by_commit[parsed.name]
        at_commit = commits.get(record.commit)
        if at_commit is None:
            at_commit = commits[record.commit] = []
        if parsed.action is Action.DEPRECATE:
            event = _event(parsed, record, seq, None)
        elif parsed.action in (Action.REGISTER, Action.DEREGISTER):
            target = next((v for v in at_commit if v.version == parsed.version), None)
            if target is None:
                target = VersionState(artifact.name, parsed.version or record.commit, record.commit)
                artifact.versions.append(target)
                at_commit.append(target)
            event = _event(parsed, record, seq, parsed.version)
            (target.registrations if parsed.action is Action.REGISTER else target.deregistrations).append(event)
        else:
            # The version tagged at its commit, else the bare commit (each such tag on its own, as in gto).
            target = at_commit[0] if at_commit else None
            if target is None:
                target = VersionState(artifact.name, record.commit, record.commit)
                artifact.versions.append(target)
            event = _event(parsed, record, seq, target.version)
            target.stage_events.setdefault(parsed.stage or "", []).append(event)
        artifact.events.append(event)
    for artifact in state.artifacts.values():
        artifact.events.sort(key=lambda e: e.seq)  # back to time order after the two passes
    return state


def _event(parsed: ParsedTag, record: TagRecord, seq: int, version: str | None) -> Event:
    # positional: this runs once per tag, and keyword calls of a NamedTuple cost twice as much
    return Event(
        parsed.action,
        parsed.name,
        record.name,
        record.commit,
        record.timestamp,
        record.tz_offset,
        record.tagger,
        record.email,
        record.message.strip(),
        version,
        parsed.stage,
        parsed.counter,
        seq,
    )
