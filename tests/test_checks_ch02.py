"""Chapter 2's self-checks accept the reference and reject wrong implementations."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from embcourse.checks import CheckFailed
from embcourse.checks.ch02 import (check_embedding_lookup, check_mean_bag, check_table_memory,
                                   reference_embedding_lookup, reference_mean_bag, reference_table_memory)


def _validated(fn):
    """Wrap a lookup so that it validates ids like the reference, leaving its bug elsewhere."""
    def wrapped(weight, ids):
        if ids.dtype.is_floating_point:
            raise TypeError("ids must be integers")
        if ids.numel() and (ids.min() < 0 or ids.max() >= weight.shape[0]):
            raise ValueError("ids out of range")
        return fn(weight, ids)
    return wrapped


def test_embedding_lookup_reference_passes_strict():
    assert check_embedding_lookup(reference_embedding_lookup, strict=True).ok


def test_embedding_lookup_reference_matches_nn_embedding_forward_and_gradient():
    emb = nn.Embedding(7, 4)
    ids = torch.tensor([[1, 6, 1], [0, 1, 3]])
    weight = emb.weight.detach().clone().requires_grad_()
    upstream = torch.randn(2, 3, 4)
    (emb(ids) * upstream).sum().backward()
    (reference_embedding_lookup(weight, ids) * upstream).sum().backward()
    assert torch.equal(reference_embedding_lookup(weight, ids), emb(ids))
    assert torch.allclose(weight.grad, emb.weight.grad)


@pytest.mark.parametrize("wrong", [
    _validated(lambda w, ids: w.detach().index_select(0, ids.reshape(-1)).reshape(*ids.shape, -1)),  # no gradient
    _validated(lambda w, ids: w.index_select(0, ids.reshape(-1))),                   # flattens the batch shape
    _validated(lambda w, ids: w.index_select(0, (ids.reshape(-1) + 1) % w.shape[0]).reshape(*ids.shape, -1)),  # off by one
    _validated(lambda w, ids: w.detach().clone().requires_grad_().index_select(0, ids.reshape(-1)).reshape(*ids.shape, -1)),  # copy, weight gets no grad
    lambda w, ids: w.index_select(0, ids.reshape(-1).long()).reshape(*ids.shape, -1),  # no validation
])
def test_embedding_lookup_rejects_wrong_implementations(wrong):
    assert not check_embedding_lookup(wrong).ok
    with pytest.raises(CheckFailed):
        check_embedding_lookup(wrong, strict=True)


def test_embedding_lookup_stub_is_reported_not_raised(capsys):
    def stub(weight, ids):
        raise NotImplementedError

    report = check_embedding_lookup(stub)
    assert not report.ok and not report.implemented
    assert "not yet implemented" in capsys.readouterr().out
    with pytest.raises(CheckFailed):
        check_embedding_lookup(stub, strict=True)


def test_mean_bag_reference_passes_strict():
    assert check_mean_bag(reference_mean_bag, strict=True).ok


def test_mean_bag_reference_matches_embedding_bag():
    bag = nn.EmbeddingBag(9, 5, mode="mean", padding_idx=0)
    ids = torch.tensor([[3, 4, 0, 0], [8, 1, 2, 5], [0, 0, 0, 0]])
    assert torch.allclose(reference_mean_bag(bag.weight, ids, 0), bag(ids), atol=1e-6)


def _checked_2d(fn):
    def wrapped(weight, ids, pad_id):
        if ids.dim() != 2:
            raise ValueError("ids must be 2-D")
        return fn(weight, ids, pad_id)
    return wrapped


@pytest.mark.parametrize("wrong", [
    _checked_2d(lambda w, ids, pad: w[ids].mean(dim=1)),                                       # padding counted
    _checked_2d(lambda w, ids, pad: (w[ids] * (ids != pad).unsqueeze(-1)).sum(dim=1)),           # sum, not mean
    _checked_2d(lambda w, ids, pad: (w[ids] * (ids != pad).unsqueeze(-1)).sum(1) / ids.shape[1]),  # divides by T
    _checked_2d(lambda w, ids, pad: (w[ids] * (ids != pad).unsqueeze(-1)).sum(1)
                / (ids != pad).sum(1, keepdim=True)),                                           # NaN for all-padding rows
    _checked_2d(lambda w, ids, pad: (w[ids] * (ids != 0).unsqueeze(-1)).sum(1)
                / (ids != 0).sum(1, keepdim=True).clamp(min=1)),                                # assumes pad_id 0
])
def test_mean_bag_rejects_wrong_implementations(wrong):
    assert not check_mean_bag(wrong).ok
    with pytest.raises(CheckFailed):
        check_mean_bag(wrong, strict=True)


def test_mean_bag_stub_is_reported_not_raised(capsys):
    def stub(weight, ids, pad_id):
        raise NotImplementedError

    assert not check_mean_bag(stub).ok
    assert "not yet implemented" in capsys.readouterr().out


def test_table_memory_reference_passes_strict():
    assert check_table_memory(reference_table_memory, strict=True).ok


def test_table_memory_reference_matches_real_adam_state():
    emb = nn.Embedding(1_000, 16, dtype=torch.float64)
    opt = torch.optim.Adam(emb.parameters())
    emb(torch.tensor([1, 2])).sum().backward()
    opt.step()
    state = sum(t.nbytes for t in opt.state[emb.weight].values() if t.numel() > 1)  # the scalar step left out
    want = reference_table_memory(1_000, 16, torch.float64)
    assert (want["weight"], want["grad"], want["adam_state"]) == (emb.weight.nbytes, emb.weight.grad.nbytes, state)


def _valid_args(fn):
    def wrapped(vocab_size, embed_dim, dtype=torch.float32):
        if not isinstance(dtype, torch.dtype):
            raise TypeError("dtype")
        if vocab_size < 1 or embed_dim < 1:
            raise ValueError("sizes")
        return fn(vocab_size, embed_dim, dtype)
    return wrapped


@pytest.mark.parametrize("wrong", [
    _valid_args(lambda V, D, dt: {"weight": 4 * V * D, "grad": 4 * V * D, "adam_state": 8 * V * D,
                                  "total": 16 * V * D}),                                        # always 4 bytes
    _valid_args(lambda V, D, dt: {"weight": V * D * dt.itemsize, "grad": V * D * dt.itemsize,
                                  "adam_state": V * D * dt.itemsize, "total": 3 * V * D * dt.itemsize}),  # one moment
    _valid_args(lambda V, D, dt: {"weight": V * D * dt.itemsize, "grad": 0,
                                  "adam_state": 2 * V * D * dt.itemsize, "total": 3 * V * D * dt.itemsize}),  # no grad
    _valid_args(lambda V, D, dt: {k: v / 1e6 for k, v in reference_table_memory(V, D, dt).items()}),  # MB, not bytes
    lambda V, D, dt=torch.float32: reference_table_memory(max(V, 1), D, dt),                      # accepts V = 0
])
def test_table_memory_rejects_wrong_implementations(wrong):
    assert not check_table_memory(wrong).ok
    with pytest.raises(CheckFailed):
        check_table_memory(wrong, strict=True)
