"""Write the book's data page, book/data.md, and its figure, book/data_zipf.png.

The book does not execute code, so the page's numbers, samples and Zipf plot
are computed here from the course package (`embcourse.corpus`, the same calls
with the same seeds as the chapters) and committed. The output is
deterministic: the same package gives the same page, byte for byte, and
tests/test_data_page.py fails when the committed page is out of date.

    .venv/bin/python tools/data_page.py            # rewrite book/data.md and book/data_zipf.png
    .venv/bin/python tools/data_page.py --out DIR  # write them into DIR instead
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from embcourse.corpus import (ANALOGY_RELATIONS, WORD_CLASSES, english_corpus,  # noqa: E402
                              translation_pairs, translation_splits)
from embcourse.grammar import OBJECTS, PREDICATIVE  # noqa: E402
from embcourse.lexicon import (ADJECTIVES, ALLER, ETRE, GENDERED_PAIRS, NOUNS, NUMBERS,  # noqa: E402
                               PLACES, POSSESSIVES, VERBS)
from embcourse.vocab import Vocab  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import world_page  # noqa: E402  (the section on the bigger world, embcourse.world)

ROOT = Path(__file__).resolve().parent.parent
NUM_PAIRS, NUM_TOKENS, SEED = 50_000, 1_000_000, 0
FIGURE = "data_zipf.png"


# ------------------------------------------------------------------ the numbers
def _lengths(sentences: list[list[str]]) -> str:
    n = [len(s) for s in sentences]
    return f"{min(n)} / {sum(n) / len(n):.1f} / {max(n)}"


def _rank_counts(sentences) -> list[tuple[str, int]]:
    """(word, count), most frequent first, ties alphabetical."""
    counts = Counter(w for s in sentences for w in s)
    return sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))


def _zipf_slope(counts: list[int]) -> float:
    """Least-squares slope of log(count) against log(rank)."""
    ranks = np.arange(1, len(counts) + 1)
    return float(np.polyfit(np.log(ranks), np.log(np.asarray(counts, dtype=float)), 1)[0])


def _coverage(counts: list[int], top: int) -> float:
    return 100 * sum(counts[:top]) / sum(counts)


_ETRE_PARTICIPLES = {v.participle for v in VERBS if v.aux == "être"}
_FR_NUMBERS = {fr for _, fr in NUMBERS}
_FR_POSSESSIVES = {w for forms in POSSESSIVES.values() for w in forms}
_PRE_ADJ = {form for a in ADJECTIVES if a.pre for form in (a.m, a.f, a.m_pl, a.f_pl, a.m_vowel)}
_FEM_POST_ADJ = {a.f for a in ADJECTIVES if not a.pre and a.f != a.m}
_INFINITIVES = {v.fr for v in VERBS}
_FR_NOUNS = {w for n in NOUNS for w in (n.fr, n.fr_pl)}
_FEM_ETRE = {p + end for p in _ETRE_PARTICIPLES for end in ("e", "es")}

# What a sample shows -> a test on its French tokens. Shown: the first pair of the corpus that
# passes and is not shown already.
SHOWCASE = [
    ("elision (l', j', n', d', qu')", lambda fr: any(t.endswith("'") for t in fr)),
    ("contraction (au, aux, du)", lambda fr: bool({"au", "aux", "du"} & set(fr))),
    ("adjective before the noun", lambda fr: any(a in _PRE_ADJ and b in _FR_NOUNS for a, b in zip(fr, fr[1:]))),
    ("feminine adjective after the noun",
     lambda fr: any(a in _FR_NOUNS and b in _FEM_POST_ADJ for a, b in zip(fr, fr[1:]))),
    ("near future (aller + infinitive)",
     lambda fr: any(a in ALLER and b in _INFINITIVES for a, b in zip(fr, fr[1:]))),
    ("passé composé with être, feminine agreement",
     lambda fr: any(a in ETRE and b in _FEM_ETRE for a, b in zip(fr, fr[1:]))),
    ("negation (ne ... pas)", lambda fr: ("ne" in fr or "n'" in fr) and "pas" in fr),
    ("yes/no question (est-ce que)", lambda fr: fr[0] == "est-ce"),
    ("possessive determiner", lambda fr: bool(_FR_POSSESSIVES & set(fr))),
    ("number", lambda fr: bool(_FR_NUMBERS & set(fr))),
]


def compute() -> dict:
    """Every number, sample and count the page shows."""
    pairs = translation_pairs(NUM_PAIRS, seed=SEED)
    splits = translation_splits(NUM_PAIRS, seed=SEED)
    corpus = english_corpus(NUM_TOKENS, seed=SEED)
    en = [p[0].split() for p in pairs]
    fr = [p[1].split() for p in pairs]
    train_vocab = Vocab.build([s.split() for pair in splits.train for s in pair])
    unseen = {name: sum(1 for pair in part for s in pair for w in s.split() if w not in train_vocab)
              for name, part in (("valid", splits.valid), ("test", splits.test),
                                 ("test_combos", splits.test_combos))}
    showcase = []
    for label, test in SHOWCASE:
        shown = {p for _, p in showcase}
        found = next((p for p in pairs if p not in shown and test(p[1].split())), None)
        if found is None:
            raise RuntimeError(f"no generated pair shows {label!r}: the grammar or the page is out of date")
        showcase.append((label, found))
    held = sorted(splits.held_combos)
    return {
        "pairs": pairs, "splits": splits, "corpus": corpus, "en": en, "fr": fr,
        "random_pairs": [pairs[i] for i in sorted(random.Random(SEED).sample(range(len(pairs)), 10))],
        "corpus_samples": [corpus[i] for i in sorted(random.Random(SEED).sample(range(len(corpus)), 6))],
        "showcase": showcase,
        "ranks": {"English corpus": _rank_counts(corpus), "English side of the pairs": _rank_counts(en),
                  "French side of the pairs": _rank_counts(fr)},
        "train_vocab": len(train_vocab), "unseen": unseen,
        "held": {k: [c[1:] for c in held if c[0] == k] for k in ("noun_adj", "verb_obj")},
    }


# ------------------------------------------------------------------ the figure
def zipf_figure(data: dict, path: Path) -> None:
    """Rank-frequency plot of the three token streams, log-log, with a slope -1 guide."""
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for name, ranked in data["ranks"].items():
        counts = [c for _, c in ranked]
        ax.loglog(range(1, len(counts) + 1), counts, label=f"{name} ({len(counts)} words)")
    top = data["ranks"]["English corpus"][0][1]
    ranks = np.array([1, 1000])
    ax.loglog(ranks, top / ranks, "k:", label="Zipf's law, count ∝ 1/rank")
    ax.set_title("Word frequency against rank (Zipf plot)")
    ax.set_xlabel("rank of the word (1 = most frequent)")
    ax.set_ylabel("count (tokens)")
    ax.legend(fontsize=8)
    _save_figure(fig, path)


def _save_figure(fig, path: Path) -> None:
    """Lay out, write as PNG without a timestamp (so the bytes repeat), close."""
    fig.tight_layout()
    _atomic(path, lambda tmp: fig.savefig(tmp, format="png", metadata={"Software": None}))
    plt.close(fig)


# ------------------------------------------------------------------ the page
def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _num(n: int) -> str:
    return f"{n:,}"


def _words(ws, n: int = 10) -> str:
    return ", ".join(f"*{w}*" for w in ws[:n])


def render(data: dict) -> str:
    """The page, MyST markdown."""
    s, pairs, corpus = data["splits"], data["pairs"], data["corpus"]
    en_rank, fr_rank, corpus_rank = (data["ranks"][k] for k in
                                     ("English side of the pairs", "French side of the pairs", "English corpus"))
    corpus_counts = [c for _, c in corpus_rank]
    tokens = sum(corpus_counts)
    hapax = [w for w, c in corpus_rank if c == 1]
    noun_classes = Counter(n.cls for n in NOUNS)
    verb_classes = Counter(v.cls for v in VERBS)
    word_classes = Counter(WORD_CLASSES.values())
    held = data["held"]
    n_combos = {"noun_adj": sum(len(PREDICATIVE[n.en]) for n in NOUNS),
                "verb_obj": sum(len(v) for v in OBJECTS.values())}
    parts = [HEADER.format(n_pairs=f"{NUM_PAIRS:_}", n_tokens=f"{NUM_TOKENS:_}", seed=SEED)]

    parts.append(GENERATED.format(
        n_nouns=len(NOUNS), n_gendered=len(GENDERED_PAIRS), n_places=len(PLACES), n_adj=len(ADJECTIVES),
        n_pre=sum(a.pre for a in ADJECTIVES), n_verbs=len(VERBS),
        n_etre=sum(v.aux == "être" for v in VERBS), n_numbers=len(NUMBERS),
        noun_classes=", ".join(f"{c} {n}" for c, n in sorted(noun_classes.items(), key=lambda x: (-x[1], x[0]))),
        verb_classes=", ".join(f"{c} {n}" for c, n in sorted(verb_classes.items(), key=lambda x: (-x[1], x[0]))),
        n_classed=len(WORD_CLASSES), n_classes=len(word_classes),
        analogies=", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in ANALOGY_RELATIONS.items()),
        analogy_example=" : ".join(ANALOGY_RELATIONS["gender"][0][:2]) + " :: "
        + " : ".join(ANALOGY_RELATIONS["gender"][0][2:])))

    parts.append("## Samples\n\nOne pair for each rule of French grammar the generator applies (the first "
                 "generated pair that shows it):\n\n"
                 + _table(["shows", "English", "French"],
                          [[label, en, fr] for label, (en, fr) in data["showcase"]])
                 + f"\n\nTen pairs drawn at random from the {_num(NUM_PAIRS)} "
                 "(`random.Random(0).sample`), in corpus order:\n\n"
                 + _table(["#", "English", "French"],
                          [[i + 1, en, fr] for i, (en, fr) in enumerate(data["random_pairs"])])
                 + "\n\nSix sentences drawn at random from the English corpus:\n\n"
                 + _table(["#", "English corpus sentence"],
                          [[i + 1, " ".join(t)] for i, t in enumerate(data["corpus_samples"])]) + "\n")

    parts.append("## Sizes\n\n" + _table(
        ["data", "call", "sentences", "tokens", "length min / mean / max"],
        [["English-French pairs", f"`translation_pairs({NUM_PAIRS:_}, seed={SEED})`", _num(len(pairs)),
          f"{_num(sum(map(len, data['en'])))} English, {_num(sum(map(len, data['fr'])))} French",
          f"{_lengths(data['en'])} English, {_lengths(data['fr'])} French"],
         ["English corpus", f"`english_corpus({NUM_TOKENS:_}, seed={SEED})`", _num(len(corpus)),
          _num(tokens), _lengths(corpus)]])
        + f"\n\n`translation_splits({NUM_PAIRS:_}, seed={SEED})` divides the same pairs (see "
        "{ref}`data-held-out`):\n\n" + _table(
            ["split", "pairs", "what it is for"],
            [["train", _num(len(s.train)), "training"],
             ["valid", _num(len(s.valid)), "early stopping, choosing settings"],
             ["test", _num(len(s.test)), "unseen sentences built from seen combinations"],
             ["test_combos", _num(len(s.test_combos)), "sentences that use a held-out combination"]])
        + "\n\nEvery pair is distinct (no two pairs share their English side), so no test sentence "
        "is a copy of a training sentence. How long each takes to generate on your machine, and a "
        "check that the same seed gives the same bytes: `.venv/bin/python benchmarks/bench_data.py` "
        "(figures on {doc}`performance`).\n")

    parts.append(VOCABULARY.format(
        en_types=_num(len(en_rank)), fr_types=_num(len(fr_rank)), corpus_types=_num(len(corpus_rank)),
        train_vocab=_num(data["train_vocab"]),
        unseen=("no sentence of valid, test or test_combos uses a word outside it"
                if not any(data["unseen"].values()) else
                "the other splits use words outside it " + ", ".join(
                    f"{_num(n)} times in {k}" for k, n in data["unseen"].items())),
        top10=_coverage(corpus_counts, 10), top100=_coverage(corpus_counts, 100),
        hapax=(f"{len(hapax)} words occur only once ({_words(hapax, 5)})" if hapax
               else "No word occurs only once"),
        frequent=_words([w for w, _ in corpus_rank]),
        rarest=_words([w for w, _ in reversed(corpus_rank)], 5),
        rare_count=corpus_rank[-1][1],
        fr_frequent=_words([w for w, _ in fr_rank]),
        slope=_zipf_slope(corpus_counts), figure=FIGURE))

    examples = {k: ", ".join(" + ".join(c) for c in v[:8]) for k, v in held.items()}
    parts.append(HELD_OUT.format(
        n_na=len(held["noun_adj"]), n_vo=len(held["verb_obj"]), all_na=_num(n_combos["noun_adj"]),
        all_vo=_num(n_combos["verb_obj"]), na=examples["noun_adj"], vo=examples["verb_obj"],
        n_test_combos=_num(len(s.test_combos)), n_pairs=_num(NUM_PAIRS)))
    parts.append(LIMITS.format(n_words=_num(len(corpus_rank)), rare=corpus_rank[-1][1]))
    parts.append(TATOEBA)
    return "\n".join(parts)


HEADER = """\
# The data

```{{admonition}} Generated by a script
:class: note
This page's numbers, samples and figure are computed by `tools/data_page.py`
from the course package, with its default sizes and seed 0; rerun
`.venv/bin/python tools/data_page.py` after changing the generator (the tests
fail while the page is out of date).
```

Chapters 3 to 7 need text: an English corpus to train word embeddings on, and
English-French sentence pairs to translate. Both are generated in code by the
course package, so they are there on a fresh machine with no download, and the
same seed gives the same corpus, byte for byte. The chapters call
`translation_pairs` (or its split, `translation_splits`) and `english_corpus`
from `embcourse.corpus`; this page describes what they return with their
default sizes, `translation_pairs({n_pairs}, seed={seed})` and
`english_corpus({n_tokens}, seed={seed})`.
"""

GENERATED = """\
## How it is generated

Three modules of `embcourse` make the data:

- **`embcourse/lexicon.py`**, a bilingual lexicon written by hand: {n_nouns}
  nouns with their French gender and plural ({n_gendered} of them in masculine /
  feminine pairs such as *father / mother*, *king / queen*, *bull / cow*), by
  class: {noun_classes}; {n_places} places with the prepositions they take
  (*à la gare*, *dans la cuisine*); {n_adj} adjectives with their four French
  forms ({n_pre} of them placed before the noun, like *petit*); {n_verbs} verbs
  with their present tense, past participle and auxiliary ({n_etre} take *être*),
  by class: {verb_classes}; subject pronouns, possessives and the numbers two to
  ten ({n_numbers}).
- **`embcourse/grammar.py`**, a small grammar. One call draws an English
  sentence (a subject, a verb in the present, the near future or the past,
  perhaps negated or turned into a question, and an object, a place, a
  recipient or an adjective, as the verb's frame allows) and builds its French
  translation at the same time, applying the rules: gender and number
  agreement of determiners, adjectives and *être* participles, adjective
  position, elision (*l'homme*, *j'aime*, *n'aime*) except before an aspirated
  *h*, contractions (*au*, *aux*, *du*, *des*), partitives (*du pain*, *de
  l'eau*), *de* after a negation, and *est-ce que* questions. English *you* is
  always translated *tu*. Both sides are lower-cased and tokenized the same
  way (`embcourse.corpus.tokenize`: elided forms such as *l'* are tokens of
  their own), and sentences are kept only when both sides have 3 to 15 tokens.
- **`embcourse/corpus.py`** calls the grammar with a `random.Random(seed)`:
  `translation_pairs` keeps drawing until it has the number of distinct pairs
  asked for; `translation_splits` divides them; `english_corpus` mixes English
  sides of the grammar's sentences (often with a time adverb: *yesterday*,
  *every day*) with template sentences that give words of one class the same
  contexts and put each masculine / feminine pair in parallel contexts (*he is a
  king*, *she is a queen*), until it has the number of tokens asked for.

So that chapters can measure what embeddings learned, the package records
which word belongs to which class (`WORD_CLASSES`: {n_classed} words in
{n_classes} classes) and which analogies hold (`ANALOGY_RELATIONS`:
{analogies}; for example {analogy_example}).
"""

VOCABULARY = """\
## Vocabulary statistics

The pairs use {en_types} distinct English words and {fr_types} distinct French
words (French has more because its words agree: *petit, petite, petits,
petites* for one English *small*). The English corpus uses {corpus_types}
distinct words. A {{term}}`vocabulary` built from the training split
(`Vocab.build`, four special tokens `<pad> <unk> <bos> <eos>` included, both
languages together) has {train_vocab} entries, and {unseen}: the held-out
test is about new *combinations* of known words, not about unknown words.

In the English corpus, the ten most frequent words ({frequent}) make
{top10:.1f}% of the tokens and the hundred most frequent make {top100:.1f}%.
{hapax}: the rarest words ({rarest}) still occur {rare_count} times. The most
frequent French words of the pairs: {fr_frequent}.

```{{figure}} {figure}
:name: fig-data-zipf
:alt: Log-log plot of word count against frequency rank for the English corpus and for the English and French sides of the pairs; all three curves fall from the left, close to the dotted line of slope -1, and drop steeply at the rare end.
:width: 90%

Word counts against their rank, on log-log axes. Zipf's law
{{cite}}`zipf1949human` says that in natural text the count falls roughly as
1/rank (the dotted line). What to see: the generated text follows that law at
the head (the least-squares slope over the English corpus is {slope:.2f}), but
it ends abruptly after a few hundred words, where a real corpus would go on for
tens of thousands of ever-rarer words.
```
"""

HELD_OUT = """\
(data-held-out)=
## What is held out

A test set of unseen *sentences* says little about generalisation when every
word pairing in it was seen in training. So `translation_splits` first picks,
with its own seeded random generator, about 5% of the possible combinations of
two kinds and keeps them out of training: {n_na} of the {all_na} possible
noun-adjective pairs (an adjective describing a noun: *{na}*, ...) and {n_vo}
of the {all_vo} possible verb-object pairs (*{vo}*, ...). Every generated
sentence that uses one of them goes to `test_combos` ({n_test_combos} of the
{n_pairs}). The rest is shuffled and divided 90 / 5 / 5 into `train`, `valid`
and `test`. Each word of a held-out combination does appear in training, in
other combinations. `Splits.held_out` describes the held-out combinations in
one sentence and `Splits.held_combos` lists them; `tests/test_corpus.py` proves
that none of them occurs in a training or validation sentence.
"""

LIMITS = """\
## Its limits, compared with real corpora

The generated data is made to teach, and it is easier than real text in ways
worth knowing before you trust a number measured on it:

- **A closed vocabulary.** About {n_words} English words and no rare ones: the
  rarest word of the English corpus still occurs {rare} times. Real text keeps
  meeting new words (names, numbers, typos, technical terms), so a real model
  needs an unknown-word strategy or subword units, and most of a real
  embedding table belongs to words seen a handful of times.
- **One translation per sentence.** The grammar translates each English
  sentence one way; real pairs offer several correct translations, so BLEU on
  real data is lower for the same quality, and a single reference undercounts.
- **Simple, regular sentences.** Pairs of 3 to 15 tokens, one clause, present, near
  future and passé composé only, no pronoun objects (*je le vois*), no relative
  clauses, no idioms, no irregular word order. English *you* is always *tu*.
- **Grammatical, not always sensible.** The words of a sentence are chosen
  by class, so a sentence can be correct and odd at once (an object that
  acts, a colour that contradicts another); real text is about something.
- **No noise and no skew.** No misspellings, no inconsistent punctuation, no
  domain mix; every class of words is used in balanced proportions, which real
  corpora are not.
- **Distributional structure by construction.** Words of a class share
  contexts because templates say so; neighbours and analogies found in these
  embeddings are therefore clearer than in embeddings trained on real text of
  the same size.

What transfers is the method: the code of every chapter runs unchanged on real
files, read with the loaders below.
"""

TATOEBA = """\
## Using a real Tatoeba file instead

The Tatoeba project {cite}`tiedemann2012tatoeba` collects sentences and their
translations contributed by volunteers. The English-French pairs are
distributed as a tab-separated file (for example `fra.txt` in the `fra-eng.zip`
archive of the Anki decks at manythings.org, the file the PyTorch and d2l
translation tutorials use), one pair per line:
`english<TAB>french<TAB>attribution`. Download it once, with a network, and
then read it offline:

```python
from embcourse.loaders import read_tatoeba
from embcourse.vocab import Vocab

report = {}
pairs = read_tatoeba("data_cache/fra.txt", report=report)  # [(english, french)], tokenized like the generated pairs
pairs = [(en, fr) for en, fr in pairs if len(en.split()) <= 15 and len(fr.split()) <= 15]
src_vocab = Vocab.build([en.split() for en, _ in pairs], min_freq=2)
tgt_vocab = Vocab.build([fr.split() for _, fr in pairs], min_freq=2)
```

`read_tatoeba` checks every line: a line without 2 or 3 tab-separated columns,
an empty side or bytes that are not UTF-8 raise a `DataFormatError` naming the
file, the line number and what was expected. With `on_error="skip"` bad lines
are skipped instead, counted in a warning and listed in `report["skipped"]`.
Real pairs come with no held-out combinations: divide them yourself (a seeded
shuffle, then 90 / 5 / 5), and expect lower scores and longer training than on
the generated data. Keep `min_freq=2` or more so that rare words map to the {term}`unknown token`
`<unk>`.

For word embeddings, `embcourse.loaders.read_text_corpus` reads a plain text
file, one sentence per line, into the same token lists as `english_corpus`, and
`read_glove` / `read_word2vec_text` read pre-trained vectors in the GloVe and
word2vec text formats (with their dimension checked on every line).
"""


# ------------------------------------------------------------------ writing
def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_page(out: Path) -> tuple[Path, ...]:
    """Write data.md and its figures into ``out``; return their paths."""
    data = compute()
    world = world_page.compute()
    page, figure = out / "data.md", out / FIGURE
    lengths, freqs = out / world_page.LENGTH_FIGURE, out / world_page.FREQ_FIGURE
    text = render(data) + "\n" + world_page.render(world, _table)
    text = re.sub(r"[ \t]+\n", "\n", text).rstrip("\n") + "\n"
    _atomic(page, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    zipf_figure(data, figure)
    world_page.length_figure(world, lengths, _save_figure)
    world_page.frequency_figure(world, freqs, _save_figure)
    return page, figure, lengths, freqs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "book", help="output folder (default book/)")
    args = parser.parse_args(argv)
    for path in write_page(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
