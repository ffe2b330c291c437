"""Chapter 8 (optional): the chapter's pooled table sharded row-wise by TorchRec, against the course's own version.

TorchRec is not a course dependency. Run this in a throw-away environment
(torchrec 1.8.0 and fbgemm-gpu-cpu 1.8.0 are the releases built for torch
2.13; torchrec names the CUDA package ``fbgemm-gpu`` as its dependency, hence
``--no-deps``)::

    python3.11 -m venv /tmp/trec
    /tmp/trec/bin/pip install torch==2.13.0
    /tmp/trec/bin/pip install --no-deps torchrec==1.8.0 fbgemm-gpu-cpu==1.8.0
    /tmp/trec/bin/pip install tensordict torchmetrics==1.0.3 pyre-extensions tqdm psutil
    /tmp/trec/bin/python benchmarks/bench_sharding_torchrec.py [--world-sizes 2 3]

For each world size it runs, in gloo processes on 127.0.0.1, the same batch of
bags (sum pooling) through three tables that start from the same weights:
TorchRec's ``EmbeddingBagCollection`` sharded ``ROW_WISE`` by
``DistributedModelParallel``; the course's ``sharding.ShardedEmbeddingBag``;
and one ``nn.EmbeddingBag`` in this process. TorchRec fuses the optimizer into
the backward pass (FBGEMM's table-batched embedding kernels), so no gradient
tensor exists: the script gives it exact SGD with learning rate 1 and reads
the gradient back as ``weight before - weight after``. TorchRec divides the
embedding gradients by the number of processes by default (the averaging of
data parallelism); the script turns that off to compare sums with sums.
On CPU, TorchRec 1.8.0 offers data-parallel, table-wise, column-wise and
table-column-wise sharding; row-wise is offered for CUDA devices only. It prints the largest
differences of outputs and gradients and exits non-zero if any exceeds 1e-5.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # embcourse, without installing it
sys.path.insert(0, str(Path(__file__).resolve().parent))      # this module, for the spawned workers

from embcourse import sharding  # noqa: E402

VOCAB, DIM, BAGS = 23, 64, 6  # V not a multiple of 2 or 3; TorchRec wants the same batch size on every rank


def batch(rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``BAGS`` bags for ``rank``: the chapter's ``bags_for_rank`` cut to the same number of bags on every rank."""
    ids, offsets = sharding.bags_for_rank(rank, VOCAB, BAGS)
    return ids, offsets[:BAGS]


def torchrec_step(rank: int, world_size: int, sharding_type: str = "column_wise") -> dict:
    """Worker: TorchRec forward and backward (fused SGD, lr 1); outputs and the gradient of each local shard."""
    from fbgemm_gpu.split_embedding_configs import EmbOptimType
    from torchrec import EmbeddingBagCollection, EmbeddingBagConfig, KeyedJaggedTensor, PoolingType
    from torchrec.distributed.comm_ops import set_gradient_division
    from torchrec.distributed.embeddingbag import EmbeddingBagCollectionSharder
    from torchrec.distributed.model_parallel import DistributedModelParallel
    from torchrec.distributed.planner import EmbeddingShardingPlanner, ParameterConstraints, Topology
    from torchrec.distributed.types import ShardingType

    set_gradient_division(False)  # TorchRec's default divides by world_size, as data parallelism averages
    table = EmbeddingBagConfig(name="t", embedding_dim=DIM, num_embeddings=VOCAB, feature_names=["f"],
                               pooling=PoolingType.SUM)
    ebc = EmbeddingBagCollection(tables=[table], device=torch.device("meta"))
    sharder = EmbeddingBagCollectionSharder(
        fused_params={"optimizer": EmbOptimType.EXACT_SGD, "learning_rate": 1.0})
    planner = EmbeddingShardingPlanner(
        topology=Topology(world_size=world_size, compute_device="cpu"),
        constraints={"t": ParameterConstraints(sharding_types=[ShardingType(sharding_type).value],
                                               min_partition=DIM // 4)})  # column shards of 16
    plan = planner.collective_plan(ebc, [sharder], dist.GroupMember.WORLD)
    model = DistributedModelParallel(ebc, device=torch.device("cpu"), plan=plan, sharders=[sharder])
    full = sharding.demo_table(VOCAB, DIM)                                   # (V, D), as the course's workers
    weight = model.state_dict()["embedding_bags.t.weight"]                   # a ShardedTensor
    shards = []
    for shard in weight.local_shards():
        r0, c0 = shard.metadata.shard_offsets
        rows, cols = shard.metadata.shard_sizes
        shard.tensor.copy_(full[r0:r0 + rows, c0:c0 + cols])
        shards.append((r0, r0 + rows, c0, c0 + cols))
    before = [s.tensor.detach().clone() for s in weight.local_shards()]
    ids, offsets = batch(rank)
    lengths = torch.diff(offsets, append=torch.tensor([len(ids)]))           # (B,) ids per bag
    kjt = KeyedJaggedTensor.from_lengths_sync(keys=["f"], values=ids, lengths=lengths)
    out = model(kjt).to_dict()["f"]                                          # (B, D)
    (out * sharding.upstream_for(offsets, DIM, rank)).sum().backward()       # the update happens here
    grads = [b - s.tensor.detach() for b, s in zip(before, weight.local_shards())]  # lr 1: the gradient
    return {"out": out.detach(), "grads": grads, "shards": shards}


def course_step(rank: int, world_size: int) -> dict:
    """Worker: the course's ``ShardedEmbeddingBag`` on the same batch."""
    emb = sharding.ShardedEmbeddingBag(VOCAB, DIM, "sum", weight=sharding.demo_table(VOCAB, DIM))
    ids, offsets = batch(rank)
    out = emb(ids, offsets)                                                  # (B, D)
    (out * sharding.upstream_for(offsets, DIM, rank)).sum().backward()
    return {"out": out.detach(), "grads": [emb.weight.grad], "shards": [(emb.start, emb.stop, 0, DIM)]}


def reference(world_size: int) -> dict:
    """One ``nn.EmbeddingBag`` in this process, every rank's batch."""
    emb = torch.nn.EmbeddingBag.from_pretrained(sharding.demo_table(VOCAB, DIM), freeze=False, mode="sum")
    outs, loss = [], 0.0
    for rank in range(world_size):
        ids, offsets = batch(rank)
        outs.append(emb(ids, offsets))
        loss = loss + (outs[-1] * sharding.upstream_for(offsets, DIM, rank)).sum()
    loss.backward()
    return {"outs": [o.detach() for o in outs], "grad": emb.weight.grad}


def diff(results: list[dict], ref: dict) -> tuple[float, float]:
    """Largest differences of outputs and of every shard's gradient from the one ``nn.EmbeddingBag``."""
    out = max((r["out"] - o).abs().max().item() for r, o in zip(results, ref["outs"]))
    grad, covered = 0.0, torch.zeros(VOCAB, DIM, dtype=torch.int)
    for r in results:
        for (r0, r1, c0, c1), g in zip(r["shards"], r["grads"]):
            grad = max(grad, (g - ref["grad"][r0:r1, c0:c1]).abs().max().item() if g.numel() else 0.0)
            covered[r0:r1, c0:c1] += 1
    if not bool((covered == 1).all()):
        raise AssertionError("the shards do not cover the table exactly once")
    return out, grad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world-sizes", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--sharding", nargs="+", default=["column_wise", "table_wise"],
                        help="TorchRec sharding types (row_wise is offered on CUDA only)")
    args = parser.parse_args()
    import bench_sharding_torchrec as me  # importable by name, so that spawned workers can run its functions
    from importlib.metadata import version
    print(f"torch {torch.__version__}, torchrec {version('torchrec')}, fbgemm-gpu-cpu {version('fbgemm-gpu-cpu')}, "
          f"V={VOCAB}, D={DIM}, {BAGS} bags per rank, sum pooling")
    worst = 0.0
    for world_size in args.world_sizes:
        ref = reference(world_size)
        runs = [(f"TorchRec {kind}", me.torchrec_step, (kind,)) for kind in args.sharding]
        for name, fn, fn_args in runs + [("course row-wise", me.course_step, ())]:
            results = sharding.run_processes(fn, world_size, args=fn_args, timeout=300)
            out, grad = diff(results, ref)
            worst = max(worst, out, grad)
            held = [[f"rows {a}-{b}, cols {c}-{d}" for a, b, c, d in r["shards"]] for r in results]
            print(f"{world_size} processes, {name}: shards per rank {held}")
            print(f"    largest difference from nn.EmbeddingBag: output {out:.1e}, gradient {grad:.1e}")
    print("all equal within 1e-5" if worst <= 1e-5 else f"DIFFERENCE {worst:.1e} exceeds 1e-5")
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
