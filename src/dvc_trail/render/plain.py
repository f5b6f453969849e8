"""Output without rich: JSON for machines and the plain `trail ls` table (all the fast `ls` path imports)."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(data: Any) -> None:
    """Print data as indented JSON (non-ASCII kept, anything else as its string), secrets masked, and every
    character a terminal would act on (bidi controls, separators, lone surrogates) as a `\\u` escape."""
    from dvc_trail.secrets import mask_secrets

    text = mask_secrets(json.dumps(data, indent=4, ensure_ascii=False, default=str))
    if not text.isascii():  # here: the fast `ls` path imports nothing more for ASCII output
        from dvc_trail.render.escapes import json_inert

        text = json_inert(text)
    sys.stdout.write(text + "\n")


def registry_table(registry: dict[str, dict]) -> None:
    """Plain aligned columns, no rich: `trail ls` stays as fast as its JSON."""
    if not registry:
        print("No artifacts registered yet: run `trail register NAME`.")
        return
    stages = sorted({s for a in registry.values() for s in a["stage"]})
    rows = [
        [
            name + ("" if a["active"] else " (deprecated)"),
            a["version"] or "-",
            *(a["stage"].get(s) or "-" for s in stages),
        ]
        for name, a in sorted(registry.items())
    ]
    header = ["name", "latest", *(f"#{s}" for s in stages)]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        sys.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n")
