"""Chapter 8's row-wise sharded embedding, run in real gloo processes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import torch

from embcourse.sharding import (ShardedEmbeddingBag, bag_of_each_id, bags_for_rank, compare_sharded,
                                fail_on_rank, loopback_interface, route_ids, run_processes, shard_bounds,
                                sharded_bag_step, sharded_step, single_process_bag_step, single_process_step,
                                sleep_for)

ROOT = Path(__file__).resolve().parents[1]


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


@pytest.mark.parametrize("world_size, mode", [(2, "sum"), (3, "sum"), (3, "mean")])
def test_pooled_sharded_forward_and_gradient_equal_one_nn_embedding_bag(world_size, mode, no_process_left_behind):
    args = (23, 5, 6, mode, 0)  # vocab_size, embed_dim, bags per rank (plus rank), mode, seed
    results = run_processes(sharded_bag_step, world_size, args=args, timeout=120)
    diff = compare_sharded(results, single_process_bag_step(world_size, *args))
    assert diff["max_out_diff"] <= 1e-5 and diff["max_grad_diff"] <= 1e-5
    assert [len(r["offsets"]) for r in results] == [6 + r for r in range(world_size)]  # uneven batches
    assert all(torch.equal(r["out"][1], torch.zeros(5)) for r in results)  # the empty bag pools to zeros
    assert all(r["grad"].abs().sum() > 0 for r in results)


def test_bag_of_each_id_follows_the_offsets():
    assert bag_of_each_id(torch.tensor([0, 2, 2, 5]), 6).tolist() == [0, 0, 2, 2, 2, 3]
    ids, offsets = bags_for_rank(0, 50, 4)
    assert len(bag_of_each_id(offsets, len(ids))) == len(ids)
    for bad in (torch.tensor([1, 2]), torch.tensor([0, 3, 2]), torch.tensor([0, 9])):
        with pytest.raises(ValueError, match="offsets"):
            bag_of_each_id(bad, 6)
    with pytest.raises(TypeError):
        bag_of_each_id(torch.tensor([0.0]), 6)
    with pytest.raises(ValueError, match="mode"):
        ShardedEmbeddingBag(10, 4, mode="max")


def _workers_of(pid: int, count: int, within: float = 60.0) -> list[psutil.Process]:
    """The worker processes started under ``pid`` (waits until ``count`` of them exist)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        workers = [c for c in psutil.Process(pid).children(recursive=True)
                   if "resource_tracker" not in " ".join(c.cmdline())]
        if len(workers) >= count:
            return workers
        time.sleep(0.2)
    raise AssertionError(f"{count} workers did not start within {within} s")


def test_workers_exit_when_their_parent_is_killed():
    code = ("from embcourse.sharding import run_processes, sleep_for\n"
            "run_processes(sleep_for, 2, args=(300.0,), timeout=600)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    try:
        workers = _workers_of(parent.pid, 2)
        time.sleep(1.0)  # let them reach fn
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    for p in alive:
        p.kill()
    assert alive == [], f"workers {[p.pid for p in alive]} outlived their killed parent"


def test_an_unpicklable_argument_is_named_in_the_error(no_process_left_behind):
    with pytest.raises(RuntimeError, match=r"could not start worker rank 0: \w+: Can.t pickle .*lambda"):
        run_processes(sharded_step, 2, args=(lambda: 0,), timeout=60)


def test_a_script_without_a_main_guard_gets_a_hint(tmp_path):
    script = tmp_path / "no_guard.py"
    script.write_text("from embcourse.sharding import run_processes, sharded_step\n"
                      "run_processes(sharded_step, 2, timeout=60)\n")
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "died with exit code" in last and '__name__ == "__main__"' in last


@pytest.mark.parametrize("system, names, expected", [
    ("Linux", ["lo", "eth0"], "lo"),
    ("Darwin", ["lo0", "en0", "gif0"], "lo0"),
    ("Darwin", [], "lo0"),
    ("Linux", [], "lo"),
    ("FreeBSD", ["em0"], "lo0"),
    ("Windows", [], None),
    ("Darwin", ["lo"], "lo"),  # the machine's own list wins over the platform's habit
])
def test_loopback_interface_by_platform_and_interfaces(system, names, expected):
    assert loopback_interface(system, names) == expected


def test_loopback_interface_exists_on_this_machine():
    iface = loopback_interface()
    if hasattr(__import__("socket"), "if_nameindex") and iface is not None:
        assert iface in [name for _, name in __import__("socket").if_nameindex()]
