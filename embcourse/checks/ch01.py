"""Self-checks for chapter 1 (categorical data and one-hot codes), with reference solutions."""

from __future__ import annotations

from collections import Counter
from typing import Callable

import torch

from embcourse.checks.core import RANDOM_CASES, Case, Report, run_check

UNK = "<unk>"


def reference_one_hot(indices: torch.Tensor, num_classes: int) -> torch.Tensor:
    """One-hot codes of integer ``indices`` (any shape) as an int64 tensor of shape (*indices.shape, num_classes)."""
    if not isinstance(indices, torch.Tensor):
        raise TypeError(f"indices must be a torch.Tensor, got {type(indices).__name__}")
    if indices.dtype.is_floating_point or indices.dtype == torch.bool or indices.is_complex():
        raise TypeError(f"indices must have an integer dtype, got {indices.dtype}")
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    if indices.numel() and (indices.min() < 0 or indices.max() >= num_classes):
        bad = indices[(indices < 0) | (indices >= num_classes)][0].item()
        raise ValueError(f"indices must lie in [0, {num_classes}), found {bad}")
    return (indices.unsqueeze(-1) == torch.arange(num_classes)).long()  # (*shape, C)


def _random_indices(g: torch.Generator) -> tuple[torch.Tensor, int]:
    """Indices of a random shape (0 to 3 dimensions), integer dtype and number of classes."""
    num_classes = int(torch.randint(1, 9, (), generator=g))
    shape = tuple(torch.randint(1, 4, (int(torch.randint(0, 4, (), generator=g)),), generator=g).tolist())
    dtype = [torch.int64, torch.int32, torch.int16, torch.uint8][int(torch.randint(4, (), generator=g))]
    return torch.randint(num_classes, shape, generator=g).to(dtype), num_classes


CORE, INPUT_CHECKS = "core cases (values and shape)", "input checks"
"""The two groups a ``one_hot`` check reports apart: the codes themselves, and the rejection of bad input."""


def _one_hot_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        indices, num_classes = _random_indices(g)
        dtype = str(indices.dtype).removeprefix("torch.")
        cases.append(Case(f"{dtype} indices of shape {tuple(indices.shape)}, {num_classes} classes",
                          (indices, num_classes), group=CORE))
    return cases


def check_one_hot(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``one_hot(indices, num_classes)`` against the reference.

    The core cases (values and shape) are reported apart from the input checks,
    and a result that is right but for its dtype (float codes, say) passes the
    core cases and fails one separate dtype item with a hint: the codes must be int64.
    """
    t = torch.tensor
    core = [
        Case("three indices into four classes", (t([0, 2, 3]), 4)),
        Case("repeated index", (t([1, 1]), 3)),
        Case("a batch of sequences, shape (2, 3)", (t([[0, 1, 2], [2, 1, 0]]), 3)),
        Case("int32 indices", (t([4, 0], dtype=torch.int32), 5)),
        Case("a single index, shape ()", (t(2), 3)),
        Case("empty input", (t([], dtype=torch.long), 4)),
    ]
    checks = [
        Case("index equal to num_classes is out of range", (t([0, 4]), 4)),
        Case("negative index", (t([-1, 0]), 4)),
        Case("float indices are rejected", (t([0.0, 1.0]), 2)),
        Case("a list of indices is rejected (TypeError)", ([0, 1], 2)),
        Case("num_classes of zero is rejected", (t([0]), 0)),
        Case("num_classes=3.0, a float, is rejected (ValueError)", (t([0, 2]), 3.0)),
    ]
    for case in core:
        case.group = CORE
    for case in checks:
        case.group = INPUT_CHECKS
    return run_check("one_hot", fn, reference_one_hot, core + checks, strict=strict, exact=True,
                     random_cases=_one_hot_random, seed=seed, dtype_apart=True)


def reference_build_vocab(values: list[str], min_count: int = 1) -> list[str]:
    """``itos``: ``<unk>`` first, then the values seen at least ``min_count`` times, sorted."""
    if not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"min_count must be a positive int, got {min_count!r}")
    counts = Counter(values)
    return [UNK] + sorted(v for v, c in counts.items() if c >= min_count and v != UNK)


def reference_encode(values: list[str], itos: list[str]) -> torch.Tensor:
    """The id of each value in ``itos`` (unknown values get the id of ``<unk>``) as an int64 tensor."""
    if not itos or itos[0] != UNK:
        raise ValueError(f"itos must start with {UNK!r}, got {itos[:1]!r}")
    stoi = {s: i for i, s in enumerate(itos)}
    return torch.tensor([stoi.get(v, 0) for v in values], dtype=torch.long)  # (N,)


def _random_values(g: torch.Generator, n: int) -> list[str]:
    """``n`` city-like names drawn from a small alphabet, so that some repeat."""
    pool = ["paris", "lyon", "lille", "nantes", "brest", "nice", "metz", "caen", "<unk>", "Paris"]
    return [pool[i] for i in torch.randint(len(pool), (n,), generator=g).tolist()]


def _build_vocab_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        values, min_count = _random_values(g, int(torch.randint(0, 30, (), generator=g))), \
            int(torch.randint(1, 4, (), generator=g))
        cases.append(Case(f"{len(values)} values (some repeated), min_count={min_count}",
                          (values,), {"min_count": min_count}))
    return cases


def check_build_vocab(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``build_vocab(values, min_count=1)``."""
    cities = ["paris", "lyon", "paris", "lille", "lyon", "paris", "nantes"]
    cases = [
        Case("cities, sorted after <unk>", (cities,)),
        Case("min_count=2 drops rare cities", (cities,), {"min_count": 2}),
        Case("min_count=3 keeps only paris", (cities,), {"min_count": 3}),
        Case("empty input gives just <unk>", ([],)),
        Case("a value spelled <unk> is not added twice", (["<unk>", "b", "a"],)),
        Case("min_count=0 is rejected", (cities,), {"min_count": 0}),
    ]
    return run_check("build_vocab", fn, reference_build_vocab, cases, strict=strict, exact=True,
                     random_cases=_build_vocab_random, seed=seed)


def _encode_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        itos = reference_build_vocab(_random_values(g, 12))
        values = _random_values(g, int(torch.randint(0, 15, (), generator=g)))
        cases.append(Case(f"{len(values)} values, a vocabulary of {len(itos)}", (values, itos)))
    return cases


def check_encode(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``encode(values, itos)`` (an int64 tensor, exactly)."""
    itos = [UNK, "lille", "lyon", "paris"]
    cases = [
        Case("known cities", (["paris", "lyon", "lille"], itos)),
        Case("unseen cities map to <unk>", (["paris", "brest", "nice"], itos)),
        Case("empty input", ([], itos)),
        Case("itos without <unk> first is rejected", (["paris"], ["paris", UNK])),
        Case("an empty itos is rejected (ValueError)", (["paris"], [])),
    ]
    return run_check("encode", fn, reference_encode, cases, strict=strict, exact=True,
                     random_cases=_encode_random, seed=seed)
