"""Self-checks for chapter 4 (pre-trained embeddings), with reference solutions."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn

from embcourse.checks.core import RANDOM_CASES, Case, Report, call_checked, run_check
from embcourse.pretrained import UNK_PIECE, wordpiece


# ---------------------------------------------------------------- align a table with a task vocabulary

def reference_align(task_itos: list[str], pre_itos: list[str], vectors: torch.Tensor) -> torch.Tensor:
    """A new (len(task_itos), D) table: each task word's pre-trained row, or the mean row when it has none."""
    if vectors.dim() != 2 or vectors.shape[0] != len(pre_itos):
        raise ValueError(f"vectors must have one row per word of pre_itos ({len(pre_itos)}), "
                         f"got shape {tuple(vectors.shape)}")
    stoi = {w: i for i, w in enumerate(pre_itos)}
    mean = vectors.float().mean(dim=0)  # (D,)
    rows = [vectors[stoi[w]].float() if w in stoi else mean for w in task_itos]
    return torch.stack(rows) if rows else torch.zeros(0, vectors.shape[1])  # (V_task, D)


PRE = ["the", "cat", "dog", "sat", "mat"]
VECS = torch.tensor([[0.0, 1.0], [2.0, 0.0], [2.0, 1.0], [-1.0, 3.0], [5.0, -4.0]])  # (5, 2)


def _independent(task_itos: list[str]) -> Callable[[Callable], tuple]:
    """A case that returns the table and whether it shares memory with ``vectors`` (it must not)."""
    def call(fn: Callable) -> tuple:
        vectors = VECS.clone()
        out = call_checked(fn, (list(task_itos), list(PRE), vectors), on_copies=False)
        shares = type(out) is torch.Tensor and out.untyped_storage().data_ptr() == vectors.untyped_storage().data_ptr()
        return out, "a view of vectors: writing to it changes vectors" if shares else "a new tensor"
    return call


def _align_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        V, D = int(torch.randint(1, 12, (), generator=g)), int(torch.randint(1, 5, (), generator=g))
        pre = [f"w{i}" for i in torch.randperm(40, generator=g)[:V].tolist()]
        pool = [f"w{i}" for i in range(40)] + [f"W{i}" for i in range(5)]
        task = [pool[i] for i in torch.randperm(len(pool), generator=g)[:int(torch.randint(0, 15, (), generator=g))]]
        vectors = torch.randn(V, D, generator=g)
        cases.append(Case(f"{len(task)} task words, a table of {V} x {D}", (task, pre, vectors)))
    return cases


def check_align(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``align(task_itos, pre_itos, vectors)`` (mean-vector strategy for missing words)."""
    pre, vecs = PRE, VECS
    cases = [
        Case("every task word is known", (["dog", "cat", "the"], pre, vecs)),
        Case("an unknown word gets the mean row", (["cat", "zebra", "mat"], pre, vecs)),
        Case("all words unknown", (["zebra", "yak"], pre, vecs)),
        Case("the match is exact: 'Cat' is not 'cat'", (["Cat", "cat"], pre, vecs)),
        Case("an empty task vocabulary gives shape (0, D)", ([], pre, vecs)),
        Case("the same vocabulary: a new tensor, not a view of vectors", call=_independent(PRE)),
        Case("the first words in order: a new tensor, not a view of vectors", call=_independent(PRE[:3])),
        Case("a table whose rows do not match pre_itos is rejected", (["cat"], pre, vecs[:4])),
    ]
    return run_check("align", fn, reference_align, cases, strict=strict, random_cases=_align_random, seed=seed)


# ---------------------------------------------------------------- train only the new rows

def reference_new_rows_grad(grad: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """A new gradient (V, D): ``grad`` with the rows where ``known`` (V,) is True set to zero."""
    if not isinstance(known, torch.Tensor) or known.dtype != torch.bool:
        raise TypeError(f"known must be a bool tensor, got {getattr(known, 'dtype', type(known).__name__)}")
    if known.shape != grad.shape[:1]:
        raise ValueError(f"known must have shape ({grad.shape[0]},), one entry per row of grad, "
                         f"got {tuple(known.shape)}")
    return grad.masked_fill(known[:, None], 0.0)  # (V, D)


def _one_sgd_step(known: torch.Tensor, ids: torch.Tensor) -> Callable[[Callable], torch.Tensor]:
    """A case that trains a table one SGD step with ``fn`` as a gradient hook and returns the new weight."""
    def call(fn: Callable) -> torch.Tensor:
        weight = torch.arange(len(known) * 3, dtype=torch.float32).reshape(-1, 3) / 10  # (V, 3)
        emb = nn.Embedding.from_pretrained(weight, freeze=False)  # no random init: the global RNG is left alone
        emb.weight.register_hook(lambda g: fn(g, known.clone()))
        opt = torch.optim.SGD(emb.parameters(), lr=0.5)
        emb(ids).pow(2).sum().backward()  # (N, 3) -> scalar
        opt.step()
        return emb.weight.detach()  # (V, 3): the known rows unchanged
    return call


def _new_rows_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        V, D = int(torch.randint(1, 10, (), generator=g)), int(torch.randint(1, 10, (), generator=g))
        known = torch.rand(V, generator=g) < 0.5
        cases.append(Case(f"a {V} x {D} gradient, {int(known.sum())} rows known",
                          (torch.randn(V, D, generator=g), known)))
    return cases


def check_new_rows_grad(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``new_rows_grad(grad, known)``, also as a hook in one SGD step."""
    t = torch.tensor
    grad = torch.arange(15, dtype=torch.float32).reshape(5, 3) - 7  # (5, 3)
    known = t([True, False, True, True, False])
    cases = [
        Case("two new rows keep their gradient", (grad, known)),
        Case("every row known: all zeros", (grad, torch.ones(5, dtype=torch.bool))),
        Case("no row known: the gradient unchanged", (grad, torch.zeros(5, dtype=torch.bool))),
        Case("a square gradient, 3 x 3 (rows, not columns, are zeroed)",
             (grad[:3], t([False, True, True]))),
        Case("as a hook: one SGD step moves only the new rows",
             call=_one_sgd_step(t([True, False, True, False]), t([0, 1, 1, 2, 3]))),
        Case("known given as 0/1 integers is rejected (TypeError)", (grad, known.long())),
        Case("known of the wrong length is rejected (ValueError)", (grad, known[:4])),
    ]
    return run_check("new_rows_grad", fn, reference_new_rows_grad, cases, strict=strict,
                     random_cases=_new_rows_random, seed=seed)


# ---------------------------------------------------------------- which words does WordPiece cover?

COVERAGE_KEYS = ("whole", "split", "unknown")


def reference_coverage(words: list[str], stoi: dict[str, int]) -> dict[str, list[str]]:
    """Each distinct word (first-seen order) under "whole" (one piece), "split" (several) or "unknown" ([UNK])."""
    out: dict[str, list[str]] = {k: [] for k in COVERAGE_KEYS}
    for word in dict.fromkeys(words):  # distinct, in order of first appearance
        if not isinstance(word, str):
            raise TypeError(f"words must hold str, got {word!r} ({type(word).__name__})")
        if not word:
            raise ValueError("words holds an empty string: every word needs a character")
        pieces = wordpiece(word, stoi)
        key = "unknown" if pieces == [UNK_PIECE] else "whole" if len(pieces) == 1 else "split"
        out[key].append(word)
    return out


COVERAGE_STOI = {w: i for i, w in enumerate(
    ["[PAD]", "[UNK]", "cat", "dog", "play", "##ing", "##s", "un", "##happy", "happy", "cafe",
     "x", "##y", "q"])}


def _coverage_random(g: torch.Generator) -> list[Case]:
    letters = "abcdxyz"
    cases = []
    for _ in range(RANDOM_CASES):
        def word(n: int) -> str:
            return "".join(letters[int(i)] for i in torch.randint(0, len(letters), (n,), generator=g))
        pieces = sorted({word(int(torch.randint(1, 3, (), generator=g))) for _ in range(6)})
        vocab = ["[UNK]"] + pieces + ["##" + p for p in pieces[:3]]
        stoi = {w: i for i, w in enumerate(vocab)}
        words = [word(int(torch.randint(1, 5, (), generator=g)))
                 for _ in range(int(torch.randint(0, 10, (), generator=g)))]
        cases.append(Case(f"{len(words)} words, a vocabulary of {len(vocab)} pieces", (words, stoi)))
    return cases


def check_coverage(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``coverage(words, stoi)`` (WordPiece: one piece, several pieces or [UNK])."""
    stoi = COVERAGE_STOI
    cases = [
        Case("one piece, several pieces and an unknown word", (["cat", "playing", "zebra"], stoi)),
        Case("[UNK] is one piece, yet the word is unknown", (["q", "k"], stoi)),
        Case("a word whose end matches no piece is unknown as a whole", (["xq", "xy"], stoi)),
        Case("upper case and accents are removed first, as wordpiece does", (["Cat", "Café"], stoi)),
        Case("a word listed twice is counted once, where first seen", (["dog", "cats", "dog"], stoi)),
        Case("the order of first appearance is kept", (["zebra", "unhappy", "happy", "cat"], stoi)),
        Case("an empty list gives three empty lists", ([], stoi)),
        Case("an empty word is rejected (ValueError)", (["cat", ""], stoi)),
        Case("a word that is not a str is rejected (TypeError)", (["cat", 3], stoi)),
    ]
    return run_check("coverage", fn, reference_coverage, cases, strict=strict,
                     random_cases=_coverage_random, seed=seed)
