"""The site's pages: a Jinja2 environment (autoescaped, templates from the package) and one method per page kind.

Markup comes from the templates, text from the data; the few helpers that return markup build it with
`Markup.format`, which escapes its arguments.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvc_trail.registry.state import Action
from dvc_trail.shorthand import short
from dvc_trail.site import charts, model, paths, rows

# The index's filter: rows match as you type; a `?q=` in the address (the form's no-script submission) is applied.
FILTER_SCRIPT = (
    "(function(){var q=document.getElementById('q');if(!q)return;"
    "var rows=document.querySelectorAll('tr[data-search]');"
    "function f(){var t=q.value.trim().toLowerCase();rows.forEach(function(r){"
    "r.hidden=!!t&&r.getAttribute('data-search').indexOf(t)<0;});}"
    "var p=new URLSearchParams(location.search).get('q');if(p)q.value=p;"
    "q.addEventListener('input',f);q.form.addEventListener('submit',function(e){e.preventDefault();f();});f();})();"
)
SCRIPT_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(FILTER_SCRIPT.encode()).digest()).decode() + "'"
KEY_METRICS = 4
MAX_CHARTS = 12


@dataclass(frozen=True)
class SiteOptions:
    """How the site links outward: its own public URL and the repository's web page."""

    base_url: str | None = None
    repo_url: str | None = None
    title: str = "Model registry"


def to_json(data: Any) -> bytes:
    """An API file's bytes: compact JSON (the C encoder), UTF-8, one trailing newline."""
    return (json.dumps(data, ensure_ascii=False, default=str) + "\n").encode()  # no indent: the C encoder


def _when(stamp: str | None) -> Any:
    """A `<time>` element for an ISO date (the markup escapes its arguments)."""
    from markupsafe import Markup

    if not stamp:
        return "-"
    return Markup('<time datetime="{0}">{1}</time>').format(stamp, stamp[:16].replace("T", " "))


class Pages:
    """The Jinja2 environment and one method per page kind."""

    def __init__(
        self,
        options: SiteOptions,
        repo_url: str | None,
        remote: dict[str, str] | None,
        clone_url: str | None,
        cache_dir: Path | None = None,
    ) -> None:
        import jinja2  # here: only `trail site` renders HTML

        cache = None
        if cache_dir is not None:  # compiled templates, keyed by their source: a rebuild skips compiling them
            try:
                cache_dir.mkdir(parents=True, exist_ok=True)
                cache = jinja2.FileSystemBytecodeCache(str(cache_dir))
            except OSError:
                cache = None

        self.options, self.repo_url, self.remote = options, repo_url, remote
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("dvc_trail", "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # templates are package data: no stat of each template per page
            bytecode_cache=cache,
        )
        self.env.filters["short"] = short  # one length for abbreviated hashes, as the CLI prints them
        self.env.globals.update(
            artifact_page=paths.artifact_page,
            version_page=paths.version_page,
            artifact_api=paths.artifact_api,
            plain=rows.plain,
            when=_when,
            repo_url=repo_url,
            site_title=options.title,
            script_hash=None,
        )
        self.clone_url = clone_url or repo_url
        base = options.base_url.rstrip("/") if options.base_url else None
        self.registry_url = base

    def salt(self) -> str:
        """A digest of the templates and options: any change re-renders every page."""
        assert self.env.loader is not None
        parts = [json.dumps([self.options.__dict__, self.repo_url, self.remote, self.clone_url], sort_keys=True)]
        for name in sorted(self.env.list_templates()):
            parts.append(self.env.loader.get_source(self.env, name)[0])
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]

    def _render(self, template: str, rel: str, **context: Any) -> bytes:
        root = paths.relative(rel, "")
        return self.env.get_template(template).render(root=root, **context).encode()

    def version(self, view: model.VersionView, rel: str) -> bytes:
        """A version page's HTML: card, metrics, params, lineage graph and text, changes, tags."""
        root = paths.relative(rel, "")
        show, info = view.show, view.lineage
        relevant = {show["path"]}  # the artifact and what the chain reads; sibling outputs are summed up
        if info:
            relevant.update(d["path"] for s in info["stages"] for d in s["deps"])
        stages = info["stages"] if info else []
        shown_outs = [[o for o in s["outs"] if o["path"] in relevant] for s in stages]
        shown = [c for c in view.upstream if c["kind"] not in ("out", "dep") or c["path"] in relevant]
        decl = show.get("artifact")
        context: dict[str, Any] = {
            "v": view,
            "remote": self.remote,
            "artifact_href": root + paths.artifact_page(view.name),
            "created": rows.when(show["created_at"]),
            "meta": [(k, rows.plain(val)) for k, val in decl["meta"].items()] if decl else [],
            "metrics": rows.docs_rows(show["metrics"]),
            "params": rows.docs_rows(show["params"]),
            "graph": None,
            "previous_href": root + paths.version_page(view.name, view.previous) if view.previous else "",
            "metrics_diff": rows.diff_rows(view.metrics_diff),
            "params_diff": rows.diff_rows(view.params_diff),
            "changes": [rows.change_text(c) for c in shown],
            "hidden_changes": len(view.upstream) - len(shown),
            "events": rows.event_rows(view.events),
            "api": paths.version_api(view.name, view.version),
        }
        if info:
            graph = charts.lineage_graph(info)
            context.update(graph=graph, **rows.graph_rows(graph, root), **rows.lineage_rows(info, shown_outs, root))
        return self.env.get_template("version.html").render(root=root, **context).encode()

    def version_json(self, view: model.VersionView) -> dict[str, Any]:
        """A version's API file: `show`, `lineage`, path, hash, DVC remote, changes and tags."""
        return {
            "name": view.name,
            "version": view.version,
            "commit": view.commit,
            "path": view.show["path"],
            "hash": view.show["hash"],
            "remote": self.remote,
            "show": view.show,
            "lineage": view.lineage,
            "lineage_error": view.lineage_error,
            "previous": view.previous,
            "changes": {"metrics": view.metrics_diff, "params": view.params_diff, "upstream": view.upstream},
            "tags": view.events,
        }

    def artifact(self, view: model.ArtifactView, known: set[str]) -> bytes:
        """An artifact page's HTML: declaration, versions, metric trends, stage history, how to fetch it."""
        root = paths.relative(paths.artifact_page(view.name), "")
        oldest_first = view.versions[::-1]
        found = [charts.trend_chart(k, oldest_first) for k in view.metric_keys[:MAX_CHARTS]]
        return self._render(
            "artifact.html",
            paths.artifact_page(view.name),
            a=view,
            charts=[rows.chart_rows(c) for c in found if c],
            key_metrics=view.metric_keys[:KEY_METRICS],
            known=known,
            snippets=rows.fetch_snippets(view, self.clone_url, self.registry_url),
            rows=rows.version_rows(view.name, view.versions, view.metric_keys[:KEY_METRICS], root),
            moves=rows.move_rows(view.stage_history),
        )

    def artifact_json(self, view: model.ArtifactView) -> dict[str, Any]:
        """An artifact's API file: declaration, versions with metrics, stages, stage history."""
        return {
            "name": view.name,
            "active": view.active,
            "declaration": view.decl,
            "latest": view.latest,
            "stages": view.stages,
            "versions": [{**row, "api": paths.version_api(view.name, row["version"])} for row in view.versions],
            "metrics": view.metric_keys,
            "stage_history": view.stage_history,
        }

    def index(self, views: list[model.ArtifactView], decls: dict[str, dict[str, Any] | None]) -> bytes:
        """The index page's HTML: active artifacts in a filterable table, deprecated ones folded away."""
        entries = []
        for view in views:
            decl = decls.get(view.name) or {}
            entries.append(
                {
                    "name": view.name,
                    "anchor": "a-" + paths.slug(view.name),
                    "href": paths.artifact_page(view.name),
                    "type": decl.get("type"),
                    "desc": decl.get("desc"),
                    "labels": decl.get("labels") or [],
                    "latest": view.latest,
                    "stages": view.stages,
                    "last": view.last_event,
                    "active": view.active,
                }
            )
        active = [r for r in entries if r["active"]]
        deprecated = [r for r in entries if not r["active"]]
        context = {"active": active, "deprecated": deprecated, "script": FILTER_SCRIPT, "script_hash": SCRIPT_HASH}
        return self._render("index.html", "index.html", **context)

    def stages(self, artifacts: dict[str, Any]) -> bytes:
        """The stages board's HTML: per stage, the version of each artifact holding it, since when, by whom."""
        board: dict[str, list[dict[str, Any]]] = {}
        for name, artifact in sorted(artifacts.items()):
            if not artifact.is_active:
                continue
            for stage, version in artifact.stage_holders().items():
                if not version.is_registered:
                    continue
                since = version.stage_assigned_at(stage)
                event = next(
                    e
                    for e in reversed(version.stage_events[stage])
                    if e.action is Action.ASSIGN and e.timestamp == since
                )
                since_at = event.created_at.isoformat()
                board.setdefault(stage, []).append(
                    {"name": name, "version": version.version, "since": since_at, "by": event.author}
                )
        return self._render("stages.html", "stages.html", board=dict(sorted(board.items())))

    def history(
        self,
        events: list[dict[str, Any]],
        live: dict[str, list[str]],
        rel: str,
        archive: list[tuple[str, str, str]],
        total: int,
        part: str | None = None,
    ) -> bytes:
        """A history page's HTML: the latest events with links to the archive parts, or one archive part."""
        alive: dict[str, set[str]] = {name: set() for name in {e["artifact"] for e in events}}
        alive.update({k: set(v) for k, v in live.items()})
        root = paths.relative(rel, "")
        pages = {name: root + paths.artifact_page(name) for name in {e["artifact"] for e in events}}
        table = [
            (
                e["timestamp"][:16].replace("T", " "),
                e["timestamp"],
                e["artifact"],
                pages[e["artifact"]],
                e["event"],
                e["version"] or "",
                root + paths.version_page(e["artifact"], e["version"]) if e["version"] in alive[e["artifact"]] else "",
                e["stage"] or "",
                e["author"],
                e["message"],
                e["ref"],
            )
            for e in events
        ]
        return self._render("history.html", rel, rows=table, archive=archive, total=total, part=part)
