"""Self-checks for chapter 8 (embedding layers at scale), with reference solutions."""

from __future__ import annotations

import math
from typing import Callable

import torch

from embcourse.checks.core import RANDOM_CASES, Case, Report, call_checked, run_check
from embcourse.scale import collision_rate, hash_buckets, training_memory
from embcourse.sharding import route_ids, shard_bounds


def reference_training_memory(vocab_size: int, embed_dim: int, optimizer: str = "adam",
                              dtype: torch.dtype = torch.float32, batch_size: int | None = None) -> dict[str, int]:
    """Bytes of weight, gradient, optimizer state and their total for ``sgd``, ``adam`` or ``sparse_adam``."""
    return training_memory(vocab_size, embed_dim, optimizer, dtype, batch_size)


DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


def _memory_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        V, D = int(torch.randint(1, 10_000_000, (), generator=g)), int(torch.randint(1, 1025, (), generator=g))
        optimizer = ["sgd", "adam", "sparse_adam"][int(torch.randint(3, (), generator=g))]
        dtype = DTYPES[int(torch.randint(len(DTYPES), (), generator=g))]
        batch_size = int(torch.randint(1, 10_000, (), generator=g))
        cases.append(Case(f"{optimizer}, V={V:,}, D={D}, {str(dtype).removeprefix('torch.')}, batch {batch_size:,}",
                          (V, D, optimizer, dtype, batch_size)))
    return cases


def check_training_memory(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``training_memory(vocab_size, embed_dim, optimizer, dtype, batch_size)``."""
    f32, bf16, f16 = torch.float32, torch.bfloat16, torch.float16
    cases = [
        Case("SGD, V=1,000, D=16, float32", (1_000, 16, "sgd", f32)),
        Case("Adam, V=50,000, D=768, float32", (50_000, 768, "adam", f32)),
        Case("Adam, V=10,000,000, D=128, bfloat16", (10_000_000, 128, "adam", bf16)),
        Case("SparseAdam, V=10,000,000, D=128, float32, batch 4,096", (10_000_000, 128, "sparse_adam", f32, 4_096)),
        Case("SparseAdam, V=1,000, D=16, float16, batch 64", (1_000, 16, "sparse_adam", f16, 64)),
        Case("SGD ignores batch_size", (500, 8, "sgd", bf16, 32)),
        Case("Adam ignores batch_size", (500, 8, "adam", f32, 32)),
        Case("unknown optimizer 'rmsprop' is rejected (ValueError)", (1_000, 16, "rmsprop", f32)),
        Case("vocab_size of 0 is rejected (ValueError)", (0, 16, "adam", f32)),
        Case("embed_dim of 0 is rejected (ValueError)", (1_000, 0, "adam", f32)),
        Case("SparseAdam without batch_size is rejected (ValueError)", (1_000, 16, "sparse_adam", f32)),
        Case("dtype given as a string is rejected (TypeError)", (1_000, 16, "adam", "float32")),
    ]
    return run_check("training_memory", fn, reference_training_memory, cases, strict=strict,
                     random_cases=_memory_random, seed=seed)


def reference_collision_rate(buckets: torch.Tensor) -> float:
    """The fraction of keys whose bucket holds at least one other key (0.0 for no keys)."""
    return collision_rate(buckets)


def _collision_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        shape = torch.randint(1, 8, (int(torch.randint(1, 3, (), generator=g)),), generator=g).tolist()
        num_buckets = int(torch.randint(1, 2 * math.prod(shape) + 1, (), generator=g))  # collisions likely
        buckets = torch.randint(num_buckets, shape, generator=g)
        if torch.rand((), generator=g) < 0.3:
            buckets = buckets.to(torch.int32)
        cases.append(Case(f"{buckets.numel()} keys in {num_buckets} buckets, {str(buckets.dtype)[6:]}, "
                          f"shape {tuple(buckets.shape)}",
                          (buckets,)))
    return cases


def check_collision_rate(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``collision_rate(buckets)`` (a Python float, exactly)."""
    t = torch.tensor
    cases = [
        Case("every key alone: 0.0", (t([0, 1, 2, 5]),)),
        Case("all keys in one bucket: 1.0", (t([3, 3, 3]),)),
        Case("one pair collides among four keys: 0.5", (t([0, 0, 1, 2]),)),
        Case("a triple and a pair among six keys", (t([3, 3, 3, 1, 1, 2]),)),
        Case("2,000 keys hashed into 2,000 buckets", (hash_buckets(range(2_000), 2_000),)),
        Case("a 2-D tensor of buckets", (t([[4, 1], [4, 0]]),)),
        Case("int32 buckets", (t([7, 7, 2], dtype=torch.int32),)),
        Case("no keys: 0.0", (t([], dtype=torch.long),)),
        Case("float buckets are rejected (TypeError)", (t([0.0, 1.0]),)),
        Case("a negative bucket is rejected (ValueError)", (t([0, -1]),)),
    ]
    return run_check("collision_rate", fn, reference_collision_rate, cases, strict=strict, exact=True,
                     random_cases=_collision_random, seed=seed)


def reference_route_ids(ids: torch.Tensor, vocab_size: int, world_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Owner rank and local row of every id, rows split in contiguous blocks of ``ceil(vocab_size / world_size)``."""
    return route_ids(ids, vocab_size, world_size)


def _lookup_through_shards(ids: torch.Tensor, vocab_size: int, world_size: int) -> Callable[[Callable], torch.Tensor]:
    """A case that splits a table into row-wise shards and reads every id through ``fn``'s routing."""
    def call(fn: Callable) -> torch.Tensor:
        table = torch.arange(vocab_size * 3, dtype=torch.float32).reshape(vocab_size, 3)   # (V, 3)
        shards = [table[slice(*shard_bounds(vocab_size, world_size, r))] for r in range(world_size)]
        owner, local = call_checked(fn, (ids, vocab_size, world_size))                     # (N,), (N,)
        rows = [shards[o][l] for o, l in zip(owner.tolist(), local.tolist())]
        return torch.stack(rows) if rows else table[:0]                                    # (N, 3)
    return call


def _route_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        V = int(torch.randint(1, 50, (), generator=g))
        W = int(torch.randint(1, V + 3, (), generator=g))
        shape = torch.randint(1, 6, (int(torch.randint(0, 3, (), generator=g)),), generator=g).tolist()
        ids = torch.randint(V, shape, generator=g)
        if torch.rand((), generator=g) < 0.3:
            ids = ids.to(torch.int32)
        processes = f"{W} process{'es' if W > 1 else ''}"
        cases.append(Case(f"V={V} over {processes}, {str(ids.dtype)[6:]} ids of shape {tuple(ids.shape)}",
                          (ids, V, W)))
    return cases


def check_route_ids(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``route_ids(ids, vocab_size, world_size)`` (int64 out, exactly), also through shards."""
    t = torch.tensor
    cases = [
        Case("V=10 over 2 processes", (t([0, 4, 5, 9]), 10, 2)),
        Case("V=10 over 3 processes (shards of 4, 4, 2)", (t([3, 4, 7, 8, 9]), 10, 3)),
        Case("one process owns every row", (t([6, 0, 2]), 7, 1)),
        Case("one row per process", (t([6, 0, 2]), 7, 7)),
        Case("a batch of sequences, shape (2, 2)", (t([[1, 10], [5, 6]]), 11, 3)),
        Case("int32 ids give int64 ranks and rows", (t([1, 8], dtype=torch.int32), 9, 2)),
        Case("no ids", (t([], dtype=torch.long), 9, 2)),
        Case("reads the same rows as the single table, V=11 over 3",
             call=_lookup_through_shards(t([10, 0, 3, 4, 7, 8, 3]), 11, 3)),
        Case("reads the same rows as the single table, V=100 over 7",
             call=_lookup_through_shards(torch.arange(100), 100, 7)),
        Case("id equal to vocab_size is rejected (ValueError)", (t([0, 10]), 10, 2)),
        Case("float ids are rejected (TypeError)", (t([1.0]), 10, 2)),
        Case("world_size of 0 is rejected (ValueError)", (t([1]), 10, 0)),
    ]
    return run_check("route_ids", fn, reference_route_ids, cases, strict=strict, exact=True,
                     random_cases=_route_random, seed=seed)
