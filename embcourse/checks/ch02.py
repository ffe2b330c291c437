"""Self-checks for chapter 2 (the embedding layer), with reference solutions."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from embcourse.checks.core import RANDOM_CASES, Case, Report, TorchCalls, call_checked, run_check
from embcourse.lookup import embedding_lookup


def reference_embedding_lookup(weight: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Rows of ``weight`` picked with ``torch.index_select``: shape ``(*ids.shape, embed_dim)``, like ``nn.Embedding``."""
    return embedding_lookup(weight, ids)  # (*ids.shape, D)


def _table(vocab_size: int = 6, embed_dim: int = 3) -> torch.Tensor:
    return torch.arange(vocab_size * embed_dim, dtype=torch.float32).reshape(vocab_size, embed_dim) / 10


def _lookup_grad(ids: torch.Tensor, weight: torch.Tensor | None = None) -> Callable[[Callable], torch.Tensor]:
    """A case that backpropagates a fixed upstream gradient through ``fn`` and returns the weight's gradient."""
    def call(fn: Callable) -> torch.Tensor:
        w = (_table() if weight is None else weight.clone()).requires_grad_()  # (V, D)
        out = call_checked(fn, (w, ids.clone()), on_copies=False)           # (*ids.shape, D)
        upstream = torch.arange(out.numel(), dtype=torch.float32).reshape(out.shape) + 1
        (out * upstream).sum().backward()
        return w.grad                                                       # (V, D)
    return call


def _how_rows_are_taken(fn: Callable) -> str:
    """A case that watches the torch calls of ``fn``: the statement asks for ``torch.index_select``."""
    weight, ids = _table(), torch.tensor([[4, 0], [2, 2]])
    with TorchCalls() as calls:
        call_checked(fn, (weight, ids), on_copies=False)
    funcs = [(f, a[0] if a else None) for f, a, _ in calls.seen]
    if any(f is torch.Tensor.__getitem__ and a is weight for f, a in funcs):
        return "rows taken by indexing weight[...]"
    if any(f in (F.embedding, torch.embedding) for f, _ in funcs):
        return "rows taken with F.embedding or nn.Embedding"
    if not any(f in (torch.index_select, torch.Tensor.index_select) for f, _ in funcs):
        return "torch.index_select never called"
    return "rows taken with torch.index_select"


def _random_ids(g: torch.Generator, vocab_size: int, max_dims: int = 3) -> torch.Tensor:
    """Ids of a random shape (0 to ``max_dims`` dimensions), int64 or int32, sometimes not contiguous."""
    shape = torch.randint(1, 4, (int(torch.randint(0, max_dims + 1, (), generator=g)),), generator=g).tolist()
    ids = torch.randint(vocab_size, shape, generator=g)
    if ids.dim() >= 2 and torch.rand((), generator=g) < 0.5:
        ids = ids.transpose(0, 1)  # a view with other strides
    return ids.to(torch.int32) if torch.rand((), generator=g) < 0.3 else ids


def _lookup_random(g: torch.Generator) -> list[Case]:
    cases = []
    for i in range(RANDOM_CASES):
        V, D = int(torch.randint(2, 9, (), generator=g)), int(torch.randint(1, 5, (), generator=g))
        weight, ids = torch.randn(V, D, generator=g), _random_ids(g, V)
        if i < RANDOM_CASES - 1:
            cases.append(Case(f"{V} x {D} table, {str(ids.dtype)[6:]} ids of shape {tuple(ids.shape)}",
                              (weight, ids)))
        else:
            cases.append(Case(f"gradient, {V} x {D} table, ids of shape {tuple(ids.shape)}",
                              call=_lookup_grad(ids, weight)))
    return cases


def check_embedding_lookup(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``embedding_lookup(weight, ids)``: forward values, gradient, input validation."""
    t, W = torch.tensor, _table()
    cases = [
        Case("three ids", (W, t([4, 0, 2]))),
        Case("a batch of sequences, shape (2, 3)", (W, t([[0, 1, 2], [5, 5, 3]]))),
        Case("ids of shape (2, 2, 2)", (W, t([[[0, 1], [2, 3]], [[5, 4], [1, 1]]]))),
        Case("transposed ids (not contiguous), shape (3, 2)", (W, t([[0, 1, 2], [5, 5, 3]]).T)),
        Case("int32 ids", (W, t([1, 3], dtype=torch.int32))),
        Case("no ids: shape (0, embed_dim)", (W, t([], dtype=torch.long))),
        Case("gradient reaches exactly the looked-up rows", call=_lookup_grad(t([1, 4]))),
        Case("gradient of a repeated id adds up", call=_lookup_grad(t([[2, 2], [0, 2]]))),
        Case("rows are taken with torch.index_select, as the statement asks", call=_how_rows_are_taken),
        Case("float ids are rejected (TypeError)", (W, t([0.0, 1.0]))),
        Case("int16 ids are rejected (TypeError)", (W, t([0, 1], dtype=torch.int16))),
        Case("uint8 ids are rejected (TypeError)", (W, t([0, 1], dtype=torch.uint8))),
        Case("id equal to vocab_size is rejected (ValueError)", (W, t([0, 6]))),
        Case("negative id is rejected (ValueError)", (W, t([-1]))),
    ]
    return run_check("embedding_lookup", fn, reference_embedding_lookup, cases, strict=strict,
                     random_cases=_lookup_random, seed=seed)


def reference_mean_bag(weight: torch.Tensor, ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Mean of the embeddings of each row of ``ids`` (B, T), padding left out; an all-padding row gives zeros."""
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2:
        raise ValueError(f"ids must be a 2-D tensor (batch_size, seq_len), got shape {tuple(getattr(ids, 'shape', ()))}")
    mask = (ids != pad_id).unsqueeze(-1)                      # (B, T, 1)
    summed = (weight[ids] * mask).sum(dim=1)                  # (B, T, D) -> (B, D)
    return summed / mask.sum(dim=1).clamp(min=1)              # (B, D) / (B, 1)


def _bag_grad(ids: torch.Tensor, pad_id: int, weight: torch.Tensor | None = None) -> Callable[[Callable], torch.Tensor]:
    def call(fn: Callable) -> torch.Tensor:
        w = (_table() if weight is None else weight.clone()).requires_grad_()  # (V, D)
        out = call_checked(fn, (w, ids.clone(), pad_id), on_copies=False)   # (B, D)
        (out * (torch.arange(out.numel()).reshape(out.shape) + 1)).sum().backward()
        return w.grad                                        # (V, D); the padding row stays zero
    return call


def _padded_batch(g: torch.Generator, vocab_size: int, pad_id: int) -> torch.Tensor:
    """A (B, T) batch of ids padded at the end with ``pad_id``; some rows may be all padding."""
    B, T = int(torch.randint(1, 5, (), generator=g)), int(torch.randint(1, 6, (), generator=g))
    real = [i for i in range(vocab_size) if i != pad_id]
    ids = torch.tensor(real)[torch.randint(len(real), (B, T), generator=g)]   # (B, T)
    lengths = torch.randint(0, T + 1, (B,), generator=g)                      # (B,)
    return ids.masked_fill(torch.arange(T)[None, :] >= lengths[:, None], pad_id)


def _bag_random(g: torch.Generator) -> list[Case]:
    cases = []
    for i in range(RANDOM_CASES):
        V, D = int(torch.randint(3, 9, (), generator=g)), int(torch.randint(1, 5, (), generator=g))
        pad_id = int(torch.randint(V, (), generator=g))
        weight, ids = torch.randn(V, D, generator=g), _padded_batch(g, V, pad_id)
        name = f"{V} x {D} table, ids of shape {tuple(ids.shape)}, pad_id {pad_id}"
        cases.append(Case(name, (weight, ids, pad_id)) if i < RANDOM_CASES - 1 else
                     Case("gradient, " + name, call=_bag_grad(ids, pad_id, weight)))
    return cases


def check_mean_bag(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``mean_bag(weight, ids, pad_id)`` (the mean-pooled bag of embeddings)."""
    t, W = torch.tensor, _table()
    cases = [
        Case("no padding", (W, t([[1, 2, 3], [4, 4, 5]]), 0)),
        Case("padding at the end of shorter rows", (W, t([[1, 2, 3], [4, 0, 0], [5, 1, 0]]), 0)),
        Case("pad_id other than 0", (W, t([[0, 5, 5], [2, 0, 5]]), 5)),
        Case("a row of only padding gives zeros", (W, t([[3, 1], [0, 0]]), 0)),
        Case("gradient: padding rows get none", call=_bag_grad(t([[1, 2, 0], [3, 0, 0]]), 0)),
        Case("gradient with a row of only padding: zero, not nan", call=_bag_grad(t([[1, 2, 0], [0, 0, 0]]), 0)),
        Case("1-D ids are rejected (ValueError)", (W, t([1, 2]), 0)),
    ]
    return run_check("mean_bag", fn, reference_mean_bag, cases, strict=strict,
                     random_cases=_bag_random, seed=seed)


def reference_table_memory(vocab_size: int, embed_dim: int, dtype: torch.dtype = torch.float32) -> dict[str, int]:
    """Bytes of an embedding table, its dense gradient, its Adam state (two moments) and their total."""
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype such as torch.float32, got {dtype!r}")
    for name, value in (("vocab_size", vocab_size), ("embed_dim", embed_dim)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    weight = vocab_size * embed_dim * dtype.itemsize
    return {"weight": weight, "grad": weight, "adam_state": 2 * weight, "total": 4 * weight}


DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


def _memory_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        V, D = int(torch.randint(1, 10_000_000, (), generator=g)), int(torch.randint(1, 1025, (), generator=g))
        dtype = DTYPES[int(torch.randint(len(DTYPES), (), generator=g))]
        cases.append(Case(f"V={V:,}, D={D}, {str(dtype).removeprefix('torch.')}", (V, D, dtype)))
    return cases


def check_table_memory(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``table_memory(vocab_size, embed_dim, dtype)``."""
    cases = [
        Case("V=100,000, D=64, float32", (100_000, 64, torch.float32)),
        Case("V=50,000, D=300, float16", (50_000, 300, torch.float16)),
        Case("V=3,000,000, D=128, bfloat16", (3_000_000, 128, torch.bfloat16)),
        Case("V=10, D=4, float64", (10, 4, torch.float64)),
        Case("vocab_size of 0 is rejected (ValueError)", (0, 64, torch.float32)),
        Case("embed_dim of 0 is rejected (ValueError)", (1_000, 0, torch.float32)),
        Case("dtype given as a string is rejected (TypeError)", (1_000, 64, "float32")),
    ]
    return run_check("table_memory", fn, reference_table_memory, cases, strict=strict,
                     random_cases=_memory_random, seed=seed)
