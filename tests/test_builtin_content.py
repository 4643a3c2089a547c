"""The built-in decks and plans: complete, well-formed, and every card renders."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC
from importlib import resources

import pytest

from cards.browse import all_tags
from cards.deckfile import parse_deck_bytes
from cards.loading import load_builtin_decks
from cards.render import render_html
from cards.store import Store
from planner import plans
from planner.planfile import parse_plan_bytes

TRANSFORMER_CATEGORIES = (
    "foundational-concepts",
    "the-attention-mechanism",
    "architectural-deep-dive",
    "model-variants-and-applications",
    "practical-considerations",
)
MINIMUM_CARDS = {"system-design": 30, "rag-failure-modes": 10, "ml-debugging": 5, "data-failure-modes": 5}


def builtin_decks():
    return {
        item.name: parse_deck_bytes(item.read_bytes(), f"decks/{item.name}")
        for item in resources.files("decks").iterdir()
        if item.name.endswith(".md")
    }


DECKS = builtin_decks()
BY_KEY = {deck.key: deck for deck in DECKS.values()}


ALL_CARDS = [card for deck in DECKS.values() for card in deck.cards]


def words(text: str) -> int:
    """Words of prose: code blocks, display math and table rows aside, a formula in a sentence as one."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " x ", text)
    text = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("|"))
    return len(re.findall(r"[A-Za-z0-9][\w'’-]*", text))


def test_the_decks_learners_come_for_are_all_there():
    assert {"transformers", *MINIMUM_CARDS} <= set(BY_KEY)


def test_transformers_has_25_cards_five_per_category():
    deck = BY_KEY["transformers"]
    assert len(deck.cards) == 25
    for category in TRANSFORMER_CATEGORIES:
        assert sum(category in c.tags for c in deck.cards) == 5, category
    assert all(sum(t in TRANSFORMER_CATEGORIES for t in c.tags) == 1 for c in deck.cards)


@pytest.mark.parametrize(
    "topic",
    [
        r"RNN|LSTM", r"sqrt|\\sqrt", r"\bQ\b.*\bK\b.*\bV\b", r"\(B, ?H, ?S, ?D\)|B, H, S, D",
        r"-inf|-\\infty|minus infinity",
        r"cross-attention", r"O\(n\^2\)|O\(n\^\{?2\}?\)|quadratic", r"sinusoid", r"RoPE|[Rr]otary", r"ALiBi",
        r"[Pp]re-LN|pre-norm|Pre-LN", r"LayerNorm|layer norm", r"feed-forward", r"\.view\(|view\b", r"reshape",
        r"KV cache|KV-cache", r"BERT", r"GPT", r"T5", r"Transformer-XL", r"ViT|patch", r"Longformer", r"BigBird",
        r"Reformer", r"FlashAttention", r"GQA|grouped-query", r"MQA|multi-query", r"[Qq]uantiz", r"[Pp]run",
        r"[Dd]istill", r"Mamba|state space", r"[Ii]nstruction tuning|instruction-tun", r"[Ll]ost in the middle",
    ],
)  # fmt: skip
def test_transformers_covers_the_required_topics(topic):
    text = "\n".join(c.question + "\n" + c.answer for c in BY_KEY["transformers"].cards)
    assert re.search(topic, text), topic


def test_at_least_300_cards():
    assert len(ALL_CARDS) >= 300


def test_every_answer_can_be_graded_pass_fail_at_200_words_of_prose_at_most():
    too_long = {c.key: words(c.answer) for c in ALL_CARDS if words(c.answer) > 200}
    assert not too_long
    assert all(words(c.answer) >= 30 for c in BY_KEY["transformers"].cards)


def test_card_keys_are_unique_across_the_builtin_decks():
    """A card moved between deck files keeps its history by its key, so a key names one card."""
    keys = Counter(c.key for c in ALL_CARDS)
    assert not [k for k, n in keys.items() if n > 1]
    assert not any(c.key.startswith("q-") for c in ALL_CARDS), "built-in cards carry explicit keys"


def test_no_question_is_asked_twice():
    questions = Counter(" ".join(c.question.lower().split()) for c in ALL_CARDS)
    assert all(questions) and not [q for q, n in questions.items() if n > 1]
    assert all(c.answer.strip() for c in ALL_CARDS)


def test_every_card_has_a_topic():
    assert all(c.tags for c in ALL_CARDS)


@pytest.mark.parametrize("key, minimum", MINIMUM_CARDS.items())
def test_other_decks_have_enough_cards(key, minimum):
    assert len(BY_KEY[key].cards) >= minimum


def test_each_system_design_prompt_is_answered_in_every_part_across_its_cards():
    """A prompt is split into cards short enough to grade; the first keeps the prompt's key, the others
    extend it (train-100b-model, train-100b-model-data, ...)."""
    cards = BY_KEY["system-design"].cards
    prompts = [c.key for c in cards if not any(c.key.startswith(o.key + "-") for o in cards)]
    assert len(prompts) >= 12
    for prompt in prompts:
        parts = [c for c in cards if c.key == prompt or c.key.startswith(prompt + "-")]
        assert 2 <= len(parts) <= 3, prompt
        assert all(":" in c.question for c in parts), "each card names the prompt, then the part it asks for"
        text = "\n".join(c.question + "\n" + c.answer for c in parts).lower()
        for part in (r"\d", "evaluat|monitor|measur|detect|test", "fail|risk|wrong|leak|cost"):
            assert re.search(part, text), (prompt, part)


def test_rag_cards_say_symptom_cause_detection_fix():
    for card in BY_KEY["rag-failure-modes"].cards:
        for part in ("Symptom", "Cause", "detect", "Fix"):
            assert part.lower() in card.answer.lower(), (card.key, part)


@pytest.mark.parametrize("name", sorted(DECKS))
def test_every_card_renders_with_its_code_and_math(name):
    for card in DECKS[name].cards:
        for side in (card.question, card.answer):
            rendered = render_html(side, strict_math=True)
            assert rendered.html.strip()
            assert "$$" not in rendered.html, card.key


@pytest.mark.parametrize("name", sorted(DECKS))
def test_every_list_is_drawn_as_a_list(name):
    """A list written right under a paragraph line is joined to that paragraph by Markdown: a blank line
    must come first."""
    for card in DECKS[name].cards:
        for paragraph in re.findall(r"<p>(.*?)</p>", render_html(card.answer).html, re.S):
            assert not re.search(r"\n\s*(?:[-*+]|\d+\.) ", paragraph), (card.key, paragraph[:80])


def test_reloading_the_builtin_decks_changes_nothing(tmp_path, clock):
    store = Store.open(tmp_path / "s.db", clock=clock, tz=UTC)
    ids = {(c.deck_id, c.key): c.id for c in store.cards()}
    assert len(ids) == sum(len(d.cards) for d in DECKS.values())
    summaries = load_builtin_decks(store)
    assert all(s.added == s.updated == s.removed == 0 for s in summaries.values())
    assert {(c.deck_id, c.key): c.id for c in store.cards()} == ids
    store.close()


# ------------------------------------------------------------------ plans

PLANS = {
    item.name: parse_plan_bytes(item.read_bytes(), f"planner/builtin/{item.name}")
    for item in resources.files("planner.builtin").iterdir()
    if item.name.endswith(".md")
}
PLAN_DAYS = {
    "research-engineer-12-weeks": 72,
    "transformer-mastery-2-weeks": 14,
    "forward-deployed-engineer-2-weeks": 14,
}


def test_the_three_plans_are_there_with_their_lengths():
    assert {p.key: len(p.days) for p in PLANS.values()} == PLAN_DAYS


def test_twelve_week_plan_rests_on_sunday_and_spans_twelve_weeks():
    plan = next(p for p in PLANS.values() if p.key == "research-engineer-12-weeks")
    assert plan.rest_weekday == 6
    from datetime import date

    dates = plans.lay_out(date(2026, 11, 23), len(plan.days), plan.rest_weekday)  # a Monday
    assert (dates[-1] - dates[0]).days == 12 * 7 - 2  # Monday of week 1 to Saturday of week 12


def test_every_plan_topic_is_a_tag_of_a_builtin_card(tmp_path, clock):
    store = Store.open(tmp_path / "s.db", clock=clock, tz=UTC)
    tags = set(all_tags(store.db))
    for plan in PLANS.values():
        assert set(plan.topic_lines) <= tags, (plan.key, set(plan.topic_lines) - tags)
    plans.attach(store)  # loads the built-in plans: topics are checked again on import
    assert {p.key for p in plans.plans(store)} == set(PLAN_DAYS)
    store.close()


REVIEW_DAY = re.compile(r"recap|full loop|closing the last gaps|question bank|synthesis", re.I)


def days_with_cards(plan):
    """Each day of a plan with the cards its topics reach and the new ones it brings: a card comes on the
    first day one of its tags is a topic of (as planner.plans.new_cards_by_day counts them)."""
    seen: set[str] = set()
    for day in plan.days:
        reached = {c.key for c in ALL_CARDS if set(c.tags) & set(day.topics)}
        yield day, reached, reached - seen
        seen |= reached


@pytest.mark.parametrize("name", sorted(PLANS))
def test_every_plan_day_brings_a_days_worth_of_cards(name):
    """Every day reaches cards to review; a study day brings 5 to 25 new ones, a recap day none or a few."""
    for day, reached, new in days_with_cards(PLANS[name]):
        assert len(reached) >= 5, (day.number, day.title, len(reached))
        assert len(new) <= 25, (day.number, day.title, len(new))
        if not REVIEW_DAY.search(day.title):
            assert len(new) >= 5, (day.number, day.title, len(new))


@pytest.mark.parametrize("name", sorted(PLANS))
def test_no_topic_brings_a_whole_deck(name):
    for topic in PLANS[name].topic_lines:
        assert sum(topic in c.tags for c in ALL_CARDS) <= 25, topic
