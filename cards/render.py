"""Card Markdown rendered for people: sanitized HTML for the window, plain text for a terminal.

Math between $...$ (inline) or $$...$$ (display), and in Anki's notations (MathJax's \\(...\\)
and \\[...\\], [$]...[/$], [$$]...[/$$], [latex]...[/latex]), is typeset by matplotlib's mathtext
into PNG images, which the HTML refers to as `math:<id>`; the window registers those images with its
document, so nothing is ever fetched from a URL. What mathtext cannot typeset (a LaTeX document in
[latex], say) is shown as its source.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import io
import math
import re
import textwrap
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

import markdown
import nh3

from .sanitize import ALLOWED_ATTRIBUTES, ALLOWED_STYLES, ALLOWED_TAGS

_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_HEADING = re.compile(r"^#{1,6}\s+")
class _Fences:
    """Fenced code blocks, line by line in one pass: a line opening with 3 or more backticks or tildes,
    up to a line of at least as many of the same (a longer fence can hold a shorter one). An unclosed
    fence runs to the end, as Markdown reads it. A pattern did this before, and backtracked badly on
    a long run of backticks."""

    OPEN = re.compile(r" {0,3}(`{3,}|~{3,})")

    def finditer(self, text: str):
        position, start, fence = 0, -1, ""
        for line in text.splitlines(keepends=True):
            if not fence:
                opened = self.OPEN.match(line)
                if opened and not (opened.group(1)[0] == "`" and "`" in line[opened.end():]):
                    start, fence = position, opened.group(1)
            elif line.strip().startswith(fence) and set(line.strip()) == {fence[0]}:
                end = position + len(line.rstrip("\r\n"))
                yield _Span(text, start, end)
                fence = ""
            position += len(line)
        if fence:
            yield _Span(text, start, len(text))


_FENCE = _Fences()


class _Span:
    """What re.Match offers _outside: where a code span starts and ends, and its text."""

    def __init__(self, text: str, start: int, end: int) -> None:
        self._text, self._start, self._end = text, start, end

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self, _index: int = 0) -> str:
        return self._text[self._start : self._end]


class _CodeSpans:
    """Markdown's code spans (a run of n backticks up to the next run of exactly n), found in one pass.
    The pattern it replaces, (`+).+?\1, backtracked: 20,000 backticks took 45 s and froze the window."""

    RUN = re.compile(r"`+")

    def finditer(self, text: str):
        runs = [(m.start(), m.end()) for m in self.RUN.finditer(text)]
        by_length: dict[int, list[int]] = {}
        for index, (start, end) in enumerate(runs):
            by_length.setdefault(end - start, []).append(index)
        seen = dict.fromkeys(by_length, 0)  # per length, how far its list has been passed
        index = 0
        while index < len(runs):
            start, end = runs[index]
            length = end - start
            later, k = by_length[length], seen[length]
            while k < len(later) and later[k] <= index:
                k += 1
            seen[length] = k
            if k < len(later):  # closed by the next run of the same length
                yield _Span(text, start, runs[later[k]][1])
                index = later[k] + 1
            else:  # never closed: literal backticks
                index += 1


_CODE_SPAN = _CodeSpans()
MAX_FORMULA_CHARS = 4000  # longer is shown as its source: mathtext takes seconds a formula beyond this
# Typesetting one card may take this long (s); its formulas past it are shown as their source, with a note
# (a card of 500 formulas took 9 s and froze the window). Formulas typeset before (ahead, or on an earlier
# showing) cost nothing the next time.
TYPESET_BUDGET_S = 0.1
TYPESET_NOTE = (
    "<p><i>Some formulas are shown as their TeX source: typesetting this many would keep the card from "
    "showing.</i></p>"
)
_clock = time.perf_counter  # tests put a clock of their own here
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
# Pandoc's rule: no space just inside the dollars, and no digit right after the closing one.
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])([^$\n]+?)(?<![\s\\])\$(?!\d)")
# Anki's math, bounded so that an opener without its closer cannot make the scan quadratic.
_ANKI_DISPLAY_MATH = re.compile(
    r"\\\[(.{1,4000}?)\\\]|\[\$\$\](.{1,4000}?)\[/\$\$\]|\[latex\](.{1,4000}?)\[/latex\]", re.S
)
_ANKI_INLINE_MATH = re.compile(r"\\\((.{1,2000}?)\\\)|\[\$\](.{1,2000}?)\[/\$\]", re.S)
_SOUND = re.compile(r"\[sound:([^\]]{1,300})\]")
_PLACEHOLDER = "\ue000MATH{}\ue001"  # private-use characters: never in real text
_IMG_SRC = re.compile(r'(<img\b[^>]*?)src="([^"]*)"')
_PLACEHOLDER_RE = re.compile("\ue000MATH(\\d+)\ue001")
_CODE_PLACEHOLDER = "\ue000CODE{}\ue001"
_CODE_PLACEHOLDER_RE = re.compile("\ue000CODE(\\d+)\ue001")
_PRIVATE_MARKS = re.compile("[\ue000\ue001]")

DEFAULT_TEXT_PX = 18.0  # a card's text size when the caller does not say (a 13.5 pt font at 96 dpi)
DISPLAY_MATH_SCALE = 1.15  # a formula on its own line is set a little larger than the text


class MathError(ValueError):
    """A formula mathtext cannot typeset."""


@dataclass
class RenderedCard:
    html: str
    # Typeset formulas the HTML names as math:<id>, as PNG bytes.
    images: dict[str, bytes] = field(default_factory=dict)
    # Files of the store the HTML names as media:<name> (pictures of imported decks).
    media: list[str] = field(default_factory=list)


def render_html(
    text: str,
    *,
    color: str = "#1d1d1f",
    code_style: str = "friendly",
    strict_math: bool = False,
    text_px: float = DEFAULT_TEXT_PX,
    x_height: float = DEFAULT_TEXT_PX / 2,
    scale: float = 1.0,
    budget: float | None = TYPESET_BUDGET_S,
    for_anki: bool = False,
) -> RenderedCard:
    """Markdown to sanitized HTML: highlighted code, tables, math as images.

    `color` is the text colour of typeset math, `code_style` a pygments style name; formulas are set
    at the size of the text around them (`text_px`, in logical pixels) and drawn for a screen of
    `scale` device pixels to each logical one (2 on a HiDPI screen), each inline one on the text's baseline
    (`x_height`: that of the text's font, in logical pixels). With strict_math, a formula
    mathtext cannot typeset raises MathError; otherwise it is shown as its TeX source. Formulas are typeset
    for `budget` seconds at most (None: all of them, as strict_math does); the rest show as source. for_anki
    (a sync's note fields): formulas are left in MathJax's \\(...\\) and \\[...\\] for Anki's clients to
    set, and pictures and sounds keep their plain names and Anki's [sound:] (its apps hold the files).
    """
    formulas: list[tuple[str, bool]] = []
    codes: list[str] = []
    text = _PRIVATE_MARKS.sub("", text)  # our placeholders' marks: never the card's own

    def stash(tex: str, display: bool) -> str:
        formulas.append((tex.strip(), display))
        return _PLACEHOLDER.format(len(formulas) - 1)

    def protect_math(part: str) -> str:
        part = _ANKI_DISPLAY_MATH.sub(lambda m: "\n\n" + stash(_first(m), True) + "\n\n", part)
        part = _ANKI_INLINE_MATH.sub(lambda m: stash(_first(m), False), part)
        part = _DISPLAY_MATH.sub(lambda m: "\n\n" + stash(m.group(1), True) + "\n\n", part)
        return _INLINE_MATH.sub(lambda m: stash(m.group(1), False), part)

    def stash_code(match) -> str:
        # Code spans are set here, not by Markdown: its own search for them is quadratic (20,000
        # backticks in a row took seconds); ours is one pass (_CodeSpans).
        raw = match.group(0)
        ticks = len(raw) - len(raw.lstrip("`"))
        content = raw[ticks:-ticks].replace("\n", " ")
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]  # one space either side lets a span begin or end with a backtick
        codes.append(content)
        return _CODE_PLACEHOLDER.format(len(codes) - 1)

    source = _outside(text, _FENCE, lambda part: _outside(part, _CODE_SPAN, protect_math, stash_code))
    # Anki's audio: a link the review plays (ui/audio.py), besides playing it when the side shows.
    if not for_anki:
        source = _SOUND.sub(_sound_link, source)
    body = markdown.markdown(
        source,
        extensions=["fenced_code", "tables", "sane_lists", "codehilite"],
        extension_configs={"codehilite": {"noclasses": True, "guess_lang": False, "pygments_style": code_style}},
        output_format="html",
    )
    body = _CODE_PLACEHOLDER_RE.sub(lambda m: f"<code>{html.escape(codes[int(m.group(1))])}</code>", body)
    body = nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        filter_style_properties=ALLOWED_STYLES,
        url_schemes={"math", "media", "sound"},  # no http(s), no data: nothing is fetched from anywhere
        link_rel=None,
    )
    images: dict[str, bytes] = {}
    spent = 0.0  # seconds typesetting this card
    over_budget = False

    def place(match: re.Match) -> str:
        nonlocal spent, over_budget
        tex, display = formulas[int(match.group(1))]
        if for_anki:
            return f"\\[{html.escape(tex)}\\]" if display else f"\\({html.escape(tex)}\\)"
        if len(tex) > MAX_FORMULA_CHARS:
            if strict_math:
                raise MathError(f"a formula is longer than {MAX_FORMULA_CHARS:,} characters")
            return f"<code>{html.escape(tex)}</code>"
        if budget is not None and not strict_math and spent > budget:
            over_budget = True
            return f"<code>{html.escape(tex)}</code>"
        _load_mathtext()  # once a process, and not the card's time: the start-up warms it up (ui/app.py)
        started = _clock()
        try:
            png = typeset(tex, color, display, text_px, x_height, scale)
        except MathError:
            if strict_math:
                raise
            return f"<code>{html.escape(tex)}</code>"
        finally:
            spent += _clock() - started
        ident = hashlib.sha1(f"{tex}|{color}|{display}|{text_px}|{x_height}|{scale}".encode()).hexdigest()[:16]
        images[f"math:{ident}"] = png
        img = f'<img src="math:{ident}" alt="{html.escape(tex, quote=True)}" style="vertical-align: middle">'
        return f'<div align="center">{img}</div>' if display else img

    body = _CODE_BLOCK.sub(_code_block, body)
    body = _PLACEHOLDER_RE.sub(place, body)
    media: list[str] = []

    def local(match: re.Match) -> str:
        name = html.unescape(match.group(2))
        if name.startswith("math:"):  # a formula typeset above
            return match.group(0)
        if ":" in name or "/" in name:  # a URL or a path: never fetched, so shown as nothing
            return match.group(1) + 'src=""'
        media.append(name)
        if for_anki:
            return match.group(0)
        return match.group(1) + f'src="media:{html.escape(name, quote=True)}"'

    body = _IMG_SRC.sub(local, body)
    body = re.sub(r"<p>\s*(<div align=\"center\">.*?</div>)\s*</p>", r"\1", body)
    if over_budget:
        body = TYPESET_NOTE + body
    return RenderedCard(html=body, images=images, media=media)


@lru_cache(maxsize=2048)
def typeset(
    tex: str,
    color: str,
    display: bool,
    text_px: float = DEFAULT_TEXT_PX,
    x_height: float = DEFAULT_TEXT_PX / 2,
    scale: float = 1.0,
) -> bytes:
    """PNG bytes of one formula, its glyphs `text_px` logical pixels high like the text around it, drawn
    at `scale` device pixels per logical pixel. An inline formula's baseline lies half the text's
    `x_height` below the image's middle: vertical-align: middle centres an image there (CSS's rule,
    which Qt follows), so the formula sits on the line. matplotlib is imported only for a card with math."""
    with _TYPESETTING:  # one at a time: the window's thread and the start-up warm-up (ui/app.py)
        return _typeset(tex, color, display, text_px, x_height, scale)


_TYPESETTING = threading.Lock()


def _load_mathtext() -> None:
    from matplotlib import mathtext  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401


def _typeset(tex: str, color: str, display: bool, text_px: float, x_height: float, scale: float) -> bytes:
    from matplotlib import mathtext
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    # mathtext knows most of TeX's math; spell the few common gaps the way it understands.
    tex = tex.replace("\\!", "").replace("\\tfrac", "\\frac").replace("\\dfrac", "\\frac")
    tex = re.sub(r"\\(le|ge)(?![A-Za-z])", r"\\\1q", tex)
    tex = re.sub(r"\\text(bf|it|rm|sf|tt)(?![A-Za-z])", r"\\math\1", tex)  # LaTeX's text fonts (Anki decks)
    buffer = io.BytesIO()
    try:
        # At 72 dpi a point is a pixel: sizes below are logical pixels until savefig scales them.
        prop = FontProperties(size=text_px * (DISPLAY_MATH_SCALE if display else 1.0))
        # As mathtext.math_to_image, with room above and below: that sizes the image by the font's metrics,
        # and ink beyond them was cut off (the bar of a raised \top: QK^\top read as "QK |").
        width, height, depth, _, _ = mathtext.MathTextParser("path").parse(f"${tex}$", dpi=72, prop=prop)
        pad = 0.15 * prop.get_size_in_points()
        above, below = height - depth + pad, depth + pad
        if not display:  # padded so that (above - below) is the x-height: the middle at half of it
            below = max(below, above - x_height)
            above = below + x_height
        above = math.ceil((above + below) * scale) / scale - below  # whole pixels: the extra goes on top
        figure = Figure(figsize=(width / 72, (above + below) / 72))
        figure.text(0, below / (above + below), f"${tex}$", fontproperties=prop, color=color)
        figure.savefig(buffer, dpi=72 * scale, format="png", transparent=True)  # the card's background shows
    except Exception as exc:  # mathtext raises parser and layout errors of several kinds
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise MathError(f"cannot typeset ${tex}$: {first}") from None
    return buffer.getvalue()


# A highlighted block as pygments writes it (after sanitizing): its own background and line height.
_CODE_BLOCK = re.compile(r'<div class="codehilite"[^>]*><pre[^>]*>(.*?)</pre></div>', re.S)


def _code_block(match: re.Match) -> str:
    """A code block as one cell: a document draws a <pre>'s background line by line, in stripes with
    gaps, and the block's last newline as one more empty stripe."""
    code = match.group(1).replace("<span></span>", "")
    code = re.sub(r"\n(</code>)?$", r"\1", code)
    cell = f'<tr><td class="code"><pre>{code}</pre></td></tr>'
    return f'<table class="code" width="100%" cellspacing="0" cellpadding="10">{cell}</table>'


def _sound_link(match: re.Match) -> str:
    name = html.escape(match.group(1))
    return f'<a href="sound:{name}" title="Play (R plays the card again)">▶ {name}</a>'


def _first(match: re.Match) -> str:
    """The text of whichever alternative of the pattern matched ([latex]$x$[/latex]: x)."""
    tex = next(group for group in match.groups() if group is not None)
    tex = html.unescape(tex.replace("<br>", " ").replace("<br/>", " ").replace("&nbsp;", " ")).strip()
    for opener, closer in (("$$", "$$"), ("$", "$"), ("\\[", "\\]"), ("\\(", "\\)")):
        if len(tex) > len(opener) + len(closer) and tex.startswith(opener) and tex.endswith(closer):
            return tex[len(opener) : -len(closer)]
    return tex


def _outside(text: str, pattern, transform, inside=None) -> str:
    """Apply transform to the parts of text that the pattern does not match (and inside, if given, to
    the parts it does)."""
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(transform(text[last : match.start()]))
        out.append(inside(match) if inside else match.group(0))
        last = match.end()
    out.append(transform(text[last:]))
    return "".join(out)


_LINE_BREAKING_TAG = re.compile(
    r"<br\s*/?>|</(?:p|div|li|tr|h\d|pre|blockquote)>|<(?:hr|ul|ol|table)\b[^>]*>", re.IGNORECASE
)
_LIST_ITEM_TAG = re.compile(r"<li\b[^>]*>", re.IGNORECASE)


def _html_as_text(text: str) -> str:
    """Imported HTML (an Anki card) as lines of text: breaks where the HTML breaks lines, no tags."""
    text = _LINE_BREAKING_TAG.sub("\n", text.replace("\n", " "))
    text = _LIST_ITEM_TAG.sub("- ", text)
    text = html.unescape(nh3.clean(text, tags=set()))
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


def to_terminal_text(markdown_text: str, width: int | None = None) -> str:
    """Markdown is made to be read as text: drop only the marks that get in the way.

    Code blocks are indented and kept verbatim; headings lose their #; bold loses its stars; links show
    their text and address; math reads as Unicode (√, ∑, dₖ); tables are aligned in columns. HTML (an
    imported Anki card) loses its tags. With a width, prose is wrapped at words to it.
    """
    if "<" in markdown_text and "```" not in markdown_text and re.search(r"<[A-Za-z/!]", markdown_text):
        markdown_text = _html_as_text(markdown_text)
    markdown_text = _outside(markdown_text, _FENCE, lambda part: _outside(part, _CODE_SPAN, _math_as_text))
    out: list[str] = []
    table: list[str] = []
    in_code = False
    for line in [*markdown_text.splitlines(), ""]:  # the empty line ends a table at the end
        stripped = line.strip()
        if table and not (stripped.startswith("|") and not in_code):
            out.extend(_aligned(table))
            table = []
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code:
            out.append("    " + line)
            continue
        if stripped.startswith("|"):
            table.append(stripped)
            continue
        line = _HEADING.sub("", line)
        line = _EMPHASIS.sub(r"\2", line)
        line = _LINK.sub(r"\1 (\2)", line)
        line = _SOUND.sub(r"♪ \1", line)
        out.append(_wrapped(line, width) if width else line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _wrapped(line: str, width: int) -> str:
    """A line of prose wrapped at words; a list item's lines hang under its text."""
    item = re.match(r"(\s*(?:[-*+]|\d+[.)])\s+)", line)
    indent = " " * len(item.group(1)) if item else line[: len(line) - len(line.lstrip())]
    return textwrap.fill(line, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


def _aligned(rows: list[str]) -> list[str]:
    """A Markdown table's rows in aligned columns, a rule under the header (its |---| line dropped)."""
    cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in rows]
    rule_at = next((i for i, r in enumerate(cells) if r and all(re.fullmatch(r":?-{2,}:?", c) for c in r)), None)
    if rule_at is not None:
        del cells[rule_at]
    count = max(len(r) for r in cells)
    cells = [r + [""] * (count - len(r)) for r in cells]
    widths = [max(len(r[i]) for r in cells) for i in range(count)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    if rule_at == 1:
        lines.insert(1, "  ".join("─" * w for w in widths))
    return lines


def _math_as_text(part: str) -> str:
    part = _ANKI_DISPLAY_MATH.sub(lambda m: "\n\n    " + tex_as_text(_first(m)) + "\n\n", part)
    part = _ANKI_INLINE_MATH.sub(lambda m: tex_as_text(_first(m)), part)
    part = _DISPLAY_MATH.sub(lambda m: "\n\n    " + tex_as_text(m.group(1)) + "\n\n", part)
    return _INLINE_MATH.sub(lambda m: tex_as_text(m.group(1)), part)


_TEX_WORDS = re.compile(r"\\(?:mathrm|text|textrm|textbf|textit|mathbf|mathit|mathsf|mathtt|operatorname|boldsymbol)"
                        r"\{([^{}]*)\}")  # fmt: skip
_TEX_FRAC = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
_TEX_SQRT = re.compile(r"\\sqrt\{([^{}]*)\}")
_TEX_SIZING = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])|\\!")
_TEX_SPACING = re.compile(r"\\[,;: ]|\\q?quad(?![A-Za-z])")


def tex_as_text(tex: str) -> str:
    """A formula as Unicode text, for a terminal: √x, ∑ⱼ, dₖ, (a)/(b); what Unicode cannot raise or lower
    keeps its ^(…) or _(…)."""
    import unicodeit  # only when a card in the terminal has math

    def grouped(text: str) -> str:  # one symbol as it is, more in parentheses
        return text if len(text) == 1 or re.fullmatch(r"\\[A-Za-z]+|√?\w+", text) else f"({text})"

    text = _TEX_SPACING.sub(" ", _TEX_SIZING.sub("", tex.strip()))
    for _ in range(8):  # innermost first: a fraction inside a root inside a fraction
        before = text
        text = _TEX_WORDS.sub(r"\1", text)
        text = _TEX_FRAC.sub(lambda m: f"{grouped(m.group(1))}/{grouped(m.group(2))}", text)
        text = _TEX_SQRT.sub(lambda m: "√" + grouped(m.group(1)), text)
        if text == before:
            break
    text = unicodeit.replace(text)
    text = re.sub(r"([\^_])\{([^{}]*)\}", lambda m: m.group(1) + grouped(m.group(2)), text)
    text = " ".join(text.replace("{", "").replace("}", "").split())
    return re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", text))


_MATH_SIGNS = ("$", "\\(", "\\[", "[latex]")


def may_have_math(text: str) -> bool:
    """Whether a side can hold a formula (a cheap test: most sides have none to typeset)."""
    return any(sign in text for sign in _MATH_SIGNS)


def sounds(text: str) -> list[str]:
    """The store's audio files a card side names ([sound:name], as Anki writes it), in order."""
    return _SOUND.findall(text)


def one_line(text: str, limit: int = 200) -> str:
    """A card side as one line of text, for a list (an Anki card's HTML without its tags)."""
    return " ".join(to_terminal_text(text[: limit * 20]).split())[:limit]


# Where a card asks for its answer to be typed (Anki's {{type:Field}}): the review shows a box there.
TYPE_MARK = '<span class="type-answer"></span>'


_EXPECTED = re.compile(r'<span class="expected-answer">(.*?)</span>', re.S)


def expected_answer(text: str) -> str:
    """The answer a type-in card expects, marked in its back (which may hold more, such as its front)."""
    return f'<span class="expected-answer">{text}</span>'


def asks_to_type(question: str) -> bool:
    return TYPE_MARK in question


def typed_answer_html(typed: str, expected: str, right: str = "#15803d", wrong: str = "#dc2626") -> str:
    """Anki's check of a typed answer, for the answer side: what was typed, right letters in the `right`
    colour and wrong ones in `wrong`, and the expected answer below when they differ. `expected` is the
    card's back: its marked expected answer, or all of it."""
    marked = _EXPECTED.search(expected)
    want = one_line(marked.group(1) if marked else expected, 1000)
    got = " ".join(typed.split())
    if got == want:
        return f'<p><span style="color: {right}">✓ {html.escape(got)}</span></p>\n\n'
    shown = []
    for kind, start, end, _, _ in difflib.SequenceMatcher(None, got, want, autojunk=False).get_opcodes():
        if start < end:
            color = right if kind == "equal" else wrong
            shown.append(f'<span style="color: {color}">{html.escape(got[start:end])}</span>')
    typed_part = "".join(shown) or f'<span style="color: {wrong}">(nothing typed)</span>'
    return f"<p>✗ {typed_part}<br>Expected: <b>{html.escape(want)}</b></p>\n\n"


# An answer that replaces its question when shown (an Anki back template without {{FrontSide}}, such as
# Image Occlusion's, which repeats the picture with the mask lifted).
ANSWER_ALONE = '<span class="answer-alone"></span>'
ANSWER_RULE = "\n\n<hr>\n\n"


def answer_side(question: str, answer: str, checked: str = "") -> str:
    """What the answer side shows: the question, a rule and the answer; or the answer alone. A typed
    answer's check (typed_answer_html) stands where the card shows the expected answer, else first."""
    if checked:
        answer = _EXPECTED.sub(lambda _: checked, answer, count=1) if _EXPECTED.search(answer) else checked + answer
    return answer if ANSWER_ALONE in answer else question + ANSWER_RULE + answer
