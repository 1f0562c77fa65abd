"""Write examples.csv: Rapport's own labelled messages for the intents Bitext lacks (and more variety).

How they were made (see src/rapport/understanding/data/README.md): the core sentences in
`tools/example_sentences.json` were written by hand, one idea each, in different voices (polite, angry,
terse, rambling, non-native). This script, seeded, fills their slots (item, order number, days), wraps
each core in an opener and a closer, and adds typos or lowercases some copies. The same sentences and
seed give the same file, byte for byte.

Run from anywhere: `python tools/generate_examples.py` (then retrain with `rapport model train`).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = Path(__file__).with_name("example_sentences.json")
EXAMPLES_CSV = ROOT / "src" / "rapport" / "understanding" / "data" / "examples.csv"


@dataclass(frozen=True)
class Sentences:
    """The hand-written material: slot fillers, openers, closers and the core sentences per intent."""

    seed: int
    variants_per_core: int
    items: list[str]
    openers: list[str]
    closers: list[str]
    cores: dict[str, list[str]]
    more_cores: dict[str, list[str]]

    @classmethod
    def load(cls, path: Path) -> Sentences:
        raw = json.loads(path.read_text(encoding="utf-8"))
        unknown = set(raw["more_cores"]) - set(raw["cores"])
        if unknown:
            raise SystemExit(f"{path}: more_cores has intents that cores lacks: {sorted(unknown)}")
        return cls(
            seed=int(raw["seed"]),
            variants_per_core=int(raw["variants_per_core"]),
            items=list(raw["items"]),
            openers=list(raw["openers"]),
            closers=list(raw["closers"]),
            cores={intent: list(texts) for intent, texts in raw["cores"].items()},
            more_cores={intent: list(texts) for intent, texts in raw["more_cores"].items()},
        )


def typo(text: str, rng: random.Random) -> str:
    """One plausible keyboard slip: a swapped, dropped or doubled letter in a longer word."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w, j = words[i], rng.randrange(1, len(words[i]) - 2)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind == "drop":
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def variant(core: str, sentences: Sentences, rng: random.Random) -> str:
    """The core with its slots filled, an opener and closer, and sometimes a typo or all lowercase."""
    text = core.format(
        item=rng.choice(sentences.items), order=rng.randint(1001, 9999), days=rng.choice((9, 12, 16, 20))
    )
    text = rng.choice(sentences.openers) + text + rng.choice(sentences.closers)
    roll = rng.random()
    if roll < 0.3:
        text = typo(text, rng)
    elif roll < 0.45:
        text = text.lower()
    return text.strip()


def generate(sentences: Sentences) -> list[tuple[str, str]]:
    """The (text, intent) rows, in order, exact duplicates (ignoring case) removed."""
    rng = random.Random(sentences.seed)
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for intent, cores in sentences.cores.items():
        for core in cores + sentences.more_cores.get(intent, []):
            for _ in range(sentences.variants_per_core):
                text = variant(core, sentences, rng)
                if text.lower() not in seen:
                    seen.add(text.lower())
                    rows.append((text, intent))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sentences", type=Path, default=SENTENCES, help="the hand-written sentences (JSON)")
    parser.add_argument("--out", type=Path, default=EXAMPLES_CSV, help="the CSV to write (text,intent)")
    args = parser.parse_args()
    rows = generate(Sentences.load(args.sentences))
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("text", "intent"))
        writer.writerows(rows)
    print(f"{args.out}: {len(rows)} rows")  # noqa: T201 - a script run by hand


if __name__ == "__main__":
    main()
