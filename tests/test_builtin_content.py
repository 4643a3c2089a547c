"""The built-in decks and plans: complete, well-formed, and every card renders."""

from __future__ import annotations

import re
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
MINIMUM_CARDS = {"system-design": 12, "rag-failure-modes": 10, "ml-debugging": 5, "data-failure-modes": 5}


def builtin_decks():
    return {
        item.name: parse_deck_bytes(item.read_bytes(), f"decks/{item.name}")
        for item in resources.files("decks").iterdir()
        if item.name.endswith(".md")
    }


DECKS = builtin_decks()
BY_KEY = {deck.key: deck for deck in DECKS.values()}


def words(text: str) -> int:
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
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


def test_transformer_answers_are_60_to_200_words():
    for card in BY_KEY["transformers"].cards:
        assert 50 <= words(card.answer) <= 230, (card.key, words(card.answer))


@pytest.mark.parametrize("key, minimum", MINIMUM_CARDS.items())
def test_other_decks_have_enough_cards(key, minimum):
    assert len(BY_KEY[key].cards) >= minimum


def test_system_design_answers_have_every_part():
    for card in BY_KEY["system-design"].cards:
        for part in ("Requirements", "Architecture", "Data", "numbers", "Evaluation", "Failure modes"):
            assert part.lower() in card.answer.lower(), (card.key, part)


def test_rag_cards_say_symptom_cause_detection_fix():
    for card in BY_KEY["rag-failure-modes"].cards:
        for part in ("Symptom", "Cause", "detect", "Fix"):
            assert part.lower() in card.answer.lower(), (card.key, part)


@pytest.mark.parametrize("name", sorted(DECKS))
def test_no_empty_or_duplicate_questions_and_unique_keys(name):
    deck = DECKS[name]
    questions = [" ".join(c.question.lower().split()) for c in deck.cards]
    assert all(questions) and len(set(questions)) == len(questions)
    assert all(c.answer.strip() for c in deck.cards)
    assert len({c.key for c in deck.cards}) == len(deck.cards)
    assert not any(c.key.startswith("q-") for c in deck.cards), "built-in cards carry explicit keys"


@pytest.mark.parametrize("name", sorted(DECKS))
def test_every_card_renders_with_its_code_and_math(name):
    for card in DECKS[name].cards:
        for side in (card.question, card.answer):
            rendered = render_html(side, strict_math=True)
            assert rendered.html.strip()
            assert "$$" not in rendered.html, card.key


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
