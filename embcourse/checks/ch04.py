"""Self-checks for chapter 4 (pre-trained embeddings), with reference solutions."""

from __future__ import annotations

from typing import Callable

import torch

from embcourse.checks.core import Case, Report, run_check


def reference_align(task_itos: list[str], pre_itos: list[str], vectors: torch.Tensor) -> torch.Tensor:
    """A (len(task_itos), D) table: each task word's pre-trained row, or the mean pre-trained row when it has none."""
    if vectors.dim() != 2 or vectors.shape[0] != len(pre_itos):
        raise ValueError(f"vectors must have one row per word of pre_itos ({len(pre_itos)}), "
                         f"got shape {tuple(vectors.shape)}")
    stoi = {w: i for i, w in enumerate(pre_itos)}
    mean = vectors.float().mean(dim=0)  # (D,)
    rows = [vectors[stoi[w]].float() if w in stoi else mean for w in task_itos]
    return torch.stack(rows) if rows else torch.zeros(0, vectors.shape[1])  # (V_task, D)


def check_align(fn: Callable, strict: bool = False) -> Report:
    """Check a learner's ``align(task_itos, pre_itos, vectors)`` (mean-vector strategy for missing words)."""
    pre = ["the", "cat", "dog", "sat", "mat"]
    vecs = torch.tensor([[0.0, 1.0], [2.0, 0.0], [2.0, 1.0], [-1.0, 3.0], [5.0, -4.0]])
    cases = [
        Case("every task word is known", (["dog", "cat", "the"], pre, vecs)),
        Case("an unknown word gets the mean row", (["cat", "zebra", "mat"], pre, vecs)),
        Case("all words unknown", (["zebra", "yak"], pre, vecs)),
        Case("the match is exact: 'Cat' is not 'cat'", (["Cat", "cat"], pre, vecs)),
        Case("an empty task vocabulary gives shape (0, D)", ([], pre, vecs)),
        Case("a table whose rows do not match pre_itos is rejected", (["cat"], pre, vecs[:4])),
    ]
    return run_check("align", fn, reference_align, cases, strict=strict)


def reference_analogy(vectors: torch.Tensor, itos: list[str], a: str, b: str, c: str) -> str:
    """3CosAdd: the word whose unit vector has the largest dot product with b - a + c (unit vectors), a, b, c excluded."""
    stoi = {w: i for i, w in enumerate(itos)}
    for name, word in (("a", a), ("b", b), ("c", c)):
        if word not in stoi:
            raise KeyError(f"{name} {word!r} is not in the vocabulary")
    unit = vectors.float() / vectors.float().norm(dim=1, keepdim=True).clamp_min(1e-12)  # (V, D)
    target = unit[stoi[b]] - unit[stoi[a]] + unit[stoi[c]]  # (D,)
    scores = unit @ target  # (V,)
    scores[[stoi[a], stoi[b], stoi[c]]] = -float("inf")
    return itos[int(scores.argmax())]


# A small table: man/woman/king/queen on unit-ish directions, plus traps.
ANALOGY_ITOS = ["man", "woman", "king", "queen", "prince", "giant", "apple", "pear"]
ANALOGY_VECS = torch.tensor([
    [1.0, 0.0, 0.0],      # man
    [1.0, 1.0, 0.0],      # woman
    [1.0, 0.0, 1.0],      # king
    [1.0, 1.0, 1.0],      # queen
    [1.2, -0.1, 1.0],     # prince: close to king, far from "female"
    [30.0, 12.0, 5.0],    # giant: a long vector, wins on raw dot products
    [-1.0, 0.2, 0.1],     # apple
    [-1.0, 0.25, 0.0],    # pear
])


def check_analogy(fn: Callable, strict: bool = False) -> Report:
    """Check a learner's ``analogy(vectors, itos, a, b, c)`` (3CosAdd with the inputs excluded)."""
    v, itos = ANALOGY_VECS, ANALOGY_ITOS
    cases = [
        Case("man : king :: woman : ?", (v, itos, "man", "king", "woman")),
        Case("man : woman :: king : ?", (v, itos, "man", "woman", "king")),
        Case("woman : queen :: man : ?", (v, itos, "woman", "queen", "man")),
        Case("apple : pear :: king : ?", (v, itos, "apple", "pear", "king")),
        Case("scaling every vector changes nothing", (v * 3.0, itos, "man", "king", "woman")),
        Case("an unknown word raises KeyError", (v, itos, "man", "king", "duchess")),
    ]
    return run_check("analogy", fn, reference_analogy, cases, strict=strict)
