"""`trail site`: the registry as a static web site with a JSON API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dvc_trail.cli.app import command, project
from dvc_trail.errors import mask_secrets


@command("site")
def site(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write the site into.")] = Path("site"),
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Public URL of the site (for `--registry` hints).")
    ] = None,
    repo_url: Annotated[
        str | None, typer.Option("--repo-url", help="Web page of the repository for commit links (default: origin).")
    ] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Then serve it on 127.0.0.1 until interrupted.")] = False,
    port: Annotated[int, typer.Option("--port", help="Port for --serve (0: any free port).")] = 8000,
) -> None:
    """Write the registry as a static web site with a JSON API under api/v1/ (only changed files are rewritten)."""
    from dvc_trail.site.build import SiteOptions, build_site

    report = build_site(project(ctx), output, SiteOptions(base_url=base_url, repo_url=repo_url))
    for warning in report.warnings:
        sys.stderr.write(f"trail: warning: {mask_secrets(warning)}\n")
    counts = f"{len(report.written)} written, {len(report.removed)} removed, {report.unchanged} unchanged"
    print(f"Site in {output}: {counts}")
    print(f"Open {(output / 'index.html').resolve()}")
    if serve:
        import dvc_trail.site.serve  # the module: `serve` here is the option

        dvc_trail.site.serve.serve(output, port)
