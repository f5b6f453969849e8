"""Where the site points readers: the repository's web page (from `origin`) and the tracked DVC remote.

Only committed text is read: the DVC remote comes from `.dvc/config` at HEAD in git's objects, never from
`config.local`, the user's global config or the environment, and only its name and URL reach the site.
Every URL the site publishes is rebuilt from its scheme, host, port and path (`secrets.public_url`): no
userinfo, query string or fragment, whatever the text looks like.
"""

from __future__ import annotations

import configparser
import re
from typing import TYPE_CHECKING

from dvc_trail.errors import TrailError, UsageError
from dvc_trail.secrets import public_url

if TYPE_CHECKING:
    from dvc_trail.git.reader import GitReader

_SCP = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)([\w./~-]+?)(?:\.git)?/?$")
_URL = re.compile(r"^(?:https?|ssh|git)://(?:[^@/]*@)?([\w.-]+)(?::\d+)?/([\w./~-]+?)(?:\.git)?/?$")


def web_url(remote: str) -> str | None:
    """`https://HOST/OWNER/REPO` for a GitHub or GitLab clone URL (any scheme, credentials dropped), else None."""
    match = _URL.match(remote) or _SCP.match(remote)
    if match is None or not re.search(r"(^|\.)(github|gitlab)\.", match[1] + "."):
        return None
    return f"https://{match[1]}/{match[2]}"


def check_page_url(url: str | None, option: str) -> str | None:
    """The URL itself when it is http(s) with a host and no credentials (links on pages: no `javascript:`)."""
    if url is None:
        return None
    if not re.match(r"^https?://[\w.-]+(?::\d+)?(?:/[^\s\x00-\x1f\x7f?#]*)?$", url, re.IGNORECASE):
        raise UsageError(f"refusing {option} {url!r}: give an http(s) URL without credentials, query or fragment")
    return url


def origin_url(git: GitReader) -> str | None:
    """The `origin` remote's URL without userinfo (an scp-like `git@` user kept), when others can clone it."""
    try:
        url = git.config("remote.origin.url")
    except TrailError:
        return None
    if url is None:
        return None
    if _URL.match(url):
        return public_url(url)
    if _SCP.match(url):
        user, _, rest = url.rpartition("@")
        return f"git@{rest}" if user == "git" else rest
    return None


def tracked_remote(git: GitReader) -> dict[str, str] | None:
    """The default DVC remote's name and URL as committed in `.dvc/config` at HEAD (None when there is none)."""
    try:
        raw = git.read_blobs(["HEAD:.dvc/config"]).get("HEAD:.dvc/config")
    except TrailError:
        return None
    if raw is None:
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    text = "\n".join(line.strip() for line in raw.decode(errors="replace").splitlines())
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    sections = {_section_name(s): s for s in parser.sections()}
    name = parser.get(sections["core"], "remote", fallback=None) if "core" in sections else None
    section = sections.get(f'remote "{name}"') if name else None
    if name is None or section is None or not parser.has_option(section, "url"):
        return None
    url = public_url(parser.get(section, "url"))
    return {"name": name, "url": url} if url else None


def _section_name(section: str) -> str:
    """`'remote "local"'` (DVC's quoting) as `remote "local"`."""
    return section.strip().strip("'").strip()
