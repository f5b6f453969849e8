"""The `trail` command line: parse arguments, call the core, render. Nothing here runs git or DVC.

Each submodule registers its commands on the one app; the import order is the order `trail --help` lists them.
"""

from __future__ import annotations

import sys

from dvc_trail.cli.app import app, app_for
from dvc_trail.git.repository import StartedTags

# isort: off
from dvc_trail.cli import registry, quality, lineage, tour, site, share
# isort: on

__all__ = ["app", "main", "registry", "quality", "lineage", "tour", "site", "share"]


def main(started: StartedTags | None = None) -> None:
    """Run the command line (everything but the fast `trail ls`); `started`: the tags, already being read."""
    try:
        app_for(sys.argv[1:])(prog_name="trail", obj=started)
    finally:
        if started is not None:
            started.process.close()  # unused (an error came first): stop git
