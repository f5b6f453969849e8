"""The site's JSON API schema (`schema.json`, shipped with trail and published as `api/v1/schema.json`).

`trail get --registry` checks every file it reads against its own copy, never the site's, with `jsonschema`
(imported only on that path). An error names the JSON path and the rule, never the value the site sent.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

from dvc_trail.errors import TrailError
from dvc_trail.secrets import mask_secrets

KINDS = ("registry", "artifact", "version_file")
MAX_PATH = 120  # characters of the JSON path an error shows


def published() -> bytes:
    """The schema's bytes, as the site publishes them."""
    return resources.files("dvc_trail.site").joinpath("schema.json").read_bytes()


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with each `{"$ref": "#/$defs/NAME"}` replaced by the definition, titled NAME (none recurses):
    jsonschema then checks an item in a quarter of the time it takes to follow references."""
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            name = node["$ref"].rpartition("/")[2]
            return {"title": name, **_inline(defs[name], defs)}
        return {key: _inline(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, defs) for value in node]
    return node


# jsonschema's own messages hold the value's repr: seconds for a 32 MiB list, and a rule needs none of it
def _type(validator: Any, types: Any, instance: Any, _schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if not any(validator.is_type(instance, kind) for kind in ([types] if isinstance(types, str) else types)):
        yield ValidationError("type")


def _max_items(validator: Any, limit: int, instance: Any, _schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "array") and len(instance) > limit:
        yield ValidationError("maxItems")


def _max_properties(validator: Any, limit: int, instance: Any, _schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "object") and len(instance) > limit:
        yield ValidationError("maxProperties")


def _any_of(validator: Any, subschemas: list[Any], instance: Any, _schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    errors = []
    for index, subschema in enumerate(subschemas):
        found = list(validator.descend(instance, subschema, schema_path=index))
        if not found:
            return
        errors += found
    yield ValidationError("anyOf", context=errors)


@functools.cache
def _validator(kind: str) -> Any:
    from jsonschema import Draft202012Validator, validators

    defs = json.loads(published())["$defs"]
    # JSON Schema counts 5.0 as an integer; a size or a count here is an int and nothing else (bool is not one)
    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
    )
    keywords = {"type": _type, "maxItems": _max_items, "maxProperties": _max_properties, "anyOf": _any_of}
    strict = validators.extend(Draft202012Validator, keywords, type_checker=checker)
    return strict(_inline(defs[kind], defs))


_WORDS = {"size": "a non-negative integer", "version": "a version (vX.Y.Z)", "stage": "a stage name", "null": "null"}


def _expected(subschema: Any) -> str:
    """A schema alternative in words: a definition's name, or its type."""
    if isinstance(subschema, dict):
        name = str(subschema.get("title") or subschema.get("type") or "")
        return _WORDS.get(name, name or "a valid value")
    return "a valid value"


def _rule(error: Any) -> str:
    """What the failed rule asks for, from the schema alone (the site's value is never shown)."""
    rule, want = error.validator, error.validator_value
    if rule == "type":
        return f"not of type {want if isinstance(want, str) else ' or '.join(want)}"
    if rule == "anyOf":
        return "expected " + " or ".join(_expected(sub) for sub in want)
    if rule == "required":
        missing = [k for k in want if isinstance(error.instance, dict) and k not in error.instance]
        return f"missing `{missing[0] if missing else want[0]}`"
    if rule in ("minimum", "maximum"):
        return f"must be {'>=' if rule == 'minimum' else '<='} {want}"
    if rule in ("maxItems", "maxProperties"):
        return f"more than {want} entries"
    if rule in ("minLength", "maxLength"):
        return f"must be {'at least' if rule == 'minLength' else 'at most'} {want} characters"
    return f"not in the expected form (`{rule}`)"


def check(doc: Any, kind: str, where: str) -> Any:
    """`doc` itself when it matches the schema's `kind`; else a TrailError naming the JSON path and the rule."""
    from jsonschema.exceptions import best_match

    try:  # the first error only: a list past its bound fails before its items are checked
        first = next(_validator(kind).iter_errors(doc), None)
        error = None if first is None else best_match([first])
    except RecursionError:  # a document nested deep enough for the validator's own recursion
        raise TrailError(f"malformed registry file {where}: nested too deeply") from None
    if error is None:
        return doc
    path = error.json_path if len(error.json_path) <= MAX_PATH else error.json_path[:MAX_PATH] + "..."
    raise TrailError(mask_secrets(f"malformed registry file {where}: {path}: {_rule(error)}"))
