"""Card Markdown as text for a terminal (the window renders HTML; see ui/)."""

from __future__ import annotations

import re

_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_HEADING = re.compile(r"^#{1,6}\s+")


def to_terminal_text(markdown: str) -> str:
    """Markdown is made to be read as text: drop only the marks that get in the way.

    Code blocks are indented and kept verbatim; headings lose their #; bold loses
    its stars; links show their text and address.
    """
    out: list[str] = []
    in_code = False
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code:
            out.append("    " + line)
            continue
        if stripped in ("$$", "\\[", "\\]"):
            continue
        line = _HEADING.sub("", line)
        line = _EMPHASIS.sub(r"\2", line)
        line = _LINK.sub(r"\1 (\2)", line)
        out.append(line.replace("$$", ""))
    return "\n".join(out).strip()
