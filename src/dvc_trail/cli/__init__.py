"""The `trail` command line: parse arguments, call the core, render. Nothing here runs git or DVC.

Each submodule registers its commands on the one app; the import order is the order `trail --help` lists them.
"""

from __future__ import annotations

import sys

from dvc_trail.cli.app import app, app_for

# isort: off
from dvc_trail.cli import registry, quality, lineage, tour, site, share
# isort: on

__all__ = ["app", "main", "registry", "quality", "lineage", "tour", "site", "share"]


def main() -> None:
    """Run the command line (everything but the fast `trail ls`)."""
    app_for(sys.argv[1:])(prog_name="trail")
