"""`trail site`: the registry as static HTML pages and a JSON API, rendered with Jinja2 (autoescaped).

One build reads the tags once (the project's state), every registered commit's facts once (cached by
commit), renders only pages whose inputs changed, and writes only files whose bytes changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dvc_trail.project import Project
from dvc_trail.site import coreview, model, paths, schema
from dvc_trail.site.facts import CacheReader, read_facts
from dvc_trail.site.output import BuildReport, SiteFolder
from dvc_trail.site.pages import Pages, SiteOptions, to_json
from dvc_trail.site.sources import check_page_url, origin_url, tracked_remote, web_url

__all__ = ["SiteOptions", "build_site"]

RECENT = 200  # events on history.html; all of them are on the archive pages, CHUNK a page, oldest first
CHUNK = 500


def build_site(project: Project, out: Path, options: SiteOptions | None = None) -> BuildReport:
    """Write (or update) the site for this repository's registry into `out`; the report of what changed there."""
    options = options or SiteOptions()
    check_page_url(options.repo_url, "--repo-url"), check_page_url(options.base_url, "--base-url")
    git_dir = project.git.git_dir()
    folder = SiteFolder(out, git_dir / "trail", project.git.root)
    try:
        warnings = _build(project, folder, options, git_dir)
    except BaseException:  # an error or Ctrl-C: what was verified or written so far is recorded for the next build
        folder.abort()
        raise
    return folder.finish(warnings)


def _build(project: Project, folder: SiteFolder, options: SiteOptions, git_dir: Path) -> list[str]:
    """Every page and API file into `folder`; the warnings."""
    reader = CacheReader(git_dir)  # reads the facts cache while git lists the tags
    state = project.state
    artifacts = state.artifacts
    pairs = {name: model.previous_versions(a) for name, a in sorted(artifacts.items())}
    keys = [model.facts_key(n, v.commit) for n, ps in pairs.items() for v, _ in ps]
    facts, warnings = read_facts(project.git, keys, reader)
    index = model.hash_index(artifacts, facts, {n: [v for v, _ in ps] for n, ps in pairs.items()})
    clone_url = origin_url(project.git)
    repo_url = options.repo_url if options.repo_url is not None else (web_url(clone_url) if clone_url else None)
    remote = tracked_remote(project.git)
    cache_dir = git_dir / "trail" / "site-templates"
    pages = Pages(options, repo_url.rstrip("/") if repo_url else None, remote, clone_url, cache_dir)
    salt = pages.salt()
    every = project.ls(include_deprecated=True)
    registry = {name: info for name, info in every.items() if info["active"]}  # `ls` without --all
    live = {n: [v.version for v, _ in ps] for n, ps in pairs.items()}
    pages.env.globals["live"] = {n: set(vs) for n, vs in live.items()}
    links = {k: model.links_at(f, index) for k, f in facts.items()}

    known = sorted(artifacts)
    lineages = model.Lineages(facts, index)
    several = coreview.pipeline_count(project) > 1  # chains and hashes may cross pipelines: ask the core
    owns: dict[str, str] = {}
    for name, versions in pairs.items():
        artifact = artifacts[name]
        holders = artifact.stage_holders()
        fkeys = [model.facts_key(name, v.commit) for v, _ in versions]
        unread = [f.unreadable if (f := facts.get(k)) else None for k in fkeys]
        own = owns[name] = model.digest((salt, several, model.event_stamps(artifact), unread))  # events, facts
        group = model.digest((own, [links.get(k, ()) for k in fkeys]))  # all its version pages depend on
        same = folder.same_group(name, group) and folder.keep_all(
            [
                rel
                for v, _ in versions
                for rel in (paths.version_page(name, v.version), paths.version_api(name, v.version))
            ]
        )
        folder.set_group(name, group)
        for version, previous in [] if same else versions:
            fkey = model.facts_key(name, version.commit)
            stages = sorted(s for s, h in holders.items() if h is version)
            pkey = model.facts_key(name, previous.commit) if previous else None
            unread = [f.unreadable for k in (fkey, pkey) if k and (f := facts.get(k))]  # until a `dvc pull`
            key = model.version_key(artifact, version, previous, stages, (links.get(fkey, ()), unread), salt)
            html_rel, api_rel = paths.version_page(name, version.version), paths.version_api(name, version.version)
            if folder.fresh(html_rel, key) and folder.fresh(api_rel, key):
                continue
            f = facts.get(fkey)
            if several or f is None or f.error or f.wdir:
                view = coreview.version_view(project, artifact, version, previous)
            else:
                view = model.version_view(artifact, version, previous, lineages, stages)
            folder.write(html_rel, pages.version(view, html_rel), key)
            folder.write(api_rel, to_json(pages.version_json(view)), key)
        stage_map = every[name]["stage"] if name in every else {}
        key = model.digest((own, name, sorted(stage_map.items(), key=str), known))
        html_rel, api_rel = paths.artifact_page(name), paths.artifact_api(name)
        if folder.fresh(html_rel, key) and folder.fresh(api_rel, key):
            continue
        odd_facts = [facts.get(model.facts_key(name, v.commit)) for v, _ in versions]
        odd = several or any(f is None or f.error or f.wdir for f in odd_facts)
        metrics = coreview.metrics_by_version(project, name) if odd else None
        view_a = model.artifact_view(artifact, stage_map, facts, metrics=metrics)
        folder.write(html_rel, pages.artifact(view_a, set(artifacts)), key)
        folder.write(api_rel, to_json(pages.artifact_json(view_a)), key)

    views = [model.artifact_view(a, every.get(n, {}).get("stage", {}), facts, True) for n, a in pairs_of(artifacts)]
    decls = {view.name: view.decl for view in views}
    folder.write("index.html", pages.index(views, decls))
    folder.write("stages.html", pages.stages(artifacts))
    every_event = model.digest((salt, sorted(owns.items()), sorted(live.items())))
    _history(project, folder, pages, live, salt, every_event)
    folder.write(f"{paths.API}/registry.json", to_json(registry))
    folder.write(f"{paths.API}/schema.json", schema.published())  # what `get --registry` checks (its own copy)
    folder.write(".nojekyll", b"")
    return warnings


def _history(
    project: Project, folder: SiteFolder, pages: Pages, live: dict[str, list[str]], salt: str, key: str
) -> None:
    """history.json, history.html and the archive parts; none of them is even computed when no event changed.

    `key` digests every event and which versions have pages; the archive parts have keys of their own.
    """
    parts = folder.recorded("history/")
    json_rel = f"{paths.API}/history.json"
    unchanged = {"history.html": key, json_rel: key, **parts}
    if all(folder.is_fresh(rel, k) for rel, k in unchanged.items()):
        for rel, k in unchanged.items():
            folder.fresh(rel, k)
        return
    history = project.history()
    alive = {name: set(versions) for name, versions in live.items()}
    oldest_first = history[::-1]
    chunks = [oldest_first[i : i + CHUNK] for i in range(0, len(oldest_first), CHUNK)]
    archive = [(f"history/{n + 1}.html", c[0]["timestamp"], c[-1]["timestamp"]) for n, c in enumerate(chunks)]
    latest = pages.history(history[:RECENT], live, "history.html", archive[::-1], len(history))
    folder.write("history.html", latest, key)
    for (rel, _, _), chunk in zip(archive, chunks, strict=True):  # older pages keep their bytes as events are added
        part = chunk[::-1]
        flags = [e["version"] in alive.get(e["artifact"], ()) for e in part]
        shown = [(e["ref"], e["timestamp"], e["version"], e["author"], e["message"]) for e in part]  # the rest: in ref
        part_key = model.digest((salt, shown, flags))
        if not folder.fresh(rel, part_key):
            folder.write(rel, pages.history(part, live, rel, [], len(part), rel), part_key)
    folder.write(json_rel, to_json(history), key)


def pairs_of(artifacts: dict[str, Any]) -> list[tuple[str, Any]]:
    """(name, artifact) pairs in name order (the index lists them so)."""
    return sorted(artifacts.items())
