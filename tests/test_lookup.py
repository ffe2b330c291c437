"""The lookup helpers of chapter 2: the two ways to embed agree, and the measurements add up."""

import pytest
import torch
import torch.nn as nn

from embcourse.lookup import (METHODS, PeakMemory, arithmetic, bandwidth, embedding_lookup, fwd_bwd_cost,
                              onehot_matmul, optimizer_step_cost, sweep)


def test_lookup_equals_onehot_matmul_bit_for_bit():
    weight = torch.randn(50, 8, generator=torch.Generator().manual_seed(0))
    ids = torch.tensor([[3, 49, 0], [3, 7, 7]])
    assert torch.equal(embedding_lookup(weight, ids), onehot_matmul(weight, ids))
    assert torch.equal(embedding_lookup(weight, ids), nn.functional.embedding(ids, weight))


def test_lookup_gradient_matches_nn_embedding():
    emb = nn.Embedding(10, 3)
    weight = emb.weight.detach().clone().requires_grad_()
    ids = torch.tensor([1, 1, 9])
    emb(ids).sum().backward()
    embedding_lookup(weight, ids).sum().backward()
    assert torch.equal(weight.grad, emb.weight.grad)


@pytest.mark.parametrize("ids, error", [
    (torch.tensor([0.0]), TypeError),
    (torch.tensor([10]), ValueError),
    (torch.tensor([-1]), ValueError),
    ([1, 2], TypeError),
])
def test_lookup_rejects_bad_ids(ids, error):
    with pytest.raises(error, match="ids"):
        embedding_lookup(torch.zeros(10, 3), ids)


@pytest.mark.parametrize("embed", [embedding_lookup, onehot_matmul])
def test_both_ways_reject_a_weight_that_is_not_a_matrix(embed):
    with pytest.raises(ValueError, match="weight"):
        embed(torch.zeros(10), torch.tensor([1]))


def test_onehot_matmul_rejects_out_of_range_ids():
    with pytest.raises(ValueError, match="ids"):
        onehot_matmul(torch.zeros(10, 3), torch.tensor([10]))


def test_peak_memory_counts_tensors_alive_at_once():
    with PeakMemory() as mem:
        a = torch.ones(1000)          # 4,000 bytes
        b = torch.ones(500)           # 2,000 bytes
        del a
        c = torch.ones(100)           # 400 bytes, after a is freed
    assert mem.peak == 6000
    assert mem.current == 2400
    del b, c


def test_peak_memory_ignores_tensors_made_before_the_block():
    x = torch.ones(10_000)
    with PeakMemory() as mem:
        y = x[:10]                    # a view: no new storage
    assert mem.peak == 0
    del y


@pytest.mark.parametrize("method", METHODS)
def test_measured_peak_agrees_with_the_arithmetic(method):
    cost = fwd_bwd_cost(method, vocab_size=2_000, batch_size=16, embed_dim=8, repeats=1)
    want = arithmetic(method, 2_000, 16, 8)["bytes"]
    assert want <= cost["peak_bytes"] <= want * 1.05 + 1024
    assert cost["seconds"] > 0


def test_onehot_flops_grow_with_vocab_and_lookup_flops_do_not():
    small, large = (arithmetic(m, 100, 4, 2)["flops"] for m in METHODS[:1]), arithmetic(METHODS[0], 1000, 4, 2)
    assert large["flops"] == 10 * next(small)
    assert arithmetic(METHODS[1], 100, 4, 2)["flops"] == arithmetic(METHODS[1], 1000, 4, 2)["flops"]


def test_sweep_gives_one_row_per_method_and_vocab_size():
    rows = sweep([10, 100], batch_size=4, embed_dim=2, repeats=1)
    assert [(r["vocab_size"], r["method"]) for r in rows] == [(v, m) for v in (10, 100) for m in METHODS]


def test_sweep_and_arithmetic_reject_bad_input():
    with pytest.raises(ValueError, match="vocab_sizes"):
        sweep([])
    with pytest.raises(ValueError, match="method"):
        arithmetic("one-hot", 10, 1, 1)


def test_bandwidth_reports_both_rates():
    result = bandwidth(num_ids=1024, vocab_size=5_000, embed_dim=8, repeats=2)
    assert result["bytes"] == 2 * 1024 * 8 * 4
    assert result["lookup_gb_s"] > 0 and result["copy_gb_s"] > 0
    assert result["contiguous_gb_s"] > 0
    for name in ("lookup", "contiguous", "copy"):  # the fastest repeat is at least the median
        assert result[f"{name}_best_gb_s"] >= result[f"{name}_gb_s"] > 0


@pytest.mark.parametrize("kwargs, name", [({"num_ids": 0}, "num_ids"), ({"repeats": 0}, "repeats"),
                                          ({"vocab_size": 1.5}, "vocab_size"),
                                          ({"num_ids": 10, "vocab_size": 5}, "num_ids")])
def test_bandwidth_rejects_bad_sizes_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        bandwidth(**kwargs)


def test_sparse_adam_keeps_a_small_gradient_and_a_full_state():
    dense = optimizer_step_cost(False, vocab_size=1_000, embed_dim=4, batch_size=8, steps=1)
    sparse = optimizer_step_cost(True, vocab_size=1_000, embed_dim=4, batch_size=8, steps=1)
    assert dense["grad_bytes"] == dense["weight_bytes"] == 16_000
    assert sparse["grad_bytes"] <= 8 * (4 * 4 + 8)          # at most B rows of values plus their ids
    assert sparse["state_bytes"] == 2 * sparse["weight_bytes"]
