"""Secret handling: one list of credential keys, checked against DVC's own config schema; masking; config scans."""

from __future__ import annotations

import re
import subprocess
import sys

from dvc_trail.dvc.remotetrust import remotes_for_untrusted
from dvc_trail.secrets import CREDENTIAL_KEYS, mask_secrets, secrets_in_config

# How DVC's schema names a secret: what authenticates, not where (paths, names) or whether (flags).
_SECRET_NAME = re.compile(r"(secret|password|passphrase|token|_key$|^key$|key_id$|connection_string)")
_NOT_A_SECRET = re.compile(r"(_path$|_file$|file$|_command$|^ask_|^exclude_|kms_key_id$|^sse$)")


def _schema_secrets() -> set[str]:
    """Every string-valued key of DVC's config schema whose name marks it as a credential."""
    from dvc.config_schema import SCHEMA

    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                name = getattr(key, "schema", key)
                if isinstance(name, str) and value is str and _SECRET_NAME.search(name):
                    if not _NOT_A_SECRET.search(name):
                        found.add(name)
                walk(value)
        for attr in ("schema", "validators"):
            inner = getattr(node, attr, None)
            if isinstance(inner, dict | list | tuple) and inner is not node:
                for item in inner if isinstance(inner, list | tuple) else [inner]:
                    walk(item)

    from dvc.config_schema import REMOTE_SCHEMAS

    walk(SCHEMA)
    walk(REMOTE_SCHEMAS)
    return found


def test_credential_keys_cover_dvc_schema() -> None:
    derived = _schema_secrets()
    assert {"token", "oss_key_secret", "password", "secret_access_key", "sas_token", "passphrase"} <= derived
    assert derived <= set(CREDENTIAL_KEYS), sorted(derived - set(CREDENTIAL_KEYS))


def test_masking_never_imports_dvc() -> None:
    code = "import sys; from dvc_trail.errors import TrailError; str(TrailError('password=x'));"
    code += "print(any(m == 'dvc' or m.startswith(('dvc.', 'dvc_data', 'dvc_objects')) for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split() == ["False"]


def test_every_credential_key_is_masked_and_found() -> None:
    for key in CREDENTIAL_KEYS:
        assert "s3cr3tvalue" not in mask_secrets(f"failed: {key} = s3cr3tvalue"), key
        config = f"['remote \"r\"']\n    url = https://host/p\n    {key} = s3cr3tvalue\n"
        assert secrets_in_config(config) == [f'remote "r".{key}'], key
    studio = "[studio]\n    token = isat_abc\n['remote \"oss\"']\n    oss_key_secret = x\n    ask_password = true\n"
    assert secrets_in_config(studio) == ["studio.token", 'remote "oss".oss_key_secret']


def test_error_messages_are_masked_when_made() -> None:
    from dvc_trail.errors import TrailError

    err = TrailError("cannot read https://alice:ghp_T0KEN@github.com/o/r.git")
    assert "ghp_T0KEN" not in str(err) and "alice" not in str(err) and "https://***@github.com" in str(err)


def test_untrusted_remotes_get_no_user_credentials() -> None:
    corp = {"url": "https://corp.example/dvc", "auth": "basic", "user": "me", "password": "pw"}
    endpoint = {"endpointurl": "http://minio:9000", "access_key_id": "AK", "secret_access_key": "SK"}
    user = [{"corp": corp, "team": endpoint}]

    def remotes(*args: dict) -> dict:
        return remotes_for_untrusted(*args, environ={}).remotes  # type: ignore[arg-type]

    # the repository points corp elsewhere: none of the user's authentication keys survive
    assert remotes(user, {"corp": {"url": "https://evil.example/x"}})["corp"] == {"url": "https://evil.example/x"}
    # any other key the repository sets (issue 17) counts as a redefinition too
    assert remotes(user, {"corp": {"jobs": "4"}})["corp"] == {"url": corp["url"], "jobs": "4"}
    # a repository that only names the user's remote, or repeats the user's values, sends credentials where meant
    assert remotes(user, {})["corp"] == corp
    assert remotes(user, {"corp": {"url": corp["url"]}})["corp"] == corp
    # the user configured an endpoint but no URL: the endpoint stays, the keys do not
    team = remotes(user, {"team": {"url": "s3://bucket/x"}})["team"]
    assert team == {"endpointurl": "http://minio:9000", "url": "s3://bucket/x"}
    # config.local of the user's own clone is merged last, as DVC does
    assert remotes([], {"team": {"url": "s3://b"}}, {"team": {"access_key_id": "AK"}})["team"] == {
        "url": "s3://b",
        "access_key_id": "AK",
    }
