"""Benchmark `trail` against `gto` and the git floor on generated registries; optionally write RESULTS.md."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from common import FLOOR, GTO, TRAIL, Report, Timing, fmt, machine, median_time, ratio, run_json, write_section
from generate import generate

NAME = "model-00"
# (tags, commits, artifacts) of the trail-vs-gto repos and of the scaling repos
FULL = {"compare": [(750, 100, 10), (7_500, 1_000, 10)], "scale": [(1_000, 150, 10), (10_000, 1_500, 10)]}
FULL["scale"].append((100_000, 10_000, 20))
GTO_TARGET, FLOOR_TARGET = {750}, {7_500, 100_000}  # sizes the targets are stated for
QUICK = {"compare": [(60, 20, 3)], "scale": [(60, 20, 3), (200, 40, 3)]}


def diff(ours: object, theirs: object) -> list[str]:
    """Per-artifact differences between `trail ls --json` and `gto show --json`."""
    if not (isinstance(ours, dict) and isinstance(theirs, dict)):
        return [f"trail: {ours!r}", f"gto:   {theirs!r}"]
    keys = sorted(set(ours) | set(theirs))
    return [f"{k}: trail={ours.get(k)!r} gto={theirs.get(k)!r}" for k in keys if ours.get(k) != theirs.get(k)]


def startup(tmp: Path, runs: int, report: Report) -> None:
    empty = generate(tmp / "empty", 1, 0, 0, 1)
    base = median_time([sys.executable, "-c", "import typer"], empty, runs)
    report.add("empty", "python -c 'import typer'", "-", "-", fmt(base), "-", "-")
    for args in (["--help"], ["ls"]):
        t = median_time([TRAIL, *args], empty, runs)
        report.add(
            "empty", f"trail {' '.join(args)}", fmt(t), "-", fmt(base), "-", f"{ratio(t.seconds, base.seconds):.1f}"
        )


def compare(repo: Path, tags: int, runs: int, gto_runs: int, with_gto: bool, report: Report, targets: list) -> None:
    floor = median_time(FLOOR, repo, runs)
    ops = [("ls --json", ["ls", "--json"], ["show", "--json"])]
    ops += [(f"show {NAME}", ["show", NAME], ["show", NAME, "--json"])]
    ops += [(f"history {NAME} --json", ["history", NAME, "--json"], ["history", NAME, "--json"])]
    for label, trail_args, gto_args in ops:
        t = median_time([TRAIL, *trail_args], repo, runs)
        g: Timing | None = median_time([GTO, *gto_args], repo, gto_runs, budget=5) if with_gto else None
        speedup = f"{ratio(g.seconds, t.seconds):.1f}x" if g else "-"
        is_ls = label.startswith("ls")
        over_floor = f"{ratio(t.seconds, floor.seconds):.2f}" if is_ls else "-"
        cells = [fmt(t), fmt(g), fmt(floor) if is_ls else "-", speedup, over_floor]
        report.add(f"{tags:,} tags", f"trail {label}", *cells)
        if is_ls and g and tags in GTO_TARGET:
            targets.append((f"trail ls >= 30x faster than gto show at {tags:,} tags", g.seconds >= 30 * t.seconds))
        if is_ls and tags in FLOOR_TARGET:
            targets.append((f"trail ls within 3x of the floor at {tags:,} tags", t.seconds <= 3 * floor.seconds))


def check(repo: Path, tags: int) -> list[str]:
    """Print MATCH or MISMATCH for `trail ls --json` vs `gto show --json`; return result lines."""
    problems = diff(run_json([TRAIL, "ls", "--json"], repo), run_json([GTO, "show", "--json"], repo))
    lines = [f"`trail ls --json` vs `gto show --json` at {tags:,} tags: {'MISMATCH' if problems else 'MATCH'}"]
    lines += [f"  - {p}" for p in problems]
    print("\n".join(lines), flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny repos, one run each (smoke test)")
    parser.add_argument("--no-gto", action="store_true", help="skip every gto run")
    parser.add_argument("--results", type=Path, help="Markdown report (default: bench/RESULTS.md unless --quick)")
    args = parser.parse_args()
    args.results = args.results or (None if args.quick else Path(__file__).with_name("RESULTS.md"))
    sizes, runs = (QUICK, 1) if args.quick else (FULL, 5)
    header = ["repo", "command", "trail", "gto", "git floor / baseline", "trail vs gto", "trail / floor"]
    report, scaling = Report(header), Report(["repo", "generate", "trail ls --json", "floor", "trail / floor"])
    targets: list[tuple[str, bool]] = []
    info = machine() if args.results else ""
    checks: list[str] = []
    with tempfile.TemporaryDirectory(prefix="trail-bench-") as tmp:
        startup(Path(tmp), runs, report)
        for tags, commits, artifacts in sizes["compare"]:
            repo = generate(Path(tmp) / f"cmp{tags}", commits, tags, 0, artifacts)
            if not args.no_gto and tags < 1000:
                checks += check(repo, tags)
            compare(repo, tags, runs, 1 if tags > 1000 else min(runs, 3), not args.no_gto, report, targets)
        for tags, commits, artifacts in sizes["scale"]:
            start = time.perf_counter()
            repo = generate(Path(tmp) / f"scale{tags}", commits, tags, 0, artifacts)
            made = f"{time.perf_counter() - start:.1f} s ({commits:,} commits)"
            floor, t = median_time(FLOOR, repo, runs), median_time([TRAIL, "ls", "--json"], repo, runs)
            scaling.add(f"{tags:,} tags", made, fmt(t), fmt(floor), f"{ratio(t.seconds, floor.seconds):.2f}")
            if tags in FLOOR_TARGET:
                targets.append((f"trail ls within 3x of the floor at {tags:,} tags", t.seconds <= 3 * floor.seconds))
    verdicts = [f"- {'MET' if ok else 'NOT MET'}: {what}" for what, ok in targets]
    verdicts = verdicts or ["- (no target is stated for these sizes)"]
    print("\n".join(verdicts))
    if args.results:
        text = f"## Registry: trail vs gto vs git floor\n\n{info}\n{report.markdown()}\n"
        text += f"### Scaling of `trail ls --json`\n\n{scaling.markdown()}\n### Targets\n\n" + "\n".join(verdicts)
        text += "\n\n### Correctness\n\n" + "\n".join(checks or ["(gto skipped)"]) + "\n"
        write_section("registry", text, args.results)


if __name__ == "__main__":
    main()
