"""Chapter 7: attention variants and controls over 3 seeds, at equal training.

The setup of notebooks/07_attention_and_decoding.ipynb (50,000 pairs, E = 64,
H = 128, 1,200 Adam steps at lr 3e-3, batch 64). Seed s calls ``set_seed(s)``
before building the model and ``train_seq2seq(seed=s)`` (batch order), so seed 0
is the notebook's own run. Variants, each one change from "additive":

- "uniform": ``attention="uniform"``, uniform weights over the real source words
  (a parameter-free control: the wider output layer without choosing where to look);
- "additive, bidirectional": ``bidirectional=True`` (keys 2H; 40% more parameters);
- "additive, tied (scaled)": ``tie=True`` as the library does it now (scaled table,
  ``<pad>`` logit masked);
- "additive, tied (old, unscaled)": the tying of the earlier library (an N(0, 1)
  table shared as it is, no mask), rebuilt here from the new one;
- "chapter 6 (no attention)": ``embcourse.seq2seq.Seq2Seq``, the baseline.

Metrics per run: test BLEU, combo BLEU (held-out combinations), exact %, valid
BLEU, final train loss (mean of the last 50 steps), ms/step CPU, fit wall s,
parameters. The long format is that of ``embcourse.evidence.compare``.

Run (from the repository root; about 40-70 s per run with one thread, so about
15 minutes for all 18 runs):

    OMP_NUM_THREADS=1 .venv/bin/python experiments/07_variants.py [--out PATH] [VARIANT ...]

The committed CSV was written by this script's earlier form, which loaded the
earlier library module for the "old, unscaled" runs; ``unscale_tying`` rebuilds that
model from the new module exactly (same parameters and outputs, checked against it).
"""

import argparse
import math
import os
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embcourse import get_device, set_seed  # noqa: E402
from embcourse.attention import AttnSeq2Seq  # noqa: E402
from embcourse.corpus import translation_splits  # noqa: E402
from embcourse.evidence import compare  # noqa: E402
from embcourse.seq2seq import Seq2Seq, TranslationData, evaluate, train_seq2seq  # noqa: E402

CSV = Path(__file__).resolve().parent / "07_variants.csv"
SEEDS = [0, 1, 2]
NUM_PAIRS, BATCH_SIZE = 50_000, 64
EMBED_DIM, HIDDEN_SIZE = 64, 128
NUM_STEPS, LR = 1200, 3e-3
EVAL_EVERY = 200

VARIANTS = {
    "chapter 6 (no attention)": dict(seq2seq=True),
    "additive": dict(attention="additive"),
    "uniform": dict(attention="uniform"),
    "additive, bidirectional": dict(attention="additive", bidirectional=True),
    "additive, tied (scaled)": dict(attention="additive", tie=True),
    "additive, tied (old, unscaled)": dict(attention="additive", tie=True, old=True),
}
METRICS = ["test BLEU", "combo BLEU", "exact %", "valid BLEU", "final train loss",
           "ms/step CPU", "fit wall s (incl. valid evals)", "parameters"]

_DATA = None


def data() -> TranslationData:
    global _DATA
    if _DATA is None:
        _DATA = TranslationData.build(translation_splits(NUM_PAIRS, seed=0), batch_size=BATCH_SIZE)
    return _DATA


def unscale_tying(model: AttnSeq2Seq) -> AttnSeq2Seq:
    """The earlier tying: the N(0, 1) table shared as it is, lookups unscaled, <pad> scored."""
    dec = model.decoder
    with torch.no_grad():
        dec.embedding.weight.mul_(math.sqrt(dec.embedding.embedding_dim))
    dec.emb_scale, dec.tie = 1.0, False  # tie=False only drops the <pad> mask; the table stays shared
    return model


def run(options: dict, seed: int) -> dict[str, float]:
    options = dict(options)
    old, seq2seq = options.pop("old", False), options.pop("seq2seq", False)
    d, device = data(), get_device()
    cls = Seq2Seq if seq2seq else AttnSeq2Seq
    set_seed(seed)
    model = cls(len(d.src_vocab), len(d.tgt_vocab), embed_dim=EMBED_DIM,
                hidden_size=HIDDEN_SIZE, src_pad_id=d.src_vocab.pad_id,
                tgt_pad_id=d.tgt_vocab.pad_id, **options)
    if old:
        unscale_tying(model)
    model = model.to(device)
    t0 = time.perf_counter()
    hist = train_seq2seq(model, d, NUM_STEPS, lr=LR, eval_every=EVAL_EVERY, num_eval=300,
                         seed=seed, device=device, progress=False)
    wall = time.perf_counter() - t0
    test, combo = evaluate(model, d, d.test), evaluate(model, d, d.test_combos)
    return {"test BLEU": test["bleu"], "combo BLEU": combo["bleu"],
            "exact %": 100 * test["exact_match"],
            "valid BLEU": hist.valid_bleu[-1],
            "final train loss": sum(hist.train_loss[-50:]) / 50,
            "ms/step CPU": 1000 * hist.train_seconds[-1] / NUM_STEPS,
            "fit wall s (incl. valid evals)": wall,
            "parameters": float(sum(p.numel() for p in model.parameters()))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=CSV)
    parser.add_argument("variants", nargs="*", default=list(VARIANTS))
    args = parser.parse_args()
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"variants must be among {list(VARIANTS)}, got {unknown}")
    if args.out.exists():
        args.out.unlink()
    for name in args.variants:
        frame = compare({name: VARIANTS[name]}, SEEDS, run, progress=True)
        frame["load"] = os.getloadavg()[0]
        frame.to_csv(args.out, mode="a", header=not args.out.exists(), index=False)


if __name__ == "__main__":
    main()
