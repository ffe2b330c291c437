"""Embedding lookup vs one-hot matrix product: forward+backward time and peak memory as the vocabulary grows.

Usage: python benchmarks/bench_lookup.py [--vocab-sizes 100 1000 10000 100000 200000]
                                         [--batch-size 128] [--embed-dim 64] [--repeats 5] [--threads 1]

The same measurement as chapter 2's sweep (``embcourse.lookup.sweep``): for each
vocabulary size V, one forward and backward pass through ``one_hot(ids) @ W``,
through ``F.embedding`` with a dense gradient (the ``nn.Embedding`` default) and
with a sparse gradient (``sparse=True``). Time is the median of ``--repeats``
runs after a warm-up; peak memory is the largest total of tensor storage that
PyTorch's operations allocated at once during one pass (``PeakMemory``: tensor
allocations only, not the process's resident memory), printed next to the
arithmetic from the shapes. It then prints, for V = 100,000 (when swept), how
many times faster and smaller the lookup is, the lookup's effective bandwidth
(random and contiguous ids) against a plain copy of as many bytes, and the hardware. ``--threads 1`` (the
default) matches the notebooks, which run with OMP_NUM_THREADS=1.
"""

from __future__ import annotations

import argparse

import torch

from embcourse.lookup import METHODS, bandwidth, sweep
from embcourse.utils import hardware


def print_table(rows: list[dict]) -> None:
    """One line per (vocab_size, method): measured time and memory, then the arithmetic."""
    print(f"{'V':>8}  {'method':<21} {'time (ms)':>10} {'peak MB':>10} {'arith. MB':>10} {'GFLOP':>8}")
    for r in rows:
        print(f"{r['vocab_size']:>8}  {r['method']:<21} {1e3 * r['seconds']:>10.3f} "
              f"{r['peak_bytes'] / 1e6:>10.3f} {r['bytes'] / 1e6:>10.3f} {r['flops'] / 1e9:>8.3f}")


def print_ratios(rows: list[dict], vocab_size: int) -> None:
    """How many times faster (forward+backward) and smaller (peak memory) each lookup is than one-hot @ W."""
    at = {r["method"]: r for r in rows if r["vocab_size"] == vocab_size}
    if set(at) != set(METHODS):
        return
    hot = at["one-hot @ W"]
    print(f"\nAt V = {vocab_size:,} (one forward+backward pass):")
    for method in METHODS[1:]:
        speed = hot["seconds"] / at[method]["seconds"]
        memory = hot["peak_bytes"] / at[method]["peak_bytes"]
        print(f"  {method}: {speed:,.0f}x faster, {memory:,.1f}x less peak memory than one-hot @ W")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab-sizes", type=int, nargs="+", default=[100, 1_000, 10_000, 100_000, 200_000])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--embed-dim", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the notebooks use 1)")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    print(f"batch_size = {args.batch_size}, embed_dim = {args.embed_dim}, float32, median of {args.repeats}\n")
    rows = sweep(args.vocab_sizes, args.batch_size, args.embed_dim, args.repeats)
    print_table(rows)
    print_ratios(rows, 100_000)
    bw = bandwidth(vocab_size=100_000, embed_dim=args.embed_dim, repeats=args.repeats)
    print(f"\nEffective bandwidth, {bw['bytes'] / 1e6:.1f} MB read+written: lookup of random ids "
          f"{bw['lookup_gb_s']:.1f} GB/s, of contiguous ids {bw['contiguous_gb_s']:.1f} GB/s, "
          f"plain copy {bw['copy_gb_s']:.1f} GB/s")
    print("measured on:", hardware())


if __name__ == "__main__":
    main()
