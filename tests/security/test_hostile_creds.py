"""Issue 17, classes 2 and 8: credentials through the edges of "defines or redefines", and in published URLs.

Every attack is built for real in tmp_path: the user's DVC config, the attacker's repository, and loopback
HTTP(S) servers that record each request's `Authorization` header (Basic auth, or S3 SigV4's access key id).
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from dvc_trail.dvc import adapter
from dvc_trail.dvc.remotetrust import normalize_endpoint, remotes_for_untrusted
from dvc_trail.errors import TrailError
from dvc_trail.git.repository import Git
from dvc_trail.secrets import mask_secrets, public_url
from dvc_trail.site.sources import check_page_url, origin_url, tracked_remote
from tests.fixtures.hostile import SECRET, _isolated, _Recorder, attack, hostile_repo, md5, store_user_credentials  # noqa: F401
from tests.fixtures.repos import commit_all, git
from tests.fixtures.serving import serving

ENV_KEY = "AKIAENVUSERKEY000001"  # the user's access key id from the environment
STORED_KEY = "AKIASTOREDUSERKEY001"  # the user's access key id stored in DVC's global config
DATA = b"weights"


@pytest.fixture(autouse=True)
def _user_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's AWS keys in the environment, no AWS files, an empty trail config, no endpoint chosen."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret-value-0001")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "TRAIL_ALLOWED_ENDPOINTS"):
        monkeypatch.delenv(var, raising=False)


def key_ids(seen: list[tuple[str, str | None]]) -> set[str]:
    """The access key ids that signed the recorded requests (SigV4 `Credential=KEY/...`)."""
    return {m[1] for _, auth in seen if auth and (m := re.search(r"Credential=([^/]+)/", auth))}


def s3_repo(tmp_path: Path, remote: str, name: str = "evil") -> Path:
    """An attacker's repository whose default remote is `remote` (a `.dvc/config` body after `[core]`)."""
    return hostile_repo(tmp_path, "model.bin", md5(DATA), len(DATA), remote, name=name)


def user_global(tmp_path: Path, text: str) -> None:
    (tmp_path / "dvc-global" / "config").write_text(text)


# --- 1. remote:// references are resolved before deciding ---------------------------------------


def test_a_reference_to_the_users_remote_with_its_own_endpoint_gets_no_stored_keys(
    tmp_path: Path, victim: Path, http_server: tuple[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, seen = http_server
    user_global(
        tmp_path,
        f"['remote \"corp\"']\n    url = s3://corp-bucket/dvc\n    access_key_id = {STORED_KEY}\n"
        "    secret_access_key = stored-secret-value\n",
    )
    evil = s3_repo(
        tmp_path, f"[core]\n    remote = x\n['remote \"x\"']\n    url = remote://corp/sub\n    endpointurl = {server}\n"
    )
    line = attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "model.bin")
    assert f"refusing endpoint {server}" in line and "TRAIL_ALLOWED_ENDPOINTS" in line, line
    assert seen == []  # refused before any request
    # the user trusts that endpoint for their environment keys: the stored keys of `corp` still stay home
    monkeypatch.setenv("TRAIL_ALLOWED_ENDPOINTS", server)
    attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "model.bin")
    assert seen and key_ids(seen) == {ENV_KEY}, seen
    assert all(path.startswith("/corp-bucket") and "sub" in path for path, _ in seen), seen


def test_a_bare_reference_inherits_and_any_key_of_its_own_does_not(
    tmp_path: Path, victim: Path, http_server: tuple[str, list]
) -> None:
    server, seen = http_server
    store_user_credentials(tmp_path, server)  # corp: Basic auth at SERVER/corp
    plain = s3_repo(tmp_path, "[core]\n    remote = x\n['remote \"x\"']\n    url = remote://corp/sub\n", name="plain")
    attack(victim, "get", "model", "--repo", plain.as_uri(), "-o", "model.bin")
    assert seen and all(p.startswith("/corp/sub/") and a and a.startswith("Basic ") for p, a in seen), seen
    seen.clear()
    for i, extra in enumerate(("jobs = 2", "ssl_verify = false", "user = mallory", "method = GET")):
        config = f"[core]\n    remote = x\n['remote \"x\"']\n    url = remote://corp/sub\n    {extra}\n"
        evil = s3_repo(tmp_path, config, name=f"evil{i}")
        attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "model.bin")
    assert seen and all(p.startswith("/corp/sub/") and a is None for p, a in seen), seen


def test_remote_reference_loops_and_dangling_references_are_one_line(tmp_path: Path, victim: Path) -> None:
    """Attack: `remote://` cycles (DVC recurses until RecursionError) and chains deeper than any real one."""
    loop = (
        "[core]\n    remote = a\n['remote \"a\"']\n    url = remote://b/x\n['remote \"b\"']\n    url = remote://a/y\n"
    )
    assert "refers to itself" in attack(victim, "get", "model", "--repo", s3_repo(tmp_path, loop).as_uri(), code=1)
    chain = "[core]\n    remote = r0\n"
    chain += "".join(f"['remote \"r{i}\"']\n    url = remote://r{i + 1}/x\n" for i in range(40))
    chain += "['remote \"r40\"']\n    url = /tmp/store\n"
    deep = s3_repo(tmp_path, chain, name="deep")
    assert "too deep" in attack(victim, "get", "model", "--repo", deep.as_uri(), code=1)
    dangling = s3_repo(tmp_path, "[core]\n    remote = a\n['remote \"a\"']\n    url = remote://nope/x\n", name="d")
    assert "not configured" in attack(victim, "get", "model", "--repo", dangling.as_uri(), code=1)


# --- 2. any key the repository sets is a redefinition ---------------------------------------------


def test_any_key_on_the_users_remote_drops_its_credentials(
    tmp_path: Path, victim: Path, http_server: tuple[str, list]
) -> None:
    server, seen = http_server
    store_user_credentials(tmp_path, server)
    for i, extra in enumerate(("jobs = 2", "connect_timeout = 7", "read_timeout = 9", f"url = {server}/corp/")):
        evil = s3_repo(tmp_path, f"[core]\n    remote = corp\n['remote \"corp\"']\n    {extra}\n", name=f"e{i}")
        attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "model.bin")
    assert seen and all(auth is None for _, auth in seen), seen
    seen.clear()  # the control: repeating the user's own value changes nothing
    same = s3_repo(tmp_path, f"[core]\n    remote = corp\n['remote \"corp\"']\n    url = {server}/corp\n", name="same")
    attack(victim, "get", "model", "--repo", same.as_uri(), "-o", "model.bin")
    assert seen and all(auth and auth.startswith("Basic ") for _, auth in seen), seen


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, list[tuple[str, str | None]], Path]]:
    """A loopback HTTPS server with a self-signed certificate that records each request's Authorization."""
    cert, key = _self_signed(tmp_path)
    seen: list[tuple[str, str | None]] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Recorder,), {"seen": seen}))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server) as port:
        yield f"https://127.0.0.1:{port}", seen, cert


def test_ssl_verify_false_on_the_users_remote_gets_no_password(
    tmp_path: Path, victim: Path, tls_server: tuple[str, list, Path]
) -> None:
    server, seen, cert = tls_server  # the attacker's self-signed server answers at the user's very URL
    user_global(
        tmp_path,
        f"['remote \"corp\"']\n    url = {server}/corp\n    auth = basic\n    user = alice\n    password = {SECRET}\n",
    )
    for i, extra in enumerate(("ssl_verify = false", f"ssl_verify = {cert}")):
        evil = s3_repo(tmp_path, f"[core]\n    remote = corp\n['remote \"corp\"']\n    {extra}\n", name=f"tls{i}")
        attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "model.bin")
    assert seen and all(path.startswith("/corp") and auth is None for path, auth in seen), seen  # handshakes made
    seen.clear()  # the control: the user's own CA setting sends the password, as the user configured
    with (tmp_path / "dvc-global" / "config").open("a") as config:
        config.write(f"    ssl_verify = {cert}\n")
    named = s3_repo(tmp_path, "[core]\n    remote = corp\n", name="named")
    attack(victim, "get", "model", "--repo", named.as_uri(), "-o", "model.bin")
    assert seen and all(auth and auth.startswith("Basic ") for _, auth in seen), seen


# --- 3. environment credentials go only to endpoints the user chose -------------------------------


def _endpoint_repo(tmp_path: Path, endpoint: str, name: str = "evil") -> Path:
    config = f"[core]\n    remote = s3\n['remote \"s3\"']\n    url = s3://bucket/dvc\n    endpointurl = {endpoint}\n"
    return s3_repo(tmp_path, config, name=name)


def test_a_repository_endpoint_is_refused_and_aws_endpoint_url_does_not_lose(
    tmp_path: Path, victim: Path, http_server: tuple[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, seen = http_server
    evil = _endpoint_repo(tmp_path, server)
    line = attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "model.bin", code=1)
    assert line.startswith(f"trail: error: refusing endpoint {server} of DVC remote 's3'"), line
    assert "allowed_endpoints" in line and str(tmp_path / "xdg" / "trail" / "config.yaml") in line
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the README's advice: the user's own endpoint
    assert "refusing endpoint" in attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "model.bin")
    assert seen == []
    # legitimate: the same endpoint the user set in the environment (S3's own variable too)
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.setenv(var, server + "/")
        assert "missing" in attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "model.bin")
        monkeypatch.delenv(var)
    assert seen and key_ids(seen) == {ENV_KEY}


def test_allow_list_and_the_users_own_config_choose_endpoints(
    tmp_path: Path, victim: Path, http_server: tuple[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, seen = http_server
    evil = _endpoint_repo(tmp_path, server)
    config = tmp_path / "xdg" / "trail" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(f"allowed_endpoints:\n  - {server.replace('127.0.0.1', 'LOCALHOST.invalid')}\n")
    assert "refusing endpoint" in attack(victim, "get", "model", "--repo", evil.as_uri())
    config.write_text(f"allowed_endpoints: [{server}]\n")
    assert "missing" in attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "model.bin")
    config.write_text("allowed_endpoints: 5\n")
    assert "malformed" in attack(victim, "get", "model", "--repo", evil.as_uri())
    config.unlink()
    user_global(tmp_path, f"['remote \"s3\"']\n    endpointurl = {server}\n")  # the user's own DVC config
    assert "missing" in attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "model.bin")
    assert seen and key_ids(seen) == {ENV_KEY}


def test_two_remotes_on_two_allowed_endpoints(
    tmp_path: Path, http_server: tuple[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, seen = http_server
    second = tmp_path / "second"
    other: list[tuple[str, str | None]] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Recorder,), {"seen": other}))
    with serving(server) as port:
        other_url = f"http://127.0.0.1:{port}"
        (second / ".dvc").mkdir(parents=True)
        (second / ".dvc" / "config").write_text(
            f"['remote \"a\"']\n    url = s3://bucket-a/x\n    endpointurl = {first}\n"
            f"['remote \"b\"']\n    url = s3://bucket-b/y\n    endpointurl = {other_url}\n"
        )
        with pytest.raises(TrailError, match="refusing endpoint"):
            adapter.open_remote_from_config(second / ".dvc", "a")
        monkeypatch.setenv("TRAIL_ALLOWED_ENDPOINTS", f"{first}, {other_url}/")
        for name in ("a", "b"):  # the recorders answer 404: the bucket "does not exist", after a signed request
            with pytest.raises(TrailError, match="does not exist"):
                adapter.open_remote_from_config(second / ".dvc", name).probe()
    assert seen and key_ids(seen) == {ENV_KEY} and all("bucket-a" in p for p, _ in seen), seen
    assert other and key_ids(other) == {ENV_KEY} and all("bucket-b" in p for p, _ in other), other


def test_lookalike_endpoints_are_not_the_allowed_one() -> None:
    """Attack: an allow-list entry matched by prefix, userinfo, case or a different port or scheme."""
    allowed = "https://minio.corp:9000"
    env = {"TRAIL_ALLOWED_ENDPOINTS": allowed, "XDG_CONFIG_HOME": "/nonexistent"}
    ok = ("https://MINIO.corp:9000/", "https://minio.corp:9000")
    bad = (
        "https://minio.corp:9000.evil.example",
        "https://minio.corp:9000@evil.example",
        "http://minio.corp:9000",
        "https://minio.corp:9001",
        "https://minio.corp",
        "https://minio.corp:9000/../x",
        "https://minio.corp%3A9000.evil.example",
    )
    for endpoint in ok + bad:
        repo = {"s3": {"url": "s3://b/x", "endpointurl": endpoint}}
        refused = remotes_for_untrusted([], repo, environ=env).refused
        assert ("s3" in refused) == (endpoint in bad), endpoint
    assert normalize_endpoint("https://[::1]:443/") == "https://[::1]"
    # the same rule for Google's and Alibaba's endpoints; Azure and plain HTTP carry no ambient keys
    gs = {"g": {"url": "gs://b/x", "endpointurl": "https://evil.example"}, "o": {"url": "oss://b", "oss_endpoint": "e"}}
    assert set(remotes_for_untrusted([], gs, environ={}).refused) == {"g", "o"}


def test_work_tree_commands_refuse_a_pulled_endpoint(
    tmp_path: Path, http_server: tuple[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`verify`, `doctor` and `publish` in the user's own clone whose tracked config names an endpoint."""
    server, seen = http_server
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(_endpoint_repo(tmp_path, server)), str(clone))
    with pytest.raises(TrailError, match="refusing endpoint"), adapter.open_remote(clone):  # DVC adds .dvc/.gitignore
        pass
    for args in (("verify", "model@v1.0.0"), ("publish", "model@v1.0.0")):
        assert "refusing endpoint" in attack(clone, *args)
    from dvc_trail.sharing.doctor import doctor

    detail = {c.name: c.detail for c in doctor(clone)}["dvc remote"]
    assert "refusing endpoint" in detail, detail
    assert seen == []
    # the user's untracked config.local is the user's choice
    (clone / ".dvc" / "config.local").write_text(f"['remote \"s3\"']\n    endpointurl = {server}\n")
    with pytest.raises(TrailError, match="does not exist"), adapter.open_remote(clone) as store:
        store.probe()
    assert seen and key_ids(seen) == {ENV_KEY}


# --- 8. published URLs carry no userinfo, query string or fragment --------------------------------


@pytest.mark.parametrize(
    ("url", "published"),
    [
        ("https://u:p@ss@example.com/store?token=T0KEN#frag", "https://example.com/store"),
        ("s3://AKIA:se%40cret@bucket/dvc?X-Amz-Signature=abc", "s3://bucket/dvc"),
        ("https://user%3Apass%40x@example.com:8443/a%20b", "https://example.com:8443/a%20b"),
        ("http://[::1]:9000/x?sig=1", "http://[::1]:9000/x"),
        ("https://u:p@[2001:db8::1]/x#access_token=y", "https://[2001:db8::1]/x"),
        ("HTTPS://evil\\@example.com/x", "https://example.com/x"),
        ("/home/alice/store?token=x", "/home/alice/store"),
        ("azure://Container/Path", "azure://Container/Path"),
        ("remote://corp/sub?x=1", "remote://corp/sub"),
        ("https://example.com:99999/x", None),
        ("https://[::1/x", None),
        ("https://example.com/a\nb", None),
        ("https://u:123#pw@host.example/x", None),  # splits as host `u`, port 123: no reading is safe
        ("https://u:12/pw@host.example/x", None),
        ("https://u:1?pw@host.example", None),
    ],
)
def test_published_urls_are_rebuilt(url: str, published: str | None) -> None:
    assert public_url(url) == published


def test_the_site_sources_publish_no_secret(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".dvc").mkdir(parents=True)
    (repo / ".dvc" / "config").write_text(
        "[core]\n    remote = team\n['remote \"team\"']\n    url = https://bob:p@ss@store.example/dvc?token=QTOKEN#F\n"
    )
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(repo))
    commit_all(repo, "remote")
    project = Git(repo)
    assert tracked_remote(project) == {"name": "team", "url": "https://store.example/dvc"}
    for origin, expected in (
        ("https://alice:ghp_TOKEN@github.com/org/models.git", "https://github.com/org/models.git"),
        ("ssh://deploy:pw@github.com:22/org/models.git", "ssh://github.com:22/org/models.git"),
        ("ghp_TOKEN@github.com:org/models.git", "github.com:org/models.git"),
        ("git@github.com:org/models.git", "git@github.com:org/models.git"),
        ("https://github.com/org/models.git?token=QTOKEN", None),
    ):
        git(repo, "config", "remote.origin.url", origin)
        assert origin_url(project) == expected, origin
    for url in ("https://github.com/o/r?token=QTOKEN", "https://github.com/o/r#x", "https://a:b@github.com/o/r"):
        with pytest.raises(TrailError, match="without credentials, query or fragment") as err:
            check_page_url(url, "--repo-url")
        assert "QTOKEN" not in str(err.value) and ":b@" not in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        "DVC remote 'x' (https://alice:p@ss@word@host.example/x): failed",
        "cannot reach https://alice:pa/ss@host.example/x",
        "GET https://host.example/x?access_token=SECRETVAL&sig=SECRETVAL#y",
        "url=https://host.example/x?X-Goog-Signature=SECRETVAL",
        "https://user:SECRETVAL@[::1]:9000/x",
        "cannot reach https://alice:123#SECRETVAL@host.example/x",
        "cannot reach https://alice:SECRETVAL?x@host.example/x",
    ],
)
def test_printed_urls_are_masked(text: str) -> None:
    masked = mask_secrets(text)
    for secret in ("ss@word", "word@", "pa/ss", "SECRETVAL", "alice", "user:"):
        assert secret not in masked, masked
    assert "host.example" in masked or "[::1]" in masked
    assert mask_secrets("see https://host.example:8443/a/b@c and s3://b/k") == (
        "see https://host.example:8443/a/b@c and s3://b/k"
    )


def test_an_import_source_url_is_published_and_shown_without_secrets(tmp_path: Path) -> None:
    """Attack: a committed `.dvc` import whose source URL carries a token reaches the site and `lineage`."""
    from tests.fixtures.hostile import TOKEN
    from tests.fixtures.repos import trail

    repo = tmp_path / "repo"
    (repo / "ext").mkdir(parents=True)
    (repo / ".dvc").mkdir()
    (repo / ".dvc" / "config").write_text("")
    source = f"https://alice:p@ss@github.com/org/data.git?private_token={TOKEN}#{TOKEN}"
    (repo / "ext" / "vocab.txt.dvc").write_text(
        f"deps:\n- path: vocab.txt\n  repo:\n    url: '{source}'\n    rev_lock: '{'f' * 40}'\n"
        f"outs:\n- path: vocab.txt\n  md5: {'e' * 32}\n"
    )
    (repo / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: python train.py\n    deps:\n    - ext/vocab.txt\n    outs:\n    - model.bin\n"
        "artifacts:\n  model:\n    path: model.bin\n    type: model\n"
    )
    (repo / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n"
        f"    deps:\n    - path: ext/vocab.txt\n      md5: {'e' * 32}\n"
        f"    outs:\n    - path: model.bin\n      md5: {'a' * 32}\n      size: 3\n"
    )
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(repo))
    commit_all(repo, "imported vocabulary")
    git(repo, "tag", "-a", "-m", "Registering artifact model version v1.0.0", "model@v1.0.0")
    shown = trail(repo, "lineage", "model", "--json").stdout
    assert "https://github.com/org/data.git" in shown
    trail(repo, "site", "-o", str(tmp_path / "site"))
    published = [p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file()]
    assert any(b"https://github.com/org/data.git" in page for page in published)
    for text in (shown.encode(), *published):
        assert TOKEN.encode() not in text and b"p@ss" not in text and b"alice" not in text


def test_a_repository_never_prompts_for_a_password_nor_sets_a_token_command(
    tmp_path: Path, victim: Path, http_server: tuple[str, list]
) -> None:
    """Attack: `ask_password` makes DVC prompt (stdin, not only a terminal) and send the answer to the repository's
    address; webdav's `bearer_token_command` is a command DVC's plugin runs. Neither is the repository's to set."""
    server, seen = http_server
    base = f"[core]\n    remote = x\n['remote \"x\"']\n    url = {server}/x\n    auth = basic\n    user = alice\n"
    ask = s3_repo(tmp_path, base + "    ask_password = true\n", name="ask")
    (tmp_path / "typed").write_text(f"{SECRET}\n")
    with (tmp_path / "typed").open() as typed:
        line = attack(victim, "get", "model", "--repo", ask.as_uri(), "-o", "model.bin", stdin=typed.fileno())
    assert "sets ask_password, which only your own DVC config may set" in line, line
    refer = base.replace(f"url = {server}/x", "url = remote://y/sub") + f"['remote \"y\"']\n    url = {server}/y\n"
    command = s3_repo(tmp_path, refer + "    bearer_token_command = touch pwned\n", name="cmd")
    assert "bearer_token_command" in attack(victim, "get", "model", "--repo", command.as_uri(), "-o", "model.bin")
    assert seen == []
    refused = remotes_for_untrusted([{"x": {"ask_password": "true"}}], {"x": {"ask_password": "true"}}, environ={})
    assert refused.refused == {}  # the user's own setting, repeated, is still the user's


def test_the_users_own_reference_to_a_redefined_remote_carries_no_credentials() -> None:
    """Attack: the user's `private = remote://team/p` (with a password) and a repository that moves `team`."""
    user = [{"private": {"url": "remote://team/p", "auth": "basic", "user": "me", "password": "pw"}, "team": {}}]
    user[0]["team"] = {"url": "https://team.example/dvc"}
    moved = remotes_for_untrusted(user, {"team": {"url": "https://evil.example/x"}}, environ={}).remotes
    assert moved["private"] == {"url": "https://evil.example/x/p"}
    kept = remotes_for_untrusted(user, {}, environ={}).remotes  # the control: DVC's own resolution
    assert kept["private"] == {**user[0]["private"], "url": "https://team.example/dvc/p"}
    # a key set to the text "None" is still a key the repository set
    corp = {"corp": {"url": "https://corp.example", "auth": "basic", "user": "me", "password": "pw"}}
    assert "password" not in remotes_for_untrusted([corp], {"corp": {"method": "None"}}, environ={}).remotes["corp"]
    # the inherited URL loses its userinfo when a repository remote with keys of its own refers to it
    secret_url = {"corp": {"url": "https://me:pw@corp.example/dvc"}}
    derived = remotes_for_untrusted([secret_url], {"x": {"url": "remote://corp/s", "jobs": "2"}}, environ={})
    assert derived.remotes["x"]["url"] == "https://corp.example/dvc/s"
