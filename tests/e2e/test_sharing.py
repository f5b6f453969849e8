"""Sharing end to end: publish, get, verify and doctor against a real S3 endpoint (moto) and a bare git origin."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import yaml

from dvc_trail.secrets import mask_secrets, secrets_in_config
from tests.fixtures.repos import S3_ENV, commit_all, dvc, free_port, git, gto, run, trail


def set_remote(repo: Path, key: str, value: str) -> None:
    """`dvc remote modify --local s3remote KEY VALUE`: endpoint, timeouts, jobs of the test's S3 remote."""
    dvc(repo, "remote", "modify", "--local", "s3remote", key, value)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def lock_md5(repo: Path, path: str) -> str:
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    return next(o["md5"] for s in lock["stages"].values() for o in s.get("outs", []) if o["path"] == path)


def origin_tags(repo: Path) -> dict[str, str]:
    out = git(repo, "ls-remote", "--tags", "origin")
    pairs = (line.split("\t") for line in out.splitlines())
    return {ref.removeprefix("refs/tags/"): sha for sha, ref in pairs if not ref.endswith("^{}")}


def local_tags(repo: Path) -> dict[str, str]:
    out = git(repo, "for-each-ref", "--format=%(refname:strip=2)\t%(objectname)", "refs/tags")
    return dict(line.split("\t") for line in out.splitlines())


def bucket_keys(endpoint: str, bucket: str) -> list[str]:
    pages = boto3.client("s3", endpoint_url=endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def object_key(oid: str) -> str:
    return f"store/files/md5/{oid[:2]}/{oid[2:]}"


def fails(repo: Path, *args: str) -> str:
    """Run trail expecting exit 1 with one clear line on stderr; returns that line."""
    proc = trail(repo, *args, check=False)
    assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trail: error:"), proc.stderr
    return lines[0]


def clone_as(tmp_path: Path, alice: Path, name: str, endpoint: str) -> Path:
    """A second person's clone of origin, with the same DVC remote (endpoint in their own config.local)."""
    repo = tmp_path / name
    git(tmp_path, "clone", "--quiet", str(tmp_path / "origin.git"), str(repo))
    set_remote(repo, "endpointurl", endpoint)
    return repo


def test_publish_then_get_from_a_fresh_directory(
    s3_repo: Path, tmp_path: Path, moto_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = trail(s3_repo, "register", "iris-model", "--version", "v1.0.0", "--push").stdout
    assert "uploaded 1, all 1 object(s)" in out and "Pushed to origin" in out
    trail(s3_repo, "register", "iris-data", "--version", "v1.0.0", "--push")
    out = trail(s3_repo, "assign", "iris-model@v1.0.0", "prod", "--push").stdout
    assert "iris-model#prod#1" in out and "Already there: iris-model@v1.0.0" in out
    assert set(origin_tags(s3_repo)) == {"iris-model@v1.0.0", "iris-data@v1.0.0", "iris-model#prod#1"}
    model, data = lock_md5(s3_repo, "models/model.pkl"), lock_md5(s3_repo, "data/prepared")
    assert len(bucket_keys(moto_endpoint, s3_bucket)) == 4  # model, two csv files, the .dir manifest

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    origin = (tmp_path / "origin.git").as_uri()  # a URL: read with a blob-less, depth-1 fetch, no clone
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)  # the consumer's side: endpoint from the environment
    got = trail(fresh, "get", "iris-model#prod", "--repo", origin, "-o", "model.pkl").stdout
    assert "iris-model@v1.0.0" in got
    assert md5((fresh / "model.pkl").read_bytes()) == model == md5((s3_repo / "models/model.pkl").read_bytes())
    trail(fresh, "get", "iris-data", "--repo", str(tmp_path / "origin.git"))
    for name in ("train.csv", "test.csv"):
        assert (fresh / "prepared" / name).read_bytes() == (s3_repo / "data/prepared" / name).read_bytes()
    assert "already exists" in fails(fresh, "get", "iris-model", "--repo", origin, "-o", "model.pkl")

    from dvc_trail import api

    resolved = api.resolve("iris-data", repo=origin)
    assert (resolved.version, resolved.md5, resolved.path) == ("v1.0.0", data, "data/prepared")
    with api.open("iris-model#prod", repo=origin) as fobj:
        assert md5(fobj.read()) == model
    target = api.get("iris-data@v1.0.0", repo=s3_repo, out=tmp_path / "api-data")
    assert sorted(p.name for p in target.iterdir()) == ["test.csv", "train.csv"]


def test_resolve_never_imports_dvc(s3_repo: Path) -> None:
    trail(s3_repo, "register", "iris-model")
    code = "import sys; from dvc_trail import api; print(api.resolve('iris-model', repo='.').version); "
    code += "print(any(m == 'dvc' or m.startswith(('dvc.', 'dvc_data', 'dvc_objects')) for m in sys.modules))"
    assert run([sys.executable, "-c", code], s3_repo).stdout.split() == ["v0.0.1", "False"]


def test_endpoint_down_pushes_no_tag_and_a_retry_completes(
    s3_repo: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # fail fast: nothing listens there
    dead = f"http://127.0.0.1:{free_port()}"
    set_remote(s3_repo, "endpointurl", dead)
    line = fails(s3_repo, "register", "iris-model", "--push")
    assert "no tag was pushed" in line and "`trail publish iris-model@v0.0.1` again" in line, line
    assert origin_tags(s3_repo) == {}
    assert "iris-model@v0.0.1" in local_tags(s3_repo)  # kept locally, to publish later
    set_remote(s3_repo, "endpointurl", moto_endpoint)
    out = trail(s3_repo, "publish", "iris-model@v0.0.1").stdout
    assert "uploaded 1" in out
    assert origin_tags(s3_repo) == {"iris-model@v0.0.1": local_tags(s3_repo)["iris-model@v0.0.1"]}
    trail(s3_repo, "verify", "iris-model")


def test_upload_killed_halfway_then_resumed(
    s3_repo: Path, tmp_path: Path, moto_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = s3_repo / "data" / "many"
    many.mkdir()
    for i in range(400):
        (many / f"part-{i:03}.txt").write_text(f"row {i}\n" * (i + 1))
    dvc(s3_repo, "add", "data/many")
    spec = yaml.safe_load((s3_repo / "dvc.yaml").read_text())
    spec["artifacts"]["many"] = {"path": "data/many", "type": "data"}
    (s3_repo / "dvc.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    commit_all(s3_repo, "400 files")
    trail(s3_repo, "register", "many")
    set_remote(s3_repo, "jobs", "1")  # one upload at a time: time to kill it

    proc = subprocess.Popen(
        [sys.executable, "-m", "dvc_trail", "publish", "many"],
        cwd=s3_repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while len(bucket_keys(moto_endpoint, s3_bucket)) < 20 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    uploaded_before = len(bucket_keys(moto_endpoint, s3_bucket))
    assert 0 < uploaded_before < 401, "the publish should have been killed mid-upload"
    assert origin_tags(s3_repo) == {}

    out = trail(s3_repo, "publish", "many").stdout
    assert f"uploaded {401 - uploaded_before}, all 401 object(s)" in out, out
    assert "many@v0.0.1" in origin_tags(s3_repo)
    assert len(bucket_keys(moto_endpoint, s3_bucket)) == 401
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    trail(tmp_path, "get", "many", "--repo", str(tmp_path / "origin.git"), "-o", "copy")
    assert (tmp_path / "copy" / "part-399.txt").read_text() == "row 399\n" * 400


def test_verify_finds_deleted_and_corrupted_objects(s3_repo: Path, moto_endpoint: str, s3_bucket: str) -> None:
    trail(s3_repo, "register", "iris-model", "--push")
    trail(s3_repo, "register", "iris-data", "--push")
    assert "All good." in trail(s3_repo, "verify", "--all", "--deep").stdout
    data = lock_md5(s3_repo, "data/prepared")
    manifest = json.loads((s3_repo / ".dvc/cache/files/md5" / data[:2] / data[2:]).read_text())
    test_csv = next(e["md5"] for e in manifest if e["relpath"] == "test.csv")
    model = lock_md5(s3_repo, "models/model.pkl")
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    s3.delete_object(Bucket=s3_bucket, Key=object_key(test_csv))
    s3.put_object(Bucket=s3_bucket, Key=object_key(model), Body=b"not a model")

    proc = trail(s3_repo, "verify", "--all", check=False)
    assert proc.returncode == 1
    assert f"MISSING  iris-data@v0.0.1  data/prepared/test.csv  ({test_csv})" in proc.stdout
    assert "CORRUPT" not in proc.stdout  # only a deep check reads the objects
    proc = trail(s3_repo, "verify", "--all", "--deep", "--json", check=False)
    assert proc.returncode == 1
    report = {v["ref"]: v for v in json.loads(proc.stdout)["versions"]}
    assert report["iris-data@v0.0.1"]["missing"] == [{"path": "data/prepared/test.csv", "oid": test_csv}]
    assert report["iris-model@v0.0.1"]["corrupt"] == [{"path": "models/model.pkl", "oid": model}]
    assert not report["iris-model@v0.0.1"]["missing"]

    line = fails(s3_repo, "get", "iris-model", "-o", "../fetched.pkl")
    assert "hash mismatch" in line and not (s3_repo.parent / "fetched.pkl").exists()
    assert "uploaded 1" in trail(s3_repo, "publish", "iris-data").stdout  # publish repairs what is missing
    assert "All good." in trail(s3_repo, "verify", "iris-data", "--deep").stdout


def test_two_people_register_the_same_version(s3_repo: Path, tmp_path: Path, moto_endpoint: str) -> None:
    trail(s3_repo, "register", "iris-model", "--push")
    bob = clone_as(tmp_path, s3_repo, "bob", moto_endpoint)
    git(bob, "fetch", "--quiet", "--tags")
    alice_commit = commit_all(s3_repo, "alice's change")
    bob_commit = commit_all(bob, "bob's change")
    trail(s3_repo, "register", "iris-model", "--push")  # v0.0.2, first
    line = fails(bob, "register", "iris-model", "--push")  # v0.0.2 too: git refuses
    assert "iris-model@v0.0.2 already exists on origin" in line and "someone registered it first" in line, line
    assert f"--rev {bob_commit[:7]} --push" in line
    assert local_tags(bob) == origin_tags(bob)  # bob's losing tag is gone, origin's fetched
    assert git(bob, "rev-parse", "iris-model@v0.0.2^{commit}").strip() == alice_commit
    out = trail(bob, "register", "iris-model", "--rev", bob_commit[:7], "--push").stdout
    assert "iris-model@v0.0.3" in out
    assert set(origin_tags(bob)) == {"iris-model@v0.0.1", "iris-model@v0.0.2", "iris-model@v0.0.3"}


def test_two_people_assign_a_stage_at_once(
    s3_repo: Path, tmp_path: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail(s3_repo, "register", "iris-model", "--push")
    commit_all(s3_repo, "next")
    trail(s3_repo, "register", "iris-model", "--push")
    git(s3_repo, "push", "--quiet", "origin", "main")
    bob = clone_as(tmp_path, s3_repo, "bob", moto_endpoint)
    git(bob, "fetch", "--quiet", "--tags")
    trail(s3_repo, "assign", "iris-model@v0.0.1", "prod", "--push")  # takes #1
    out = trail(bob, "assign", "iris-model@v0.0.2", "prod", "--push").stdout  # computed #1 too
    assert "iris-model#prod#1 was taken on origin" in out and "retried as iris-model#prod#2" in out, out
    assert local_tags(bob) == origin_tags(bob)
    assert set(origin_tags(bob)) >= {"iris-model#prod#1", "iris-model#prod#2"}
    carol = tmp_path / "carol"
    git(tmp_path, "clone", "--quiet", str(tmp_path / "origin.git"), str(carol))
    assert json.loads(trail(carol, "ls", "--json").stdout)["iris-model"]["stage"] == {"prod": "v0.0.2"}
    assert json.loads(gto(carol, "show", "--json").stdout)["iris-model"]["stage"] == {"prod": "v0.0.2"}
    # the same assignment made by both: the retry finds it done
    git(s3_repo, "fetch", "--quiet", "--tags")
    trail(s3_repo, "assign", "iris-model@v0.0.1", "staging")  # alice: #3, not pushed yet
    with monkeypatch.context() as bob_env:  # another person: another tag object, even in the same second
        bob_env.setenv("GIT_COMMITTER_NAME", "Bob")
        trail(bob, "assign", "iris-model@v0.0.1", "staging", "--push")  # bob: #3 too, pushed first
    out = trail(s3_repo, "publish", "iris-model@v0.0.1").stdout
    assert "iris-model#staging#3 was taken on origin; not redone" in out and "already in stage" in out, out
    assert local_tags(s3_repo) == origin_tags(s3_repo)


def test_doctor_checks_and_explains(s3_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checks = json.loads(trail(s3_repo, "doctor", "--json").stdout)
    assert [c["check"] for c in checks if c["ok"]] == [
        "git",
        "git identity",
        "git remote",
        "dvc",
        "dvc remote",
        "credentials",
        "registry tags",
    ]
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    leaked = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
    with (s3_repo / ".dvc/config").open("a") as fobj:
        fobj.write(f"    secret_access_key = {leaked}\n")
    set_remote(s3_repo, "endpointurl", f"http://127.0.0.1:{free_port()}")
    git(s3_repo, "tag", "iris-model@v9.9.9")  # lightweight: gto and trail ignore it
    git(s3_repo, "tag", "-a", "-m", "x", "iris-model@1.0")  # not GTO's format
    proc = trail(s3_repo, "doctor", check=False)
    assert proc.returncode == 1 and leaked not in proc.stdout + proc.stderr
    failed = {c["check"]: c for c in json.loads(trail(s3_repo, "doctor", "--json", check=False).stdout) if not c["ok"]}
    assert set(failed) == {"dvc remote", "credentials", "registry tags"}
    assert '"s3remote".secret_access_key' in failed["credentials"]["detail"]
    assert "config.local" in failed["credentials"]["fix"] and "endpointurl" in failed["dvc remote"]["fix"]
    assert (
        "iris-model@v9.9.9" in failed["registry tags"]["detail"]
        and "iris-model@1.0" in failed["registry tags"]["detail"]
    )


def test_secrets_never_reach_messages(s3_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    set_remote(s3_repo, "endpointurl", f"http://bob:hunter2pw@127.0.0.1:{free_port()}")
    line = fails(s3_repo, "register", "iris-model", "--push")
    assert "hunter2pw" not in line and S3_ENV["AWS_SECRET_ACCESS_KEY"] not in line


def test_mask_and_scan_helpers() -> None:
    text = "s3://AKIA:hunter2@bucket/x aws_secret_access_key = abc/def+g session_token: 'tok3n' X-Amz-Signature=0a1b"
    masked = mask_secrets(text)
    assert all(s not in masked for s in ("hunter2", "abc/def+g", "tok3n", "0a1b")), masked
    assert "s3://***@bucket/x" in masked
    token_url = mask_secrets("cannot read https://ghp_abcdef123456@github.com/o/r.git")
    assert "ghp_" not in token_url and "https://***@github.com/o/r.git" in token_url
    config = "[core]\n    remote = s3\n['remote \"s3\"']\n    url = s3://b/p\n    access_key_id = AKIA\n"
    config += "    secret_access_key = x\n['remote \"web\"']\n    url = https://u:pw@host/path\n"
    assert secrets_in_config(config) == [
        'remote "s3".access_key_id',
        'remote "s3".secret_access_key',
        'remote "web".url (password in the URL)',
    ]


def test_publish_refuses_without_git_remote_or_data(s3_repo: Path) -> None:
    git(s3_repo, "remote", "remove", "origin")
    trail(s3_repo, "register", "iris-model")
    assert "no git remote 'origin'" in fails(s3_repo, "publish", "iris-model")
    git(s3_repo, "remote", "add", "origin", str(s3_repo.parent / "origin.git"))
    shutil.rmtree(s3_repo / ".dvc" / "cache")
    line = fails(s3_repo, "publish", "iris-model")
    assert "neither in the local DVC cache nor on DVC remote" in line and "no tag was pushed" in line
    assert origin_tags(s3_repo) == {}


def test_git_remote_unreachable_then_fixed(s3_repo: Path) -> None:
    good = git(s3_repo, "remote", "get-url", "origin").strip()
    git(s3_repo, "remote", "set-url", "origin", str(s3_repo.parent / "gone.git"))
    before = local_tags(s3_repo)
    trail(s3_repo, "register", "iris-model")
    line = fails(s3_repo, "publish", "iris-model")
    assert "gone.git" in line or "origin" in line, line
    assert local_tags(s3_repo) == {**before, "iris-model@v0.0.1": local_tags(s3_repo)["iris-model@v0.0.1"]}
    git(s3_repo, "remote", "set-url", "origin", good)
    trail(s3_repo, "publish", "iris-model")
    assert "iris-model@v0.0.1" in origin_tags(s3_repo)


def test_slow_endpoint_times_out_pushes_nothing_and_a_retry_completes(
    s3_repo: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import threading

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    silent = socket.socket()  # accepts connections, never answers: an overloaded or hung endpoint
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(silent.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        set_remote(s3_repo, "endpointurl", f"http://127.0.0.1:{silent.getsockname()[1]}")
        set_remote(s3_repo, "read_timeout", "1")
        set_remote(s3_repo, "connect_timeout", "1")
        started = time.monotonic()
        line = fails(s3_repo, "register", "iris-model", "--push")
        assert time.monotonic() - started < 60
        assert "no tag was pushed" in line, line
        assert origin_tags(s3_repo) == {}
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        silent.close()
    set_remote(s3_repo, "endpointurl", moto_endpoint)
    trail(s3_repo, "publish", "iris-model@v0.0.1")
    assert "iris-model@v0.0.1" in origin_tags(s3_repo)
