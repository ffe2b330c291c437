"""The embedding lookup and what it costs against a one-hot matrix product (chapter 2).

Chapter 2 shows that ``nn.Embedding(ids)`` equals ``one_hot(ids) @ W``, then
measures both, forward and backward, as the vocabulary grows. The helpers here
are the measurement it uses, reused by ``benchmarks/bench_lookup.py`` and by
chapter 8:

- :func:`embedding_lookup` and :func:`onehot_matmul`: the two ways to embed ids;
- :class:`PeakMemory`: the peak bytes of tensor storage PyTorch allocates inside
  a ``with`` block (measured on the operations themselves, any device);
- :func:`fwd_bwd_cost` / :func:`sweep`: time and peak memory of one forward and
  backward pass, next to the FLOP and byte arithmetic of :func:`arithmetic`;
- :func:`bandwidth`: the lookup's effective bandwidth, random and contiguous ids, against a
  plain copy;
- :func:`optimizer_step_cost`: ``Adam`` on a dense gradient vs ``SparseAdam`` (chapter 8).
"""

from __future__ import annotations

import statistics
import time
import weakref
from typing import Callable

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from embcourse.utils import measure

METHODS = ("one-hot @ W", "lookup (dense grad)", "lookup (sparse grad)")


def _check_ids(ids: torch.Tensor, num_rows: int) -> None:
    if not isinstance(ids, torch.Tensor):
        raise TypeError(f"ids must be a torch.Tensor, got {type(ids).__name__}")
    if ids.dtype not in (torch.int32, torch.int64):
        raise TypeError(f"ids must have dtype int64 or int32, got {ids.dtype}")
    if ids.numel() and (ids.min() < 0 or ids.max() >= num_rows):
        bad = ids[(ids < 0) | (ids >= num_rows)][0].item()
        raise ValueError(f"ids must lie in [0, {num_rows}) (the rows of weight), found {bad}")


def _check_weight(weight: torch.Tensor) -> None:
    if not isinstance(weight, torch.Tensor) or weight.dim() != 2:
        raise ValueError(f"weight must be a 2-D tensor (vocab_size, embed_dim), got {type(weight).__name__} "
                         f"of shape {tuple(getattr(weight, 'shape', ()))}")


def embedding_lookup(weight: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Chapter 2: rows ``weight[ids]`` via ``torch.index_select``, shape ``(*ids.shape, D)``; same forward and gradient as ``nn.Embedding``."""
    _check_weight(weight)
    _check_ids(ids, weight.shape[0])
    rows = weight.index_select(0, ids.reshape(-1))  # (N, D), N = ids.numel()
    return rows.reshape(*ids.shape, weight.shape[1])  # (*ids.shape, D)


def onehot_matmul(weight: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Chapter 2: the same rows computed as ``one_hot(ids) @ weight`` (the one-hot way, for comparison)."""
    _check_weight(weight)
    _check_ids(ids, weight.shape[0])
    return F.one_hot(ids.long(), weight.shape[0]).to(weight.dtype) @ weight  # (*ids.shape, V) @ (V, D)


class PeakMemory(TorchDispatchMode):
    """Chapter 2: the peak bytes of tensor storage allocated by PyTorch operations inside ``with PeakMemory() as m:``.

    Every operation's outputs are recorded with the size of their storage, and
    forgotten when the storage is freed; ``m.peak`` is the largest total alive
    at once. Tensors that existed before the block are not counted (so a weight
    table is not, but its gradient is). This measures tensor allocations, not
    the process's resident memory (allocator caches and Python objects are not
    included); it works the same on CPU and GPU.
    """

    def __init__(self) -> None:
        super().__init__()
        self.live: dict[int, int] = {}
        self.current = 0
        self.peak = 0

    def _free(self, key: int) -> None:
        self.current -= self.live.pop(key, 0)

    def _add(self, t: torch.Tensor, inputs: set[int]) -> None:
        if t.layout != torch.strided:  # a sparse tensor's indices and values come from strided ops
            return
        storage = t.untyped_storage()
        key, nbytes = storage.data_ptr(), storage.nbytes()
        if nbytes and key not in self.live and key not in inputs:  # views and in-place results are not new
            self.live[key] = nbytes
            self.current += nbytes
            self.peak = max(self.peak, self.current)
            weakref.finalize(storage, self._free, key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        inputs = {t.untyped_storage().data_ptr() for t in tree_flatten((args, kwargs))[0]
                  if isinstance(t, torch.Tensor) and t.layout == torch.strided}
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self._add(t, inputs)
        return out


def _fwd_bwd(method: str, weight: torch.Tensor, ids: torch.Tensor) -> Callable[[], None]:
    """One forward and backward pass of ``method``, gradient reset first as ``zero_grad()`` does."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")

    def step() -> None:
        weight.grad = None
        if method == "one-hot @ W":
            out = onehot_matmul(weight, ids)  # (B, D)
        else:
            out = F.embedding(ids, weight, sparse=method == "lookup (sparse grad)")  # (B, D)
        out.sum().backward()
    return step


def arithmetic(method: str, vocab_size: int, batch_size: int, embed_dim: int) -> dict[str, int]:
    """Chapter 2: FLOPs and peak bytes of one forward+backward pass in float32, from the shapes alone."""
    V, B, D = vocab_size, batch_size, embed_dim
    if method == "one-hot @ W":  # int64 one-hot (8 B) turned into float (4 B); later float one-hot + dense grad
        return {"flops": 4 * B * V * D, "bytes": max(12 * B * V, 4 * B * V + 4 * V * D + 4 * B * D)}
    if method == "lookup (dense grad)":  # forward copies rows; backward adds B rows into a dense (V, D) grad
        return {"flops": B * D, "bytes": 4 * V * D + 4 * B * D}
    if method == "lookup (sparse grad)":  # the gradient is B rows of values plus their B int64 indices
        return {"flops": B * D, "bytes": 4 * B * D + 8 * B}
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def fwd_bwd_cost(method: str, vocab_size: int, batch_size: int = 128, embed_dim: int = 64,
                 repeats: int = 3, seed: int = 0) -> dict[str, float]:
    """Chapter 2: median seconds and measured peak bytes of one forward+backward pass of ``method``."""
    gen = torch.Generator().manual_seed(seed)
    weight = torch.randn(vocab_size, embed_dim, generator=gen).requires_grad_()  # (V, D)
    ids = torch.randint(vocab_size, (batch_size,), generator=gen)                # (B,)
    step = _fwd_bwd(method, weight, ids)
    seconds = measure(step, repeats=repeats, warmup=1).median
    with PeakMemory() as mem:
        step()
    return {"seconds": seconds, "peak_bytes": mem.peak}


def sweep(vocab_sizes: list[int], batch_size: int = 128, embed_dim: int = 64, repeats: int = 3,
          methods: tuple[str, ...] = METHODS, seed: int = 0) -> list[dict]:
    """Chapter 2: :func:`fwd_bwd_cost` and :func:`arithmetic` for every method and vocabulary size, one row each."""
    if not vocab_sizes or min(vocab_sizes) < 1:
        raise ValueError(f"vocab_sizes must be a non-empty list of positive ints, got {vocab_sizes!r}")
    rows = []
    for vocab_size in vocab_sizes:
        for method in methods:
            cost = fwd_bwd_cost(method, vocab_size, batch_size, embed_dim, repeats, seed)
            rows.append({"vocab_size": vocab_size, "method": method, **cost,
                         **arithmetic(method, vocab_size, batch_size, embed_dim)})
    return rows


def bandwidth(num_ids: int = 65_536, vocab_size: int = 100_000, embed_dim: int = 64,
              repeats: int = 5, seed: int = 0) -> dict[str, float]:
    """Chapter 2: effective bandwidth (GB/s) of a forward lookup of ``num_ids`` rows, random and contiguous ids.

    ``lookup_*`` gathers rows at random ids (scattered reads), ``contiguous_*``
    gathers rows ``0 .. num_ids - 1`` (one block, read in order), and ``copy_*``
    copies a contiguous tensor of as many bytes: all three move the same bytes.
    The three are timed in turn, ``repeats`` times after a warm-up; ``*_gb_s``
    use the median time of the repeats, ``*_best_gb_s`` the fastest (what the
    hardware can do when nothing else gets in the way).
    """
    for name, value in (("num_ids", num_ids), ("vocab_size", vocab_size), ("embed_dim", embed_dim),
                        ("repeats", repeats)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if num_ids > vocab_size:
        raise ValueError(f"num_ids ({num_ids}) must not exceed vocab_size ({vocab_size}) "
                         "for the contiguous lookup")
    gen = torch.Generator().manual_seed(seed)
    weight = torch.empty(vocab_size, embed_dim).uniform_(generator=gen)  # (V, D)
    ids = torch.randint(vocab_size, (num_ids,), generator=gen)        # (N,) scattered
    block = torch.arange(num_ids)                                     # (N,) in order
    src, out = torch.randn(num_ids, embed_dim, generator=gen), torch.empty(num_ids, embed_dim)  # (N, D)
    moved = 2 * out.nbytes  # read N rows, write N rows (the ids' 8 bytes each are left out)
    runs = {"lookup": lambda: torch.index_select(weight, 0, ids, out=out),
            "contiguous": lambda: torch.index_select(weight, 0, block, out=out),
            "copy": lambda: out.copy_(src)}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for name, run in runs.items():  # warm-up
        run()
    for _ in range(repeats):  # interleaved, so that a change of load hits all three alike
        for name, run in runs.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    t_lookup, t_block, t_copy = (statistics.median(times[n]) for n in runs)
    best = {name: moved / min(times[name]) / 1e9 for name in runs}
    return {"bytes": moved, "lookup_seconds": t_lookup, "contiguous_seconds": t_block,
            "copy_seconds": t_copy, "lookup_gb_s": moved / t_lookup / 1e9,
            "contiguous_gb_s": moved / t_block / 1e9, "copy_gb_s": moved / t_copy / 1e9,
            "lookup_best_gb_s": best["lookup"], "contiguous_best_gb_s": best["contiguous"],
            "copy_best_gb_s": best["copy"]}


def optimizer_step_cost(sparse: bool, vocab_size: int = 500_000, embed_dim: int = 32,
                        batch_size: int = 1024, steps: int = 5, seed: int = 0) -> dict[str, float]:
    """Chapter 8 (via ``embcourse.scale``): seconds per training step and bytes of gradient and optimizer state: ``Adam`` (dense) or ``SparseAdam``."""
    gen = torch.Generator().manual_seed(seed)
    emb = torch.nn.Embedding(vocab_size, embed_dim, sparse=sparse)
    opt = (torch.optim.SparseAdam if sparse else torch.optim.Adam)(emb.parameters(), lr=1e-3)
    ids = torch.randint(vocab_size, (batch_size,), generator=gen)  # (B,)

    def step() -> None:
        opt.zero_grad()
        emb(ids).pow(2).sum().backward()  # (B, D) -> scalar
        opt.step()
    seconds = measure(step, repeats=steps, warmup=1).median
    grad = emb.weight.grad
    grad_bytes = (grad._values().nbytes + grad._indices().nbytes) if grad.is_sparse else grad.nbytes
    state_bytes = sum(t.nbytes for s in opt.state.values() for t in s.values() if torch.is_tensor(t))
    return {"seconds": seconds, "weight_bytes": emb.weight.nbytes, "grad_bytes": grad_bytes,
            "state_bytes": state_bytes}
