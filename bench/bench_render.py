"""Rendering time against a card's size, for the shapes that froze the window (issue 19): a run of
backticks, many short code spans, a long formula, many formulas. Linear means 8 times the text, about 8
times the time; many formulas (each new, none typeset before) stop at the typesetting budget."""

from __future__ import annotations

import itertools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import save
from cards.render import render_html

_fresh = itertools.count()  # each formula new: a formula typeset once is cached, and costs nothing again

SHAPES = {
    "backticks in a row": lambda n: "`" * n,
    "short code spans": lambda n: "``a`" * (n // 4),
    "fenced by long fences": lambda n: "`" * n + "\nx\n" + "`" * n,
    "one formula": lambda n: "$" + "x+" * (n // 2) + "x$",
    "many formulas": lambda n: "\n\n".join(f"$\\frac{{a_{{{next(_fresh)}}}}}{{b}}$" for _ in range(n // 20)),
}


def median_ms(make, n: int, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        text = make(n)
        start = time.perf_counter()
        render_html(text)
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 1)


def main() -> None:
    render_html("$x$")  # matplotlib's import is not the card's
    sizes = (2_000, 16_000, 100_000)
    results = {name: {n: median_ms(make, n) for n in sizes} for name, make in SHAPES.items()}
    print(f"  {'shape':<24}" + "".join(f"{n:>12,} ch" for n in sizes))
    for name, row in results.items():
        print(f"  {name:<24}" + "".join(f"{row[n]:>12.1f} ms" for n in sizes))
    print("saved", save("render", {name: {str(n): v for n, v in row.items()} for name, row in results.items()}))


if __name__ == "__main__":
    main()
