"""DVC's files as plain data: dvc.yaml artifacts and metrics, dvc.lock and .dvc outputs, metric documents (pure)."""

from __future__ import annotations

import json
import posixpath
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from dvc_trail.errors import TrailError
from dvc_trail.shorthand import at


def load_yaml(text: bytes | str, where: str) -> Any:
    """The document, as `yaml.safe_load` within size and alias bounds; an error names the file and commit."""
    import yaml  # here, not at the top: `trail ls` never parses YAML

    from dvc_trail.dvcfiles import bounded_yaml

    try:
        return bounded_yaml.parse(text)
    except bounded_yaml.Refused as err:
        raise TrailError(f"refusing YAML in {where}: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise TrailError(f"malformed YAML in {where}{line}") from None


def load_blob(raw: bytes | None, path: str, commit: str) -> Any:
    """The YAML document in a blob read from git at a commit, or None when the file is not there."""
    return None if raw is None else load_yaml(raw, at(path, commit))


def join(folder: str, path: str) -> str:
    """A path relative to `folder`, as a normalised repository path; refuses paths leaving the repo."""
    if not folder and path and path[0] not in "./" and "/." not in path and "//" not in path and path[-1] != "/":
        return path  # already normal: the common case, kept cheap for `trail impact` over thousands of locks
    joined = posixpath.normpath(posixpath.join(folder, path)) if folder else posixpath.normpath(path)
    if joined.startswith("../") or joined == ".." or posixpath.isabs(joined):
        raise TrailError(f"path {path!r} leaves the repository")
    return joined


@dataclass(frozen=True)
class ArtifactDecl:
    """An artifact declared in a dvc.yaml `artifacts:` section."""

    name: str
    path: str
    type: str | None = None
    desc: str | None = None
    labels: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)
    dvcfile: str = "dvc.yaml"

    def to_dict(self) -> dict:
        """The declaration as `trail show --json` prints it."""
        return {
            "path": self.path,
            "type": self.type,
            "desc": self.desc,
            "labels": list(self.labels),
            "meta": self.meta,
            "dvcfile": self.dvcfile,
        }


@dataclass(frozen=True)
class Output:
    """An output's content hash as dvc.lock or a .dvc file records it."""

    path: str
    md5: str
    size: int | None = None
    nfiles: int | None = None
    stage: str | None = None
    source: str = "dvc.lock"
    hash_name: str = "md5"  # "md5-dos2unix" for entries DVC 2 wrote (no `hash: md5`): another cache layout

    @property
    def is_dir(self) -> bool:
        """Whether the hash names a directory manifest (`.dir`)."""
        return self.md5.endswith(".dir")


HASH = re.compile(r"[0-9a-f]{32}(\.dir)?")


def is_size(value: object) -> bool:
    """Whether a value is a byte or file count: a non-negative int (a bool or a float is not one)."""
    return type(value) is int and value >= 0


def valid_hash(md5: str) -> bool:
    """Whether `md5` is a DVC content hash (32 lower-case hex digits, `.dir` for a folder): safe in a path."""
    return HASH.fullmatch(md5) is not None


def split_name(name: str) -> tuple[str, str]:
    """`dir:name` -> (dir, name); plain names live in the root dvc.yaml."""
    folder, _, base = name.rpartition(":")
    return folder, base


def lock_beside(dvcfile: str) -> str:
    """The dvc.lock that goes with a dvc.yaml (same folder)."""
    return posixpath.join(posixpath.dirname(dvcfile), "dvc.lock")


def dvcfile_for(name: str) -> str:
    """The dvc.yaml that declares an artifact (`dir:name` lives in `dir/dvc.yaml`)."""
    folder, _ = split_name(name)
    return f"{folder}/dvc.yaml" if folder else "dvc.yaml"


def parse_artifacts(doc: Any, dvcfile: str, where: str) -> dict[str, ArtifactDecl]:
    """The `artifacts:` section of one dvc.yaml, keyed by full (`dir:name`) artifact name."""
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise TrailError(f"malformed {where}: expected a mapping at the top")
    section = doc.get("artifacts") or {}
    if not isinstance(section, dict):
        raise TrailError(f"malformed {where}: `artifacts` must be a mapping")
    folder = posixpath.dirname(dvcfile)
    decls = {}
    for base, spec in section.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            raise TrailError(f"malformed {where}: artifact {base!r} needs a `path`")
        name = f"{folder}:{base}" if folder else str(base)
        path = join(folder, spec["path"])
        if path == ".":
            raise TrailError(f"malformed {where}: artifact {base!r} has the whole repository as its path")
        labels, meta = spec.get("labels") or [], spec.get("meta") or {}
        if not isinstance(meta, dict):
            raise TrailError(f"malformed {where}: artifact {base!r} has a `meta` that is not a mapping")
        decls[name] = ArtifactDecl(
            name=name,
            path=path,
            type=_text(spec.get("type")),
            desc=_text(spec.get("desc")),
            labels=tuple(str(x) for x in labels) if isinstance(labels, list) else (str(labels),),
            meta=meta,
            dvcfile=dvcfile,
        )
    return decls


def _text(value: Any) -> str | None:
    """A declaration's `type` or `desc` as text, whatever YAML type the file gave it."""
    return value if value is None or isinstance(value, str) else str(value)


def content_hash(entry: dict) -> str | None:
    """The hash DVC recorded for a dependency or output (md5 locally; etag or checksum for cloud paths)."""
    return entry.get("md5") or entry.get("etag") or entry.get("checksum")


def _output(entry: Any, folder: str, stage: str | None, source: str) -> Output | None:
    if not isinstance(entry, dict) or "path" not in entry:
        return None
    md5 = content_hash(entry)
    if not md5:
        return None
    path = join(folder, str(entry["path"]))
    size, nfiles = entry.get("size"), entry.get("nfiles")
    for value in (size, nfiles):  # a negative size would turn a bounded read into `read(-1)`
        if value is not None and not is_size(value):
            raise TrailError(
                f"refusing size {str(value)[:40]!r} of {path[:200]} in {source}: not a non-negative integer"
            )
    return Output(
        path=path,
        md5=str(md5),
        size=size,
        nfiles=nfiles,
        stage=stage,
        source=source,
        hash_name="md5-dos2unix" if entry.get("md5") and entry.get("hash") != "md5" else "md5",
    )


def lock_stages(doc: Any, where: str) -> dict[str, dict]:
    """The `stages:` mapping of a parsed dvc.lock (empty for a missing file), each stage a mapping."""
    if doc is None:
        return {}
    stages = doc.get("stages") if isinstance(doc, dict) else None
    if not isinstance(stages, dict):
        raise TrailError(f"malformed {where}: no `stages` mapping")
    for name, body in stages.items():
        if not isinstance(body, dict):
            raise TrailError(f"malformed {where}: stage {name!r} is not a mapping")
    return stages


def stage_wdirs(doc: Any, dvcfile: str, where: str) -> dict[str, str]:
    """The folder (repository path) of each stage of a dvc.yaml whose `wdir` is not the dvc.yaml's own folder.

    `foreach`/`matrix` stages are keyed by their base name: dvc.lock calls them `name@key`.
    """
    if not isinstance(doc, dict):
        return {}
    folder = posixpath.dirname(dvcfile)
    wdirs = {}
    for name, stage in shaped(doc.get("stages"), dict, "stages", where).items():
        body = stage.get("do", stage) if isinstance(stage, dict) else None
        wdir = body.get("wdir") if isinstance(body, dict) else None
        if isinstance(wdir, str) and (path := join(folder, wdir).removeprefix(".")) != folder:
            wdirs[str(name)] = path
    return wdirs


def stage_folder(stage: str, folder: str, wdirs: dict[str, str] | None) -> str:
    """The folder a dvc.lock stage's paths are relative to (its `wdir`, else the dvc.lock's folder)."""
    return wdirs.get(stage.split("@", 1)[0], folder) if wdirs else folder


def lock_outputs(doc: Any, lockfile: str, where: str, wdirs: dict[str, str] | None = None) -> dict[str, Output]:
    """Every output hash in a dvc.lock, keyed by repository path (`wdirs` from `stage_wdirs`)."""
    folder = posixpath.dirname(lockfile)
    outs = {}
    for stage, body in lock_stages(doc, where).items():
        for entry in body.get("outs") or []:
            out = _output(entry, stage_folder(str(stage), folder, wdirs), str(stage), lockfile)
            if out:
                outs[out.path] = out
    return outs


def dvcfile_output(doc: Any, dvcpath: str) -> Output | None:
    """The output a `.dvc` file (from `dvc add` or `dvc import`) records."""
    if not isinstance(doc, dict):
        return None
    folder = posixpath.dirname(dvcpath)
    if isinstance(doc.get("wdir"), str):
        folder = join(folder, doc["wdir"])
    for entry in doc.get("outs") or []:
        out = _output(entry, folder, None, dvcpath)
        if out:
            return out
    return None


def shaped(value: Any, kind: type, what: str, where: str) -> Any:
    """`value` if it is a `kind` (None counts as empty), else a TrailError naming the file and key."""
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise TrailError(f"malformed {where}: `{what}` must be a {'mapping' if kind is dict else 'list'}")
    return value


def metric_paths(doc: Any, dvcfile: str, where: str | None = None) -> list[str]:
    """Metrics files a dvc.yaml declares: the top-level `metrics:` list and stage `metrics:` outputs."""
    where = where or dvcfile
    doc = shaped(doc, dict, "the top level", where)
    folder = posixpath.dirname(dvcfile)
    paths = [p for p in shaped(doc.get("metrics"), list, "metrics", where) if isinstance(p, str)]
    found = [join(folder, str(p)) for p in paths]
    for name, body in shaped(doc.get("stages"), dict, "stages", where).items():
        body = shaped(body, dict, f"stages.{name}", where)
        body = shaped(body.get("do", body), dict, f"stages.{name}.do", where)
        wdir = join(folder, str(body.get("wdir", ".")))
        for entry in shaped(body.get("metrics"), list, f"stages.{name}.metrics", where):
            found.append(join(wdir, str(next(iter(entry)) if isinstance(entry, dict) and entry else entry)))
    return list(dict.fromkeys(found))


def lock_params(doc: Any, where: str = "dvc.lock") -> dict[str, dict[str, Any]]:
    """Param values recorded in a dvc.lock: {params file: {flat.key: value}}."""
    params: dict[str, dict[str, Any]] = {}
    for name, body in lock_stages(doc, where).items():
        for file, values in shaped(body.get("params"), dict, f"stages.{name}.params", where).items():
            params.setdefault(file, {}).update(flatten(values or {}))
    return params


def flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings to DVC's dotted keys; lists and scalars are leaves."""
    if not isinstance(doc, dict):
        return {prefix: doc} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        full = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            flat.update(flatten(value, full))
        else:
            flat[full] = value
    return flat


def parse_document(data: bytes, path: str, where: str) -> Any:
    """A metrics or params file by extension: JSON, YAML or TOML (each within the bounds YAML has)."""
    from dvc_trail.dvcfiles import bounded_yaml

    if not path.endswith((".json", ".toml")):
        return load_yaml(data, where)
    try:
        if len(data) > bounded_yaml.MAX_BYTES:
            raise bounded_yaml.Refused(f"larger than {bounded_yaml.MAX_BYTES >> 20} MiB")
        if path.endswith(".json"):
            return bounded_yaml.check_depth(json.loads(data))
        import tomllib

        return bounded_yaml.check_depth(tomllib.loads(data.decode()))
    except (ValueError, UnicodeDecodeError):
        raise TrailError(f"malformed {where}") from None
    except RecursionError:
        raise TrailError(f"refusing {where}: it is nested deeper than {bounded_yaml.MAX_DEPTH} levels") from None
    except bounded_yaml.Refused as err:
        raise TrailError(f"refusing {where}: {err}") from None


_FLOAT_MAX = int(sys.float_info.max)


def _metric_values(doc: Any) -> Any:
    """Keep what DVC counts as metrics: numbers and strings (nested); lists and nulls are dropped.

    An integer too large for a float (up to Python's 4,300 digits parse) is kept as its text, so charts,
    plots and deltas, which compute in floats, never meet it.
    """
    if isinstance(doc, int) and not isinstance(doc, bool) and abs(doc) > _FLOAT_MAX:
        return str(doc)
    if isinstance(doc, int | float | str):
        return doc
    if not isinstance(doc, dict):
        return None
    kept = {key: _metric_values(value) for key, value in doc.items()}
    return {key: value for key, value in kept.items() if value not in (None, {})}


def metrics_document(data: bytes, path: str, where: str) -> dict[str, Any]:
    """A metrics file as DVC's `metrics show` reads it, flattened to dotted keys."""
    values = _metric_values(parse_document(data, path, where))
    return flatten(values) if isinstance(values, dict) else ({"": values} if values is not None else {})
