"""Self-checks for chapter 2 (the embedding layer), with reference solutions."""

from __future__ import annotations

from typing import Callable

import torch

from embcourse.checks.core import Case, Report, run_check
from embcourse.lookup import embedding_lookup


def reference_embedding_lookup(weight: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Rows of ``weight`` picked with ``torch.index_select``: shape ``(*ids.shape, embed_dim)``, like ``nn.Embedding``."""
    return embedding_lookup(weight, ids)  # (*ids.shape, D)


def _table(vocab_size: int = 6, embed_dim: int = 3) -> torch.Tensor:
    return torch.arange(vocab_size * embed_dim, dtype=torch.float32).reshape(vocab_size, embed_dim) / 10


def _lookup_grad(ids: torch.Tensor) -> Callable[[Callable], torch.Tensor]:
    """A case that backpropagates a fixed upstream gradient through ``fn`` and returns the weight's gradient."""
    def call(fn: Callable) -> torch.Tensor:
        weight = _table().requires_grad_()                       # (V, D)
        out = fn(weight, ids.clone())                            # (*ids.shape, D)
        upstream = torch.arange(out.numel(), dtype=torch.float32).reshape(out.shape) + 1
        (out * upstream).sum().backward()
        return weight.grad                                       # (V, D)
    return call


def check_embedding_lookup(fn: Callable, strict: bool = False) -> Report:
    """Check a learner's ``embedding_lookup(weight, ids)``: forward values, gradient and input validation."""
    t, W = torch.tensor, _table()
    cases = [
        Case("three ids", (W, t([4, 0, 2]))),
        Case("a batch of sequences, shape (2, 3)", (W, t([[0, 1, 2], [5, 5, 3]]))),
        Case("int32 ids", (W, t([1, 3], dtype=torch.int32))),
        Case("no ids: shape (0, embed_dim)", (W, t([], dtype=torch.long))),
        Case("gradient reaches exactly the looked-up rows", call=_lookup_grad(t([1, 4]))),
        Case("gradient of a repeated id adds up", call=_lookup_grad(t([[2, 2], [0, 2]]))),
        Case("float ids are rejected (TypeError)", (W, t([0.0, 1.0]))),
        Case("id equal to vocab_size is rejected (ValueError)", (W, t([0, 6]))),
        Case("negative id is rejected (ValueError)", (W, t([-1]))),
    ]
    return run_check("embedding_lookup", fn, reference_embedding_lookup, cases, strict=strict)


def reference_mean_bag(weight: torch.Tensor, ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Mean of the embeddings of each row of ``ids`` (B, T), padding left out; an all-padding row gives zeros."""
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2:
        raise ValueError(f"ids must be a 2-D tensor (batch_size, seq_len), got shape {tuple(getattr(ids, 'shape', ()))}")
    mask = (ids != pad_id).unsqueeze(-1)                      # (B, T, 1)
    summed = (weight[ids] * mask).sum(dim=1)                  # (B, T, D) -> (B, D)
    return summed / mask.sum(dim=1).clamp(min=1)              # (B, D) / (B, 1)


def _bag_grad(ids: torch.Tensor, pad_id: int) -> Callable[[Callable], torch.Tensor]:
    def call(fn: Callable) -> torch.Tensor:
        weight = _table().requires_grad_()                    # (V, D)
        out = fn(weight, ids.clone(), pad_id)                 # (B, D)
        (out * (torch.arange(out.numel()).reshape(out.shape) + 1)).sum().backward()
        return weight.grad                                    # (V, D); the padding row stays zero
    return call


def check_mean_bag(fn: Callable, strict: bool = False) -> Report:
    """Check a learner's ``mean_bag(weight, ids, pad_id)`` (the mean-pooled bag of embeddings)."""
    t, W = torch.tensor, _table()
    cases = [
        Case("no padding", (W, t([[1, 2, 3], [4, 4, 5]]), 0)),
        Case("padding at the end of shorter rows", (W, t([[1, 2, 3], [4, 0, 0], [5, 1, 0]]), 0)),
        Case("pad_id other than 0", (W, t([[0, 5, 5], [2, 0, 5]]), 5)),
        Case("a row of only padding gives zeros", (W, t([[3, 1], [0, 0]]), 0)),
        Case("gradient: padding rows get none", call=_bag_grad(t([[1, 2, 0], [3, 0, 0]]), 0)),
        Case("1-D ids are rejected (ValueError)", (W, t([1, 2]), 0)),
    ]
    return run_check("mean_bag", fn, reference_mean_bag, cases, strict=strict)


def reference_table_memory(vocab_size: int, embed_dim: int, dtype: torch.dtype = torch.float32) -> dict[str, int]:
    """Bytes of an embedding table, its dense gradient, its Adam state (two moments) and their total."""
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype such as torch.float32, got {dtype!r}")
    for name, value in (("vocab_size", vocab_size), ("embed_dim", embed_dim)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    weight = vocab_size * embed_dim * dtype.itemsize
    return {"weight": weight, "grad": weight, "adam_state": 2 * weight, "total": 4 * weight}


def check_table_memory(fn: Callable, strict: bool = False) -> Report:
    """Check a learner's ``table_memory(vocab_size, embed_dim, dtype)``."""
    cases = [
        Case("V=100,000, D=64, float32", (100_000, 64, torch.float32)),
        Case("V=50,000, D=300, float16", (50_000, 300, torch.float16)),
        Case("V=3,000,000, D=128, bfloat16", (3_000_000, 128, torch.bfloat16)),
        Case("V=10, D=4, float64", (10, 4, torch.float64)),
        Case("vocab_size of 0 is rejected (ValueError)", (0, 64, torch.float32)),
        Case("dtype given as a string is rejected (TypeError)", (1_000, 64, "float32")),
    ]
    return run_check("table_memory", fn, reference_table_memory, cases, strict=strict)
