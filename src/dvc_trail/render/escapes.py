"""The one place that decides how repository text is shown, per medium: terminal, rich, Markdown, HTML, shell.

Renderers call these at the boundary, on every value that came from a repository (tag messages, tagger
names, descriptions, paths, commands, metric keys and values of any type, gate messages), so a crafted
repository cannot move the cursor, retitle the terminal, reorder or hide text, inject rich markup, add
links, images, mentions, headings or HTML to a pull request comment, or add words to a shell command.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Unicode categories never shown: controls (ESC, BEL, CSI, CR ...), format characters (bidirectional
# overrides and isolates, U+061C, zero-widths, U+FEFF, the soft hyphen), line and paragraph separators
# (U+2028, U+2029), and lone surrogates (from undecodable bytes: they cannot be written to a terminal).
# Every one of them makes str.isprintable() False, so printable text needs no look (tests check this).
HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_KEPT = "\t\n"

# CommonMark lets a backslash escape any ASCII punctuation. Escaped anywhere: what opens markup, HTML, a
# link, a table cell, strikethrough, math or an entity. Escaped where it matters: `_` at a word's edge
# (emphasis; `val_loss` stays), the `:` of `://` and the `.` of `www.` (GFM's autolinks), and a line's
# leading `-`, `+`, `=` or `1.` (lists, headings). `#` and `@` go in their own code spans, as GitHub links
# mentions, teams and issue references in the rendered text, where a backslash no longer is, but never
# inside code; `name@v1.2.0` keeps its `@` (no mention follows a letter, no e-mail ends in digits). So does
# the first `:` of an emoji code (`:white_check_mark:` would show a forged tick).
_MARKDOWN = re.compile(r"[\\`*\[\]<>|~$&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|:(?=//)|(?<=[wW]{3})\.")
_LINKER_CHARS = frozenset("@#:")
_LEADING = re.compile(r"[-+=]|[0-9]{1,9}(?=[.)])")
_LINKERS = re.compile(
    r":(?=[A-Za-z0-9_+-]+:)|#+|(?<![A-Za-z0-9])@+"  # an emoji code, a reference, a mention
    r"|@+(?!v[0-9]+(?:\.[0-9]+)*(?![A-Za-z0-9_+-]|\.[A-Za-z0-9]))(?=[^.]*\.)"  # an e-mail, unless `name@v1.2.0`
)
_PLAIN = re.compile(r"[A-Za-z0-9]+(?:[._/-][A-Za-z0-9]+)*")  # `metrics/scores.json`, `val_loss`: nothing to escape
_NUMBER = re.compile(r"-?[0-9][0-9.e+-]*|-?inf|nan")  # what diff.format_number writes for a number


def for_terminal(text: str, keep: str = _KEPT) -> str:
    """The text without characters of the HIDDEN categories (tab and newline kept unless `keep` says not)."""
    if text.isprintable():
        return text
    category = unicodedata.category
    return "".join(c for c in text if c in keep or category(c) not in HIDDEN)


def for_line(text: str) -> str:
    """One terminal line: hidden characters dropped, tabs and line breaks as spaces (no forged next line)."""
    if text.isprintable():
        return text
    return for_terminal(text.replace("\t", " ").replace("\n", " "), keep="")


def for_rich(value: Any) -> str:
    """Repository text (any value) inside a rich markup string: hidden characters dropped, markup escaped."""
    from rich.markup import escape

    return escape(for_terminal(str(value)))


def text_of(value: Any) -> str:
    """A value of any type (metric, param, meta) as text for people: numbers cleanly, `-` for none."""
    from dvc_trail.metrics.diff import format_number

    if isinstance(value, list | tuple):
        return ", ".join(text_of(v) for v in value)
    return format_number(value)


def _one_line(text: str) -> str:
    return " ".join(for_terminal(text).split())


def for_markdown(text: str) -> str:
    """Inline Markdown showing the text literally on one line: no markup, HTML, link, autolink, mention,
    issue reference, heading or list can start from it (`@` and `#` shown in code spans)."""
    if _plain(text):
        return text
    escaped = _MARKDOWN.sub(lambda m: "\\" + m[0], _one_line(text))
    lead = _LEADING.match(escaped)
    if lead:  # `\- item`, `1\. item`: the list marker or heading underline is the escaped character
        at = 0 if lead[0] in "-+=" else lead.end()
        escaped = f"{escaped[:at]}\\{escaped[at:]}"
    return _LINKERS.sub(lambda m: for_code(m[0]), escaped) if _LINKER_CHARS & set(escaped) else escaped


def for_code(text: str, in_table: bool = True) -> str:
    """A Markdown code span showing the text literally, whatever backticks it holds (`|` escaped in tables)."""
    line = _one_line(text)
    line = line.replace("|", "\\|") if in_table else line
    fence = "`" * (max((len(run) for run in re.findall(r"`+", line)), default=0) + 1)
    pad = " " if line.startswith("`") or line.endswith("`") or not line.strip() else ""
    return f"{fence}{pad}{line}{pad}{fence}"


def markdown_value(value: Any) -> str:
    """A metric, param or meta value of any type for Markdown: a number as it is, anything else in code."""
    text = text_of(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and _NUMBER.fullmatch(text):
        return text
    return text if _plain(text) else for_code(text)


def _plain(text: str) -> bool:
    """Whether the text is a name or path with nothing Markdown could read as markup or a link."""
    return _PLAIN.fullmatch(text) is not None and "www." not in text.lower()


def for_html(text: str) -> str:
    """The text escaped for HTML and SVG (quotes included), hidden characters dropped."""
    import html  # here: html.entities is a millisecond that terminal and JSON output never need

    return html.escape(for_terminal(text))


def for_shell(*words: str) -> str:
    """A command line to copy: each word quoted for a POSIX shell (tabs and line breaks inside the quotes),
    other hidden characters dropped first."""
    import shlex

    return " ".join(shlex.quote(for_terminal(str(w))) for w in words)


def json_inert(text: str) -> str:
    """JSON text with every HIDDEN character (only ever inside strings) written as a \\uXXXX escape."""
    return text if text.isascii() else _NON_ASCII.sub(_json_escape, text)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _json_escape(match: re.Match[str]) -> str:
    char = match[0]
    if char.isprintable() or unicodedata.category(char) not in HIDDEN:
        return char
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
