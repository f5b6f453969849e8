"""Text from tags and files made safe for where it is shown: the terminal, Markdown, HTML and SVG.

Renderers call these at the boundary, on every value that came from a repository (tag messages, tagger
names, descriptions, paths, commands, metric keys), so a crafted repository cannot move the cursor, retitle
the terminal, hide text, inject rich markup, or add links, images and HTML to a pull request comment.
"""

from __future__ import annotations

import re

# C0 and C1 controls (ESC, BEL, CSI, CR ...) but tab and newline; bidirectional overrides ("Trojan Source").
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*\[\]<>|])")
_MARKDOWN_BUT_CODE = re.compile(r"([\\*\[\]<>|])")


def for_terminal(text: str) -> str:
    """The text without control characters (tab and newline kept)."""
    return text if text.isprintable() else _CONTROLS.sub("", text)


def for_markdown(text: str, keep_code: bool = False) -> str:
    """One line of Markdown showing the text literally: controls dropped, markup characters escaped.

    `keep_code` leaves backticks alone, for lines whose code spans trail wrote itself.
    """
    line = " ".join(for_terminal(text).split("\n")).replace("\t", " ")
    return (_MARKDOWN_BUT_CODE if keep_code else _MARKDOWN).sub(r"\\\1", line)


def for_code(text: str) -> str:
    """A Markdown code span showing the text literally, whatever backticks it holds."""
    line = " ".join(for_terminal(text).split("\n")).replace("\t", " ").replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", line)), default=0) + 1)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{fence}{pad}{line}{pad}{fence}"


def for_html(text: str) -> str:
    """The text escaped for HTML and SVG (quotes included), controls dropped."""
    import html  # here: html.entities is a millisecond that terminal and JSON output never need

    return html.escape(for_terminal(text))
