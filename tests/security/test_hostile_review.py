"""The attacker's review pass after issue 17's fixes: further attacks on all eight classes.

Each attack is built for real in tmp_path (loopback servers only, the victim's secrets in tmp_path); those that
got through are fixed and noted in the test. `docs/SECURITY.md` lists them ("Review pass after the fixes").
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dvc_trail import api
from dvc_trail.dvc.remotetrust import remotes_for_untrusted
from dvc_trail.errors import TrailError
from dvc_trail.render import escapes
from dvc_trail.secrets import public_url
from dvc_trail.site import paths
from tests.fixtures.hostile import BASE, TOKEN, _isolated, attack, cloned, snapshot  # noqa: F401
from tests.fixtures.hostile_sites import get, home, registry, send, site_of, tree
from tests.fixtures.repos import git, trail

# --- class 3: work-tree reads --------------------------------------------------------------------------


def test_dvcs_own_folder_is_never_read_as_metrics(tmp_path: Path) -> None:
    """Found: a pull request's `dvc.yaml` naming `.dvc/tmp/gdrive-user-credentials.json` (where DVC keeps the
    user's Google token) as metrics, or a link `metrics.yaml -> .dvc/config.local` (where CI writes remote keys
    with `dvc remote modify --local`), printed them into the report: both are inside the work tree, untracked.
    Now nothing in `.dvc/` but cache objects is read as a repository-named file."""
    token_file = ".dvc/tmp/gdrive-user-credentials.json"
    repo = cloned(
        tmp_path,
        {"dvc.yaml": f"metrics:\n- {token_file}\n- metrics.yaml\n", "metrics.yaml": (".dvc/config.local",)},
        BASE,
    )
    (repo / ".dvc" / "tmp").mkdir(parents=True)
    (repo / token_file).write_text(json.dumps({"access_token": TOKEN, "refresh_token": TOKEN}))
    (repo / ".dvc" / "config.local").write_text(f"token: {TOKEN}\n")  # YAML-readable, as an attacker hopes
    for args in (("diff", "HEAD~1", "--md"), ("diff", "HEAD~1", "--json"), ("report", "--base", "HEAD~1")):
        proc = subprocess.run(
            [sys.executable, "-m", "dvc_trail", *args], cwd=repo, capture_output=True, text=True, timeout=60
        )
        output = proc.stdout + proc.stderr
        assert proc.returncode in (0, 1) and TOKEN not in output and "Traceback" not in output, output
        assert "DVC's own folder" in output, output


# --- class 1 and 7: the site folder, long names ------------------------------------------------------------


def test_a_marker_that_is_a_folder_and_output_folders_in_git(tmp_path: Path) -> None:
    """Held: a committed `site/.trail-site.json/` folder (a marker `_is_file` must not accept) is a folder
    holding no site; `-o .git`, `-o .git/refs` and `-o .git/trail` are refused or stay inside."""
    repo = registry(tmp_path)
    (repo / "site" / ".trail-site.json").mkdir(parents=True)
    (repo / "site" / ".trail-site.json" / "keep").write_text("x")
    (repo / "site" / "a").mkdir()
    (repo / "site" / "a" / "notes.txt").write_text("mine")
    before = tree(repo)
    for out in ("site", ".git", ".git/refs", ".git/objects"):
        proc = trail(repo, "site", "-o", out, check=False)
        assert proc.returncode == 1 and proc.stderr.startswith("trail: error:"), (out, proc.stderr)
        assert len(proc.stderr.splitlines()) == 1
    assert tree(repo) == before


def test_a_long_name_and_a_link_where_its_folder_goes(tmp_path: Path) -> None:
    """Held: a committed site whose hashed folder for a 150-byte name is a link to the victim's home."""
    repo = registry(tmp_path)
    name = "m" * 150
    git(repo, "tag", "-a", "-m", "Registering", f"{name}@v1.0.0")
    mine = home(tmp_path)
    before = tree(mine)
    site = repo / "site"
    (site / "a").mkdir(parents=True)
    (site / ".trail-site.json").write_text("{}")
    slug = paths.slug(name)
    assert "~~" in slug
    (site / "a" / slug).symlink_to(mine)
    (site / "api" / "v1" / "artifacts").mkdir(parents=True)
    (site / "api" / "v1" / "artifacts" / slug).symlink_to(mine / ".ssh")
    trail(repo, "site", "-o", "site")
    assert tree(mine) == before
    assert not [p for p in site.rglob("*") if p.is_symlink()]
    assert json.loads((site / paths.version_api(name, "v1.0.0")).read_text())["name"] == name


# --- class 5: the preview server ------------------------------------------------------------------------


def raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return answer


def test_preview_request_targets_and_host_spellings(preview: tuple[Path, int, Path]) -> None:
    """Held: `//attacker.example/a/model` is no protocol-relative redirect (the path keeps the host name), an
    absolute-form target with a foreign Host, a trailing-dot, IPv6, zero-padded or listed Host, HTTP/1.0
    without Host."""
    _, port, _ = preview
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET //attacker.example/a/model HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        head = sock.recv(4096).decode()
    assert head.startswith("HTTP/1.0 404") and "Location" not in head, head  # read as /attacker.example/a/model
    answer = raw(port, f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: attacker.example\r\n\r\n".encode())
    assert b" 421 " in answer.split(b"\r\n")[0] and b"registry" not in answer
    for host in (f"127.0.0.1.:{port}", f"[::1]:{port}", f"127.0.0.1:0{port}", f"localhost:{port}, evil.example"):
        status, body = get(port, "/", host)
        assert status == 421 and b"registry" not in body, host
    answer = raw(port, b"GET / HTTP/1.0\r\n\r\n")
    assert b" 400 " in answer.split(b"\r\n")[0] and b"registry" not in answer


def test_preview_redirect_headers_cannot_be_split(preview: tuple[Path, int, Path]) -> None:
    """Held: a committed folder named `x\r\nSet-Cookie: ...` (git allows CR and LF in names), asked for
    without its final `/`, gets a Location with the line break percent-encoded: no header is added."""
    folder, port, _ = preview
    (folder / "x\r\nSet-Cookie: pwned=1").mkdir()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET /x%0d%0aSet-Cookie:%20pwned=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        head = sock.recv(4096).decode()
    assert head.startswith("HTTP/1.0 301") and "\r\nSet-Cookie" not in head and "%0D%0A" in head, head


# --- class 6: reading a published site -----------------------------------------------------------------


def test_redirect_loops_and_continue_floods(hostile_site: tuple) -> None:
    """Held: a redirect loop is one line; endless `100 Continue` answers and an endless chunked body end at the
    deadline or the size bound."""
    url, routes, _ = hostile_site
    routes["/loop/"] = lambda h: send(b"", 302, Location=h.path)(h)
    with pytest.raises(TrailError, match="HTTP 302"):
        api.resolve("model", registry=f"{url}/loop")

    def flood(h: object) -> None:
        try:
            while True:
                h.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n" * 64)  # type: ignore[attr-defined]
        except OSError:
            pass

    routes["/flood/"] = flood
    started = time.monotonic()
    with pytest.raises(TrailError, match="longer than 1 s|cannot read"):
        api.resolve("model", registry=f"{url}/flood", timeout=1)
    assert time.monotonic() - started < 5

    def chunks(h: object) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")  # type: ignore[attr-defined]
        try:
            while True:
                h.wfile.write(b"10000\r\n" + b" " * 0x10000 + b"\r\n")  # type: ignore[attr-defined]
        except OSError:
            pass

    routes["/chunked/"] = chunks
    with pytest.raises(TrailError, match="larger than 32 MiB"):
        api.resolve("model", registry=f"{url}/chunked")


def test_duplicate_keys_and_hidden_text_in_site_json(tmp_path: Path, victim: Path) -> None:
    """Held: a duplicate key (the later one wins in Python's parser, and is the one checked), a path with
    U+202E or U+2066, and a remote URL with an escape sequence and bidi text reaching the terminal through
    `get --registry`'s error. Found: a remote URL with an unbalanced `[` (`https://[x/y`) ended in
    `ValueError: Invalid IPv6 URL`, exit 3; now one line."""
    site, version, doc = site_of(tmp_path)
    text = json.dumps(doc)
    for forged in (
        text.replace('"path": "model.bin"', '"path": "model.bin", "path": "../../home/.bashrc"'),
        text.replace('"size": 7', '"size": 7, "size": -1'),
        text.replace('"path": "model.bin"', '"path": "model\\u202enib.exe"'),
        text.replace('"path": "model.bin"', '"path": "\\u2066model.bin"'),
    ):
        assert forged != text
        version.write_text(forged)
        with pytest.raises(TrailError):
            api.resolve("model", registry=str(site))
    doc["remote"] = {"name": "store", "url": "ftp://h/\x1b]8;;https://attacker.example\x07x\u202e/y"}
    version.write_text(json.dumps(doc))
    line = attack(victim, "get", "model", "--registry", str(site))
    assert "\u202e" not in line and "\x07" not in line and "not a remote type" in line, line
    for url in ("https://[attacker.example/x", "s3://bucket]/x", "https://h:99999/x"):
        doc["remote"] = {"name": "store", "url": url}
        version.write_text(json.dumps(doc))
        line = attack(victim, "get", "model", "--registry", str(site), code=1)
        assert "malformed DVC remote" in line or "refusing" in line, line


@pytest.mark.parametrize(
    "url",
    [
        "http://127.1/store",
        "http://0x7f.1/store",
        "http://2130706433/store",
        "http://017700000001/store",
        "http://0/store",
        "http://localhost./store",
        "http://[::ffff:127.0.0.1]/store",
        "http://[::ffff:a9fe:a9fe]/latest",
        "https://0xa9fea9fe/latest",
    ],
)
def test_a_site_on_the_web_names_this_machine_in_another_spelling(url: str) -> None:
    """Found: a site on the web could point the reader's DVC at this machine or the metadata service with an
    address the resolver reads as 127.0.0.1 or 169.254.169.254 (`127.1`, hex, octal, an integer, `0`,
    `localhost.`, an IPv4-mapped IPv6 address); only the dotted and `[::1]` forms were refused."""
    from dvc_trail.site import client

    with pytest.raises(TrailError, match="names this machine"):
        client.check_remote({"name": "r", "url": url}, "https://models.example.com/registry", "v1.json")
    assert client.check_remote({"name": "r", "url": "https://127.example/x"}, "https://models.example.com", "v")


def test_a_folder_site_with_a_link_on_the_way(tmp_path: Path) -> None:
    """Found: only the last part of a folder site's file was opened without following a link, so
    `api/v1/artifacts/model -> elsewhere` read a version file outside the site folder; now refused."""
    site, version, _ = site_of(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    version.parent.rename(elsewhere)
    version.parent.symlink_to(elsewhere)
    with pytest.raises(TrailError, match="leaves the site folder"):
        api.resolve("model@v1.0.0", registry=str(site))
    linked = tmp_path / "linked-site"  # the folder the user names may itself be a link
    linked.symlink_to(site)
    version.parent.unlink()
    elsewhere.rename(version.parent)
    assert api.resolve("model@v1.0.0", registry=str(linked)).version == "v1.0.0"


# --- class 2: credentials ---------------------------------------------------------------------------------


def test_remote_names_by_case_and_lookalike_sections() -> None:
    """Held: the repository defines `CORP` (DVC's names are case-sensitive) and refers to `remote://CORP/x`;
    trail resolves references itself, so whatever name it follows, the user's password travels only with the
    user's own URL."""
    user = [{"corp": {"url": "https://corp.example/dvc", "password": TOKEN, "user": "alice"}}]
    repo = {"CORP": {"url": "https://attacker.example/x"}, "evil": {"url": "remote://CORP/x"}}
    result = remotes_for_untrusted(user, repo, environ={})
    for name, entry in result.remotes.items():
        if name not in result.refused and TOKEN in json.dumps(entry):
            assert entry["url"].startswith("https://corp.example/dvc"), (name, entry)
    assert TOKEN not in json.dumps(result.remotes["CORP"])
    repo = {"corp ": {"url": "https://attacker.example/x"}, "evil": {"url": "remote:// corp/x", "jobs": "2"}}
    result = remotes_for_untrusted(user, repo, environ={})
    assert "evil" in result.refused or TOKEN not in json.dumps(result.remotes["evil"])


def test_one_remote_under_two_section_spellings(tmp_path: Path) -> None:
    """Held: `['remote "corp"']` and `[remote "corp"]` in one repository config (configobj reads both as one
    section, so which URL wins would be the parser's choice) is one `dvc config` error, before any request."""
    from dvc_trail.dvc import adapter

    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text(
        "[core]\n    remote = corp\n['remote \"corp\"']\n    url = https://corp.example/x\n"
        '[remote "corp"]\n    url = https://attacker.example/x\n'
    )
    with pytest.raises(TrailError, match="dvc config"):
        adapter._untrusted_config(tmp_path / ".dvc", False, None)


def test_a_repository_region_cannot_name_a_host() -> None:
    """Held (by botocore): an S3 remote's `region = attacker.example/x` would make the provider's endpoint
    `s3.attacker.example...`; botocore refuses any region that is not a DNS label."""
    botocore_session = pytest.importorskip("botocore.session")
    from botocore.exceptions import InvalidRegionError

    session = botocore_session.get_session()
    for region in ("attacker.example/x", "us-east-1.attacker.example", "x@attacker.example"):
        with pytest.raises(InvalidRegionError):
            session.create_client("s3", region_name=region, aws_access_key_id="a", aws_secret_access_key="b")


# --- class 8: credentials in published URLs ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://dav.example/store;token=s3cr3t",
        "https://dav.example/store;jsessionid=1/password%3Ds3cr3t",
        "/mnt/share;password=s3cr3t",
        "https://u:p\uff20dav.example/x",  # a fullwidth @ that NFKC makes a real one
    ],
)
def test_credentials_in_a_urls_path_are_not_published(url: str) -> None:
    """Found: path parameters (`;token=`) are no query string, so the rebuilt URL kept them; now such a URL is
    not published (as one with an `@` outside its userinfo)."""
    assert public_url(url) is None
    assert public_url("https://dav.example/password-reset/models") == "https://dav.example/password-reset/models"


# --- class 4: text per medium ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["&#64;org/team", "&commat;org/team", "&#x40;org", "<https://attacker.example>", "a | b | c", "\\|`x`\\|"],
)
def test_markdown_entities_autolinks_and_pipes(text: str) -> None:
    """Held: an HTML entity for `@`, an angle-bracket autolink and table pipes stay text in every Markdown form."""
    for out in (escapes.for_markdown(text), escapes.markdown_value(text), escapes.for_code(text)):
        unescaped = out.replace("\\&", "").replace("\\<", "").replace("\\|", "")
        if not out.startswith("`"):
            assert "&" not in unescaped and "<" not in unescaped and "|" not in unescaped, out
        else:
            assert "|" not in unescaped, out


def test_c1_controls_and_string_terminators_never_reach_the_terminal() -> None:
    """Held: OSC 8 hyperlinks and DCS strings written with 8-bit C1 controls (U+009D, U+0090, U+009C) or with
    BEL, the NEL line break U+0085, and U+FFF9 (interlinear annotation, Cf)."""
    for text in ("\x9d8;;https://attacker.example\x9clink\x9d8;;\x9c", "\x90q\x9c", "a\x85trail: error: x", "\ufff9x"):
        for out in (escapes.for_line(text), escapes.for_terminal(text), escapes.for_rich(text)):
            assert not any(ord(c) in (0x85, 0x90, 0x9C, 0x9D, 0xFFF9) for c in out), out
        assert "\n" not in escapes.for_line(text)
