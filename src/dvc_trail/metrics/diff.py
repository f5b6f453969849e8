"""Metric and param diffs in `dvc metrics diff` / `dvc params diff` shape, clean numbers, and CI gates (pure)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from dvc_trail.errors import UsageError

Documents = dict[str, dict[str, Any]]  # {file path: {flat.key: value}}

LOWER_IS_BETTER = re.compile(r"(loss|error|err|mse|rmse|mae|mape|perplexity|latency|duration|time|size)", re.I)


def _dvc_value(value: Any) -> Any:
    """DVC compares lists by their text (`format_dict`), single values as they are."""
    return str(value) if isinstance(value, list) else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)


def subtract(new: float, old: float) -> float | int:
    """new - old without float noise: 0.88 - 0.873 is 0.007, not 0.007000000000000006."""
    if isinstance(new, int) and isinstance(old, int):
        return new - old
    try:
        result = Decimal(repr(new)) - Decimal(repr(old))
    except InvalidOperation:
        return new - old
    return float(result)


def relative(old: Any, new: Any) -> float | None:
    """Relative change (new - old) / |old|, or None where it has no meaning."""
    if not (_is_number(old) and _is_number(new)) or old == 0:
        return None
    return float(subtract(new, old)) / abs(old)


def diff_documents(old: Documents, new: Documents, all_values: bool = False) -> dict[str, dict[str, dict]]:
    """Changed keys per file as DVC prints them: {path: {key: {"old", "new", "diff"?}}}."""
    result: dict[str, dict[str, dict]] = {}
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path, {}), new.get(path, {})
        changes = {}
        for key in sorted(set(before) | set(after)):
            a, b = _dvc_value(before.get(key)), _dvc_value(after.get(key))
            if a == b and not all_values:
                continue
            entry: dict[str, Any] = {"old": a, "new": b}
            if _is_number(a) and _is_number(b):
                entry["diff"] = subtract(b, a)
            changes[key] = entry
        if changes:
            result[path] = changes
    return result


def lower_is_better(key: str, directions: dict[str, str] | None = None) -> bool:
    """Whether a drop is an improvement: from `trail.yaml` directions, else from the metric's name."""
    for name, direction in (directions or {}).items():
        if key == name or key.endswith(f":{name}") or key.rsplit(".", 1)[-1] == name:
            return direction.lower() in ("lower", "min")
    return bool(LOWER_IS_BETTER.search(key.rsplit(".", 1)[-1]))


def format_number(value: Any) -> str:
    """A number for people: six significant digits, `-` for a missing value."""
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.3e}"
    return "-" if value is None else str(value)


def format_change(entry: dict) -> str:
    """`+0.007 (+0.8%)` for people; empty where values are not numbers."""
    if "diff" not in entry:
        return ""
    change = entry["diff"]
    text = ("+" if change > 0 else "") + format_number(change)
    rel = relative(entry["old"], entry["new"])
    return f"{text} ({rel:+.1%})" if rel is not None else text


# --- gates -----------------------------------------------------------------------------------

_RULE_RE = re.compile(
    r"^(?P<metric>[^<>\s]+)\s*(?P<op>[<>])\s*(?P<limit>[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?P<pct>%?)$"
)


@dataclass(frozen=True)
class Gate:
    """A CI rule on a metric's change: `acc<-0.01` fails on a drop below -0.01, `loss>+5%` on a 5% rise."""

    text: str
    metric: str
    op: str
    limit: float
    relative: bool

    def matches(self, path: str, key: str) -> bool:
        """Whether this gate names the metric KEY of file PATH."""
        return self.metric in (key, f"{path}:{key}")

    def breached(self, old: Any, new: Any) -> bool:
        """Whether the change from OLD to NEW fails this gate."""
        if not _is_number(new):
            return _is_number(old)  # the metric vanished: that never passes a gate
        if not _is_number(old):
            return False  # a new metric: nothing to compare with
        if self.relative and old == 0:
            change: float | None = 0.0 if new == 0 else float("inf") if new > 0 else float("-inf")
        else:
            change = relative(old, new) if self.relative else subtract(new, old)
        if change is None:
            return False
        limit = self.limit / 100 if self.relative else self.limit
        return change < limit if self.op == "<" else change > limit


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    path: str | None
    key: str | None
    old: Any = None
    new: Any = None
    breached: bool = False
    unreadable: str | None = None  # the metrics files that could not be read, which fails every gate

    @property
    def message(self) -> str:
        """One line for people: the gate, its verdict, and the values it compared (raw text: see `render.terminal`)."""
        return self.render(str, format_number)

    def render(self, text: Callable[[str], str], value: Callable[[Any], str]) -> str:
        """The message with each piece of repository text through TEXT and each compared value through VALUE."""
        rule = text(self.gate.text)
        if self.unreadable:
            return f"{rule}: FAILED (could not read {text(self.unreadable)})"
        if self.path is None:
            return f"{rule}: no such metric in either revision"
        state = "FAILED" if self.breached else "ok"
        return f"{rule}: {state} ({text(f'{self.path}:{self.key}')} {value(self.old)} -> {value(self.new)})"


def parse_gate(text: str) -> Gate:
    """A Gate from `METRIC<CHANGE` or `METRIC>CHANGE` text, or a UsageError."""
    match = _RULE_RE.match(text.strip())
    if not match:
        raise UsageError(f"invalid gate {text!r}: expected METRIC<CHANGE or METRIC>CHANGE, like acc<-0.01 or loss>+5%")
    return Gate(text.strip(), match["metric"], match["op"], float(match["limit"]), bool(match["pct"]))


def check_gates(gates: list[Gate], old: Documents, new: Documents) -> list[GateResult]:
    """Evaluate each gate on every metric it names; a gate naming no metric is reported, not silently passed."""
    results = []
    for gate in gates:
        found = [
            (path, key)
            for path in sorted(set(old) | set(new))
            for key in sorted(set(old.get(path, {})) | set(new.get(path, {})))
            if gate.matches(path, key)
        ]
        if not found:
            results.append(GateResult(gate, None, None, breached=True))
        for path, key in found:
            a, b = old.get(path, {}).get(key), new.get(path, {}).get(key)
            results.append(GateResult(gate, path, key, a, b, gate.breached(a, b)))
    return results


def is_worse(old: Any, new: Any, lower_better: bool) -> bool:
    """Whether `new` is worse than `old` for a metric with the given direction."""
    if not (_is_number(old) and _is_number(new)):
        return False
    return new > old if lower_better else new < old
