"""Typeset math: what the learner sees is the formula that was written."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from cards.render import tex_as_text, to_terminal_text, typeset


def ink_rows(tex: str) -> list[list[int]]:
    image = Image.open(io.BytesIO(typeset(tex, "#000000", False))).convert("RGBA")
    alpha = image.getchannel("A")
    width, height = image.size
    return [[x for x in range(width // 2, width) if alpha.getpixel((x, y)) > 128] for y in range(height)]


def test_the_transpose_sign_keeps_its_bar():
    """mathtext cut the bar of \\top off the image, so K^\\top read as "K |": the topmost ink of the
    superscript must be a bar, not the stem alone."""
    top = next(row for row in ink_rows(r"K^\top") if row)
    assert max(top) - min(top) >= 3


def test_an_anki_card_reads_as_text_in_the_terminal():
    """`review` in a terminal printed Anki's HTML as it is."""
    from cards.render import to_terminal_text

    card = '<div class="front">\n    <b>Capital</b> of France?<br>Think &amp; answer'
    card += "<ul><li>one</li><li>two</li></ul></div>"
    assert to_terminal_text(card) == "Capital of France?\nThink & answer\n- one\n- two"
    assert to_terminal_text("**Bold** stays *Markdown*") == "Bold stays *Markdown*"


def test_a_card_side_in_a_list_is_its_text():
    """Browse and the import preview showed an Anki card's HTML, wrapper and entities included."""
    from cards.render import one_line

    assert one_line('<div class="anki">\n2. Any of <b>these</b> &amp; more<br>second line\n</div>') == (
        "2. Any of these & more second line"
    )
    assert one_line("What does `x.view()` need?") == "What does `x.view()` need?"


def test_a_typed_answer_is_checked_letter_by_letter():
    from cards.render import typed_answer_html

    assert typed_answer_html(" Paris ", '<div class="anki">\nParis\n</div>', "green", "red").startswith(
        '<p><span style="color: green">✓ Paris'
    )
    wrong = typed_answer_html("Pariz", "Paris", "green", "red")
    assert '<span style="color: green">Pari</span><span style="color: red">z</span>' in wrong
    assert "Expected: <b>Paris</b>" in wrong
    assert "(nothing typed)" in typed_answer_html("", "Paris")


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"\mathrm{softmax}(QK^\top / \sqrt{d_k})\,V", "softmax(QK^⊤ / √dₖ) V"),
        (r"\frac{QK^\top}{\sqrt{d_k}}", "(QK^⊤)/√dₖ"),
        (r"p_i = e^{z_i} / \sum_j e^{z_j}", "pᵢ = e^zᵢ / ∑ⱼ e^zⱼ"),
        (r"Q \in \mathbb{R}^{n \times d_k}", "Q ∈ ℝ^(n × dₖ)"),
        (r"\left(\frac{a+b}{2}\right)^2", "((a+b)/2)²"),
    ],
)
def test_math_reads_as_unicode_in_the_terminal(tex, text):
    assert tex_as_text(tex) == text


def test_the_terminal_aligns_tables_and_wraps_prose_at_words():
    shown = to_terminal_text(
        "A sentence long enough to wrap, about $O(n^2 d)$ work in the attention layer of a model.\n\n"
        "| Model | Params |\n|---|---:|\n| BERT-base | 110M |\n| GPT-3 | 175B |\n\n"
        "```python\nkeep = 'this line exactly as it is, however long it happens to be'\n```",
        width=40,
    ).split("\n")
    assert shown[:3] == ["A sentence long enough to wrap, about", "O(n² d) work in the attention layer of a", "model."]
    assert shown[4:8] == ["Model      Params", "─────────  ──────", "BERT-base  110M", "GPT-3      175B"]
    assert shown[-1] == "    keep = 'this line exactly as it is, however long it happens to be'"


def test_math_in_a_longer_fence_stays_code():
    """A ~~~~ fence holding ``` blocks (the deck format's own example) had its $$…$$ typeset."""
    from cards.render import render_html

    shown = render_html("~~~~markdown\n## Q\n```python\nx = 1\n```\n$$a^2$$\n~~~~\n\nAfter $b$.")
    assert "$$a^2$$" in shown.html and len(shown.images) == 1  # only the $b$ outside the fence


def test_rendering_grows_linearly_with_backticks_and_long_formulas_are_shown_as_source():
    """20,000 backticks took 45 s (the code-span pattern backtracked) and a 99,000-character formula
    about 35 s: any imported card could freeze the window. Both now take a pass over the text; the
    growth, not a wall-clock limit, is what is checked (figures: bench/bench_render.py)."""
    import time

    from cards.render import MAX_FORMULA_CHARS, render_html

    def seconds(text: str) -> float:
        start = time.perf_counter()
        render_html(text)
        return time.perf_counter() - start

    shapes = (lambda n: "`" * n, lambda n: "``a`" * (n // 4), lambda n: "`" * n + "\nx\n" + "`" * n)
    for make in shapes:
        small, large = seconds(make(2_000)), seconds(make(16_000))
        assert large < 30 * max(small, 0.005)  # 8 times the text: linear is 8 times the time; it was ~500
    huge = "$" + "x+" * 20_000 + "x$"
    shown = render_html(huge)
    assert not shown.images and "<code>x+x+" in shown.html and len(huge) > MAX_FORMULA_CHARS


def test_the_renderer_s_private_marks_in_a_card_are_just_dropped():
    """Text holding the renderer's formula placeholder (U+E000 … U+E001) raised IndexError."""
    from cards.render import render_html

    shown = render_html("a \ue000MATH5\ue001 b $x$")
    assert "MATH5" in shown.html and len(shown.images) == 1


def test_a_card_of_many_formulas_typesets_within_its_budget_and_says_the_rest_is_source(monkeypatch):
    """A card of 500 formulas took 7 s to show and froze the window. Now typesetting stops after
    TYPESET_BUDGET_S of it; the other formulas show as their source under a note. Each formula here
    "takes" 20 ms by the test's clock."""
    from cards import render

    ticks = iter(range(10**6))
    monkeypatch.setattr(render, "_clock", lambda: next(ticks) * 0.02)
    card = "\n\n".join(f"Term {i}: $x_{{{i}}} + y$" for i in range(20))
    shown = render.render_html(card)
    assert render.TYPESET_BUDGET_S == 0.1 and len(shown.images) == 6  # 6 x 20 ms passes 100 ms
    assert shown.html.startswith(render.TYPESET_NOTE) and "<code>x_{19} + y</code>" in shown.html
    assert len(render.render_html(card, budget=None).images) == 20  # typeset ahead: all of them
    assert len(render.render_html(card, strict_math=True).images) == 20  # the built-in decks' check
    assert "TeX source" not in render.render_html("$a$ and $b$").html  # a usual card: no note
