"""A small renderer for Anki card templates, written from the documented template syntax.

Supported: {{Field}}, {{FrontSide}}, sections {{#Field}}...{{/Field}} and {{^Field}}...{{/Field}},
filters written before the field name and applied right to left ({{text:Field}}, {{hint:Field}},
{{type:Field}} (the expected answer on the back), {{cloze:Text}}, furigana filters; tts is dropped, unknown filters
leave the text as it is) and cloze deletions {{c1::answer::hint}}, nested ones included.
Field values are never parsed as templates: only the template itself is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser

import nh3

from ..render import ANSWER_ALONE, TYPE_MARK, expected_answer

# Field values come from untrusted packages and may be a million characters long, so every
# pattern here stays linear: no lazy ".*?" that could rescan the rest of the text from each start.
_TAG = re.compile(r"\{\{([^{}]*)\}\}")
_CLOZE_MARK = re.compile(r"\{\{c(\d+)::|\}\}")
# What Anki treats as an empty field: only whitespace, line breaks and empty divs.
_EMPTY = re.compile(r"^(?:\s|&nbsp;|</?(?:br|div)\s*/?>)*$", re.IGNORECASE)
# "漢字[かんじ]" readings of the furigana filters; a reading starts after a space, a tag or the start.
_RUBY = re.compile(r"(?: |(?<![^>\]]))([^ >\[\]]+)\[([^\[\]]*)\]")
_LEADING_RULE = re.compile(r"^\s*(<hr\b[^>]*>)\s*", re.IGNORECASE)
_ANSWER_ID = re.compile(r"\bid\s*=\s*['\"]?answer\b", re.IGNORECASE)
MAX_DEPTH = 32  # nested sections or clozes; deeper ones are a crafted file, not a card

QUESTION, ANSWER = "question", "answer"


class TemplateError(ValueError):
    """A template whose sections do not nest; the message says which tag."""


@dataclass
class _Section:
    name: str
    inverted: bool
    children: list[str | _Field | _Section] = field(default_factory=list)


@dataclass
class _Field:
    name: str
    filters: list[str]  # in application order: the one nearest the field name first


@dataclass
class _Cloze:
    number: int
    opener: str
    children: list[str | _Cloze] = field(default_factory=list)


def strip_html(text: str) -> str:
    """Text without tags, comments, scripts and styles; entities decoded."""
    return html.unescape(nh3.clean(text, tags=set())).strip()


def is_empty(text: str) -> bool:
    return _EMPTY.match(text) is not None


@lru_cache(maxsize=256)  # a deck renders the same few templates thousands of times
def parse(template: str) -> list[str | _Field | _Section]:
    root: list[str | _Field | _Section] = []
    stack: list[_Section] = []
    pos = 0
    for match in _TAG.finditer(template):
        target = stack[-1].children if stack else root
        if match.start() > pos:
            target.append(template[pos : match.start()])
        pos = match.end()
        tag = match.group(1).strip()
        if tag[:1] in ("#", "^"):
            if len(stack) >= MAX_DEPTH:
                raise TemplateError(f"sections nest deeper than {MAX_DEPTH}")
            section = _Section(tag[1:].strip(), tag[0] == "^")
            target.append(section)
            stack.append(section)
        elif tag[:1] == "/":
            name = tag[1:].strip()
            if not stack or stack[-1].name != name:
                expected = f"{{{{/{stack[-1].name}}}}}" if stack else "no closing tag"
                raise TemplateError(f"{{{{/{name}}}}} found where {expected} was expected")
            stack.pop()
        else:
            *filters, name = tag.split(":")
            target.append(_Field(name.strip(), [f.strip() for f in reversed(filters)]))
    if stack:
        raise TemplateError(f"{{{{#{stack[-1].name}}}}} is never closed")
    if pos < len(template):
        (stack[-1].children if stack else root).append(template[pos:])
    return root


@lru_cache(maxsize=256)
def field_names(template: str) -> frozenset[str]:
    """Every field name a template reads, in sections too."""
    names: set[str] = set()
    nodes = list(parse(template))
    while nodes:
        node = nodes.pop()
        if isinstance(node, _Section):
            names.add(node.name)
            nodes.extend(node.children)
        elif isinstance(node, _Field):
            names.add(node.name)
    return frozenset(names)


def render(template: str, fields: Mapping[str, str], side: str, cloze: int | None = None, front_side: str = "") -> str:
    """One side of a card. cloze is the active cloze number (card ord + 1) for cloze note types."""
    nodes = parse(template)  # parse's nodes are never changed
    if len(nodes) == 1 and isinstance(nodes[0], _Field) and not nodes[0].filters and nodes[0].name != "FrontSide":
        return fields.get(nodes[0].name, "")  # "{{Front}}", most templates' question: a package's hot path
    return _render_nodes(nodes, fields, side, cloze, front_side)


def answer_without_front(afmt: str, fields: Mapping[str, str], cloze: int | None = None) -> str:
    """The back with {{FrontSide}} left out and the leading <hr id=answer> dropped.

    We show the question above the answer ourselves, so Anki's usual back side
    (front, rule, back) would show the front twice.
    """
    answer_field = _plain_back_field(afmt)
    if answer_field is not None:  # "{{FrontSide}}<hr id=answer>{{Back}}": the back field is the answer
        return fields.get(answer_field, "").strip()
    text = render(afmt, fields, ANSWER, cloze, front_side="")
    if "FrontSide" not in field_names(afmt):  # the back repeats what it needs of the front: shown alone
        return ANSWER_ALONE + text.strip()
    rule = _LEADING_RULE.match(text)
    if rule and _ANSWER_ID.search(rule.group(1)):
        text = text[rule.end() :]
    return text.strip()


def _plain_back_text(text: str) -> bool:
    rule = _LEADING_RULE.match(text)
    return rule is not None and rule.end() == len(text) and _ANSWER_ID.search(rule.group(1)) is not None


@lru_cache(maxsize=256)
def _plain_back_field(afmt: str) -> str | None:
    """The field of a back template that is Anki's usual {{FrontSide}}, the answer rule and one plain
    field (None for any other)."""
    nodes = parse(afmt)
    plain = (
        len(nodes) == 3
        and isinstance(nodes[0], _Field) and nodes[0].name == "FrontSide" and not nodes[0].filters
        and isinstance(nodes[1], str) and _plain_back_text(nodes[1])
        and isinstance(nodes[2], _Field) and not nodes[2].filters and nodes[2].name != "FrontSide"
    )  # fmt: skip
    return nodes[2].name if plain and isinstance(nodes[2], _Field) else None


def _render_nodes(
    nodes: list[str | _Field | _Section], fields: Mapping[str, str], side: str, cloze: int | None, front_side: str
) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Section):
            present = not is_empty(fields.get(node.name, ""))
            if present != node.inverted:
                out.append(_render_nodes(node.children, fields, side, cloze, front_side))
        elif node.name == "FrontSide" and not node.filters:
            out.append(front_side)
        else:
            out.append(_apply_filters(fields.get(node.name, ""), node.filters, side, cloze))
    return "".join(out)


def _apply_filters(value: str, filters: list[str], side: str, cloze: int | None) -> str:
    if "type" in filters:  # a box to type the answer in: the back shows the answer it expects
        if side == QUESTION:
            return TYPE_MARK  # where the review shows the box
        if "cloze" in filters and cloze is not None:
            value = ", ".join(_active_texts(_parse_cloze(value), cloze))
        return expected_answer(value)  # marked: the rest of the back is not what is to be typed
    for name in filters:
        if name.startswith("tts"):
            return ""  # text-to-speech has no place in a plain card
        if name == "cloze":
            value = render_cloze(value, cloze, side) if cloze is not None else value
        elif name == "cloze-only":
            value = ", ".join(_active_texts(_parse_cloze(value), cloze)) if cloze is not None else value
        elif name == "text":
            value = strip_html(value)
        elif name == "kanji":
            value = _RUBY.sub(r"\1", value)
        elif name == "kana":
            value = _RUBY.sub(r"\2", value)
        elif name == "furigana":
            value = _RUBY.sub(r"<ruby><rb>\1</rb><rt>\2</rt></ruby>", value)
        # hint, and filters we do not know, show the text as it is
    return value


def render_cloze(text: str, number: int, side: str) -> str:
    """The active cloze as [...] / [hint] on the question and <b>answer</b> on the answer; others revealed."""
    return _render_cloze_nodes(_parse_cloze(text), number, side)


def _parse_cloze(text: str) -> list[str | _Cloze]:
    root: list[str | _Cloze] = []
    stack: list[_Cloze] = []
    pos = 0
    for match in _CLOZE_MARK.finditer(text):
        target = stack[-1].children if stack else root
        if match.start() > pos:
            target.append(text[pos : match.start()])
        pos = match.end()
        if match.group(1) is not None and len(stack) >= MAX_DEPTH:
            target.append(match.group(0))  # too deep to be a real card: the marker stays text
        elif match.group(1) is not None:
            node = _Cloze(int(match.group(1)), match.group(0))
            target.append(node)
            stack.append(node)
        elif stack:
            stack.pop()
        else:
            target.append(match.group(0))  # a stray "}}" is just text
    if pos < len(text):
        (stack[-1].children if stack else root).append(text[pos:])
    while stack:  # an opener never closed is just text, like in Anki
        node = stack.pop()
        parent = stack[-1].children if stack else root
        parent[-1:] = [node.opener, *node.children]  # an open node is always its parent's last child
    return root


def _split_hint(node: _Cloze) -> tuple[list[str | _Cloze], str]:
    """The answer part and the hint of a cloze: the hint follows the first top-level '::'."""
    for i, child in enumerate(node.children):
        if isinstance(child, str) and "::" in child:
            head, tail = child.split("::", 1)
            hint = tail + _render_cloze_nodes(node.children[i + 1 :], None, ANSWER)
            return [*node.children[:i], head], hint
    return node.children, ""


def _render_cloze_nodes(nodes: list[str | _Cloze], number: int | None, side: str) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
            continue
        answer, hint = _split_hint(node)
        inner = _render_cloze_nodes(answer, number, side)
        if node.number != number:
            out.append(inner)
        elif side == QUESTION:
            out.append(f"[{hint}]" if hint.strip() else "[...]")
        else:
            out.append(f"<b>{inner}</b>")
    return "".join(out)


def _active_texts(nodes: list[str | _Cloze], number: int) -> list[str]:
    texts: list[str] = []
    for node in nodes:
        if isinstance(node, _Cloze):
            answer, _ = _split_hint(node)
            if node.number == number:
                texts.append(_render_cloze_nodes(answer, None, ANSWER))
            else:
                texts.extend(_active_texts(answer, number))
    return texts


# ---------------------------------------------------------------- what Anki shows

_HIDING_STYLE = re.compile(r"(?:display\s*:\s*none|visibility\s*:\s*hidden)", re.IGNORECASE)
_HIDING_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_CLASS_SELECTOR = re.compile(r"^\s*(?:[a-z0-9]*)\.([A-Za-z_][\w-]*)\s*$")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def hidden_classes(css: str) -> frozenset[str]:
    """The classes a note type's CSS hides with a plain rule (".reading { display: none }"): Anki's card
    shows nothing of them, often the answer written on the front for the back to reveal."""
    hidden = set()
    for selectors, body in _HIDING_RULE.findall(re.sub(r"/\*.*?\*/", "", css[:200_000], flags=re.S)):
        if _HIDING_STYLE.search(body):
            for selector in selectors.split(","):
                match = _CLASS_SELECTOR.match(selector)
                if match:
                    hidden.add(match.group(1))
    return frozenset(hidden)


class _Shown(HTMLParser):
    """HTML without the elements a card does not show (hidden by their style or by a hidden class)."""

    def __init__(self, hidden: frozenset[str]) -> None:
        super().__init__(convert_charrefs=False)
        self.hidden = hidden
        self.out: list[str] = []
        self.skipping = 0  # depth inside a hidden element

    def _hides(self, attrs: list[tuple[str, str | None]]) -> bool:
        values = dict(attrs)
        return bool(_HIDING_STYLE.search(values.get("style") or "")) or bool(
            set((values.get("class") or "").split()) & self.hidden
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            if not self.skipping and not self._hides(attrs):
                self.out.append(self.get_starttag_text() or "")
        elif self.skipping or self._hides(attrs):
            self.skipping += 1
        else:
            self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skipping and not self._hides(attrs):
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if self.skipping:
            self.skipping -= 1
        else:
            self.out.append(f"</{tag}>")

    def _text(self, text: str) -> None:
        if not self.skipping:
            self.out.append(text)

    def handle_data(self, data: str) -> None:
        self._text(data)

    def handle_entityref(self, name: str) -> None:
        self._text(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._text(f"&#{name};")


def shown_html(text: str, hidden: frozenset[str] = frozenset()) -> str:
    """What Anki shows of a rendered side: elements hidden by an inline style or a hidden class dropped."""
    if "<" not in text or not (hidden or _HIDING_STYLE.search(text)):
        return text
    parser = _Shown(hidden)
    parser.feed(text)
    parser.close()
    return "".join(parser.out)
