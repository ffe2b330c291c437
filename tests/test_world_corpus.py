"""The bigger world's pairs, splits and English corpus: every split asks its one question,
no test sentence leaks into training or into the English corpus, and frequencies are Zipfian."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from embcourse.world.corpus import (MAX_LEN, MIN_LEN, RARE_RANGE, WorldSplits, length_distribution,
                                    world_english_corpus, world_pairs, world_splits)


@pytest.fixture(scope="module")
def splits() -> WorldSplits:
    return world_splits()  # the chapters' default: 100,000 candidate pairs, seed 0


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    return world_english_corpus()


def _english(pairs):
    return {en for en, _ in pairs}


def test_no_english_sentence_is_in_two_splits(splits):
    names = ["train", "valid", *WorldSplits.TESTS]
    sets = {name: _english(getattr(splits, name)) for name in names}
    for name in names:
        assert len(sets[name]) == len(getattr(splits, name)), f"{name} has duplicates"
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not sets[a] & sets[b], f"{a} and {b} share sentences"


def test_every_test_split_is_big_enough(splits):
    for name, pairs in splits.tests().items():
        assert len(pairs) >= 1000, (name, len(pairs))
    assert len(splits.train) >= 80_000


def test_long_sentences_are_longer_than_every_training_sentence(splits):
    longest_train = max(len(en.split()) for en, _ in splits.train + splits.valid)
    assert longest_train <= splits.max_train_len
    assert min(len(en.split()) for en, _ in splits.test_long) > longest_train
    assert max(len(en.split()) for en, _ in splits.test_long) >= 40


def test_rare_split_rarest_word_occurs_one_to_five_times_in_train(splits):
    counts = Counter(w for en, _ in splits.train for w in en.split())
    lo, hi = RARE_RANGE
    for en, _ in splits.test_rare:
        assert lo <= min(counts[w] for w in en.split()) <= hi, en


def test_unseen_words_never_occur_in_training_but_often_in_the_english_corpus(splits, corpus):
    train_words = {w for en, _ in splits.train + splits.valid for w in en.split()}
    assert splits.unseen_words and not splits.unseen_words & train_words
    for en, _ in splits.test_unseen:
        assert set(en.split()) & splits.unseen_words, en
    counts = Counter(w for s in corpus for w in s)
    per_lemma = {k: 0 for k in splits.unseen_lemmas}
    for k in splits.unseen_lemmas:
        from embcourse.world.corpus import _lemma_forms
        per_lemma[k] = sum(counts[w] for w in _lemma_forms(k))
    assert min(per_lemma.values()) >= 80, per_lemma  # enough for word2vec's min_count


def test_held_out_combinations_never_occur_in_training(splits):
    held = splits.held_combos
    assert len(held) >= 20 and {kind for kind, _, _ in held} == {"noun_adj", "verb_obj"}
    for name in ("train", "valid", "test", "test_long", "test_rare", "test_unseen"):
        for s in splits.sentences[name]:
            assert not held & s.combos, (name, s.en)
    for s in splits.sentences["test_combos"]:
        assert held & s.combos, s.en
    # and each held-out combination would have been frequent: it occurs in test_combos
    seen = {c for s in splits.sentences["test_combos"] for c in s.combos} & held
    assert len(seen) >= len(held) // 2


def test_other_test_splits_avoid_held_out_combinations_and_unseen_words(splits):
    train_words = {w for en, _ in splits.train for w in en.split()}
    for name in ("test", "test_combos", "test_long", "test_rare"):
        for en, _ in getattr(splits, name):
            assert not set(en.split()) & splits.unseen_words, (name, en)
    # every word of the random test split can be looked up in the training vocabulary,
    # except a few words the random split meets once by chance
    unknown = sum(not set(en.split()) <= train_words for en, _ in splits.test)
    assert unknown <= len(splits.test) * 0.2


def test_english_corpus_is_leak_free_and_large(splits, corpus):
    assert sum(map(len, corpus)) >= 3_000_000
    sentences = {" ".join(s) for s in corpus}
    for name, pairs in splits.tests().items():
        assert not sentences & _english(pairs), name


def test_english_corpus_can_keep_everything_when_asked():
    small = world_english_corpus(20_000, seed=0, exclude=())
    assert sum(map(len, small)) >= 20_000


def test_frequencies_are_zipfian_with_a_long_tail_of_rare_lemmas(splits):
    counts = Counter(w for en, _ in splits.train for w in en.split())
    ranked = sorted(counts.values(), reverse=True)
    # a sizeable share of the content words seen in training occur 5 times or fewer
    rare = sum(1 for c in ranked if c <= 5)
    assert rare / len(ranked) >= 0.2, (rare, len(ranked))
    # the 10th most frequent word is at least 10 times as frequent as the 1000th
    assert ranked[9] >= 10 * ranked[999]


def test_lengths_span_three_to_forty_and_follow_the_parameter():
    pairs = world_pairs(5_000, seed=1)
    lengths = [len(en.split()) for en, _ in pairs]
    assert min(lengths) >= MIN_LEN and max(lengths) >= 35
    short = world_pairs(2_000, seed=1, lengths=length_distribution(mean=6, max_len=10))
    assert max(len(en.split()) for en, _ in short) <= 12
    assert sum(len(en.split()) for en, _ in short) / 2000 < sum(lengths) / len(lengths)


def test_same_seed_same_bytes_other_seed_other_bytes():
    digest = lambda x: hashlib.sha256(repr(x).encode()).hexdigest()  # noqa: E731
    assert digest(world_pairs(3_000, seed=4)) == digest(world_pairs(3_000, seed=4))
    assert digest(world_pairs(3_000, seed=4)) != digest(world_pairs(3_000, seed=5))


@pytest.mark.parametrize("kwargs, message", [
    ({"num_pairs": 0}, "num_pairs must be a positive int"),
    ({"num_pairs": 1000, "num_test": 2000}, "too small"),
    ({"max_train_len": 60}, "max_train_len must be an int"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        world_splits(**kwargs)


def test_length_distribution_rejects_a_mean_outside_its_range():
    with pytest.raises(ValueError, match="mean must lie between"):
        length_distribution(mean=60)
    assert abs(sum(length_distribution().values()) - 1) < 1e-9
    assert max(length_distribution()) == MAX_LEN


def test_word_classes_and_analogies_use_words_of_one_lemma(corpus):
    from embcourse.world.corpus import _form_owner, analogies, word_classes

    owner = _form_owner()
    classes = word_classes()
    assert len(classes) >= 1500 and classes["cat"] == "animal" and classes["cats"] == "animal"
    assert all(len(owner[w]) == 1 for w in classes)
    rel = analogies()
    assert ("man", "woman") in {q[:2] for q in rel["gender"]}
    assert len(rel["gender"]) >= 40 and len(rel["plural"]) >= 100 and len(rel["past_tense"]) >= 10
    vocab = {w for s in corpus for w in s}
    for name, quads in rel.items():
        missing = [q for q in quads if not set(q) <= vocab]
        # every analogy can be asked of vectors trained on the corpus, bar a few rare words
        assert len(missing) <= len(quads) // 10, (name, missing[:5])


def test_the_data_page_shows_training_pairs_of_the_bigger_world(splits):
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "book" / "data.md").read_text(encoding="utf-8")
    section = text.split("## The bigger world", 1)[1].split("Ten training pairs", 1)[1]
    section = section.split("```{figure}", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ") and not line.startswith(("| #", "| ---"))]
    assert len(rows) == 10
    train = set(splits.train)
    assert all((r[1], r[2]) in train for r in rows), rows
