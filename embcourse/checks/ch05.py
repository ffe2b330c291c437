"""Self-checks for chapter 5 (embeddings and generalisation), with reference solutions."""

from __future__ import annotations

from typing import Callable

import torch

from embcourse.checks.core import RANDOM_CASES, Case, Report, run_check


def reference_embedding_logits(X: torch.Tensor, E: torch.Tensor, A: torch.Tensor,
                               b: torch.Tensor) -> torch.Tensor:
    """Logits of the embedding classifier by hand: the sum of each basket's rows of ``E``, times ``A``, plus ``b``."""
    if not isinstance(X, torch.Tensor) or X.dtype != torch.long or X.dim() != 2:
        raise TypeError("X must be a 2-D int64 tensor of ids (B, L)")
    if E.dim() != 2 or A.dim() != 2 or b.dim() != 1 or E.shape[1] != A.shape[0] or A.shape[1] != b.shape[0]:
        raise ValueError(f"expected E (V, D), A (D, C), b (C,), got {tuple(E.shape)}, {tuple(A.shape)}, {tuple(b.shape)}")
    if X.numel() and (X.min() < 0 or X.max() >= E.shape[0]):
        raise ValueError(f"ids must lie in [0, {E.shape[0]})")
    return E[X].sum(dim=1) @ A + b  # (B, L, D) -> (B, D) -> (B, C)


def _logits_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        B, L, V, D, C = (int(torch.randint(1, n, (), generator=g)) for n in (5, 5, 10, 5, 5))
        X = torch.randint(V, (B, L), generator=g)  # (B, L)
        E, A, b = torch.randn(V, D, generator=g), torch.randn(D, C, generator=g), torch.randn(C, generator=g)
        cases.append(Case(f"B={B}, L={L}, V={V}, D={D}, C={C}", (X, E, A, b)))
    return cases


def check_embedding_logits(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``embedding_logits(X, E, A, b)`` against the reference."""
    g = torch.Generator().manual_seed(5)
    E, A, b = torch.randn(6, 2, generator=g), torch.randn(2, 3, generator=g), torch.randn(3, generator=g)
    t = torch.tensor
    cases = [
        Case("two baskets of three items", (t([[0, 1, 2], [3, 4, 5]]), E, A, b)),
        Case("an item twice in a basket counts twice", (t([[1, 1, 4]]), E, A, b)),
        Case("baskets of one item: a row of E times A", (t([[0], [5], [2]]), E, A, b)),
        Case("an empty batch", (torch.zeros(0, 3, dtype=torch.long), E, A, b)),
        Case("bias broadcast with a zero table", (t([[0, 1]]), torch.zeros(6, 2), A, b)),
        Case("id equal to vocab_size is rejected", (t([[0, 6]]), E, A, b)),
        Case("negative id is rejected", (t([[-1, 0]]), E, A, b)),
        Case("float ids are rejected", (t([[0.0, 1.0]]), E, A, b)),
        Case("int32 ids are rejected (TypeError: X must be int64)", (t([[0, 1]], dtype=torch.int32), E, A, b)),
        Case("1-D X is rejected (TypeError: X must be 2-D)", (t([0, 1, 2]), E, A, b)),
        Case("E and A that do not fit are rejected", (t([[0, 1]]), E, A.T.contiguous(), b)),
        Case("a bias of shape (1, C) is rejected (ValueError)", (t([[0, 1]]), E, A, b[None, :])),
        Case("a bias of shape (1,) is rejected (ValueError)", (t([[0, 1]]), E, A, b[:1])),
    ]
    return run_check("embedding_logits", fn, reference_embedding_logits, cases, strict=strict,
                     random_cases=_logits_random, seed=seed)
