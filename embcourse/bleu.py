"""BLEU and chrF through sacrebleu, on text that is already tokenized (chapters 6 and 7).

Our sentences are already tokenized (tokens joined by single spaces, see
:func:`embcourse.corpus.normalise`), so the BLEU helpers pass ``tokenize="none"``:
sacrebleu then splits on spaces only and counts exactly our tokens, instead of
re-tokenizing with its default ``13a`` tokenizer (which would, for example,
split differently around apostrophes). chrF (Popović 2015) uses sacrebleu's
defaults (character n-grams up to 6, no word n-grams, beta 2, spaces ignored),
so our tokenization does not change it. Scores are on sacrebleu's 0-100 scale;
:func:`signatures` gives the sacrebleu signature strings to print next to them.
"""

from __future__ import annotations

from typing import Sequence

from sacrebleu.metrics import BLEU, CHRF


# One place for each metric's settings: the scores and their signatures must agree.
# BLEU: force=True because the text is tokenized on purpose, so sacrebleu need not warn.
METRICS = {"bleu": lambda: BLEU(tokenize="none", force=True), "chrf": CHRF}


def _check_strings(name: str, xs: Sequence[str]) -> None:
    if isinstance(xs, str) or not all(isinstance(x, str) for x in xs):
        raise TypeError(f"{name} must be a list of strings")


def _corpus_score(metric: str, hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Score of ``METRICS[metric]`` over the corpus, after checking the two lists."""
    _check_strings("hypotheses", hypotheses)
    _check_strings("references", references)
    if len(hypotheses) != len(references):
        raise ValueError(f"got {len(hypotheses)} hypotheses but {len(references)} references")
    if not hypotheses:
        name = {"bleu": "BLEU", "chrf": "chrF"}[metric]
        raise ValueError(f"hypotheses is empty: {name} needs at least one sentence")
    return METRICS[metric]().corpus_score(list(hypotheses), [list(references)]).score


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (0-100) of tokenized hypotheses against one tokenized reference each (chapter 6)."""
    return _corpus_score("bleu", hypotheses, references)


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus chrF (0-100; Popović 2015) with sacrebleu's defaults, one reference each (chapters 6 and 7)."""
    return _corpus_score("chrf", hypotheses, references)


def signatures() -> dict[str, str]:
    """sacrebleu's signature strings of :func:`corpus_bleu` and :func:`corpus_chrf`, keys "bleu" and "chrf".

    A signature names every setting behind a score (references, case,
    tokenizer, smoothing, n-gram orders, sacrebleu version); print it next to
    the score so that a reader can compare it with another paper's.
    """
    out = {}
    for name, make in METRICS.items():
        metric = make()
        metric.corpus_score(["a"], [["a"]])  # sacrebleu learns the number of references by scoring
        out[name] = str(metric.get_signature())
    return out


def sentence_bleu(hypothesis: str, reference: str) -> float:
    """Sentence BLEU (0-100) as sacrebleu computes it: 'exp' smoothing, effective order, no re-tokenization (chapter 6)."""
    if not isinstance(hypothesis, str) or not isinstance(reference, str):
        raise TypeError("hypothesis and reference must be strings")
    metric = BLEU(tokenize="none", smooth_method="exp", effective_order=True, force=True)
    return metric.sentence_score(hypothesis, [reference]).score
