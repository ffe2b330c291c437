"""Self-checks for chapter 4 (pre-trained embeddings), with reference solutions."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn

from embcourse.checks.core import RANDOM_CASES, Case, Report, call_checked, run_check


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


# ---------------------------------------------------------------- 3CosAdd (chapter 3's exercise, kept until replaced)

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


def _analogy_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        V, D = int(torch.randint(5, 20, (), generator=g)), int(torch.randint(2, 6, (), generator=g))
        lengths = torch.logspace(-1, 1, V)[torch.randperm(V, generator=g)]           # (V,) 0.1 .. 10
        vectors = torch.randn(V, D, generator=g) * lengths[:, None]                  # (V, D)
        itos = [f"w{i}" for i in range(V)]
        a, b, c = (itos[i] for i in torch.randperm(V, generator=g)[:3].tolist())
        cases.append(Case(f"{a} : {b} :: {c} : ? among {V} words", (vectors, itos, a, b, c)))
    return cases


def check_analogy(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``analogy(vectors, itos, a, b, c)`` (3CosAdd with the inputs excluded)."""
    v, itos = ANALOGY_VECS, ANALOGY_ITOS
    cases = [
        Case("man : king :: woman : ?", (v, itos, "man", "king", "woman")),
        Case("man : woman :: king : ?", (v, itos, "man", "woman", "king")),
        Case("woman : queen :: man : ?", (v, itos, "woman", "queen", "man")),
        Case("apple : pear :: king : ?", (v, itos, "apple", "pear", "king")),
        Case("scaling every vector changes nothing", (v * 3.0, itos, "man", "king", "woman")),
        Case("an unknown word raises a KeyError naming it", (v, itos, "man", "king", "duchess"), mentions="duchess"),
    ]
    return run_check("analogy", fn, reference_analogy, cases, strict=strict,
                     random_cases=_analogy_random, seed=seed)
