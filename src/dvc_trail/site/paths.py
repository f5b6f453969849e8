"""Where each page and API file of the site lives: artifact names and versions as safe file names (pure).

Every character outside `A-Z a-z 0-9 . _ -` becomes `~` and its two hex digits, so `team/nlp:tagger`
is `team~2fnlp~3atagger` and `v1.0.0+build` is `v1.0.0~2bbuild`. `~` never appears in an artifact name
or a version, so the mapping is one-to-one and reversible. GTO's grammar puts no bound on a name (90 folder
levels, a long pre-release) while a file name has at most 255 bytes: a slug longer than `MAX_SLUG` keeps its
first `KEEP` bytes and ends in `~~` and 20 hex digits of the name's SHA-256 (a reversible slug never holds
`~~`, so the two kinds never meet); the real name is in the JSON. A page's path stays under 270 bytes.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
API = "api/v1"
MAX_SLUG = 120  # bytes of one name or version in a file name (".html", ".json" and temporary names fit in 255)
KEEP = 96


def slug(text: str) -> str:
    """A name or version as one safe path component of at most `MAX_SLUG` bytes."""
    safe = _UNSAFE.sub(lambda m: "".join(f"~{b:02x}" for b in m[0].encode()), text)
    if len(safe) <= MAX_SLUG:
        return safe
    head = safe[:KEEP]
    cut = head.rfind("~", KEEP - 2)  # never half an escape
    return f"{head[:cut] if cut >= 0 else head}~~{hashlib.sha256(text.encode()).hexdigest()[:20]}"


def unslug(text: str) -> str:
    """The name or version a reversible slug stands for (ValueError for a shortened one)."""
    if "~~" in text:
        raise ValueError(f"{text} is a shortened name: the real one is in the JSON")
    return re.sub(r"(?:~[0-9a-f]{2})+", lambda m: bytes.fromhex(m[0].replace("~", "")).decode(), text)


def artifact_page(name: str) -> str:
    """Where an artifact's page lives in the site."""
    return f"a/{slug(name)}/index.html"


def version_page(name: str, version: str) -> str:
    """Where a version's page lives in the site."""
    return f"a/{slug(name)}/{slug(version)}.html"


def artifact_api(name: str) -> str:
    """Where an artifact's JSON lives in the site."""
    return f"{API}/artifacts/{slug(name)}.json"


def version_api(name: str, version: str) -> str:
    """Where a version's JSON lives in the site."""
    return f"{API}/artifacts/{slug(name)}/{slug(version)}.json"


def relative(from_page: str, to: str) -> str:
    """A link from one site file to another, relative so the site works from file:// and any sub-path."""
    depth = from_page.count("/")
    return "../" * depth + to
