"""Registry state from tag records: GTO's semantics without any subprocess."""

from __future__ import annotations

from dvc_trail.registry.gto_json import listing
from dvc_trail.registry.references import lookup, parse_ref
from dvc_trail.registry.state import TagRecord, build_state

C1, C2, C3 = "1" * 40, "2" * 40, "3" * 40


def rec(name: str, commit: str, ts: int) -> TagRecord:
    return TagRecord(name, commit, "A", "a@example.com", ts, "+0000", "msg\n")


def ls(records: list[TagRecord]) -> dict:
    """(latest version, stage -> holder) per artifact, from the same view `trail ls --json` prints."""
    return {name: (a["version"], a["stage"]) for name, a in listing(build_state(records), None, True).items()}


def test_latest_is_highest_semver_not_newest() -> None:
    records = [rec("m@v1.10.0", C1, 1), rec("m@v1.9.0", C2, 2)]
    assert ls(records)["m"] == ("v1.10.0", {})


def test_stage_moves_to_the_newest_assignment() -> None:
    records = [
        rec("m@v1.0.0", C1, 1),
        rec("m@v1.1.0", C2, 2),
        rec("m#prod#1", C2, 3),
        rec("m#prod#2", C1, 4),
    ]
    assert ls(records)["m"] == ("v1.1.0", {"prod": "v1.0.0"})


def test_unassign_returns_stage_to_the_previous_holder() -> None:
    records = [
        rec("m@v1.0.0", C1, 1),
        rec("m#prod#1", C1, 2),
        rec("m@v1.1.0", C2, 3),
        rec("m#prod#2", C2, 4),
        rec("m#prod!#3", C2, 5),
    ]
    assert ls(records)["m"] == ("v1.1.0", {"prod": "v1.0.0"})


def test_deregistered_version_loses_latest_and_stages() -> None:
    records = [
        rec("m@v1.0.0", C1, 1),
        rec("m@v1.1.0", C2, 2),
        rec("m#prod#1", C2, 3),
        rec("m@v1.1.0!", C2, 4),
    ]
    assert ls(records)["m"] == ("v1.0.0", {})


def test_deprecation_hides_until_a_newer_event() -> None:
    records = [rec("m@v1.0.0", C1, 1), rec("m@deprecated", C1, 2)]
    state = build_state(records)
    assert not state.artifacts["m"].is_active
    state = build_state([*records, rec("m@v1.1.0", C2, 3)])
    assert state.artifacts["m"].is_active


def test_stage_on_unregistered_commit_names_the_commit() -> None:
    assert ls([rec("m#dev#1", C3, 1)])["m"] == (None, {"dev": C3})


def test_counter_counts_all_tags_of_the_artifact() -> None:
    state = build_state([rec("m#prod#7", C1, 1)], ["m#prod#7", "m#dev#2", "other#prod#40"])
    assert state.next_counter("m") == 8
    assert state.next_counter("new") == 1


def test_resolve_references() -> None:
    state = build_state([rec("m@v1.0.0", C1, 1), rec("m@v1.1.0", C2, 2), rec("m#prod#1", C1, 3)])
    assert lookup(state, parse_ref("m")).version == "v1.1.0"
    assert lookup(state, parse_ref("m@v1.0.0")).commit == C1
    assert lookup(state, parse_ref("m#prod")).version == "v1.0.0"
    assert lookup(state, parse_ref("m@latest")).version == "v1.1.0"


def test_history_orders_by_time() -> None:
    state = build_state([rec("m#prod#1", C1, 3), rec("m@v1.0.0", C1, 1)])
    assert [e.tag for e in state.artifacts["m"].events] == ["m@v1.0.0", "m#prod#1"]


def test_reregistration_after_deregistration_order() -> None:
    records = [rec("m@v1.0.0!", C1, 2), rec("m@v1.0.0", C1, 1), rec("m@v1.1.0", C2, 3)]
    state = build_state(records)
    assert [v.version for v in state.artifacts["m"].active_versions()] == ["v1.1.0"]


def test_stage_tag_in_the_same_second_as_its_registration() -> None:
    # `#` sorts before `@`: gto replays version tags first, so the stage still belongs to v0.0.1
    state = build_state([rec("m#prod#1", C1, 5), rec("m@v0.0.1", C1, 5)])
    assert ls([rec("m#prod#1", C1, 5), rec("m@v0.0.1", C1, 5)])["m"] == ("v0.0.1", {"prod": "v0.0.1"})
    assert [e.tag for e in state.artifacts["m"].events] == ["m@v0.0.1", "m#prod#1"]


def test_ties_between_stage_tags_follow_the_counter() -> None:
    records = [rec("m@v1.0.0", C1, 1), rec("m#prod#3", C1, 2), rec("m#prod!#4", C1, 2)]
    assert ls(records)["m"] == ("v1.0.0", {})
