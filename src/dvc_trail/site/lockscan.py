"""dvc.lock in the layout DVC writes -> stages with cmd, params, deps and outs, without a full YAML parse (pure).

A full `yaml.safe_load` of a 5 KB dvc.lock costs about 10 ms; the site reads one per registered commit. Here
the deps and outs (most of the file) are read by one regex scan and only the small `cmd` and `params`
sections go through the YAML parser. Anything outside DVC's layout falls back to the full parse.
"""

from __future__ import annotations

import re
from typing import Any

from dvc_trail.dvcfiles import bounded_yaml, documents, locks
from dvc_trail.dvcfiles.locks import FileHash, StageLock
from dvc_trail.errors import TrailError

_HEAD = "schema: '2.0'\nstages:\n"
# Line starts are found as "\n" in the text with a "\n" put before it: a literal prefix the regex engine jumps to
_STAGE = re.compile(r"\n  ([^\s:#'\"][^:\n]*):(?=\n)")
_SECTION = re.compile(r"\n    ([a-z_]+):")
_ENTRY = re.compile(r"^- ", re.M)
_FIELD = re.compile(r"(\w+): ([^\s'\"{\[&*!|>%@`#][^\n]*?)$")
_PLAIN_HASH = re.compile(r"[0-9a-zA-Z.-]+")


class OffLayout(Exception):
    """The text is not in the layout DVC writes: parse it in full instead."""


def scan(text: str, lockfile: str, where: str) -> tuple[dict[str, StageLock], dict[str, dict[str, Any]]]:
    """Stages (as `locks.parse_lock` gives them) and params (as `documents.lock_params`) of one dvc.lock."""
    if len(text) > bounded_yaml.MAX_BYTES:  # the same bound as the YAML parser's
        raise TrailError(f"refusing YAML in {where}: larger than {bounded_yaml.MAX_BYTES >> 20} MiB")
    try:
        return _scan(text, lockfile, where)
    except OffLayout:
        doc = documents.load_yaml(text, where)
        return locks.parse_lock(doc, lockfile, where), documents.lock_params(doc, where)


def _scan(text: str, lockfile: str, where: str) -> tuple[dict[str, StageLock], dict[str, dict[str, Any]]]:
    if not text.startswith(_HEAD) or "\t" in text or "\r" in text:
        raise OffLayout
    folder = lockfile.rpartition("/")[0]
    body = text[len(_HEAD) :]
    heads = list(_STAGE.finditer("\n" + body))  # a head's start is its line's start in `body`, its end the next line's
    if (heads[0].start() if heads else len(body.strip())) != 0:
        raise OffLayout
    stages: dict[str, StageLock] = {}
    params: dict[str, dict[str, Any]] = {}
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(body)
        name = head[1]
        sections = _sections(body[head.end() : end])
        stage_params: dict[str, dict[str, Any]] = {}
        if "params" in sections:
            doc = _value(sections["params"], "params", where)
            for file, values in documents.shaped(doc, dict, f"stages.{name}.params", where).items():
                params.setdefault(file, {}).update(documents.flatten(values or {}))
                stage_params[documents.join(folder, str(file))] = dict(values or {})
        cmd = _value(sections["cmd"], "cmd", where) if "cmd" in sections else None
        stages[name] = StageLock(
            name,
            lockfile,
            _entries(sections.get("deps"), folder),
            _entries(sections.get("outs"), folder),
            cmd,
            stage_params,
        )
    return stages, params


_CMD = re.compile(r"cmd: ([A-Za-z_./][\w./=,+-]*(?: [\w./=,+-]+)+|[A-Za-z_.][\w.=,+-]*/[\w./=,+-]*)\n?")
_FILE = re.compile(r"  ([\w.-][\w./-]*):")
_PARAM = re.compile(r"    ([A-Za-z_][\w.-]*): (-?(?:0|[1-9][0-9]*)(\.[0-9]+)?|true|false|[A-Za-z_][\w./-]*)")
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _value(section: str, key: str, where: str) -> Any:
    """A `cmd` or `params` section; the plain shapes DVC writes are read directly, anything else by YAML."""
    fast = _plain_cmd(section) if key == "cmd" else _plain_params(section)
    if fast is not None:
        return fast
    doc = documents.load_yaml(section, where)
    if not isinstance(doc, dict) or list(doc) != [key]:
        raise OffLayout
    return doc[key]


def _plain_cmd(section: str) -> str | None:
    match = _CMD.fullmatch(section)
    return match[1] if match else None


def _plain_params(section: str) -> dict[str, dict[str, Any]] | None:
    """`params:` with files of flat `key: scalar` lines (ints, decimals, booleans, plain words), else None."""
    lines = section.rstrip("\n").split("\n")
    if lines[0] != "params:":
        return None
    found: dict[str, dict[str, Any]] = {}
    values: dict[str, Any] | None = None
    for line in lines[1:]:
        if (match := _PARAM.fullmatch(line)) is not None and values is not None:
            text = match[2]
            if text[0] == "-" or text[0].isdigit():
                values[match[1]] = float(text) if match[3] else int(text)
            elif text in ("true", "false"):
                values[match[1]] = text == "true"
            elif text.lower() in _YAML11_WORDS:
                return None
            else:
                values[match[1]] = text
        elif (match := _FILE.fullmatch(line)) is not None and match[1] not in found:
            values = found[match[1]] = {}
        else:
            return None
    return found


_UNINDENTED = re.compile(r"\n(?!    |\n|\Z)")  # a line with text that is not indented by four spaces
# `- path:` entries as DVC writes them (paths and hashes of plain characters); anything else goes line by line
_ENTRY_TEXT = (
    r"- path: ([\w./-]+)\n(?:  hash: md5\n)?  md5: ([0-9a-zA-Z.-]+)\n"
    r"(?:  size: ([0-9]+)\n)?(?:  nfiles: ([0-9]+)\n)?"
)
_PLAIN_ENTRY = re.compile(_ENTRY_TEXT)
_PLAIN_ENTRIES = re.compile(f"(?:{_ENTRY_TEXT})+\n*")


def _sections(block: str) -> dict[str, str]:
    """A stage body split by its keys; each value dedented to a small YAML document of its own."""
    marks = list(_SECTION.finditer("\n" + block))
    if (marks[0].start() if marks else len(block)) != 0:
        raise OffLayout
    found = {}
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(block)
        chunk = block[mark.start() : end]
        if _UNINDENTED.search(chunk):
            raise OffLayout
        found[mark[1]] = chunk[4:].replace("\n    ", "\n")
    return found


def _entries(section: str | None, folder: str) -> tuple[FileHash, ...]:
    """`- path: ...` entries of a deps or outs section (dedented by four spaces)."""
    if section is None:
        return ()
    head, _, rest = section.partition("\n")
    if head.strip() not in ("deps:", "outs:"):
        raise OffLayout
    if not rest.startswith("- "):
        raise OffLayout
    fast = _plain_entries(rest, folder)
    if fast is not None:
        return fast
    found = []
    for chunk in _ENTRY.split(rest)[1:]:
        fields = {}
        for n, line in enumerate(chunk.rstrip("\n").split("\n")):
            line = line if n == 0 else _strip(line, "  ")
            match = _FIELD.fullmatch(line)
            if match is None:
                raise OffLayout
            fields[match[1]] = match[2]
        path = fields.get("path")
        md5 = fields.get("md5") or fields.get("etag") or fields.get("checksum")
        if path is None or path.endswith(" ") or (md5 is not None and not _PLAIN_HASH.fullmatch(md5)):
            raise OffLayout
        found.append(FileHash(documents.join(folder, path), md5, _int(fields.get("size")), _int(fields.get("nfiles"))))
    return tuple(found)


def _plain_entries(text: str, folder: str) -> tuple[FileHash, ...] | None:
    """The entries when each is exactly in DVC's plain shape (checked by one regex, read by another), else None."""
    if _PLAIN_ENTRIES.fullmatch(text) is None:
        return None
    return tuple(
        FileHash(documents.join(folder, path), md5, int(size) if size else None, int(nfiles) if nfiles else None)
        for path, md5, size, nfiles in _PLAIN_ENTRY.findall(text)
    )


def _strip(line: str, prefix: str) -> str:
    if not line.startswith(prefix):
        raise OffLayout
    return line[len(prefix) :]


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):  # `²` is a digit to str.isdigit, not to int()
        raise OffLayout
    return int(value)
