"""The registry site in a real browser: Playwright driving Debian's chromium (never a downloaded browser).

Without chromium or Playwright the tests skip with the reason; with TRAIL_REQUIRE_BROWSER=1 (set by `.ci/run`)
they fail instead, so CI never passes by skipping them. Screenshots of each run go to a temp folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dvc_trail.site import paths
from tests.fixtures.repos import trail
from tests.fixtures.sites import HOSTILE_DESC, build, example_registry, generated_registry

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(tempfile.mkdtemp(prefix="trail-site-screenshots-"))


def _missing(reason: str) -> None:
    if os.environ.get("TRAIL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (TRAIL_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[test]')")
    executable = shutil.which("chromium")
    if executable is None:
        _missing("no `chromium` on PATH (apt-get install chromium; `make test` does it as root)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=ARGS)
        yield launched
        launched.close()
    print(f"\nscreenshots of the site: {SHOTS}")


class Watched:
    """A page that records console errors, dialogs and any request that leaves the site folder."""

    def __init__(self, browser: Any, site: Path, width: int = 1100, javascript: bool = True) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=javascript)
        self.page = self.context.new_page()
        self.site = site.resolve()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(f"file://{self.site}/"):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, rel: str) -> Any:
        self.page.goto(f"file://{self.site}/{rel}")
        return self.page

    def clean(self) -> None:
        assert self.errors == [] and self.dialogs == [] and self.outside == []
        assert "pwned" not in self.page.title()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from tests.fixtures.repos import EXAMPLE_FILES, ROOT, commit_all, git

    repo = tmp_path_factory.mktemp("browser") / "repo"
    for rel in EXAMPLE_FILES:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, repo / rel)
    git(repo.parent, "init", "--quiet", "--initial-branch=main", str(repo))
    commit_all(repo, "example project")
    example_registry(repo)
    out = repo.parent / "site"
    build(repo, out)
    return repo, out


def stage_holders(page: Any, table: str = "#artifacts") -> dict[str, dict[str, str]]:
    rows = page.query_selector_all(f"{table} tr.artifact")
    found = {}
    for row in rows:
        badges = row.query_selector_all("td.stages [data-stage]")
        found[row.get_attribute("data-name")] = {
            b.get_attribute("data-stage"): b.get_attribute("data-version") for b in badges
        }
    return found


def check_index_matches_ls(watched: Watched, repo: Path) -> None:
    registry = json.loads(trail(repo, "ls", "--json").stdout)
    every = json.loads(trail(repo, "ls", "--json", "--all").stdout)
    page = watched.open("index.html")
    holders = stage_holders(page)
    assert set(holders) == set(registry)
    assert set(stage_holders(page, "#deprecated")) == set(every) - set(registry)
    for name, info in registry.items():
        assert holders[name] == {s: v for s, v in info["stage"].items() if v}
        latest = page.query_selector(f"tr[data-name='{name}'] a.latest")
        assert (latest.inner_text() if latest else None) == info["version"]


def check_charts(watched: Watched, repo: Path, name: str) -> None:
    versions = json.loads(trail(repo, "metrics", name, "--json").stdout)
    page = watched.open(paths.artifact_page(name))
    charts = page.query_selector_all("figure.chart")
    assert charts
    for chart in charts:
        points = chart.query_selector_all("circle.pt")
        assert len(points) == len(versions)
        assert [p.get_attribute("data-version") for p in points] == [v["version"] for v in versions]
        assert chart.query_selector("figcaption").inner_text()  # the text alternative


def test_example_site_in_the_browser(browser: Any, example_site: tuple[Path, Path]) -> None:
    repo, site = example_site
    watched = Watched(browser, site)
    check_index_matches_ls(watched, repo)
    page = watched.page
    assert page.query_selector("details#deprecated") is None
    page.screenshot(path=str(SHOTS / "index.png"), full_page=True)
    page.click("tr[data-name='iris-model'] th a")
    assert page.url.endswith(paths.artifact_page("iris-model"))
    page.screenshot(path=str(SHOTS / "artifact.png"), full_page=True)
    check_charts(watched, repo, "iris-model")
    page.click("a.version:text('v1.1.0')")
    assert page.inner_text("h1") == "iris-model@v1.1.0"
    page.screenshot(path=str(SHOTS / "version.png"), full_page=True)
    lineage = json.loads(trail(repo, "lineage", "iris-model@v1.1.0", "--json").stdout)
    assert len(page.query_selector_all("svg.graph g.node.stage")) == len(lineage["stages"])
    assert len(page.query_selector_all("svg.graph g.node.input")) == len(lineage["inputs"])
    page.click("svg.graph a")  # the input that is another registered version
    assert page.inner_text("h1") == "iris-data@v1.0.0"
    page.go_back()
    page.click("a.upstream:text('iris-data@v1.0.0'), table a:text('iris-data@v1.0.0')")
    assert page.inner_text("h1") == "iris-data@v1.0.0"
    watched.clean()
    watched.close()


def test_hostile_text_runs_nothing(browser: Any, example_site: tuple[Path, Path]) -> None:
    _, site = example_site
    watched = Watched(browser, site)
    for rel in ("index.html", paths.artifact_page("scores"), paths.version_page("scores", "v0.0.1"), "history.html"):
        page = watched.open(rel)
        title = page.title()
        page.wait_for_timeout(100)
        assert page.title() == title and "pwned" not in title
        assert page.query_selector("img") is None and len(page.query_selector_all("script")) <= 1
    assert HOSTILE_DESC in watched.open("index.html").inner_text("body")  # shown as text
    assert "<img src=x onerror=" in watched.open(paths.version_page("scores", "v0.0.1")).inner_text("body")
    watched.clean()
    watched.close()


def test_filter_with_and_without_javascript(browser: Any, example_site: tuple[Path, Path]) -> None:
    _, site = example_site
    watched = Watched(browser, site)
    page = watched.open("index.html")
    page.fill("#q", "iris-data")
    visible = [r.get_attribute("data-name") for r in page.query_selector_all("tr.artifact") if r.is_visible()]
    assert visible == ["iris-data"]
    page = watched.open("index.html?q=classification")
    visible = [r.get_attribute("data-name") for r in page.query_selector_all("tr.artifact") if r.is_visible()]
    assert visible == ["iris-model"]
    watched.clean()
    watched.close()
    plain = Watched(browser, site, javascript=False)
    page = plain.open("index.html?q=iris-data")
    assert len([r for r in page.query_selector_all("tr.artifact") if r.is_visible()]) == 3  # everything, listed
    page.click("a:text('scores')")  # the jump list
    plain.clean()
    plain.close()


def test_phone_width(browser: Any, example_site: tuple[Path, Path]) -> None:
    _, site = example_site
    watched = Watched(browser, site, width=390)
    for rel in ("index.html", paths.artifact_page("iris-model"), paths.version_page("iris-model", "v1.1.0")):
        page = watched.open(rel)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, rel
        assert page.query_selector_all("table") and not page.query_selector_all("table:not(:has(th))")
    page.screenshot(path=str(SHOTS / "version-phone.png"), full_page=True)
    watched.clean()
    watched.close()


def test_generated_registry_in_the_browser(browser: Any, tmp_path: Path) -> None:
    repo = generated_registry(tmp_path / "gen")
    site = tmp_path / "site"
    build(repo, site)
    watched = Watched(browser, site)
    check_index_matches_ls(watched, repo)
    registry = json.loads(trail(repo, "ls", "--json").stdout)
    for name in registry:
        check_charts(watched, repo, name)
    page = watched.open("index.html")
    assert page.query_selector("details#deprecated") is not None  # generate.py deprecates some artifacts
    page.click("tr.artifact th a")
    page.click("a.version")
    assert "@" in page.inner_text("h1")
    assert page.query_selector_all("svg.graph g.node.stage")
    watched.clean()
    watched.close()
