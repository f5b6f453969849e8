"""`trail get --registry` and `api.*(registry=...)`: resolve through a published site, fetch from its DVC remote."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dvc_trail.site import paths
from tests.fixtures.repos import refs_snapshot, run, trail
from tests.fixtures.serving import serving


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def http_site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served on 127.0.0.1 (what GitHub Pages or any static host would do)."""
    folder = tmp_path / "published"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as port:
        yield folder, f"http://127.0.0.1:{port}/site"


def test_get_through_the_site(
    s3_repo: Path, tmp_path: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, http_site: tuple[Path, str]
) -> None:
    trail(s3_repo, "register", "iris-model", "--version", "v1.0.0", "--push")
    trail(s3_repo, "register", "iris-data", "--version", "v1.0.0", "--push")
    trail(s3_repo, "assign", "iris-model@v1.0.0", "prod")
    folder, url = http_site
    trail(s3_repo, "site", "-o", str(folder / "site"))
    model = md5((s3_repo / "models" / "model.pkl").read_bytes())

    consumer = tmp_path / "consumer"
    consumer.mkdir()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)  # the consumer's own endpoint and credentials
    out = trail(consumer, "get", "iris-model#prod", "--registry", url, "-o", "model.pkl").stdout
    assert "iris-model@v1.0.0" in out and md5((consumer / "model.pkl").read_bytes()) == model
    trail(consumer, "get", "iris-data", "--registry", str(folder / "site"))
    for name in ("train.csv", "test.csv"):
        assert (consumer / "prepared" / name).read_bytes() == (s3_repo / "data/prepared" / name).read_bytes()

    from dvc_trail import api

    resolved = api.resolve("iris-model#prod", registry=url)
    assert (resolved.version, resolved.md5, resolved.path) == ("v1.0.0", model, "models/model.pkl")
    with api.open("iris-model@v1.0.0", registry=(folder / "site").as_uri()) as fobj:
        assert md5(fobj.read()) == model
    target = api.get("iris-data@v1.0.0", registry=url, out=tmp_path / "api-data")
    assert sorted(p.name for p in target.iterdir()) == ["test.csv", "train.csv"]

    proc = trail(consumer, "get", "iris-model#staging", "--registry", url, check=False)
    assert proc.returncode == 1 and "no version of iris-model is in stage 'staging'" in proc.stderr
    proc = trail(consumer, "get", "nope", "--registry", url, check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("trail: error: not in the registry")
    proc = trail(consumer, "get", "iris-model", "--registry", "ftp://example.com/site", check=False)
    assert proc.returncode == 2 and "refusing registry" in proc.stderr


def test_hostile_site_json_is_refused(example_repo: Path, tmp_path: Path) -> None:
    trail(example_repo, "register", "iris-model")
    site = tmp_path / "site"
    trail(example_repo, "site", "-o", str(site))
    version = site / paths.version_api("iris-model", "v0.0.1")
    good = json.loads(version.read_text())
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    before = refs_snapshot(example_repo)
    for change, message in (
        ({"hash": {"md5": "../../../../dev/zero"}}, "invalid"),
        ({"path": "out/.git/config"}, "refusing artifact path"),
        ({"remote": {"name": "x\n[core]", "url": "s3://b"}}, "malformed DVC remote"),
        ({"remote": {"name": "local", "url": "../.dvc-storage"}}, "relative to a work tree"),
    ):
        version.write_text(json.dumps({**good, **change}))
        proc = trail(consumer, "get", "iris-model", "--registry", str(site), check=False)
        assert proc.returncode == 1 and proc.stderr.startswith("trail: error:"), proc.stderr
        assert message in proc.stderr and proc.stderr.count("\n") == 1
        assert list(consumer.iterdir()) == []
    assert refs_snapshot(example_repo) == before


def test_resolve_through_a_site_never_imports_dvc(example_repo: Path, tmp_path: Path) -> None:
    trail(example_repo, "register", "iris-model")
    trail(example_repo, "site", "-o", str(tmp_path / "site"))
    code = (
        "import sys; from dvc_trail import api; "
        f"print(api.resolve('iris-model', registry={str(tmp_path / 'site')!r}).version); "
        "print('dvc' in sys.modules)"
    )
    assert run([sys.executable, "-c", code], tmp_path).stdout.split() == ["v0.0.1", "False"]
