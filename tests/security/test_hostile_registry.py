"""Hostile registry sites (issue 17, class 6) and sizes from any untrusted file.

`trail get --registry` and `api.*(registry=...)` read a site someone else publishes: every file has a total
deadline, is checked against trail's own copy of the API schema, and sizes are non-negative integers in the
site's JSON, `dvc.lock`, `.dvc` files and `.dir` manifests alike. Each attack is built for real in tmp_path
(a loopback server where HTTP matters); refusals go through `tests/fixtures/hostile.py::attack`.
"""

from __future__ import annotations

import gzip
import http.server
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from dvc_trail import api
from dvc_trail.errors import TrailError, UsageError
from dvc_trail.site import client, paths, schema
from dvc_trail.store import objects
from tests.fixtures.hostile import (
    TOKEN,
    _isolated,  # noqa: F401 - autouse here
    attack,
    hostile_repo,
    local_remote,
    store_object,
)
from tests.fixtures.hostile_sites import Route, send, site_of
from tests.fixtures.repos import commit_all, git, run, trail


@pytest.fixture
def user(request: pytest.FixtureRequest) -> Path:
    """`tests/fixtures/hostile.py::victim`: the user's own repository, where they run `trail get`."""
    return request.getfixturevalue("victim")


def trickle(headers_too: bool = False) -> Route:
    """A route sending one byte every 0.2 s (of the body, or of the headers), for at most 20 s."""

    def route(h: http.server.BaseHTTPRequestHandler) -> None:
        raw = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
        if not headers_too:
            h.wfile.write(raw)
            raw = b"{" + b" " * 99
        try:
            for byte in raw:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the reader gave up

    return route


# --- the deadline ---------------------------------------------------------------------------------


def test_a_trickling_site_meets_the_deadline(user: Path, hostile_site: tuple) -> None:
    url, routes, _ = hostile_site
    routes["/site/"] = trickle()
    started = time.monotonic()
    line = attack(user, "get", "model", "--registry", f"{url}/site", "--timeout", "1", timeout=30)
    assert time.monotonic() - started < 10
    assert f"{url}/site/{paths.artifact_api('model')}" in line and "--timeout" in line, line
    routes["/site/"] = trickle(headers_too=True)  # the status line and headers, a byte at a time
    started = time.monotonic()
    with pytest.raises(TrailError, match="took longer than 0.5 s"):
        api.resolve("model", registry=f"{url}/site", timeout=0.5)
    assert time.monotonic() - started < 3


def test_the_timeout_is_checked(user: Path, tmp_path: Path) -> None:
    for value in ("0", "-1", "nan", "inf"):
        assert "timeout" in attack(user, "get", "model", "--registry", str(tmp_path), "--timeout", value, code=2)
    assert "--registry" in attack(user, "get", "model", "--timeout", "5", code=2)
    for bad in (0, -1.0, True, float("nan")):
        with pytest.raises(UsageError):
            api.resolve("model", registry=str(tmp_path), timeout=bad)
    with pytest.raises(UsageError, match="registry"):
        api.resolve("model", repo=str(tmp_path), timeout=5)


# --- the schema -----------------------------------------------------------------------------------


def test_the_site_output_validates_against_the_published_schema(example_repo: Path, tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    trail(example_repo, "register", "iris-model")
    trail(example_repo, "register", "iris-data")
    commit_all(example_repo, "next")  # one version per commit
    trail(example_repo, "register", "iris-model", "--bump-minor")
    trail(example_repo, "assign", "iris-model@v0.0.1", "prod")
    site = tmp_path / "site"
    trail(example_repo, "site", "-o", str(site))
    published = (site / "api" / "v1" / "schema.json").read_bytes()
    assert published == schema.published()
    Draft202012Validator.check_schema(json.loads(published))
    api_dir = site / "api" / "v1"
    kinds = {api_dir / "registry.json": "registry"}
    kinds |= {p: "artifact" for p in (api_dir / "artifacts").glob("*.json")}
    kinds |= {p: "version_file" for p in (api_dir / "artifacts").glob("*/*.json")}
    assert len(kinds) == 1 + 2 + 3
    whole = Draft202012Validator(json.loads(published))
    for path, kind in kinds.items():
        doc = json.loads(path.read_bytes())
        assert schema.check(doc, kind, str(path)) is doc
        whole.validate(doc)  # the published file itself, as any other reader would use it


def test_mistyped_site_fields_are_refused(tmp_path: Path, user: Path) -> None:
    site, version, good = site_of(tmp_path)
    artifact = site / paths.artifact_api("model")
    good_artifact = json.loads(artifact.read_text())
    # the example and the size rules, through the CLI: one line naming the JSON path, exit 1
    artifact.write_text(json.dumps({**good_artifact, "stages": 5}))
    line = attack(user, "get", "model#prod", "--registry", str(site), code=1)
    assert "$.stages: not of type object" in line, line
    artifact.write_text(json.dumps(good_artifact))
    version.write_text(json.dumps({**good, "hash": {**good["hash"], "size": -1}}))
    line = attack(user, "get", "model", "--registry", str(site), code=1)
    assert "$.hash.size" in line, line
    # the rest in-process (the same code path): every one a TrailError naming the field, never a TypeError
    artifact_cases = [
        ({"versions": "v1.0.0"}, "$.versions: not of type array"),
        ({"latest": 5}, "$.latest"),
        ({"latest": "../../../../etc/passwd"}, "$.latest"),
        ({"latest": "v1.0.0\n"}, "$.latest"),  # Python's `$` matches before a final newline: the schema's does not
        ({"versions": [{"version": ["v1.0.0"]}]}, "$.versions[0].version"),
        ({"stages": {"prod": {"x": 1}}}, "$.stages.prod"),
        ({"versions": [{"version": "v1.0.0"}] * 100_001}, "$.versions: more than 100000 entries"),  # before items
    ]
    for change, path in artifact_cases:
        artifact.write_text(json.dumps({**good_artifact, **change}))
        with pytest.raises(TrailError, match=path.replace("$", r"\$").replace("[", r"\[")):
            api.resolve("model#prod" if "stages" in change else "model", registry=str(site))
    artifact.write_text(json.dumps(good_artifact))
    hash_ = good["hash"]
    version_cases = [
        ({"hash": {**hash_, "size": 1.0}}, "$.hash.size"),
        ({"hash": {**hash_, "size": True}}, "$.hash.size"),
        ({"hash": {**hash_, "size": "7"}}, "$.hash.size"),
        ({"hash": {**hash_, "size": 10**30}}, "$.hash.size"),
        ({"hash": {**hash_, "nfiles": -3}}, "$.hash.nfiles"),
        ({"hash": "md5"}, "$.hash"),
        ({"show": {**good["show"], "stages": 5}}, "$.show.stages"),
        ({"commit": 5}, "$.commit"),
        ({"commit": "a" * 40 + "\n"}, "$.commit"),
        ({"remote": ["local", "/tmp"]}, "$.remote"),
        ({"path": {"a": 1}}, "$.path"),
    ]
    for change, path in version_cases:
        version.write_text(json.dumps({**good, **change}))
        with pytest.raises(TrailError, match=path.replace("$", r"\$")) as caught:
            api.resolve("model", registry=str(site))
        assert len(str(caught.value)) < 400 and "\n" not in str(caught.value)
    version.write_text(json.dumps({**good, "remote": {"name": "store\n", "url": good["remote"]["url"]}}))
    with pytest.raises(TrailError, match="malformed DVC remote"):  # a newline into the DVC config trail writes
        api.resolve("model", registry=str(site))
    version.write_text(json.dumps({**good, "version": "v0.0.1"}))  # another version's file, served for this one
    with pytest.raises(TrailError, match="describes another version"):
        api.resolve("model", registry=str(site))
    version.write_text(json.dumps([good]))
    with pytest.raises(TrailError, match=r"\$: not of type object"):
        api.resolve("model", registry=str(site))
    for raw in ('{"a":' * 100_000, '{"hash": ' + "9" * 20_000 + "}"):  # too deep to parse, past int's digit limit
        version.write_text(raw)
        with pytest.raises(TrailError, match="malformed JSON"):
            api.resolve("model", registry=str(site))


def test_schema_errors_show_no_value_from_the_site(tmp_path: Path) -> None:
    site, version, good = site_of(tmp_path)
    secret = f"password={TOKEN}"
    version.write_text(json.dumps({**good, "path": {"x": secret}, "commit": secret}))
    with pytest.raises(TrailError) as caught:
        api.resolve("model", registry=str(site))
    assert TOKEN not in str(caught.value) and "password" not in str(caught.value)


# --- sizes are non-negative integers everywhere ---------------------------------------------------


def test_negative_sizes_never_read_everything(tmp_path: Path, user: Path) -> None:
    store = tmp_path / "store"
    oid = "0123456789abcdef0123456789abcdef"
    (store / "files" / "md5" / oid[:2]).mkdir(parents=True)
    (store / "files" / "md5" / oid[:2] / oid[2:]).symlink_to("/dev/zero")  # endless unless the size bounds it
    for n, size in enumerate(("-2", "-1", "true", "1.5", "'10'", "²", "١٢")):
        repo = hostile_repo(tmp_path, "model.bin", oid, size, local_remote(store), name=f"lock{n}")  # type: ignore[arg-type]
        line = attack(user, "get", "model", "--repo", repo.as_uri(), "-o", "m.bin", timeout=60)
        assert "refusing size" in line and "dvc.lock" in line, line
        proc = trail(repo, "site", "-o", str(tmp_path / f"site{n}"), check=False)  # never published either
        assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "refusing size" in proc.stderr, proc.stderr
    # a .dvc file (`dvc add`) with a negative size
    repo = tmp_path / "added"
    (repo / ".dvc").mkdir(parents=True)
    (repo / ".dvc" / "config").write_text(local_remote(store))
    (repo / "dvc.yaml").write_text("artifacts:\n  model:\n    path: model.bin\n    type: model\n")
    (repo / "model.bin.dvc").write_text(f"outs:\n- md5: {oid}\n  size: -5\n  hash: md5\n  path: model.bin\n")
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(repo))
    commit_all(repo, "added")
    git(repo, "tag", "-a", "-m", "Registering", "model@v1.0.0")
    line = attack(user, "get", "model", "--repo", repo.as_uri(), "-o", "m.bin", timeout=60)
    assert "refusing size" in line and "model.bin.dvc" in line, line
    # a `.dir` manifest whose entry has a negative size
    listing = json.dumps([{"md5": oid, "relpath": "a.bin", "size": -2}]).encode()
    dir_oid = store_object(store, listing) + ".dir"
    (store / "files" / "md5" / dir_oid[:2] / dir_oid[2:]).write_bytes(listing)
    repo = hostile_repo(tmp_path, "data", dir_oid, None, local_remote(store), name="manifest")
    line = attack(user, "get", "model", "--repo", repo.as_uri(), "-o", "d", timeout=60)
    assert "refusing size" in line and "manifest" in line, line


@pytest.mark.parametrize("limit", [-1, -2, True, 1.5])
def test_bounded_reads_refuse_a_bad_limit(tmp_path: Path, limit: Any) -> None:
    with pytest.raises(TrailError, match="refusing size"):
        objects.copy_bounded(io.BytesIO(b"x" * 100), tmp_path / "out", limit, "an object")
    with pytest.raises(TrailError, match="refusing size"):
        objects.read_bounded(io.BytesIO(b"x" * 100), limit, "a manifest")
    with pytest.raises(TrailError, match="refusing size"):
        objects.DataRef("0" * 32, size=limit)
    with pytest.raises(TrailError, match="refusing size"):
        objects.DataObject("0" * 32, "a", limit)
    assert not (tmp_path / "out").exists()


# --- further attacks: redirects, lengths, encodings, remotes, files that are not files ----------------


def test_redirects_stay_on_the_same_origin(tmp_path: Path, user: Path, hostile_site: tuple) -> None:
    url, routes, seen = hostile_site
    site, _, _ = site_of(tmp_path)
    port = url.rsplit(":", 1)[1]
    moved = f"http://localhost:{port}/site/"  # the same server under another host name
    routes["/elsewhere/"] = lambda h: send(b"", 302, Location=moved + h.path.removeprefix("/elsewhere/"))(h)
    routes["/ftp/"] = send(b"", 301, Location=f"ftp://127.0.0.1:{port}/x")
    routes["/same/"] = lambda h: send(b"", 307, Location=h.path.replace("/same/", "/site/", 1))(h)
    routes["/site/"] = lambda h: send((site / h.path.removeprefix("/site/")).read_bytes())(h)
    line = attack(user, "get", "model", "--registry", f"{url}/elsewhere")
    assert "refusing a redirect to another host or scheme (http://localhost:" in line, line
    assert not any(path.startswith("/site/") for path, _ in seen)  # nothing followed it
    with pytest.raises(TrailError, match=r"redirect to another host or scheme \(ftp://"):
        api.resolve("model", registry=f"{url}/ftp")
    assert api.resolve("model", registry=f"{url}/same").version == "v1.0.0"  # a move on the same site is fine
    assert api.resolve("model", registry=f"{url}/site", timeout=1e300).version == "v1.0.0"  # no overflow


def test_declared_lengths_and_encodings(user: Path, hostile_site: tuple) -> None:
    url, routes, seen = hostile_site
    routes["/huge/"] = send(b"{}", Content_Length=str(10**12))
    line = attack(user, "get", "model", "--registry", f"{url}/huge")
    assert "larger than 32 MiB" in line, line
    routes["/short/"] = send(b'{"name": "model", "latest": null}', Content_Length="9")
    with pytest.raises(TrailError, match="malformed JSON"):
        api.resolve("model", registry=f"{url}/short")
    bomb = gzip.compress(b" " * (64 << 20), compresslevel=9)  # 64 MiB of spaces in about 64 KB
    routes["/gzip/"] = send(bomb, Content_Encoding="gzip")
    started = time.monotonic()
    with pytest.raises(TrailError, match="'gzip'-encoded body"):
        api.resolve("model", registry=f"{url}/gzip")
    assert time.monotonic() - started < 5
    assert all(h.get("Accept-Encoding", "identity") == "identity" for _, h in seen)  # never asks for compression


def test_a_site_names_only_network_remotes(tmp_path: Path, user: Path) -> None:
    site, version, good = site_of(tmp_path)
    for url in ("remote://corp/models", "ftp://example.com/x", "git+ssh://h/x", "javascript://x"):
        version.write_text(json.dumps({**good, "remote": {"name": "corp", "url": url}}))
        line = attack(user, "get", "model", "--registry", str(site))
        assert "not a remote type trail reads from a site" in line, line
    version.write_text(json.dumps({**good, "remote": None}))
    assert "names no DVC remote" in attack(user, "get", "model", "--registry", str(site))
    # a site on the web may not point the reader's DVC at this machine (checked before any download)
    where = "api/v1/artifacts/model/v1.0.0.json"
    web = "https://models.example.com/registry"
    for url, why in (
        ("/home/victim/.dvc/cache", "names a local folder"),
        ("file:///etc", "not a remote type"),
        ("http://127.0.0.1:8080/store", "names this machine"),
        ("http://[::1]/store", "names this machine"),
        ("https://169.254.169.254/latest", "names this machine"),
        ("s3://bucket.localhost/x", "names this machine"),
    ):
        with pytest.raises(TrailError, match=why):
            client.check_remote({"name": "r", "url": url}, web, where)
    assert client.check_remote({"name": "r", "url": "s3://team-models/store"}, web, where)
    assert client.check_remote({"name": "r", "url": "/srv/store"}, str(site), where)  # a folder site: its machine


def test_a_folder_site_file_must_be_a_regular_file(tmp_path: Path, user: Path) -> None:
    site, version, good = site_of(tmp_path)
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(good))
    version.unlink()
    version.symlink_to(outside)  # even a valid document: a link in a site folder is not followed
    assert "a link: refused" in attack(user, "get", "model", "--registry", str(site))
    artifact = site / paths.artifact_api("model")
    artifact.unlink()
    artifact.symlink_to("/dev/zero")
    assert "a link: refused" in attack(user, "get", "model", "--registry", str(site))
    artifact.unlink()
    os.mkfifo(artifact)  # opening a FIFO for reading would wait for a writer forever
    started = time.monotonic()
    assert "not a regular file" in attack(user, "get", "model", "--registry", str(site), timeout=30)
    assert time.monotonic() - started < 10


def test_jsonschema_is_imported_only_for_a_registry(tmp_path: Path) -> None:
    site, _, _ = site_of(tmp_path)
    repo = tmp_path / "evil"  # site_of's repository: its data is in the local store
    out = tmp_path / "out"
    out.mkdir()
    for args, wanted in (
        (["ls", "--json"], False),
        (["get", "model", "--repo", str(repo), "-o", "a.bin"], False),
        (["get", "model", "--registry", str(site), "-o", "b.bin", "--timeout", "5"], True),
    ):
        proc = run([sys.executable, "-X", "importtime", "-m", "dvc_trail", *args], out if args[0] == "get" else repo)
        imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
        assert ("jsonschema" in imported) is wanted, args
    assert (out / "a.bin").read_bytes() == (out / "b.bin").read_bytes() == b"weights"
