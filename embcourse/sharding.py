"""A row-wise sharded embedding table over ``torch.distributed`` (gloo, CPU), and a launcher (chapter 8).

With ``world_size`` processes, process ``rank`` owns the contiguous block of
rows :func:`shard_bounds` gives it. A lookup (:class:`ShardedEmbedding`):

1. routes each id to the process that owns its row (:func:`route_ids`);
2. sends each owner the local row numbers it must read (``all_to_all_single``,
   which gloo supports with uneven splits);
3. owners read those rows and send the vectors back the same way;
4. in the backward pass, the gradient of each vector travels back to its
   owner, which adds it into the gradient of its own rows.

:func:`run_processes` starts ``world_size`` worker processes on 127.0.0.1 from
any Python session (a notebook included), returns each rank's result, and
never leaves a process behind: on an error or a timeout it terminates the
others. Worker functions must be importable (defined in a module, not in a
notebook), because the workers are started with the ``spawn`` method.
"""

from __future__ import annotations

import math
import os
import pickle
import queue as queue_mod
import socket
import time
import traceback
from datetime import timedelta
from typing import Any, Callable

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn


def _check_sizes(vocab_size: int, world_size: int) -> None:
    for name, value in (("vocab_size", vocab_size), ("world_size", world_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def rows_per_shard(vocab_size: int, world_size: int) -> int:
    """Chapter 8: rows in every shard but possibly the last, ``ceil(vocab_size / world_size)``."""
    _check_sizes(vocab_size, world_size)
    return math.ceil(vocab_size / world_size)


def shard_bounds(vocab_size: int, world_size: int, rank: int) -> tuple[int, int]:
    """Chapter 8: the rows ``[start, stop)`` owned by ``rank`` under row-wise sharding."""
    if not isinstance(rank, int) or not 0 <= rank < world_size:
        raise ValueError(f"rank must be an int in [0, {world_size}), got {rank!r}")
    size = rows_per_shard(vocab_size, world_size)
    return min(rank * size, vocab_size), min((rank + 1) * size, vocab_size)


def route_ids(ids: torch.Tensor, vocab_size: int, world_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Chapter 8: for each id, its owner's rank and its row number inside the owner's shard (same shape as ``ids``)."""
    _check_sizes(vocab_size, world_size)
    if not isinstance(ids, torch.Tensor) or ids.dtype not in (torch.int32, torch.int64):
        raise TypeError(f"ids must be an int64 or int32 tensor, got {getattr(ids, 'dtype', type(ids).__name__)}")
    if ids.numel() and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids must lie in [0, {vocab_size}), got values from {ids.min().item()} to {ids.max().item()}")
    size = rows_per_shard(vocab_size, world_size)
    owner = ids.long() // size            # (*ids.shape,)
    return owner, ids.long() - owner * size


def _exchange(x: torch.Tensor, send_counts: list[int], recv_counts: list[int]) -> torch.Tensor:
    """Send ``x[rows for rank r]`` to every rank r; return what every rank sent here, in rank order."""
    out = x.new_empty((sum(recv_counts), *x.shape[1:]))  # (sum(recv), ...)
    dist.all_to_all_single(out, x.contiguous(), output_split_sizes=recv_counts, input_split_sizes=send_counts)
    return out


class _ShardedLookup(torch.autograd.Function):
    """Forward: route ids to owners and gather their rows. Backward: send row gradients back to the owners."""

    @staticmethod
    def forward(ctx, ids: torch.Tensor, local_weight: torch.Tensor, vocab_size: int) -> torch.Tensor:
        world = dist.get_world_size()
        owner, local = route_ids(ids.reshape(-1), vocab_size, world)        # (N,), (N,)
        order = torch.argsort(owner, stable=True)                           # (N,) group requests by owner
        send = torch.bincount(owner, minlength=world)                       # (world,) ids sent to each rank
        recv = torch.empty_like(send)
        dist.all_to_all_single(recv, send)                                  # ids each rank asks of us
        send_counts, recv_counts = send.tolist(), recv.tolist()
        asked = _exchange(local[order], send_counts, recv_counts)           # (M,) our rows others want
        rows = _exchange(local_weight.detach()[asked], recv_counts, send_counts)  # (N, D) in owner order
        out = torch.empty_like(rows)
        out[order] = rows                                                   # (N, D) back in the ids' order
        ctx.save_for_backward(order, asked)
        ctx.counts, ctx.shape = (send_counts, recv_counts), local_weight.shape
        return out.reshape(*ids.shape, local_weight.shape[1])               # (*ids.shape, D)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        order, asked = ctx.saved_tensors
        send_counts, recv_counts = ctx.counts
        grad_rows = grad_out.reshape(-1, ctx.shape[1])[order]               # (N, D) in owner order
        received = _exchange(grad_rows, send_counts, recv_counts)           # (M, D) gradients of our rows
        grad_weight = torch.zeros(ctx.shape, dtype=grad_out.dtype)          # (rows in shard, D)
        grad_weight.index_add_(0, asked, received)                          # repeated ids add up
        return None, grad_weight, None


class ShardedEmbedding(nn.Module):
    """Chapter 8: an embedding table split row-wise over the processes of the default process group."""

    def __init__(self, vocab_size: int, embed_dim: int, weight: torch.Tensor | None = None) -> None:
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError("ShardedEmbedding needs torch.distributed.init_process_group() first")
        self.vocab_size, self.embed_dim = vocab_size, embed_dim
        self.start, self.stop = shard_bounds(vocab_size, dist.get_world_size(), dist.get_rank())
        if weight is None:
            local = torch.randn(self.stop - self.start, embed_dim)                 # (rows in shard, D)
        else:
            if weight.shape != (vocab_size, embed_dim):
                raise ValueError(f"weight must have shape ({vocab_size}, {embed_dim}), got {tuple(weight.shape)}")
            local = weight.detach()[self.start:self.stop].clone()                  # only our rows are kept
        self.weight = nn.Parameter(local)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return _ShardedLookup.apply(ids, self.weight, self.vocab_size)             # (*ids.shape, D)


def free_port() -> int:
    """Chapter 8: a TCP port on 127.0.0.1 that is free right now (the operating system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world_size: int, port: int, fn: Callable, args: tuple, results: Any,
            timeout: float) -> None:
    """Body of one worker process: join the group, run ``fn(rank, world_size, *args)``, report, leave."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), GLOO_SOCKET_IFNAME="lo")
    torch.set_num_threads(1)
    try:
        dist.init_process_group("gloo", rank=rank, world_size=world_size,
                                timeout=timedelta(seconds=timeout))
        # pickled here by value: torch's queue would share tensors through memory this process frees on exit
        results.put((rank, "ok", pickle.dumps(fn(rank, world_size, *args))))
    except BaseException:  # report every failure to the parent, which stops the others
        results.put((rank, "error", traceback.format_exc()))
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _stop(procs: list) -> None:
    """Terminate, then kill, every process still alive, and reap them all."""
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
            p.join()


def run_processes(fn: Callable, world_size: int = 2, args: tuple = (), timeout: float = 60.0) -> list:
    """Chapter 8: run ``fn(rank, world_size, *args)`` in ``world_size`` gloo processes; return the results by rank.

    Raises ``RuntimeError`` with the worker's traceback when one fails, and
    ``TimeoutError`` when they do not all finish within ``timeout`` seconds; in
    every case no worker is left running.
    """
    if not isinstance(world_size, int) or isinstance(world_size, bool) or world_size < 1:
        raise ValueError(f"world_size must be a positive int, got {world_size!r}")
    if not callable(fn) or getattr(fn, "__module__", "__main__") == "__main__":
        raise ValueError("fn must be a function defined in an importable module (workers are spawned), "
                         f"got {fn!r}")
    ctx = mp.get_context("spawn")
    results, port = ctx.Queue(), free_port()
    procs = [ctx.Process(target=_worker, args=(r, world_size, port, fn, args, results, timeout), daemon=True)
             for r in range(world_size)]
    out: dict[int, Any] = {}
    try:
        for p in procs:
            p.start()
        deadline = time.monotonic() + timeout
        while len(out) < world_size:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"workers did not finish within {timeout} s (done: ranks {sorted(out)})")
            try:
                rank, status, payload = results.get(timeout=min(left, 0.2))
            except queue_mod.Empty:
                dead = [r for r, p in enumerate(procs) if r not in out and p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"worker rank {dead[0]} died with exit code {procs[dead[0]].exitcode}")
                continue
            if status == "error":
                raise RuntimeError(f"worker rank {rank} failed:\n{payload}")
            out[rank] = pickle.loads(payload)
        for p in procs:
            p.join(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        _stop(procs)
        results.close()
        results.join_thread()
    return [out[r] for r in range(world_size)]


# Worker functions (importable, so that spawned processes can run them).

def batch_for_rank(rank: int, vocab_size: int, batch_size: int, seed: int = 0) -> torch.Tensor:
    """Chapter 8: the ids rank ``rank`` looks up in the demo: ``batch_size + rank`` ids, reproducible from the seed."""
    gen = torch.Generator().manual_seed(seed + 1000 + rank)
    return torch.randint(vocab_size, (batch_size + rank,), generator=gen)  # (B + rank,)


def demo_table(vocab_size: int, embed_dim: int, seed: int = 0) -> torch.Tensor:
    """Chapter 8: the full table every process starts from (each keeps only its own rows)."""
    return torch.randn(vocab_size, embed_dim, generator=torch.Generator().manual_seed(seed))  # (V, D)


def upstream_for(ids: torch.Tensor, embed_dim: int, rank: int, seed: int = 0) -> torch.Tensor:
    """Chapter 8: a fixed upstream gradient for rank ``rank``'s output (what a loss would send back)."""
    gen = torch.Generator().manual_seed(seed + 2000 + rank)
    return torch.randn(*ids.shape, embed_dim, generator=gen)  # (*ids.shape, D)


def sharded_step(rank: int, world_size: int, vocab_size: int = 50, embed_dim: int = 8,
                 batch_size: int = 16, seed: int = 0) -> dict:
    """Chapter 8 worker: one sharded forward and backward; returns this rank's ids, outputs, shard and its gradient."""
    emb = ShardedEmbedding(vocab_size, embed_dim, weight=demo_table(vocab_size, embed_dim, seed))
    ids = batch_for_rank(rank, vocab_size, batch_size, seed)                  # (B_r,)
    out = emb(ids)                                                            # (B_r, D)
    (out * upstream_for(ids, embed_dim, rank, seed)).sum().backward()
    return {"rank": rank, "pid": os.getpid(), "start": emb.start, "stop": emb.stop, "ids": ids,
            "out": out.detach(), "grad": emb.weight.grad, "shard_bytes": emb.weight.nbytes}


def single_process_step(world_size: int, vocab_size: int = 50, embed_dim: int = 8, batch_size: int = 16,
                        seed: int = 0) -> dict:
    """Chapter 8: the same step as :func:`sharded_step` on all ranks, done by one ``nn.Embedding`` in this process."""
    emb = nn.Embedding.from_pretrained(demo_table(vocab_size, embed_dim, seed), freeze=False)
    outs, loss = [], 0.0
    for rank in range(world_size):
        ids = batch_for_rank(rank, vocab_size, batch_size, seed)              # (B_r,)
        outs.append(emb(ids))                                                 # (B_r, D)
        loss = loss + (outs[-1] * upstream_for(ids, embed_dim, rank, seed)).sum()
    loss.backward()
    return {"outs": [o.detach() for o in outs], "grad": emb.weight.grad}      # grad: (V, D)


def compare_sharded(results: list[dict], reference: dict) -> dict[str, float]:
    """Chapter 8: largest differences between the sharded step's outputs/gradients and the single-process ones."""
    out_diff = max((r["out"] - o).abs().max().item() for r, o in zip(results, reference["outs"]))
    grad = torch.cat([r["grad"] for r in results])                           # (V, D) shards in rank order
    return {"max_out_diff": out_diff, "max_grad_diff": (grad - reference["grad"]).abs().max().item()}


def fail_on_rank(rank: int, world_size: int, bad_rank: int = 1) -> int:
    """Test helper: rank ``bad_rank`` raises while the others wait in a collective."""
    if rank == bad_rank:
        raise ValueError(f"rank {rank} fails on purpose")
    dist.barrier()
    return rank


def sleep_for(rank: int, world_size: int, seconds: float = 30.0) -> int:
    """Test helper: every rank sleeps (so that a short ``timeout`` expires)."""
    time.sleep(seconds)
    return os.getpid()
