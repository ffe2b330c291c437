"""The corpora are deterministic, sized as promised, and the held-out split does not leak."""

import hashlib
from collections import Counter

import pytest

from embcourse import corpus
from embcourse.corpus import (ANALOGIES, ANALOGY_RELATIONS, WORD_CLASSES, english_corpus,
                              held_out_combos, tokenize, translation_pairs, translation_splits)
from embcourse.lexicon import ADJECTIVES, NOUNS, NUMBERS, POSSESSIVES, VERBS


def digest(obj) -> str:
    return hashlib.sha256(repr(obj).encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def splits():
    return translation_splits(20_000, seed=0)


@pytest.fixture(scope="module")
def english():
    return english_corpus(300_000, seed=0)


# ------------------------------------------------------------------ tokenize
@pytest.mark.parametrize("text, tokens", [
    ("L'homme n'aime pas l’eau.", ["l'", "homme", "n'", "aime", "pas", "l'", "eau", "."]),
    ("Est-ce qu'il va au marché ?", ["est-ce", "qu'", "il", "va", "au", "marché", "?"]),
    ("J'ai vu le grand-père!", ["j'", "ai", "vu", "le", "grand-père", "!"]),
    ("I don't know, Tom.", ["i", "don't", "know", ",", "tom", "."]),
    ("Il est parti aujourd'hui", ["il", "est", "parti", "aujourd'hui"]),
    ("  ", []),
])
def test_tokenize_splits_words_elisions_and_punctuation(text, tokens):
    assert tokenize(text) == tokens


def test_tokenize_rejects_non_strings():
    with pytest.raises(TypeError, match="text must be a str"):
        tokenize(["a", "list"])


# ------------------------------------------------------------------ pairs
def test_translation_pairs_are_distinct_tokenized_and_within_length():
    pairs = translation_pairs(5_000, seed=1)
    assert len(pairs) == len(set(pairs)) == 5_000
    for en, fr in pairs:
        for side in (en, fr):
            assert side == side.lower() and side.split() == tokenize(side)
            assert 3 <= len(side.split()) <= 15


def test_fifty_thousand_distinct_pairs_exist():
    pairs = translation_pairs(50_000)
    assert len(set(pairs)) == 50_000
    fr_vocab = {w for _, fr in pairs for w in fr.split()}
    assert 300 <= len(fr_vocab) <= 1500


def test_each_english_sentence_has_one_translation():
    sentences = corpus._generate(20_000, seed=5)
    rng_pairs = [(" ".join(s.en), " ".join(s.fr)) for s in sentences]
    translations = {}
    for en, fr in rng_pairs:
        assert translations.setdefault(en, fr) == fr


def test_same_seed_gives_byte_identical_corpora_and_another_seed_differs():
    assert digest(translation_pairs(3_000, seed=7)) == digest(translation_pairs(3_000, seed=7))
    assert digest(translation_pairs(3_000, seed=7)) != digest(translation_pairs(3_000, seed=8))
    assert digest(english_corpus(20_000, seed=7)) == digest(english_corpus(20_000, seed=7))
    assert digest(english_corpus(20_000, seed=7)) != digest(english_corpus(20_000, seed=8))


def test_translation_pairs_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_pairs"):
        translation_pairs(0)
    with pytest.raises(TypeError, match="seed"):
        translation_pairs(10, seed=1.5)


# ------------------------------------------------------------------ splits
def test_splits_partition_the_pairs(splits):
    parts = [splits.train, splits.valid, splits.test, splits.test_combos]
    assert sum(map(len, parts)) == 20_000
    assert set().union(*map(set, parts)) == set(translation_pairs(20_000, seed=0))
    assert len(splits.valid) == len(splits.test) > 500 and len(splits.test_combos) > 500
    assert "noun-adjective" in splits.held_out and "verb-object" in splits.held_out


def test_held_out_combinations_never_occur_in_train_or_valid(splits):
    held = splits.held_combos
    assert held == held_out_combos(0) and len(held) > 50
    seen = {" ".join(s.en): s for s in corpus._generate(20_000, seed=0)}
    for en, _ in splits.train + splits.valid:
        assert not held.intersection(seen[en].combos), en
    for en, _ in splits.test_combos:
        assert held.intersection(seen[en].combos), en


FORMS = {}
for _n in NOUNS:
    FORMS[_n.en] = {_n.en} | ({_n.en_pl} if _n.en_pl != "-" else set())
for _v in VERBS:
    FORMS[_v.en] = {_v.en, _v.en_3sg, _v.en_past}
VERB_FORMS = {w for v in VERBS for w in FORMS[v.en]}
ADJS = {a.en for a in ADJECTIVES}
FILLERS = {"the", "a", "an"} | set(POSSESSIVES) | {en for en, _ in NUMBERS} | ADJS


def text_has(tokens, combo):
    """Find a combination in an English sentence from its words alone."""
    kind, head, other = combo
    if kind == "noun_adj":
        nouns, adj = FORMS[head], other
        if not VERB_FORMS.intersection(tokens):  # "the (black) cat is (not) black": one noun
            return adj in tokens and bool(nouns.intersection(tokens))
        for i, tok in enumerate(tokens):  # "the small black cat sleeps"
            if tok in nouns and adj in tokens[max(0, i - 2):i] and ADJS.issuperset(tokens[tokens.index(adj, max(0, i - 2)):i]):
                return True
        return False
    verbs, nouns = FORMS[head], FORMS[other]
    for i, tok in enumerate(tokens):  # "eats the two red apples"
        if tok in verbs:
            j = i + 1
            while j < len(tokens) and tokens[j] in FILLERS:
                j += 1
            if j < len(tokens) and tokens[j] in nouns:
                return True
    return False


def test_no_held_out_combination_is_visible_in_the_training_text(splits):
    held = sorted(splits.held_combos)
    for en, _ in splits.train + splits.valid:
        tokens = en.split()
        for combo in held:
            assert not text_has(tokens, combo), f"{combo} visible in training sentence {en!r}"
    found = sum(any(text_has(en.split(), c) for c in held) for en, _ in splits.test_combos)
    assert found == len(splits.test_combos)


def test_test_combos_use_only_words_seen_in_training(splits):
    train_words = {w for en, _ in splits.train for w in en.split()}
    combo_words = {w for en, _ in splits.test_combos for w in en.split()}
    assert combo_words <= train_words


# ------------------------------------------------------------------ English corpus
def test_english_corpus_has_the_requested_size(english):
    assert 300_000 <= sum(map(len, english)) < 300_020
    assert all(3 <= len(s) <= 20 for s in english)


def test_full_english_corpus_has_a_million_tokens():
    assert sum(map(len, english_corpus())) >= 1_000_000


def test_english_corpus_covers_the_translation_words_classes_and_analogies(english):
    words = {w for s in english for w in s}
    translation_words = {w for en, _ in translation_pairs(20_000) for w in en.split()}
    assert translation_words <= words
    assert set(WORD_CLASSES) <= words
    assert {w for a in ANALOGIES for w in a} <= words


def test_word_classes_and_analogies_are_rich_enough():
    classes = Counter(WORD_CLASSES.values())
    assert len(WORD_CLASSES) > 300 and len(classes) >= 10
    assert {"animal", "food", "family", "colour", "place", "vehicle"} <= set(classes)
    assert len(ANALOGIES) >= 60 and len(set(ANALOGIES)) == len(ANALOGIES)
    assert {"gender", "plural", "past_tense"} <= set(ANALOGY_RELATIONS)
    assert ("father", "mother", "brother", "sister") in ANALOGIES
    assert ("king", "queen", "man", "woman") in ANALOGIES or ("man", "woman", "king", "queen") in ANALOGIES
