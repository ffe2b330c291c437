"""BLEU through sacrebleu, on text that is already tokenized (chapter 6).

Our sentences are already tokenized (tokens joined by single spaces, see
:func:`embcourse.corpus.tokenize`), so both helpers pass ``tokenize="none"``:
sacrebleu then splits on spaces only and counts exactly our tokens, instead of
re-tokenizing with its default ``13a`` tokenizer (which would, for example,
split differently around apostrophes). Scores are on sacrebleu's 0-100 scale.
"""

from __future__ import annotations

from typing import Sequence

from sacrebleu.metrics import BLEU


def _check_strings(name: str, xs: Sequence[str]) -> None:
    if isinstance(xs, str) or not all(isinstance(x, str) for x in xs):
        raise TypeError(f"{name} must be a list of strings")


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (0-100) of tokenized hypotheses against one tokenized reference each (chapter 6)."""
    _check_strings("hypotheses", hypotheses)
    _check_strings("references", references)
    if len(hypotheses) != len(references):
        raise ValueError(f"got {len(hypotheses)} hypotheses but {len(references)} references")
    if not hypotheses:
        raise ValueError("hypotheses is empty: BLEU needs at least one sentence")
    # force=True: the text is tokenized on purpose, so sacrebleu need not warn about it
    return BLEU(tokenize="none", force=True).corpus_score(list(hypotheses), [list(references)]).score


def sentence_bleu(hypothesis: str, reference: str) -> float:
    """Sentence BLEU (0-100) as sacrebleu computes it: 'exp' smoothing, effective order, no re-tokenization (chapter 6)."""
    if not isinstance(hypothesis, str) or not isinstance(reference, str):
        raise TypeError("hypothesis and reference must be strings")
    metric = BLEU(tokenize="none", smooth_method="exp", effective_order=True, force=True)
    return metric.sentence_score(hypothesis, [reference]).score
