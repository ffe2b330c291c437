"""The bigger world's data: sentence pairs, test splits that each ask one question, and an
English corpus from the same world that never contains a test sentence.

Everything is generated from a seed by :class:`embcourse.world.grammar.Generator`, which
draws words with their real English frequencies (the lexicon's ``zipf`` column, from
``wordfreq``), so that a long tail of words is rare, as in real text.

* :func:`world_pairs` -- distinct (English, French) pairs.
* :func:`world_splits` -- train / valid and six test sets: ``test`` (random),
  ``test_combos`` (held-out noun-adjective and verb-object combinations),
  ``test_long`` (longer than any training sentence), ``test_rare`` (the rarest source
  word occurs 1 to 5 times in training), ``test_unseen`` (a source word absent from the
  parallel training data but frequent in the English corpus).
* :func:`world_english_corpus` -- English sentences for word embeddings (chapter 3), leak
  free by default: no English side of any test split of ``world_splits()`` occurs in it.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from embcourse.world.grammar import Generator, Sentence, lemma_weights
from embcourse.world.lexicon import ADJECTIVES, NOUNS, VERBS

MIN_LEN, MAX_LEN = 3, 45          # English tokens, final punctuation included
DEFAULT_MEAN_LENGTH = 13.0
DEFAULT_MAX_TRAIN_LEN = 25        # test_long holds sentences longer than this
RARE_RANGE = (1, 5)               # test_rare: rarest source word seen 1..5 times in training
RARE_BOOST = 30.0                 # how much more often test_rare / test_unseen draw their words


def length_distribution(mean: float = DEFAULT_MEAN_LENGTH, max_len: int = MAX_LEN,
                        shape: float = 2.5) -> dict[int, float]:
    """Probabilities of target lengths MIN_LEN..max_len: a gamma density shifted to start at 3.

    ``mean`` sets the average target length and ``shape`` how heavy the tail is (smaller
    is heavier). The default (mean 13, shape 2.5) gives mostly 6-20 tokens with a tail to 45.
    """
    if not MIN_LEN < mean < max_len:
        raise ValueError(f"mean must lie between {MIN_LEN} and max_len={max_len}, got {mean}")
    if not isinstance(max_len, int) or max_len < MIN_LEN + 1:
        raise ValueError(f"max_len must be an int > {MIN_LEN}, got {max_len!r}")
    scale = (mean - MIN_LEN) / shape
    dens = {n: (n - MIN_LEN + 0.5) ** (shape - 1) * math.exp(-(n - MIN_LEN + 0.5) / scale)
            for n in range(MIN_LEN, max_len + 1)}
    total = sum(dens.values())
    return {n: d / total for n, d in dens.items()}


def _check_count(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def _check_seed(seed: object) -> int:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return seed


class _Lengths:
    """Draws target lengths from a distribution {length: probability}."""

    def __init__(self, lengths: Mapping[int, float] | None):
        lengths = length_distribution() if lengths is None else dict(lengths)
        if not lengths or any(not isinstance(n, int) or n < MIN_LEN for n in lengths):
            raise ValueError(f"lengths must map ints >= {MIN_LEN} to weights, got {lengths!r}")
        if any(w < 0 for w in lengths.values()) or sum(lengths.values()) <= 0:
            raise ValueError("lengths must have non-negative weights with a positive sum")
        self.values = sorted(lengths)
        cum, total = [], 0.0
        for n in self.values:
            total += lengths[n]
            cum.append(total)
        self.cum = cum

    def draw(self, rng: random.Random) -> int:
        return rng.choices(self.values, cum_weights=self.cum, k=1)[0]


def _distinct(gen: Generator, rng: random.Random, lengths: _Lengths, count: int,
              seen: set[str], keep=lambda s: True, max_tries: int | None = None) -> list[Sentence]:
    """``count`` new sentences whose English side is not in ``seen`` (updated) and ``keep``."""
    out: list[Sentence] = []
    tries = max_tries if max_tries is not None else 40 * count + 1000
    for _ in range(tries):
        s = gen.sentence(rng, lengths.draw(rng))
        key = " ".join(s.en)
        if key in seen or not keep(s):
            continue
        seen.add(key)
        out.append(s)
        if len(out) == count:
            return out
    raise ValueError(f"could only generate {len(out)} of {count} sentences of this kind; "
                     "ask for fewer or loosen the settings")


def _pair(s: Sentence) -> tuple[str, str]:
    return " ".join(s.en), " ".join(s.fr)


def world_pairs(num_pairs: int = 100_000, seed: int = 0, alpha: float = 1.0,
                lengths: Mapping[int, float] | None = None) -> list[tuple[str, str]]:
    """``num_pairs`` distinct (English, French) pairs, tokens joined by spaces.

    ``alpha`` sharpens (> 1) or flattens (< 1) the Zipfian word frequencies; ``lengths``
    is the distribution of target lengths (default :func:`length_distribution`).
    """
    _check_count("num_pairs", num_pairs)
    rng = random.Random(_check_seed(seed))
    gen = Generator(lemma_weights(alpha))
    return [_pair(s) for s in _distinct(gen, rng, _Lengths(lengths), num_pairs, set())]


# ------------------------------------------------------------------ the splits
@dataclass
class WorldSplits:
    """Training data and six test sets, each asking one question (see the module docstring)."""

    train: list[tuple[str, str]]
    valid: list[tuple[str, str]]
    test: list[tuple[str, str]]
    test_combos: list[tuple[str, str]]
    test_long: list[tuple[str, str]]
    test_rare: list[tuple[str, str]]
    test_unseen: list[tuple[str, str]]
    held_combos: frozenset = field(repr=False)
    unseen_lemmas: frozenset = field(repr=False)
    unseen_words: frozenset = field(repr=False)
    max_train_len: int = DEFAULT_MAX_TRAIN_LEN
    sentences: dict[str, list[Sentence]] = field(default_factory=dict, repr=False)

    TESTS = ("test", "test_combos", "test_long", "test_rare", "test_unseen")

    def tests(self) -> dict[str, list[tuple[str, str]]]:
        """The test sets by name."""
        return {name: getattr(self, name) for name in self.TESTS}

    def describe(self) -> str:
        """One line per split: its size and the question it asks."""
        why = {
            "train": "training pairs",
            "valid": "random pairs for early stopping and model choice",
            "test": "random pairs (the usual test set)",
            "test_combos": f"{len(self.held_combos)} noun-adjective and verb-object combinations "
                           "never seen together in training",
            "test_long": f"longer than any training sentence (> {self.max_train_len} English tokens)",
            "test_rare": f"rarest source word seen {RARE_RANGE[0]}-{RARE_RANGE[1]} times in training",
            "test_unseen": f"a source word never seen in training ({len(self.unseen_words)} word "
                           "forms), frequent in the English corpus",
        }
        return "\n".join(f"{name:12s} {len(getattr(self, name)):7,d}  {text}"
                         for name, text in why.items())


def _form_owner() -> dict[str, set[str]]:
    """English word form -> lemma keys that produce it (to find forms unique to one lemma)."""
    owner: dict[str, set[str]] = {}
    for n in NOUNS:
        for w in (n.en, n.en_pl):
            if w != "-":
                owner.setdefault(w, set()).add(f"n:{n.en}")
    for a in ADJECTIVES:
        owner.setdefault(a.en, set()).add(f"a:{a.en}")
    for v in VERBS:
        for w in (v.en, v.en_3sg, v.en_past, v.en_pp):
            owner.setdefault(w, set()).add(f"v:{v.en}")
    return owner


def _lemma_forms(key: str) -> set[str]:
    kind, en = key.split(":")[:2]
    if kind == "n":
        n = next(x for x in NOUNS if x.en == en)
        return {w for w in (n.en, n.en_pl) if w != "-"}
    if kind == "a":
        return {en}
    return {w for v in VERBS if v.en == en for w in (v.en, v.en_3sg, v.en_past, v.en_pp)}


def choose_unseen(seed: int = 0, nouns: int = 24, adjectives: int = 8,
                  share: tuple[float, float] = (6e-4, 2e-3), sample: int = 30_000) -> frozenset[str]:
    """Lemma keys kept out of the parallel training data (test_unseen asks about them).

    A lemma's frequency in the world depends on its English frequency and on how many
    slots can take it (few verbs take an instrument), so the choice is made on counts:
    among the nouns and adjectives used by a ``share`` of ``sample`` generated sentences
    (by default 0.06 % to 0.2 %: not among the commonest words, yet about 120 to 400
    times in the 3-million-token English corpus), and only those whose English forms belong to no
    other lemma.
    """
    owner = _form_owner()
    gen = Generator(lemma_weights())
    rng = random.Random(f"unseen-sample-{seed}")
    draw = _Lengths(None).draw
    counts = Counter(k for _ in range(sample) for k in gen.sentence(rng, draw(rng)).lemmas)
    lo, hi = share[0] * sample, share[1] * sample
    pick_rng = random.Random(f"unseen-{seed}")
    picks: list[str] = []
    for kind, pool, count in (("n", NOUNS, nouns), ("a", ADJECTIVES, adjectives)):
        keys = [f"{kind}:{x.en}" for x in pool if lo <= counts[f"{kind}:{x.en}"] <= hi]
        keys = [k for k in keys if all(owner[w] == {k} for w in _lemma_forms(k))]
        picks += pick_rng.sample(sorted(keys), min(count, len(keys)))
    return frozenset(picks)


def held_out_combos(sentences: Iterable[Sentence], seed: int = 0, fraction: float = 0.05,
                    min_count: int = 20) -> frozenset:
    """Combinations to keep out of training: a random ``fraction`` of those seen at least
    ``min_count`` times in ``sentences`` (frequent enough that a model could learn them)."""
    counts = Counter(c for s in sentences for c in s.combos)
    frequent = sorted(c for c, k in counts.items() if k >= min_count)
    rng = random.Random(f"held-out-{seed}")
    return frozenset(c for c in frequent if rng.random() < fraction)


def world_splits(num_pairs: int = 100_000, seed: int = 0, alpha: float = 1.0,
                 lengths: Mapping[int, float] | None = None,
                 max_train_len: int = DEFAULT_MAX_TRAIN_LEN, num_test: int = 2_000,
                 num_valid: int = 2_000) -> WorldSplits:
    """Split a generated world into train, valid and the five test sets.

    1. Choose the unseen lemmas (:func:`choose_unseen`); training sentences never use them.
    2. Generate ``num_pairs`` candidate sentences without them, at most ``max_train_len``
       English tokens long. The sentences using a held-out combination (a random 5 % of
       the frequent ones) go to the ``test_combos`` pool, the rest are shuffled into
       valid, test and train.
    3. ``test_long``: new sentences longer than ``max_train_len`` (no unseen lemma, no
       held-out combination). ``test_rare``: new sentences of the usual lengths whose
       rarest English word occurs 1 to 5 times in train. ``test_unseen``: new sentences
       of the usual lengths that use an unseen lemma (and no held-out combination). These
       two are drawn with their words favoured (``RARE_BOOST`` times their weight) so they
       are found quickly; every sentence kept meets the split's definition exactly.

    No English sentence occurs in two splits; the tests in tests/test_world_corpus.py
    prove it and each split's defining property.
    """
    _check_count("num_pairs", num_pairs)
    _check_count("num_test", num_test)
    _check_count("num_valid", num_valid)
    _check_seed(seed)
    if not isinstance(max_train_len, int) or not MIN_LEN < max_train_len < MAX_LEN:
        raise ValueError(f"max_train_len must be an int in ({MIN_LEN}, {MAX_LEN}), got {max_train_len!r}")
    if num_pairs < 2 * (num_valid + num_test):
        raise ValueError(f"num_pairs={num_pairs} is too small for num_valid={num_valid} and "
                         f"num_test={num_test}")
    dist = length_distribution() if lengths is None else dict(lengths)
    short = _Lengths({n: w for n, w in dist.items() if n <= max_train_len})
    long_ = _Lengths({n: w for n, w in dist.items() if n > max_train_len}
                     or {max_train_len + 1: 1.0})
    unseen = choose_unseen(seed)
    weights = lemma_weights(alpha)
    train_gen = Generator({k: (0.0 if k in unseen else w) for k, w in weights.items()})
    rng = random.Random(seed)
    seen: set[str] = set()
    fits = lambda s: len(s.en) <= max_train_len  # noqa: E731
    pool = _distinct(train_gen, rng, short, num_pairs, seen, fits)
    held = held_out_combos(pool, seed)
    combos = [s for s in pool if held.intersection(s.combos)]
    rest = [s for s in pool if not held.intersection(s.combos)]
    random.Random(seed + 1).shuffle(rest)
    valid, test, train = rest[:num_valid], rest[num_valid:num_valid + num_test], rest[num_valid + num_test:]
    counts = Counter(w for s in train for w in s.en)
    clean = lambda s: not held.intersection(s.combos)  # noqa: E731
    long_set = _distinct(train_gen, rng, long_, num_test, seen,
                         lambda s: len(s.en) > max_train_len and clean(s))

    def rare(s: Sentence) -> bool:
        return (len(s.en) <= max_train_len and clean(s)
                and RARE_RANGE[0] <= min(counts[w] for w in s.en) <= RARE_RANGE[1])

    # Rare words are rare: about 2 % of ordinary sentences qualify. To find them quickly,
    # draw from a generator that favours the lemmas seen 1-5 times in train (ordinary
    # weights otherwise), then keep exactly the sentences that meet the definition.
    lemma_counts = Counter(k for s in train for k in s.lemmas)
    boost = {k: (w * RARE_BOOST if RARE_RANGE[0] <= lemma_counts[k] <= RARE_RANGE[1]
                 else w if lemma_counts[k] else 0.0)
             for k, w in train_gen.weights.items()}
    rare_set = _distinct(Generator(boost), rng, short, num_test, seen, rare)
    # Likewise the unseen lemmas are favoured when drawing test_unseen.
    full = {k: (w * RARE_BOOST if k in unseen else w) for k, w in weights.items()}
    unseen_words = frozenset(w for k in unseen for w in _lemma_forms(k))

    def uses_unseen(s: Sentence) -> bool:
        return len(s.en) <= max_train_len and clean(s) and bool(unseen & s.lemmas)

    unseen_set = _distinct(Generator(full), rng, short, num_test, seen, uses_unseen)
    parts = {"train": train, "valid": valid, "test": test, "test_combos": combos[:num_test],
             "test_long": long_set, "test_rare": rare_set, "test_unseen": unseen_set}
    return WorldSplits(**{name: [_pair(s) for s in part] for name, part in parts.items()},
                       held_combos=held, unseen_lemmas=unseen, unseen_words=unseen_words,
                       max_train_len=max_train_len, sentences=parts)


# ------------------------------------------------------------ the English corpus
@lru_cache(maxsize=2)
def _test_sentences(seed: int) -> frozenset[str]:
    splits = world_splits(seed=seed)
    return frozenset(en for pairs in splits.tests().values() for en, _ in pairs)


def world_english_corpus(num_tokens: int = 3_000_000, seed: int = 0, alpha: float = 1.0,
                         lengths: Mapping[int, float] | None = None,
                         exclude: Iterable[str] | None = None) -> list[list[str]]:
    """English sentences (token lists) from the same world, with every lemma, until
    ``num_tokens`` tokens.

    Leak free by default: ``exclude=None`` drops every English side of every test split of
    ``world_splits(seed=seed)`` (the chapters' splits), so word vectors trained on this
    corpus never saw a test sentence. Pass ``exclude=()`` to keep everything, or your own
    sentences (strings of space-separated tokens) to drop.
    """
    _check_count("num_tokens", num_tokens)
    _check_seed(seed)
    banned = _test_sentences(seed) if exclude is None else frozenset(exclude)
    gen = Generator(lemma_weights(alpha))
    rng = random.Random(f"english-{seed}")
    draw = _Lengths(lengths).draw
    out: list[list[str]] = []
    total = 0
    while total < num_tokens:
        s = gen.sentence(rng, draw(rng))
        if " ".join(s.en) in banned:
            continue
        out.append(list(s.en))
        total += len(s.en)
    return out


# ------------------------------------------------ what embeddings should find
def word_classes() -> dict[str, str]:
    """English word -> semantic class, for words of one lemma only (chapter 3's neighbour test).

    Nouns take their class (``animal``, ``food`` ...), adjectives ``adj_<class>``, verbs
    ``verb_<class>``; a form shared by two lemmas of different classes (*drink*, noun and
    verb) is left out, since its vector mixes both.
    """
    owner = _form_owner()
    classes: dict[str, str] = {}
    for n in NOUNS:
        for w in (n.en, n.en_pl):
            if w != "-" and len(owner[w]) == 1:
                classes[w] = n.cls
    for a in ADJECTIVES:
        if len(owner[a.en]) == 1:
            classes[a.en] = "adj_" + a.cls
    for v in VERBS:
        for w in (v.en, v.en_3sg, v.en_past, v.en_pp):
            if len(owner[w]) == 1:
                classes.setdefault(w, "verb_" + v.cls)
    return dict(sorted(classes.items()))


def analogies() -> dict[str, list[tuple[str, str, str, str]]]:
    """a : b :: c : d quadruples by relation: gender (man : woman :: king : queen), plural
    (cat : cats :: dog : dogs) and past tense (sees : saw :: eats : ate), each pair from a
    different lemma and with forms unique to their lemma."""
    owner = _form_owner()
    unique = lambda *ws: all(len(owner.get(w, ())) == 1 for w in ws)  # noqa: E731
    by_en = {n.en: n for n in NOUNS}
    pairs = sorted({tuple(sorted((n.en, n.pair), key=lambda w: by_en[w].gender != "m"))
                    for n in NOUNS if n.pair != "-" and unique(n.en, n.pair)})
    gender = [(a[0], a[1], b[0], b[1]) for i, a in enumerate(pairs)
              for b in (pairs[(i + 1) % len(pairs)], pairs[(i + 5) % len(pairs)]) if a != b]
    nouns = [n for n in NOUNS if n.countable and n.en != n.en_pl and unique(n.en, n.en_pl)
             and n.zipf >= 3.5]
    plural = [(a.en, a.en_pl, b.en, b.en_pl) for a, b in zip(nouns[::2], nouns[1::2])]
    verbs = [v for v in VERBS if v.en_3sg != v.en_past and unique(v.en_3sg, v.en_past)
             and v.zipf >= 3.5]
    verbs = list({v.en: v for v in verbs}.values())
    tense = [(a.en_3sg, a.en_past, b.en_3sg, b.en_past) for a, b in zip(verbs[::2], verbs[1::2])]
    return {"gender": gender, "plural": plural, "past_tense": tense}
