"""Every GTO JSON shape from one module (registry/gto_json.py): each event kind's fields in one place.

The shapes are compared byte for byte with the real gto in tests/test_registry_cli.py and tests/test_dvc_interop.py;
these unit tests pin the per-kind tables and the variants the site uses, on a state built in memory.
"""

from __future__ import annotations

import ast
from pathlib import Path

from dvc_trail.registry import gto_json
from dvc_trail.registry.state import TagRecord, build_state
from dvc_trail.registry.tags import Action

SHA = "a" * 40
RECORDS = [
    TagRecord("m@v1.0.0", SHA, "Ann", "ann@x.org", 1_700_000_000, "+0530", "Registering m v1.0.0\n"),
    TagRecord("m#prod#1", SHA, "Bob", "bob@x.org", 1_700_000_060, "-0100", "to prod"),
    TagRecord("m#prod!#2", SHA, "Bob", "bob@x.org", 1_700_000_120, "+0000", "off prod"),
    TagRecord("m@deprecated", SHA, "Cy", "cy@x.org", 1_700_000_180, "+0000", "gone"),
]
PACKAGE = Path(__file__).resolve().parents[2] / "src" / "dvc_trail"


def test_every_event_kind_has_its_name_priority_and_direction() -> None:
    for table in (gto_json.EVENT_NAME, gto_json.PRIORITY, gto_json.ADDITION):
        assert set(table) == set(Action)
    assert [a for a, added in gto_json.ADDITION.items() if added] == [Action.REGISTER, Action.ASSIGN]


def test_history_and_check_ref_shapes() -> None:
    events = build_state(RECORDS).artifacts["m"].events
    history = gto_json.history(events)
    assert [e["event"] for e in history] == ["registration", "assignment", "unassignment", "deprecation"]
    assert history[0]["timestamp"] == "2023-11-15T03:43:20+05:30" and history[1]["timestamp"].endswith("-01:00")
    assert list(history[1]) == [
        *("timestamp", "artifact", "event", "priority", "version", "stage", "commit"),
        *("author", "author_email", "message", "ref"),
    ]
    site = gto_json.history(events, priority=False)  # the site's pages and API: the same fields but `priority`
    assert site == [{k: v for k, v in e.items() if k != "priority"} for e in history]
    assert gto_json.check_ref_event(events[1]) == {
        "artifact": "m",
        "created_at": "2023-11-14T21:14:20-01:00",
        "author": "Bob",
        "author_email": "bob@x.org",
        "message": "to prod",
        "commit_hexsha": SHA,
        "tag": "m#prod#1",
        "version": "v1.0.0",
        "stage": "prod",
        "event": "assignment",
    }
    assert list(gto_json.check_ref_event(events[3])) == [
        *("artifact", "created_at", "author", "author_email", "message", "commit_hexsha", "tag", "event"),
    ]


def test_listing_and_version_list_hide_a_deprecated_artifact_unless_asked() -> None:
    state = build_state(RECORDS)
    assert gto_json.listing(state, ["prod"]) == {}
    assert gto_json.listing(state, None, include_deprecated=True)["m"]["stage"] == {}  # no stage held now
    assert gto_json.listing(state, ["prod"], include_deprecated=True) == {
        "m": {"version": "v1.0.0", "stage": {"prod": None}, "registered": True, "active": False}
    }
    assert gto_json.version_list(state.artifacts["m"], {}) == []
    (version,) = gto_json.version_list(state.artifacts["m"], {}, include_inactive=True)
    assert version["registrations"][0]["priority"] == 3 and version["registrations"][0]["addition"] is True
    assert version["stages"] == [] and version["is_active"] is True  # prod was unassigned: no stage held


def test_gto_shapes_are_built_only_in_gto_json() -> None:
    """No other module spells gto's event fields: a new shape (or a copy of one) goes to gto_json.py."""
    spelled = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "gto_json.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if "commit_hexsha" in keys or {"event", "ref"} <= keys or {"event", "tag"} <= keys:
                    spelled.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not spelled, spelled
