"""BLEU helpers agree with sacrebleu on already-tokenized text; the chapter's hand-written BLEU agrees too."""

import random

import pytest
import sacrebleu

from embcourse.bleu import corpus_bleu, corpus_chrf, sentence_bleu, signatures
from embcourse.checks.ch06 import reference_sentence_bleu

REF = "le chat noir mange la souris ."


def test_corpus_bleu_of_identical_text_is_100():
    assert corpus_bleu([REF, "il dort ."], [REF, "il dort ."]) == pytest.approx(100.0)


def test_corpus_bleu_does_not_retokenize():
    # the default 13a tokenizer splits "dort." into "dort ."; tokenize="none" keeps our tokens
    hyp, ref = ["oui le chat dort."], ["oui le chat dort ."]
    assert sacrebleu.corpus_bleu(hyp, [ref]).score == pytest.approx(100.0)
    assert corpus_bleu(hyp, ref) < 50.0


def test_corpus_bleu_matches_sacrebleu_with_tokenize_none():
    hyps, refs = ["le chat mange la souris .", "il dort"], [REF, "il dort bien ."]
    assert corpus_bleu(hyps, refs) == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs], tokenize="none").score)


def test_corpus_bleu_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        corpus_bleu(["a", "b"], ["a"])


def test_corpus_bleu_rejects_a_single_string():
    with pytest.raises(TypeError, match="hypotheses"):
        corpus_bleu("le chat", [REF])


def test_sentence_bleu_matches_sacrebleu_defaults():
    hyp = "le chat mange la souris"
    assert sentence_bleu(hyp, REF) == pytest.approx(sacrebleu.sentence_bleu(hyp, [REF], tokenize="none").score)


def test_reference_sentence_bleu_agrees_with_sacrebleu_on_random_sentences():
    rng = random.Random(0)
    words = "le la chat chien mange voit souris pomme . noir".split()
    for _ in range(300):
        hyp = " ".join(rng.choice(words) for _ in range(rng.randint(0, 9)))
        ref = " ".join(rng.choice(words) for _ in range(rng.randint(1, 9)))
        assert reference_sentence_bleu(hyp, ref) == pytest.approx(sentence_bleu(hyp, ref), abs=1e-9), (hyp, ref)


def test_reference_sentence_bleu_of_no_match_is_zero():
    assert reference_sentence_bleu("un chien", REF) == 0.0


def test_corpus_chrf_matches_sacrebleu_defaults():
    hyps, refs = ["le chat mange la souris .", "il dort"], [REF, "il dort bien ."]
    assert corpus_chrf(hyps, refs) == pytest.approx(sacrebleu.corpus_chrf(hyps, [refs]).score)


def test_signatures_name_the_settings_of_both_scores():
    sig = signatures()
    assert sig["bleu"].startswith("nrefs:1|") and "tok:none" in sig["bleu"]
    assert f"version:{sacrebleu.__version__}" in sig["chrf"] and "nc:6|nw:0" in sig["chrf"]
