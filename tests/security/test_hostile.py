"""Hostile repositories and remotes (issue 11): every attack is built for real in a temp dir and refused.

Each refusal asserts: a non-zero exit with one `trail: error:` line, no secret in any output, nothing left
in the temp folder or the victim's folder, and the victim's refs, work tree and DVC cache unchanged.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.hostile import (
    SECRET,
    TOKEN,
    _isolated,  # noqa: F401 - autouse here
    attack,
    hostile_repo,
    local_remote,
    manifest,
    md5,
    store_object,
    store_user_credentials,
)
from tests.fixtures.repos import commit_all, git, refs_snapshot, trail


def test_stored_credentials_never_reach_a_remote_the_repository_defines(
    tmp_path: Path, victim: Path, http_server: tuple[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, seen = http_server
    store_user_credentials(tmp_path, server)
    data = b"weights"
    evil = hostile_repo(
        tmp_path,
        "model.bin",
        md5(data),
        len(data),
        f"[core]\n    remote = corp\n['remote \"corp\"']\n    url = {server}/attacker\n",
    )
    line = attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "model.bin")
    assert "missing" in line, line
    assert seen and all(path.startswith("/attacker") for path, _ in seen), seen
    assert all(auth is None for _, auth in seen), seen
    # the control: a repository that only names the user's remote gets it as the user configured it
    seen.clear()
    named = hostile_repo(tmp_path, "model.bin", md5(data), len(data), "[core]\n    remote = corp\n", name="named")
    attack(victim, "get", "model", "--repo", named.as_uri(), "-o", "model.bin")
    assert seen and all(path.startswith("/corp") and auth and auth.startswith("Basic ") for path, auth in seen)


def _in_work_tree(repo: Path, *args: str) -> str:
    """Run trail in the user's own work tree; its output, which must hold no credential."""
    proc = subprocess.run(
        [sys.executable, "-m", "dvc_trail", *args], cwd=repo, capture_output=True, text=True, timeout=120
    )
    output = proc.stdout + proc.stderr
    assert SECRET not in output and "alice" not in output, output
    assert proc.returncode != 3 and "Traceback" not in output, output
    return output


def test_work_tree_commands_send_no_credentials_to_a_redefined_remote(
    tmp_path: Path, http_server: tuple[str, list]
) -> None:
    """`verify`, `publish` and `doctor` in a clone whose `.dvc/config` moves the user's remote: no credential."""
    server, seen = http_server
    store_user_credentials(tmp_path, server)
    data = b"weights"
    redefine = f"[core]\n    remote = corp\n['remote \"corp\"']\n    url = {server}/attacker\n"
    evil = hostile_repo(tmp_path, "model.bin", md5(data), len(data), redefine)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(evil), str(clone))  # the user's own work tree, the attacker's config
    tags = refs_snapshot(evil)
    assert "MISSING" in _in_work_tree(clone, "verify", "model@v1.0.0")
    assert "neither in the local DVC cache" in _in_work_tree(clone, "publish", "model@v1.0.0")
    assert "/attacker" in _in_work_tree(clone, "doctor")
    assert seen and all(path.startswith("/attacker") for path, _ in seen), seen
    assert all(auth is None for _, auth in seen), seen
    assert refs_snapshot(evil) == tags  # publish pushed nothing
    # the control: a work tree whose config only names the user's remote gets it as the user configured it
    seen.clear()
    named = hostile_repo(tmp_path, "model.bin", md5(data), len(data), "[core]\n    remote = corp\n", name="named")
    assert "MISSING" in _in_work_tree(named, "verify", "model@v1.0.0")
    assert "reachable" in _in_work_tree(named, "doctor")
    assert seen and all(path.startswith("/corp") and auth and auth.startswith("Basic ") for path, auth in seen)


# --- 2. a planted .git, and --force on a repository ---------------------------------------------


def test_planted_git_folder_is_refused(tmp_path: Path, victim: Path) -> None:
    store = tmp_path / "store"
    hook = b'[core]\n\tfsmonitor = "touch pwned"\n'
    planted = manifest(store, {"config": hook, "HEAD": b"ref: refs/heads/main\n"})
    evil = hostile_repo(tmp_path, "out/.git", planted, None, local_remote(store))
    assert ".git" in attack(victim, "get", "model", "--repo", evil.as_uri())
    assert ".git" in attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", ".", "--force")
    inside = manifest(store, {".git/config": hook, "weights.bin": b"w"})
    sneaky = hostile_repo(tmp_path, "out/model", inside, None, local_remote(store), name="sneaky")
    assert "unsafe path" in attack(victim, "get", "model", "--repo", sneaky.as_uri(), "-o", "model")
    upper = manifest(store, {".GIT/config": hook})
    cased = hostile_repo(tmp_path, "out/model", upper, None, local_remote(store), name="cased")
    assert "unsafe path" in attack(victim, "get", "model", "--repo", cased.as_uri(), "-o", "model")
    assert not (victim / "pwned").exists()


def test_force_never_replaces_a_git_repository(tmp_path: Path, victim: Path) -> None:
    store = tmp_path / "store"
    files = manifest(store, {"weights.bin": b"w"})
    evil = hostile_repo(tmp_path, "models/project", files, None, local_remote(store))
    git(victim, "init", "--quiet", str(victim / "project"))  # the user's nested repository, named like the artifact
    (victim / "project" / "notes.txt").write_text("years of work\n")
    assert "git repository" in attack(victim, "get", "model", "--repo", evil.as_uri(), "--force")
    holder = hostile_repo(tmp_path, "models/holder", files, None, local_remote(store), name="holder")
    git(victim, "init", "--quiet", str(victim / "holder" / "deep" / "repo"))  # a repository further down
    assert "git repository" in attack(victim, "get", "model", "--repo", holder.as_uri(), "-o", ".", "--force")
    assert ".git" in attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", ".git/hooks/x", "--force")
    out = trail(victim.parent, "get", "model", "--repo", evil.as_uri(), "-o", str(tmp_path / "fresh")).stdout
    assert "1 file(s)" in out and (tmp_path / "fresh" / "weights.bin").read_bytes() == b"w"


# --- 3. forged hashes and sizes ----------------------------------------------------------------


def test_forged_hash_and_oversized_object(tmp_path: Path, victim: Path) -> None:
    store = tmp_path / "store"
    evil = hostile_repo(tmp_path, "model.bin", "../../../../dev/zero", 10, local_remote(store))
    assert "invalid hash" in attack(victim, "get", "model", "--repo", evil.as_uri(), timeout=60)
    forged_dir = manifest(store, {"a.bin": b"a"}).replace(".dir", "") + "/../../x.dir"
    evil2 = hostile_repo(tmp_path, "data", forged_dir, None, local_remote(store), name="evil2")
    assert "invalid hash" in attack(victim, "get", "model", "--repo", evil2.as_uri(), timeout=60)
    # a valid-looking hash whose object streams forever: reading stops at the recorded size + 1
    oid = "0123456789abcdef0123456789abcdef"
    (store / "files" / "md5" / oid[:2]).mkdir(parents=True, exist_ok=True)
    (store / "files" / "md5" / oid[:2] / oid[2:]).symlink_to("/dev/zero")
    endless = hostile_repo(tmp_path, "model.bin", oid, 10, local_remote(store), name="endless")
    started = time.monotonic()
    assert "hash mismatch" in attack(victim, "get", "model", "--repo", endless.as_uri(), "-o", "m.bin", timeout=60)
    assert time.monotonic() - started < 30


def test_a_failed_get_leaves_no_folder_behind(tmp_path: Path, victim: Path) -> None:
    store = tmp_path / "store"
    files = manifest(store, {"a.bin": b"good", "b.bin": b"also good"})
    good = md5(b"good")
    (store / "files" / "md5" / good[:2] / good[2:]).write_bytes(b"tampered")  # content no longer matches
    evil = hostile_repo(tmp_path, "data", files, None, local_remote(store))
    line = attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "new/deeper/data")
    assert "hash mismatch" in line and not (victim / "new").exists()


# --- 4. YAML alias bomb ------------------------------------------------------------------------


def _bomb(depth: int = 7) -> str:
    lines = ["      a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"      a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, depth + 1)]
    return "    params:\n      params.yaml:\n" + "\n".join("  " + line for line in lines) + "\n"


def test_yaml_alias_bomb_is_refused_fast(tmp_path: Path, victim: Path) -> None:
    store = tmp_path / "store"
    data = b"weights"
    evil = hostile_repo(tmp_path, "model.bin", store_object(store, data), len(data), local_remote(store))
    (evil / "dvc.lock").write_text((evil / "dvc.lock").read_text() + _bomb())
    assert len((evil / "dvc.lock").read_bytes()) < 1024
    sha = commit_all(evil, "params")
    git(evil, "tag", "-a", "-m", "Registering artifact model version v1.1.0", "model@v1.1.0")
    from dvc_trail import api
    from dvc_trail.dvcfiles.documents import load_yaml
    from dvc_trail.errors import TrailError

    started = time.monotonic()  # the parse itself: refused in well under a second
    with pytest.raises(TrailError, match="aliases expand"):
        load_yaml((evil / "dvc.lock").read_bytes(), "dvc.lock")
    assert time.monotonic() - started < 1
    started = time.monotonic()  # and through the API, git reads included (a loaded machine gets some slack)
    with pytest.raises(TrailError, match=f"dvc.lock at {sha[:7]}"):
        api.resolve("model", repo=evil)
    assert time.monotonic() - started < 5
    line = attack(victim, "get", "model", "--repo", evil.as_uri(), timeout=30)
    assert f"dvc.lock at {sha[:7]}" in line and "aliases" in line
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1_000_000  # KiB: far from the 2.5 GB bomb
    for command in (["show", "model"], ["lineage", "model"]):
        proc = trail(evil, *command, check=False)
        assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and f"dvc.lock at {sha[:7]}" in proc.stderr


# --- 5. secrets in URLs -----------------------------------------------------------------------


def test_tokens_in_urls_are_never_printed_or_raised(victim: Path) -> None:
    import socket
    import traceback

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"https://alice:{TOKEN}@127.0.0.1:{port}/org/models.git"
    attack(victim, "--verbose", "get", "model", "--repo", url)
    attack(victim, "get", "model", "--repo", url)
    from dvc_trail import api
    from dvc_trail.errors import TrailError

    with pytest.raises(TrailError) as caught:
        api.resolve("model", repo=url)
    text = "".join(traceback.format_exception(caught.value)) + repr(caught.value)
    assert TOKEN not in text and "alice" not in text


# --- 6. transports -----------------------------------------------------------------------------


def test_only_safe_transports(victim: Path, tmp_path: Path) -> None:
    read_end, write_end = os.pipe()  # a stdin that never ends: `fd::0` used to hang on it
    try:
        started = time.monotonic()
        assert "only https" in attack(victim, "get", "model", "--repo", "fd::0", stdin=read_end, timeout=30, code=2)
        assert time.monotonic() - started < 20
    finally:
        os.close(read_end)
        os.close(write_end)
    marker = tmp_path / "pwned"
    assert "only https" in attack(victim, "get", "model", "--repo", f"ext::sh -c touch% {marker}", code=2)
    assert "only https" in attack(victim, "get", "model", "--repo", "ftp://127.0.0.1/x.git", code=2)
    assert not marker.exists()


# --- 7. escapes --------------------------------------------------------------------------------


def test_terminal_markdown_and_html_escapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store"
    data = b"weights"
    repo = hostile_repo(tmp_path, "model.bin", store_object(store, data), len(data), local_remote(store))
    desc = "innocent\x1b]0;pwned\x07 [click](http://evil.example) <img src=x onerror=alert(1)> `x` | y"
    (repo / "dvc.yaml").write_text(
        (repo / "dvc.yaml").read_text().replace("type: model\n", f"type: model\n    desc: {json.dumps(desc)}\n")
        + "metrics:\n- metrics.json\n"
    )
    (repo / "metrics.json").write_text(json.dumps({"acc\x1b[8m<script>x</script>": 0.9}))
    commit_all(repo, "crafted")
    with monkeypatch.context() as crafted:
        crafted.setenv("GIT_COMMITTER_NAME", "Mallory\x1b[8m hidden")
        git(repo, "tag", "-a", "-m", "Registering\x1b]0;title\x07 \x1b[8mhidden", "model@v1.1.0")
    assert "\x1b" in git(repo, "for-each-ref", "--format=%(taggername) %(contents)", "refs/tags/model@v1.1.0")
    for command in (["show", "model"], ["history"], ["ls"], ["lineage", "model"], ["metrics", "model"]):
        out = trail(repo, *command)
        assert "\x1b" not in out.stdout + out.stderr and "\x07" not in out.stdout, command
    card = trail(repo, "card", "model").stdout
    assert "\x1b" not in card and "\\[click\\](http" in card and "\\<img" in card and "\\<script\\>" in card
    assert "<img" not in card.replace("\\<img", "") and "](http" not in card.replace("\\](http", "")
    trail(repo, "metrics", "model", "--plot", str(tmp_path / "plot.svg"))
    page = (tmp_path / "plot.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page and "\x1b" not in page


# --- 8. smaller ones: the lock cache, doctor --------------------------------------------------


def test_a_malformed_lock_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    store = tmp_path / "store"
    data = b"weights"
    repo = hostile_repo(tmp_path, "model.bin", store_object(store, data), len(data), local_remote(store))
    first = json.loads(trail(repo, "impact", "model.bin", "--json").stdout)
    assert [m["version"] for m in first] == ["v1.0.0"]
    cache = repo / ".git" / "trail" / "locks-v1.json"
    entries = json.loads(cache.read_text())
    for broken in ("oops", ["x"], {"train": {"deps": [[1, 2]], "outs": []}}, {"train": "x"}):
        entries["entries"] = dict.fromkeys(entries["entries"], broken)
        cache.write_text(json.dumps(entries))
        proc = trail(repo, "impact", "model.bin", "--json", check=False)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == first


def test_doctor_finds_every_kind_of_tracked_credential(tmp_path: Path) -> None:
    repo = hostile_repo(tmp_path, "model.bin", md5(b"x"), 1, "[core]\n    remote = web\n")
    secret = "tok-" + "9" * 20
    (repo / ".dvc" / "config").write_text(
        "[core]\n    remote = web\n['remote \"web\"']\n    url = webdav://host/path\n"
        f"    token = {secret}\n['remote \"oss\"']\n    url = oss://b/p\n    oss_key_secret = {secret}\n"
        f"[studio]\n    token = {secret}\n"
    )
    commit_all(repo, "committed secrets")
    proc = trail(repo, "doctor", "--json", check=False)
    assert proc.returncode == 1 and secret not in proc.stdout + proc.stderr
    detail = next(c for c in json.loads(proc.stdout) if c["check"] == "credentials")["detail"]
    for key in ('"web".token', '"oss".oss_key_secret', "studio.token"):
        assert key in detail, detail
    human = trail(repo, "doctor", check=False)
    assert secret not in human.stdout + human.stderr


# --- 9. documents nested too deep, values out of range, blobs that inflate -------------------------


def test_deep_and_unreadable_documents_are_refused(tmp_path: Path, victim: Path) -> None:
    store = tmp_path / "store"
    data = b"weights"
    repo = hostile_repo(tmp_path, "model.bin", store_object(store, data), len(data), local_remote(store))
    documents = {
        "m.json": "[" * 100_000 + "]" * 100_000,  # the parser's own recursion
        "n.json": '{"a":' * 500 + "1" + "}" * 500,  # parses, then too deep for whoever walks it
        "m.toml": "a = " + "[" * 100_000 + "]" * 100_000,
        "m.yaml": "a: " + "[" * 100_000 + "]" * 100_000,
        "n.yaml": "".join("  " * i + f"k{i}:\n" for i in range(2000)) + "  " * 2000 + "1\n",
        "big.json": '{"a": ' + "9" * 20_000 + "}",
        "date.yaml": "when: 2026-13-45\n",  # yaml's date constructor raises ValueError
    }
    head = (repo / "dvc.yaml").read_text()
    for patch, (name, body) in enumerate(documents.items()):
        (repo / "dvc.yaml").write_text(head + f"metrics:\n- {name}\n")
        (repo / name).write_text(body)
        sha = commit_all(repo, name)
        git(repo, "tag", "-a", "-m", "Registering", f"model@v1.1.{patch}")
        for command in (["metrics", "model"], ["show", f"model@v1.1.{patch}"]):
            proc = trail(repo, *command, check=False)
            assert proc.returncode == 1 and proc.stderr.count("\n") == 1, (name, proc.stderr)
            assert proc.stderr.startswith("trail: error:") and f"{name} at {sha[:7]}" in proc.stderr, proc.stderr
        git(repo, "tag", "-d", f"model@v1.1.{patch}")
    (repo / "dvc.yaml").write_text(head)
    lock = (repo / "dvc.lock").read_text()
    for extra, why in (("      x: 1" + "0" * 20_000, "out of range"), (_deep_params(2000), "nested deeper")):
        (repo / "dvc.lock").write_text(lock + extra + "\n")
        sha = commit_all(repo, why)
        git(repo, "tag", "-a", "-m", "Registering", f"model@v2.0.{len(why)}")
        line = attack(victim, "get", f"model@v2.0.{len(why)}", "--repo", repo.as_uri(), timeout=60)
        assert f"dvc.lock at {sha[:7]}" in line and why in line, line


def _deep_params(depth: int) -> str:
    return "    params:\n      params.yaml:\n" + "".join("  " * (i + 4) + f"k{i}:\n" for i in range(depth))


def test_a_blob_that_inflates_is_refused_before_it_is_read(tmp_path: Path) -> None:
    store = tmp_path / "store"
    data = b"weights"
    repo = hostile_repo(tmp_path, "model.bin", store_object(store, data), len(data), local_remote(store))
    (repo / "dvc.yaml").write_text((repo / "dvc.yaml").read_text() + "metrics:\n- metrics.json\n")
    (repo / "metrics.json").write_text("{}")
    commit_all(repo, "metrics")
    # 80 MiB of spaces: a few KB in git's objects; never on disk in the work tree
    blob = (
        subprocess.run(
            ["git", "hash-object", "-w", "--stdin"], cwd=repo, input=b" " * (80 << 20), capture_output=True, check=True
        )
        .stdout.decode()
        .strip()
    )
    git(repo, "update-index", "--cacheinfo", f"100644,{blob},metrics.json")
    git(repo, "commit", "--quiet", "-m", "bomb")
    git(repo, "tag", "-a", "-m", "Registering", "model@v1.1.0")
    for command in (["metrics", "model"], ["show", "model"]):
        proc = trail(repo, *command, check=False)
        assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
        assert "refusing" in proc.stderr and "MiB" in proc.stderr, proc.stderr
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1_000_000  # KiB


# --- 10. graphs and `show` keep repository text inert -----------------------------------------------


def test_lineage_graphs_and_meta_keys_are_escaped(tmp_path: Path) -> None:
    store = tmp_path / "store"
    data = b"weights"
    evil = 'data"] --> x\\"```<img src=x>\x1b]0;pwned\x07'  # a path git can store (no newline)
    repo = hostile_repo(
        tmp_path,
        "model.bin",
        store_object(store, data),
        len(data),
        local_remote(store),
        lock_extra=f"    deps:\n    - path: {json.dumps(evil)}\n      md5: 0123456789abcdef0123456789abcdef\n",
    )
    meta = json.dumps({"k\x1b[8m[red]hidden[/red]": "v"})
    (repo / "dvc.yaml").write_text(
        (repo / "dvc.yaml").read_text().replace("type: model\n", f"type: model\n    meta: {meta}\n")
    )
    stage = json.dumps("train\n```\n![x](http://evil.example/p.png)")  # a stage name may hold newlines
    (repo / "dvc.lock").write_text((repo / "dvc.lock").read_text().replace("  train:", f"  {stage}:"))
    commit_all(repo, "crafted")
    git(repo, "tag", "-a", "-m", "Registering", "model@v1.1.0")
    mermaid = trail(repo, "lineage", "model", "--mermaid").stdout
    assert mermaid.count("```") == 2 and mermaid.endswith("```\n") and "\x1b" not in mermaid and "\x07" not in mermaid
    assert "<img" not in mermaid and '"] -->' not in mermaid and "<br/>#96;#96;#96;<br/>![x](http" in mermaid
    assert all(line.startswith(("  ", "```", "flowchart")) for line in mermaid.splitlines())
    assert len(mermaid.splitlines()) == 9  # 2 fences, the header, 3 nodes, 2 edges, 1 style: no line injected
    dot = trail(repo, "lineage", "model", "--dot").stdout
    assert "\x1b" not in dot and "\x07" not in dot
    label = next(line for line in dot.splitlines() if "shape=note" in line and "data" in line)
    assert label.endswith('"];') and 'data\\"] --> x\\\\\\"```' in label, label
    stage_line = next(line for line in dot.splitlines() if "shape=box" in line)
    assert stage_line.endswith('"];') and "train\\n```\\n![x]" in stage_line, stage_line
    shown = trail(repo, "show", "model").stdout
    assert "\x1b" not in shown and "[red]hidden[/red]" in shown
    used = trail(repo, "impact", evil).stdout  # the path as the lock records it, pasted from `lineage --json`
    assert "2 registered version(s) used data" in used and "\x1b" not in used and "\x07" not in used


# --- 11. numbers past float range, and links the site builds from options ---------------------------


def test_numbers_past_float_range_break_no_chart(tmp_path: Path) -> None:
    store = tmp_path / "store"
    data = b"weights"
    repo = hostile_repo(tmp_path, "model.bin", store_object(store, data), len(data), local_remote(store))
    (repo / "dvc.yaml").write_text((repo / "dvc.yaml").read_text() + "metrics:\n- metrics.json\n")
    for patch, body in enumerate(('{"acc": 0.5, "loss": 1e999}', '{"acc": 1' + "0" * 4000 + ', "loss": NaN}')):
        (repo / "metrics.json").write_text(body)  # 4,001 digits: under Python's 4,300-digit parse limit
        commit_all(repo, f"metrics {patch}")
        git(repo, "tag", "-a", "-m", "Registering", f"model@v1.{patch + 1}.0")
    trail(repo, "metrics", "model", "--plot", str(tmp_path / "acc.svg"), "--metric", "metrics.json:acc")
    assert "<svg" in (tmp_path / "acc.svg").read_text()
    assert "1" + "0" * 4000 in trail(repo, "metrics", "model", "--json").stdout  # still shown, as text
    out = trail(repo, "site", "-o", str(tmp_path / "site")).stdout
    assert "written" in out and (tmp_path / "site" / "a" / "model" / "index.html").exists()


@pytest.mark.parametrize(
    ("option", "url"),
    [
        ("--repo-url", "javascript:alert(1)"),
        ("--repo-url", "JaVaScRiPt://github.com/%0aalert(1)"),
        ("--repo-url", "data:text/html,<script>alert(1)</script>"),
        ("--repo-url", 'https://github.com/a/b" onmouseover="alert(1)'),
        ("--repo-url", f"https://alice:{TOKEN}@github.com/org/repo"),
        ("--base-url", "javascript:alert(1)"),
    ],
)
def test_site_links_are_http_only(tmp_path: Path, option: str, url: str) -> None:
    store = tmp_path / "store"
    data = b"weights"
    repo = hostile_repo(tmp_path, "model.bin", store_object(store, data), len(data), local_remote(store))
    line = attack(repo, "site", "-o", str(tmp_path / "site"), option, url, code=2)
    assert f"refusing {option}" in line and "http(s)" in line
    assert not (tmp_path / "site").exists()


# --- 12. artifact paths that name the destination folder itself, or carry escapes ---------------------


def test_a_site_path_never_names_the_destination_folder(tmp_path: Path, victim: Path) -> None:
    store = tmp_path / "store"
    files = manifest(store, {"ok.bin": b"y"})
    repo = hostile_repo(tmp_path, "out/dir", files, None, local_remote(store))
    site = tmp_path / "site"
    trail(repo, "site", "-o", str(site))
    (victim / "models").mkdir()
    (victim / "models" / "keep.txt").write_text("years of work\n")  # the folder the user downloads into
    commit_all(victim, "models")
    page = site / "api" / "v1" / "artifacts" / "model" / "v1.0.0.json"
    doc = json.loads(page.read_text())
    for path in (".", "", "out/.", "out/..", "./out", "out//dir", "out\x1b]0;pwned\x07"):
        page.write_text(json.dumps({**doc, "path": path}))
        line = attack(victim, "get", "model", "--registry", str(site), "-o", "models", "--force")
        assert "refusing artifact path" in line, line
    assert (victim / "models" / "keep.txt").read_text() == "years of work\n"


def test_control_characters_in_paths_are_refused(tmp_path: Path, victim: Path) -> None:
    store = tmp_path / "store"
    files = manifest(store, {"w\x1b]0;pwned\x07.bin": b"x", "ok.bin": b"y"})
    evil = hostile_repo(tmp_path, "out/dir", files, None, local_remote(store))
    assert "unsafe path" in attack(victim, "get", "model", "--repo", evil.as_uri(), "-o", "m")
    named = hostile_repo(
        tmp_path, json.dumps("out\x1b[8mdir"), manifest(store, {"a": b"a"}), None, local_remote(store), name="named"
    )
    assert "refusing artifact path" in attack(victim, "get", "model", "--repo", named.as_uri())


def test_a_committed_config_local_is_not_the_users(
    tmp_path: Path, victim: Path, http_server: tuple[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, seen = http_server
    store_user_credentials(tmp_path, server)
    evil = hostile_repo(tmp_path, "model.bin", md5(b"w"), 1, "[core]\n    remote = corp\n")
    (evil / ".dvc" / "config.local").write_text(f"['remote \"corp\"']\n    url = {server}/attacker\n")
    git(evil, "add", "--force", ".dvc/config.local")  # a clone checks it out like any tracked file
    commit_all(evil, "a local config, committed")
    git(evil, "tag", "-a", "-m", "Registering artifact model version v1.1.0", "model@v1.1.0")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(evil), str(clone))
    assert (clone / ".dvc" / "config.local").exists()
    attack(victim, "get", "model", "--repo", str(clone), "-o", "model.bin")
    attack(clone, "get", "model", "-o", "model.bin")
    _in_work_tree(clone, "verify", "model@v1.1.0")  # the user's own commands in the clone, too
    assert seen and all(path.startswith("/corp") for path, _ in seen), seen  # never the committed address
