"""Embedding tables at scale: memory arithmetic, sparse updates, hashing, lower precision (chapter 8).

- :func:`training_memory`: bytes of a ``(vocab_size, embed_dim)`` table, its
  gradient and its optimizer state for SGD, Adam and SparseAdam, and
  :func:`measured_training_memory`, the same bytes read from the tensors
  ``torch`` really allocates after one step, and :func:`peak_training_memory`,
  the resident memory of a fresh process at the peak of a step and after it,
  and :func:`tensor_peak_memory`, the same from PyTorch's own tensors;
- :func:`sparse_dense_sweep` and :func:`crossover`: time per step of dense
  ``Adam`` against ``SparseAdam`` as the vocabulary grows, and where sparse wins;
- :func:`hash_buckets`, :func:`collision_rate`, :func:`expected_collision_rate`:
  the hashing trick and its collisions, and :func:`hashed_task_accuracy`, what
  they cost on a small task;
- :func:`precision_error`: the lookup error of a table stored in a lower precision.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import platform
import subprocess
import sys
from typing import Iterable

import torch
import torch.nn as nn

from embcourse.lookup import optimizer_step_cost

OPTIMIZERS = ("sgd", "adam", "sparse_adam")
DTYPES = (torch.float32, torch.bfloat16, torch.float16)
INDEX_BYTES = 8  # a sparse gradient stores one int64 row index per looked-up id
# how torch.optim carries out an update: None lets torch choose (the for-loop on CPU)
IMPLEMENTATIONS = {None: {}, "for-loop": {"foreach": False}, "foreach": {"foreach": True},
                   "fused": {"fused": True}}


def _positive_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def training_memory(vocab_size: int, embed_dim: int, optimizer: str = "adam",
                    dtype: torch.dtype = torch.float32, batch_size: int | None = None) -> dict[str, int]:
    """Chapter 8: bytes of weight, gradient and optimizer state of a table trained with ``optimizer``.

    ``sgd`` (no momentum) keeps no state; ``adam`` keeps two moments the size of
    the table (its scalar step counter is left out); both get a dense gradient.
    ``sparse_adam`` gets a sparse gradient of ``batch_size`` rows, each with an
    int64 index, but still keeps two dense moments.
    """
    V, D = _positive_int("vocab_size", vocab_size), _positive_int("embed_dim", embed_dim)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype such as torch.float32, got {dtype!r}")
    weight = V * D * dtype.itemsize
    if optimizer == "sparse_adam":
        B = _positive_int("batch_size", batch_size)
        grad = B * (D * dtype.itemsize + INDEX_BYTES)
    else:
        grad = weight
    state = 0 if optimizer == "sgd" else 2 * weight
    return {"weight": weight, "grad": grad, "optimizer_state": state, "total": weight + grad + state}


def measured_training_memory(vocab_size: int, embed_dim: int, optimizer: str = "adam",
                             dtype: torch.dtype = torch.float32, batch_size: int = 64,
                             seed: int = 0) -> dict[str, int]:
    """Chapter 8: the bytes ``torch`` allocates for weight, gradient and optimizer state after one real step."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    gen = torch.Generator().manual_seed(seed)
    emb = nn.Embedding(vocab_size, embed_dim, sparse=optimizer == "sparse_adam", dtype=dtype)
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam,
           "sparse_adam": torch.optim.SparseAdam}[optimizer](emb.parameters(), lr=1e-3)
    ids = torch.randint(vocab_size, (batch_size,), generator=gen)  # (B,)
    emb(ids).float().pow(2).sum().backward()                       # (B, D) -> scalar
    g = emb.weight.grad
    grad = g._values().nbytes + g._indices().nbytes if g.is_sparse else g.untyped_storage().nbytes()
    opt.step()
    moments = [t for s in opt.state.values() for k, t in s.items() if k.startswith("exp_avg")]
    state = sum(t.untyped_storage().nbytes() for t in moments)
    weight = emb.weight.untyped_storage().nbytes()
    return {"weight": weight, "grad": grad, "optimizer_state": state, "total": weight + grad + state}


def _training_step(vocab_size: int, embed_dim: int, optimizer: str, implementation: str | None,
                   batch_size: int, seed: int):
    """A table, its optimizer and one training step (zero_grad, lookup, backward, step) as a function."""
    gen = torch.Generator().manual_seed(seed)
    emb = nn.Embedding(vocab_size, embed_dim, sparse=optimizer == "sparse_adam")
    if optimizer == "sparse_adam":
        opt = torch.optim.SparseAdam(emb.parameters(), lr=1e-3)
    else:
        cls = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
        opt = cls(emb.parameters(), lr=1e-3, **IMPLEMENTATIONS[implementation])
    ids = torch.randint(vocab_size, (batch_size,), generator=gen)  # (B,)

    def step() -> None:
        opt.zero_grad()                     # set_to_none: the old gradient is freed first
        emb(ids).pow(2).sum().backward()    # (B, D) -> scalar
        opt.step()
    return step, emb, opt


def _bytes(tensors: Iterable[torch.Tensor]) -> int:
    return sum(t._values().nbytes + t._indices().nbytes if t.is_sparse else t.untyped_storage().nbytes()
               for t in tensors)


def tensor_peak_memory(vocab_size: int, embed_dim: int, optimizer: str = "adam", implementation: str | None = None,
                       batch_size: int = 512, seed: int = 0) -> dict[str, int]:
    """Chapter 8: tensor bytes of a table in training, between steps (``steady``) and at the peak of a step.

    After a first step has created the optimizer state, a second step runs
    under chapter 2's :class:`embcourse.lookup.PeakMemory`, which adds up the
    storage of every tensor PyTorch's operations create and forgets it when it
    is freed. ``peak`` is what existed before the step (weight and state; the
    old gradient is freed by ``zero_grad``) plus the most that step held at
    once; ``steady`` is weight, gradient and state after it. Tensors only: no
    allocator caches, no Python objects, any table size, any device.
    """
    from embcourse.lookup import PeakMemory  # chapter 2's tracker

    V, D = _positive_int("vocab_size", vocab_size), _positive_int("embed_dim", embed_dim)
    _check_implementation(optimizer, implementation)
    step, emb, opt = _training_step(V, D, optimizer, implementation, _positive_int("batch_size", batch_size), seed)
    step()                                                     # creates the moments
    state = [t for st in opt.state.values() for t in st.values() if torch.is_tensor(t)]
    before = _bytes([emb.weight, *state])                      # what survives zero_grad
    with PeakMemory() as tracker:
        step()
    return {"steady": before + _bytes([emb.weight.grad]), "peak": before + tracker.peak,
            "weight": emb.weight.nbytes}


def _check_implementation(optimizer: str, implementation: str | None) -> None:
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"implementation must be one of {list(IMPLEMENTATIONS)}, got {implementation!r}")
    if optimizer == "sparse_adam" and implementation is not None:
        raise ValueError("SparseAdam has a single implementation: leave implementation=None")


def _rss() -> int:
    import psutil  # a course dependency; imported here so the package imports without it
    return psutil.Process().memory_info().rss


def _reset_peak_rss() -> bool:
    """Reset the kernel's resident-memory high-water mark (Linux only); False where that is impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss() -> int:
    """This process's resident-memory high-water mark in bytes (since the last reset, on Linux)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource  # POSIX: ru_maxrss is in bytes on macOS, in kilobytes elsewhere
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if platform.system() == "Darwin" else peak * 1024


def _peak_child() -> None:
    """Body of the subprocess of :func:`peak_training_memory`: measure, print one JSON line."""
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(1)
    warm = _training_step(1_000, cfg["embed_dim"], cfg["optimizer"], cfg["implementation"], cfg["batch_size"], 0)[0]
    for _ in range(2):
        warm()  # loads the kernels' code and the allocator's first pages, which are no part of the table
    del warm
    gc.collect()
    reset = _reset_peak_rss()
    empty, floor = _rss(), _peak_rss()
    step = _training_step(cfg["vocab_size"], cfg["embed_dim"], cfg["optimizer"], cfg["implementation"],
                          cfg["batch_size"], cfg["seed"])[0]
    for _ in range(cfg["steps"]):
        step()
    now = _rss()
    # Linux updates the high-water mark lazily (a thread's page counts are folded in
    # batches), so it can trail the current resident size by a few pages: the peak is
    # at least what is resident now.
    peak = max(_peak_rss(), now)
    print(json.dumps({"peak": peak - empty, "steady": now - empty, "floor": floor - empty,
                      "reset": reset}))


def peak_training_memory(vocab_size: int, embed_dim: int, optimizer: str = "adam", implementation: str | None = None,
                         batch_size: int = 4096, steps: int = 2, seed: int = 0,
                         timeout: float = 300.0) -> dict[str, int]:
    """Chapter 8: resident bytes that a table and ``steps`` training steps add to a fresh process, at the peak and after.

    A new Python process warms the step up on a tiny table, then builds the
    ``(vocab_size, embed_dim)`` float32 table and its optimizer and trains.
    ``steady`` is what stays resident after the last step (weight, gradient,
    optimizer state), ``peak`` the operating system's high-water mark of
    resident memory during it (temporaries included), both above the process
    before the table existed. Resident memory follows tensors only when they
    are large enough to be mapped afresh (above glibc's 32 MB mmap threshold
    on Linux), so use tables of 100 MB or more. ``implementation`` is
    ``"for-loop"``, ``"foreach"`` or ``"fused"`` (``torch.optim``'s three ways
    to run SGD or Adam), or ``None`` for torch's default.
    """
    V, D = _positive_int("vocab_size", vocab_size), _positive_int("embed_dim", embed_dim)
    _check_implementation(optimizer, implementation)
    cfg = {"vocab_size": V, "embed_dim": D, "optimizer": optimizer, "implementation": implementation, "seed": seed,
           "batch_size": _positive_int("batch_size", batch_size), "steps": _positive_int("steps", steps)}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", "from embcourse.scale import _peak_child; _peak_child()",
                           json.dumps(cfg)], capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"the measuring process failed (exit code {done.returncode}):\n{done.stderr}")
    res = json.loads(done.stdout.strip().splitlines()[-1])
    if res["peak"] <= res["floor"]:
        raise RuntimeError(f"the step's peak ({res['peak']:,} B) did not rise above the process's earlier "
                           f"peak ({res['floor']:,} B): use a larger table")
    return {"steady": res["steady"], "peak": res["peak"], "weight": V * D * 4}


def human_bytes(n: float) -> str:
    """Chapter 8: bytes as a short string in powers of 1000 (``'1.5 GB'``)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def sparse_dense_sweep(vocab_sizes: Iterable[int], embed_dim: int = 32, batch_size: int = 1024,
                       steps: int = 5, seed: int = 0) -> list[dict]:
    """Chapter 8: seconds per step and gradient + state bytes of dense ``Adam`` and ``SparseAdam``, per vocabulary size."""
    rows = []
    for V in vocab_sizes:
        for sparse in (False, True):
            cost = optimizer_step_cost(sparse, V, embed_dim, batch_size, steps, seed)
            rows.append({"vocab_size": V, "optimizer": "SparseAdam" if sparse else "Adam", **cost})
    return rows


def crossover(vocab_sizes: list[int], dense_seconds: list[float], sparse_seconds: list[float]) -> int | None:
    """Chapter 8: the smallest vocabulary size from which the sparse step is faster at every larger size (None if never)."""
    if not (len(vocab_sizes) == len(dense_seconds) == len(sparse_seconds)):
        raise ValueError("vocab_sizes, dense_seconds and sparse_seconds must have the same length")
    found = None
    for V, d, s in sorted(zip(vocab_sizes, dense_seconds, sparse_seconds), reverse=True):
        if s >= d:
            break
        found = V
    return found


def hash_bucket(key: str | int, num_buckets: int, seed: int = 0) -> int:
    """Chapter 8: the bucket of one key, from a seeded BLAKE2b hash (stable across runs, unlike ``hash()``)."""
    _positive_int("num_buckets", num_buckets)
    digest = hashlib.blake2b(str(key).encode(), digest_size=8, salt=seed.to_bytes(8, "little")).digest()
    return int.from_bytes(digest, "little") % num_buckets


def hash_buckets(keys: Iterable[str | int], num_buckets: int, seed: int = 0) -> torch.Tensor:
    """Chapter 8: the buckets of many keys, an int64 tensor of shape ``(len(keys),)``."""
    return torch.tensor([hash_bucket(k, num_buckets, seed) for k in keys], dtype=torch.long)


def collision_rate(buckets: torch.Tensor) -> float:
    """Chapter 8: the fraction of keys whose bucket holds at least one other key."""
    if not isinstance(buckets, torch.Tensor) or buckets.dtype not in (torch.int32, torch.int64):
        raise TypeError(f"buckets must be an integer tensor, got {getattr(buckets, 'dtype', type(buckets).__name__)}")
    if buckets.numel() == 0:
        return 0.0
    if buckets.min() < 0:
        raise ValueError(f"buckets must be non-negative, found {buckets.min().item()}")
    counts = torch.bincount(buckets.reshape(-1).long())  # (num_buckets,)
    return counts[counts > 1].sum().item() / buckets.numel()


def expected_collision_rate(num_keys: int, num_buckets: int) -> float:
    """Chapter 8: for uniform hashing, ``1 - (1 - 1/B) ** (n - 1)``: the chance a key shares its bucket."""
    n, B = _positive_int("num_keys", num_keys), _positive_int("num_buckets", num_buckets)
    return 1.0 - (1.0 - 1.0 / B) ** (n - 1)


def hashed_task_accuracy(num_buckets: int | None, num_categories: int = 2000, num_classes: int = 4,
                         per_category: int = 6, embed_dim: int = 16, num_epochs: int = 60,
                         seed: int = 0) -> float:
    """Chapter 8: test accuracy of ``embedding -> linear`` on a category -> class task, ids hashed into ``num_buckets``.

    Each category has its own class; training and test examples repeat the
    categories, with 10% label noise in training. ``num_buckets=None`` gives
    every category its own row (no hashing).
    """
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(num_classes, (num_categories,), generator=gen)         # (C,)
    X = torch.arange(num_categories).repeat(per_category)                         # (N,)
    y = labels[X].clone()                                                         # (N,)
    noisy = torch.rand(len(y), generator=gen) < 0.1
    y[noisy] = torch.randint(num_classes, (int(noisy.sum()),), generator=gen)
    rows = num_categories if num_buckets is None else _positive_int("num_buckets", num_buckets)
    to_row = torch.arange(num_categories) if num_buckets is None else hash_buckets(range(num_categories), rows, seed)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Embedding(rows, embed_dim), nn.Linear(embed_dim, num_classes))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(num_epochs):  # full batch: the task is small
        opt.zero_grad()
        nn.functional.cross_entropy(model(to_row[X]), y).backward()  # (N, num_classes) logits
        opt.step()
    with torch.no_grad():
        pred = model(to_row).argmax(-1)                                 # (C,): one test example per category
    return (pred == labels).float().mean().item()


def precision_error(vocab_size: int = 10_000, embed_dim: int = 64, dtype: torch.dtype = torch.bfloat16,
                    num_ids: int = 4096, seed: int = 0) -> dict[str, float]:
    """Chapter 8: relative error of looking rows up in a ``dtype`` copy of a float32 table, and the bytes saved.

    ``normal_max_rel_error`` leaves out the values below ``dtype``'s smallest
    normal number (``torch.finfo(dtype).tiny``, 6.1e-5 for float16): there
    the spacing is fixed, so the bound is absolute (half the smallest
    subnormal), not relative; ``subnormals`` counts them.
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    gen = torch.Generator().manual_seed(seed)
    weight = torch.randn(vocab_size, embed_dim, generator=gen)          # (V, D) float32
    ids = torch.randint(vocab_size, (num_ids,), generator=gen)          # (N,)
    exact = weight[ids]                                                 # (N, D)
    low = weight.to(dtype)[ids].float()                                 # (N, D), rounded to dtype
    rel = (low - exact).abs() / exact.abs().clamp_min(1e-30)            # (N, D)
    cos = nn.functional.cosine_similarity(low, exact, dim=-1)           # (N,)
    normal = exact.abs() >= torch.finfo(dtype).tiny                     # (N, D) False: subnormal in dtype
    sub_abs = (low - exact)[~normal].abs()
    return {"max_rel_error": rel.max().item(), "mean_rel_error": rel.mean().item(),
            "normal_max_rel_error": rel[normal].max().item(), "subnormals": int((~normal).sum()),
            "subnormal_max_abs_error": sub_abs.max().item() if len(sub_abs) else 0.0,
            "min_cosine": cos.min().item(), "bytes": weight.to(dtype).nbytes, "float32_bytes": weight.nbytes}
