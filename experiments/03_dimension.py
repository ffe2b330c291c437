"""Chapter 3: the embedding dimension against the amount of data, at equal training.

Trains SGNS with D = 8, 32, 64, 256 on the first 100,000 tokens and on all
1,000,000 tokens of ``corpus.english_corpus(seed=0)``, three seeds each, and
writes one row per run to ``experiments/03_dimension.csv``.

Two confounds of a naive sweep are removed:
- equal training: the small corpus gets 10 times the epochs (50 against 5), so
  every run makes the same number of updates on the same number of pairs;
- equal start: the input rows start with the same length at every D
  (``init_scale = 0.5 / (8 sqrt(D))``, word2vec's 0.5 / D at D = 64), where
  word2vec's default would start larger dimensions with shorter rows.

Usage (about 10 minutes on one thread):
    OMP_NUM_THREADS=1 python experiments/03_dimension.py [--out experiments/03_dimension.csv]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embcourse import corpus, sgns, wordvec  # noqa: E402

DIMS = (8, 32, 64, 256)
TOKENS = (100_000, 1_000_000)
SEEDS = (0, 1, 2)
EPOCHS_1M = 5  # epochs on the full corpus; the small one gets 1M / tokens times as many
CSV = Path(__file__).resolve().parent / "03_dimension.csv"
ANALOGIES = wordvec.expand_analogies(corpus.ANALOGY_RELATIONS)


def config(tokens: int, embed_dim: int, seed: int) -> sgns.SGNSConfig:
    """The SGNS settings of one run: chapter 3's, with equal updates and an equal start."""
    return sgns.SGNSConfig(embed_dim=embed_dim, seed=seed,
                           num_epochs=EPOCHS_1M * 1_000_000 // tokens,
                           init_scale=0.5 / (8 * math.sqrt(embed_dim)))


def run(tokens: int, embed_dim: int, seed: int) -> dict:
    """Train one table and score it: analogies solved (k of n per relation) and class purity."""
    itos, ids, counts = sgns.encode_corpus(corpus.english_corpus(tokens, seed=0), 5)
    result = sgns.train_sgns(ids, counts, config(tokens, embed_dim, seed), progress=False)
    row = {"tokens": tokens, "embed_dim": embed_dim, "seed": seed,
           "num_epochs": config(tokens, embed_dim, seed).num_epochs,
           "purity": wordvec.class_purity(result.vectors, itos, corpus.WORD_CLASSES)}
    k_all = n_all = 0
    for rel, qs in ANALOGIES.items():
        k, n = wordvec.analogy_counts(result.vectors, itos, qs)
        row[f"{rel}_k"], row[f"{rel}_n"] = k, n
        k_all, n_all = k_all + k, n_all + n
    row.update(analogy_k=k_all, analogy_n=n_all, analogy=k_all / n_all,
               capped_steps=result.capped_steps, seconds=round(result.seconds, 1))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CSV)
    args = parser.parse_args(argv)
    rows, t0 = [], time.perf_counter()
    for seed in SEEDS:
        for tokens in TOKENS:
            for d in DIMS:
                rows.append(run(tokens, d, seed))
                print({k: rows[-1][k] for k in ("tokens", "embed_dim", "seed", "purity",
                                                "analogy", "seconds")}, flush=True)
    frame = pd.DataFrame(rows)
    tmp = args.out.with_suffix(".tmp")
    frame.to_csv(tmp, index=False, float_format="%.6f")
    tmp.replace(args.out)  # atomic
    print(f"wrote {args.out} ({len(frame)} runs) in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
