"""A row-wise sharded embedding table over ``torch.distributed`` (gloo, CPU), and a launcher (chapter 8).

With ``world_size`` processes, process ``rank`` owns the contiguous block of
rows :func:`shard_bounds` gives it. A lookup (:class:`ShardedEmbedding`):

1. routes each id to the process that owns its row (:func:`route_ids`);
2. sends each owner the local row numbers it must read (``all_to_all_single``,
   which gloo supports with uneven splits);
3. owners read those rows and send the vectors back the same way;
4. in the backward pass, the gradient of each vector travels back to its
   owner, which adds it into the gradient of its own rows.

:class:`ShardedEmbeddingBag` is the pooled version (``nn.EmbeddingBag``, sum
or mean): owners add up the rows of each bag they hold into partial sums, and
a reduce-scatter adds the partial sums of every bag and hands each rank its
own bags; the backward pass all-gathers the bags' gradients.

:func:`run_processes` starts ``world_size`` worker processes on 127.0.0.1 from
any Python session (a notebook included), returns each rank's result, and
never leaves a process behind: on an error or a timeout it terminates the
others, and a worker whose parent dies (even by ``SIGKILL``) exits by itself.
Worker functions must be importable (defined in a module, not in a
notebook), because the workers are started with the ``spawn`` method: each
worker is a fresh interpreter that imports ``fn`` by its module and name.
Every process must run the same collectives in the same order, so every
process must also call ``backward()``: one that skips it leaves the others
waiting in the backward exchange.
"""

from __future__ import annotations

import math
import os
import pickle
import platform
import queue as queue_mod
import socket
import threading
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


def bag_of_each_id(offsets: torch.Tensor, num_ids: int) -> torch.Tensor:
    """Chapter 8: for ``nn.EmbeddingBag``-style ``offsets`` (where each bag starts), the bag of each of ``num_ids`` ids."""
    if not isinstance(offsets, torch.Tensor) or offsets.dim() != 1 or offsets.dtype not in (torch.int32, torch.int64):
        raise TypeError(f"offsets must be a 1-D integer tensor, got {getattr(offsets, 'dtype', type(offsets))}")
    offsets = offsets.long()
    if len(offsets) and (offsets[0] != 0 or (offsets.diff() < 0).any() or offsets[-1] > num_ids):
        raise ValueError(f"offsets must start at 0, never decrease and stay <= {num_ids} (the number of "
                         f"ids), got {offsets.tolist()}")
    lengths = torch.diff(offsets, append=torch.tensor([num_ids]))   # (B,) ids per bag
    return torch.repeat_interleave(torch.arange(len(offsets)), lengths)  # (N,)


class _ShardedBagLookup(torch.autograd.Function):
    """Forward: owners sum their rows of each bag; a reduce-scatter adds the partial sums. Backward: all-gather."""

    @staticmethod
    def forward(ctx, ids: torch.Tensor, bags: torch.Tensor, local_weight: torch.Tensor, vocab_size: int,
                bag_counts: list[int]) -> torch.Tensor:
        rank, world = dist.get_rank(), dist.get_world_size()
        first, D = sum(bag_counts[:rank]), local_weight.shape[1]       # our bags' place in the global batch
        owner, local = route_ids(ids, vocab_size, world)               # (N,), (N,)
        order = torch.argsort(owner, stable=True)
        send = torch.bincount(owner, minlength=world)                  # (world,)
        recv = torch.empty_like(send)
        dist.all_to_all_single(recv, send)
        send_counts, recv_counts = send.tolist(), recv.tolist()
        pairs = torch.stack([local, bags + first], dim=1)[order]       # (N, 2): row, global bag
        asked = _exchange(pairs, send_counts, recv_counts)             # (M, 2) our rows, their bags
        partial = local_weight.new_zeros(sum(bag_counts), D)           # (all bags, D)
        partial.index_add_(0, asked[:, 1], local_weight.detach()[asked[:, 0]])
        # reduce-scatter: bags of rank r go to rank r, which adds the W partial sums
        mine = _exchange(partial, bag_counts, [bag_counts[rank]] * world)  # (W * B, D)
        ctx.save_for_backward(asked)
        ctx.bag_counts, ctx.shape = bag_counts, local_weight.shape
        return mine.reshape(world, bag_counts[rank], D).sum(0)         # (B, D)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        (asked,) = ctx.saved_tensors
        world, B = dist.get_world_size(), grad_out.shape[0]
        # all-gather: every owner needs the gradient of every bag its rows went into
        every = _exchange(grad_out.repeat(world, 1), [B] * world, ctx.bag_counts)  # (all bags, D)
        grad_weight = torch.zeros(ctx.shape, dtype=grad_out.dtype)     # (rows in shard, D)
        grad_weight.index_add_(0, asked[:, 0], every[asked[:, 1]])
        return None, None, grad_weight, None, None


class ShardedEmbeddingBag(ShardedEmbedding):
    """Chapter 8: ``nn.EmbeddingBag`` (``mode`` sum or mean, 1-D ids with offsets) split row-wise over the processes."""

    def __init__(self, vocab_size: int, embed_dim: int, mode: str = "sum",
                 weight: torch.Tensor | None = None) -> None:
        if mode not in ("sum", "mean"):
            raise ValueError(f"mode must be 'sum' or 'mean', got {mode!r}")
        super().__init__(vocab_size, embed_dim, weight)
        self.mode = mode

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        if ids.dim() != 1:
            raise ValueError(f"ids must be 1-D with offsets, as in nn.EmbeddingBag; got shape {tuple(ids.shape)}")
        bags = bag_of_each_id(offsets, len(ids))                       # (N,)
        counts = [torch.zeros(1, dtype=torch.long) for _ in range(dist.get_world_size())]
        dist.all_gather(counts, torch.tensor([len(offsets)]))          # every rank's number of bags
        out = _ShardedBagLookup.apply(ids, bags, self.weight, self.vocab_size,
                                      [int(c) for c in counts])        # (B, D) sums
        if self.mode == "mean":
            sizes = torch.bincount(bags, minlength=len(offsets))       # (B,) ids per bag
            out = out / sizes.clamp_min(1).unsqueeze(1)                 # an empty bag stays 0
        return out


def free_port() -> int:
    """Chapter 8: a TCP port on 127.0.0.1 that is free right now (the operating system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loopback_interface(system: str | None = None, names: list[str] | None = None) -> str | None:
    """Chapter 8: the loopback interface gloo should use: ``lo`` on Linux, ``lo0`` on macOS and BSD.

    ``names`` are the machine's interface names (``socket.if_nameindex()`` by
    default); an interface called ``lo`` or ``lo0`` wins, else the platform
    decides (``system`` as ``platform.system()`` spells it). ``None`` means
    "leave gloo's choice alone" (Windows).
    """
    if names is None:
        try:
            names = [name for _, name in socket.if_nameindex()]
        except (OSError, AttributeError):  # not every platform lists its interfaces
            names = []
    found = [n for n in ("lo", "lo0") if n in names]
    if len(found) == 1:
        return found[0]
    system = platform.system() if system is None else system
    if system == "Linux":
        return "lo"
    if system == "Darwin" or system.endswith("BSD"):
        return "lo0"
    return None


def _exit_with_parent() -> None:
    """Start a daemon thread that ends this worker as soon as its parent process is gone.

    ``multiprocessing`` gives a spawned child a sentinel, one end of a pipe whose
    other end only the parent holds; the operating system closes it when the
    parent dies, however it dies, and the wait returns (Linux, macOS, Windows).
    """
    parent = mp.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()   # returns when the parent's end of the pipe closes
        os._exit(70)    # no clean-up: the parent that would collect results is gone
    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _worker(rank: int, world_size: int, port: int, fn: Callable, args: tuple, results: Any,
            timeout: float) -> None:
    """Body of one worker process: join the group, run ``fn(rank, world_size, *args)``, report, leave."""
    _exit_with_parent()
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    iface = loopback_interface()
    if iface is not None and "GLOO_SOCKET_IFNAME" not in os.environ:
        os.environ["GLOO_SOCKET_IFNAME"] = iface
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
    procs = [p for p in procs if p.pid is not None]  # a process that never started has nothing to stop
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
        for rank, p in enumerate(procs):
            try:
                p.start()
            except Exception as e:  # pickling fn or args happens here, in the parent
                raise RuntimeError(
                    f"could not start worker rank {rank}: {type(e).__name__}: {e}. Spawned workers "
                    "receive fn and args pickled: fn must be a module-level function and every "
                    "argument picklable (no lambda, no local function, no open file)") from e
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
                    raise RuntimeError(
                        f"worker rank {dead[0]} died with exit code {procs[dead[0]].exitcode} before "
                        "reporting; its traceback is on standard error. At start-up this usually means "
                        "the script that calls run_processes has no `if __name__ == \"__main__\":` "
                        "guard (each spawned worker imports the script again), or fn's module "
                        "cannot be imported in a fresh interpreter")
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


def bags_for_rank(rank: int, vocab_size: int, num_bags: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Chapter 8: ``(ids, offsets)`` of rank ``rank``'s ``num_bags + rank`` bags of 0 to 5 ids; the second bag is empty."""
    gen = torch.Generator().manual_seed(seed + 3000 + rank)
    lengths = torch.randint(6, (num_bags + rank,), generator=gen)            # (B_r,) ids per bag
    if len(lengths) > 1:
        lengths[1] = 0                                                       # nn.EmbeddingBag gives zeros
    offsets = torch.cumsum(lengths, 0) - lengths                             # (B_r,) where each bag starts
    ids = torch.randint(vocab_size, (int(lengths.sum()),), generator=gen)    # (N_r,)
    return ids, offsets


def sharded_bag_step(rank: int, world_size: int, vocab_size: int = 50, embed_dim: int = 8,
                     num_bags: int = 6, mode: str = "sum", seed: int = 0) -> dict:
    """Chapter 8 worker: one pooled sharded forward and backward; this rank's bags, outputs, shard and gradient."""
    emb = ShardedEmbeddingBag(vocab_size, embed_dim, mode, weight=demo_table(vocab_size, embed_dim, seed))
    ids, offsets = bags_for_rank(rank, vocab_size, num_bags, seed)           # (N_r,), (B_r,)
    out = emb(ids, offsets)                                                   # (B_r, D)
    (out * upstream_for(offsets, embed_dim, rank, seed)).sum().backward()     # every rank calls backward
    return {"rank": rank, "pid": os.getpid(), "start": emb.start, "stop": emb.stop, "ids": ids,
            "offsets": offsets, "out": out.detach(), "grad": emb.weight.grad}


def single_process_bag_step(world_size: int, vocab_size: int = 50, embed_dim: int = 8, num_bags: int = 6,
                            mode: str = "sum", seed: int = 0) -> dict:
    """Chapter 8: the same step as :func:`sharded_bag_step` on all ranks, by one ``nn.EmbeddingBag`` here."""
    emb = nn.EmbeddingBag.from_pretrained(demo_table(vocab_size, embed_dim, seed), freeze=False, mode=mode)
    outs, loss = [], 0.0
    for rank in range(world_size):
        ids, offsets = bags_for_rank(rank, vocab_size, num_bags, seed)
        outs.append(emb(ids, offsets))                                        # (B_r, D)
        loss = loss + (outs[-1] * upstream_for(offsets, embed_dim, rank, seed)).sum()
    loss.backward()
    return {"outs": [o.detach() for o in outs], "grad": emb.weight.grad}      # grad: (V, D)


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
