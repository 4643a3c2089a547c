"""The first answer with math after launch: from Space to the answer on the screen, in a fresh process.

The learner opens the review right after the window's first paint (the worst case) or a second later, reads
the question (at once: the worst case, or for 2 s) and presses Space on a card whose answer has three
formulas. "cold" is the app before the change: no math warm-up after the first paint (ui/app.run) and no
answer typeset while the question is read (ReviewScreen.show_question); "warm" is the app as it is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import save, summary  # noqa: E402
from cards import ops  # noqa: E402
from planner.plans import open_store  # noqa: E402

ANSWER = (
    "The gradient of softmax cross-entropy is $\\partial L / \\partial z_i = p_i - y_i$, with "
    "$p_i = e^{z_i} / \\sum_j e^{z_j}$.\n\n$$\\mathrm{softmax}\\left(\\frac{QK^\\top}{\\sqrt{d_k}}\\right)V$$"
)


def first_answer_ms(db: Path, deck_id: int, wait_ms: int, read_ms: int, mode: str) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = str(ROOT / "bench" / "first_answer_child.py")
    cmd = [sys.executable, child, str(db), str(deck_id), str(wait_ms), str(read_ms), mode]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120).stdout
    line = next(line for line in out.splitlines() if line.startswith("answer "))
    return float(line.split()[1])


def run(repeat: int = 7) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store.db"
        store = open_store(db)  # the built-in decks, as a new learner has them
        deck = ops.add_deck(store, "Math first").value
        ops.add_card(store, deck.id, "Softmax cross-entropy: the gradient with respect to the logits?", ANSWER)
        store.close()
        results = {}
        for wait_ms, read_ms in ((0, 0), (1000, 0), (1000, 2000)):
            for mode in ("cold", "warm"):
                samples = [first_answer_ms(db, deck.id, wait_ms, read_ms, mode) for _ in range(repeat)]
                results[f"{mode}, open +{wait_ms} ms, read {read_ms} ms"] = summary(samples)
        return results


def main() -> None:
    results = run()
    print("Space to the first math answer on the screen (ms); review opened after the first paint, question read")
    for key, figures in results.items():
        print(f"  {key:<32} median {figures['median_ms']:8.1f}   p99 {figures['p99_ms']:8.1f}")
    print("saved", save("first_answer", results))


if __name__ == "__main__":
    main()
