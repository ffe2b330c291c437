"""How long the offline corpora take to generate (target: under 10 s for 100,000 pairs).

Run: .venv/bin/python benchmarks/bench_data.py [--repeats N]
"""

from __future__ import annotations

import argparse
import hashlib

from embcourse.corpus import english_corpus, translation_pairs, translation_splits
from embcourse.utils import hardware, measure
from embcourse.world.corpus import world_english_corpus, world_pairs, world_splits


def digest(obj: object) -> str:
    """A short fingerprint, to show that the same seed gives the same bytes."""
    return hashlib.sha256(repr(obj).encode("utf-8")).hexdigest()[:12]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(hardware())
    jobs = {
        "translation_pairs(50_000)": lambda: translation_pairs(50_000, seed=0),
        "translation_splits(50_000)": lambda: translation_splits(50_000, seed=0),
        "english_corpus(1_000_000)": lambda: english_corpus(1_000_000, seed=0),
        "world_pairs(100_000)": lambda: world_pairs(100_000, seed=0),
        "world_splits(100_000)": lambda: world_splits(100_000, seed=0),
        # exclude=() times the generation alone; the leak-free default first builds
        # world_splits() once (cached) to know which sentences to leave out
        "world_english_corpus(3_000_000)": lambda: world_english_corpus(3_000_000, seed=0, exclude=()),
    }
    targets = {name: "(target < 10 s)" for name in jobs}
    targets["world_english_corpus(3_000_000)"] = "(no target)"
    for name, fn in jobs.items():
        timing = measure(fn, repeats=args.repeats, warmup=0)
        first, second = fn(), fn()
        print(f"{name:32s} median {timing.median:5.2f} s  best {timing.best:5.2f} s  "
              f"{targets[name]}  same seed, same bytes: {digest(first) == digest(second)} "
              f"[{digest(first)}]")
    pairs = translation_pairs(50_000, seed=0)
    splits = translation_splits(50_000, seed=0)
    sentences = english_corpus(1_000_000, seed=0)
    en_vocab = {w for en, _ in pairs for w in en.split()}
    fr_vocab = {w for _, fr in pairs for w in fr.split()}
    print(f"pairs: {len(pairs)} distinct; English vocabulary {len(en_vocab)}, French {len(fr_vocab)}")
    print(f"splits: train {len(splits.train)}, valid {len(splits.valid)}, test {len(splits.test)}, "
          f"test_combos {len(splits.test_combos)}")
    print(f"English corpus: {len(sentences)} sentences, {sum(map(len, sentences))} tokens, "
          f"vocabulary {len({w for s in sentences for w in s})}")
    world = world_splits(100_000, seed=0)
    print("bigger world, world_splits(100_000):")
    print(world.describe())


if __name__ == "__main__":
    main()
