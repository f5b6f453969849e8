"""Tag names and messages in GTO's format (pure, with property-based checks)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dvc_trail.errors import UsageError
from dvc_trail.registry import tags
from dvc_trail.registry.tags import Action, ParsedTag

names = st.from_regex(r"\A[a-z0-9]([a-z0-9_/-]{0,20}[a-z0-9])?\Z").filter(lambda n: "//" not in n)
folders = st.from_regex(r"\A[a-z0-9_][a-z0-9_.-]{0,8}(/[a-z0-9_][a-z0-9_.-]{0,8}){0,2}\Z").filter(
    lambda f: not any(p.endswith((".lock", ".")) or ".." in p for p in f.split("/"))
)
full_names = st.one_of(names, st.builds(lambda f, n: f"{f}:{n}", folders, names))
versions = st.builds(lambda a, b, c: f"v{a}.{b}.{c}", *(st.integers(0, 999),) * 3)


@pytest.mark.parametrize(
    ("tag", "parsed"),
    [
        ("model@v1.2.0", ParsedTag("model", Action.REGISTER, version="v1.2.0")),
        ("model@v1.2.0!", ParsedTag("model", Action.DEREGISTER, version="v1.2.0")),
        ("model@deprecated", ParsedTag("model", Action.DEPRECATE)),
        ("model#prod#3", ParsedTag("model", Action.ASSIGN, stage="prod", counter=3)),
        ("model#prod!#4", ParsedTag("model", Action.UNASSIGN, stage="prod", counter=4)),
        ("dir/sub=model@v0.0.1", ParsedTag("dir/sub:model", Action.REGISTER, version="v0.0.1")),
        ("m@v1.0.0-rc.1+build.5", ParsedTag("m", Action.REGISTER, version="v1.0.0-rc.1+build.5")),
    ],
)
def test_parse_known_forms(tag: str, parsed: ParsedTag) -> None:
    assert tags.parse_tag(tag) == parsed


@pytest.mark.parametrize("tag", ["v1.0.0", "model@1.0.0", "model", "model#", "-x@v1.0.0", "model@v01.0.0", "a@created"])
def test_foreign_tags_are_ignored(tag: str) -> None:
    assert tags.parse_tag(tag) is None


@given(full_names, versions, names, st.integers(1, 10_000))
def test_format_then_parse_round_trips(name: str, version: str, stage: str, counter: int) -> None:
    assert tags.validate_name(name) == name
    assert tags.parse_tag(tags.register_tag(name, version)) == ParsedTag(name, Action.REGISTER, version=version)
    assert tags.parse_tag(tags.deregister_tag(name, version)) == ParsedTag(name, Action.DEREGISTER, version=version)
    assert tags.parse_tag(tags.deprecate_tag(name)) == ParsedTag(name, Action.DEPRECATE)
    assert tags.parse_tag(tags.assign_tag(name, stage, counter)) == ParsedTag(
        name, Action.ASSIGN, stage=stage, counter=counter
    )
    assert tags.parse_tag(tags.unassign_tag(name, stage, counter)) == ParsedTag(
        name, Action.UNASSIGN, stage=stage, counter=counter
    )


@given(st.text(max_size=60))
def test_any_string_parses_or_is_refused_cleanly(text: str) -> None:
    parsed = tags.parse_tag(text)
    assert parsed is None or isinstance(parsed, ParsedTag)
    for check in (tags.validate_name, tags.validate_stage, tags.validate_version):
        try:
            assert check(text) == text
        except UsageError:
            pass


@pytest.mark.parametrize(
    "name", ["", "bad name", "a..b:m", "../x:m", "-m", "m-", "naïve", "x" * 201, "a//b", "a:b:c", "a.lock:m", "a@b"]
)
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(UsageError):
        tags.validate_name(name)


@pytest.mark.parametrize("version", ["1.0.0", "v1.0", "v1", "latest", "v01.0.0", "v1.0.0-", "V1.0.0"])
def test_invalid_versions_are_refused(version: str) -> None:
    with pytest.raises(UsageError):
        tags.validate_version(version)


def test_semver_order_follows_the_spec() -> None:
    ordered = ["v0.9.0", "v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-beta.2", "v1.0.0-beta.11", "v1.0.0", "v1.10.0"]
    assert sorted(reversed(ordered), key=tags.semver_key) == ordered


def test_bump() -> None:
    assert tags.bump("v1.2.3", "patch") == "v1.2.4"
    assert tags.bump("v1.2.3", "minor") == "v1.3.0"
    assert tags.bump("v1.2.3", "major") == "v2.0.0"


def test_messages_match_gto() -> None:
    assert tags.message(Action.REGISTER, "m", "v1.0.0") == "Registering artifact m version v1.0.0"
    assert tags.message(Action.ASSIGN, "m", "v1.0.0", "prod") == "Assigning stage prod to artifact m version v1.0.0"
    assert tags.message(Action.DEPRECATE, "m") == "Deprecating artifact 'm'"
