"""Chapter 8's row-wise sharded embedding, run in real gloo processes."""

import psutil
import pytest
import torch

from embcourse.sharding import (compare_sharded, fail_on_rank, route_ids, run_processes, shard_bounds,
                                sharded_step, single_process_step, sleep_for)


def _children() -> set[int]:
    """Pids of this process's children, apart from Python's own multiprocessing resource tracker."""
    return {c.pid for c in psutil.Process().children(recursive=True)
            if "resource_tracker" not in " ".join(c.cmdline())}


@pytest.fixture
def no_process_left_behind():
    """Fail the test when it leaves a child process running that was not there before."""
    before = _children()
    yield
    assert _children() - before == set()


def test_shard_bounds_cover_every_row_once():
    for V, W in [(10, 3), (7, 7), (5, 8), (100, 1)]:
        bounds = [shard_bounds(V, W, r) for r in range(W)]
        rows = [i for a, b in bounds for i in range(a, b)]
        assert rows == list(range(V))


def test_route_ids_reads_the_same_rows_as_one_table():
    table = torch.randn(11, 4)
    shards = [table[slice(*shard_bounds(11, 3, r))] for r in range(3)]
    ids = torch.tensor([[10, 0, 3], [4, 7, 8]])
    owner, local = route_ids(ids, 11, 3)
    assert owner.shape == local.shape == ids.shape
    got = torch.stack([shards[o][l] for o, l in zip(owner.reshape(-1).tolist(), local.reshape(-1).tolist())])
    assert torch.equal(got, table[ids.reshape(-1)])


@pytest.mark.parametrize("bad", [torch.tensor([11]), torch.tensor([-1])])
def test_route_ids_rejects_ids_outside_the_table(bad):
    with pytest.raises(ValueError):
        route_ids(bad, 11, 3)


@pytest.mark.parametrize("world_size", [2, 3])
def test_sharded_forward_and_gradient_equal_one_nn_embedding(world_size, no_process_left_behind):
    args = (23, 5, 12, 0)  # vocab_size (not a multiple of 2 or 3), embed_dim, batch_size, seed
    results = run_processes(sharded_step, world_size, args=args, timeout=120)
    diff = compare_sharded(results, single_process_step(world_size, *args))
    assert diff["max_out_diff"] <= 1e-6 and diff["max_grad_diff"] <= 1e-5
    assert [r["rank"] for r in results] == list(range(world_size))
    assert results[-1]["stop"] == 23 and all(r["grad"].abs().sum() > 0 for r in results)
    assert all(not psutil.pid_exists(r["pid"]) for r in results)


def test_a_failing_worker_raises_and_leaves_no_process(no_process_left_behind):
    with pytest.raises(RuntimeError, match="fails on purpose"):
        run_processes(fail_on_rank, 2, timeout=120)


def test_a_timeout_raises_and_leaves_no_process(no_process_left_behind):
    with pytest.raises(TimeoutError):
        run_processes(sleep_for, 2, args=(60.0,), timeout=5)


def test_run_processes_rejects_functions_it_cannot_spawn():
    def local(rank, world_size):
        return rank
    local.__module__ = "__main__"
    with pytest.raises(ValueError, match="importable module"):
        run_processes(local, 2)
    with pytest.raises(ValueError, match="world_size"):
        run_processes(sharded_step, 0)
