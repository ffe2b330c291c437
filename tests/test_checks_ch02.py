"""Chapter 2's self-checks accept the reference and reject wrong implementations."""

import pytest
import torch
import torch.nn as nn

from embcourse.checks import CheckFailed, Unfinished
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


def lookup_row_by_row(weight, ids):  # a per-row torch.stack: handles only 1-D and 2-D ids
    if ids.dtype not in (torch.int64, torch.int32):
        raise TypeError("ids must be int64 or int32")
    if ids.numel() and (ids.min() < 0 or ids.max() >= weight.shape[0]):
        raise ValueError("ids out of range")
    if ids.dim() == 1:
        return torch.index_select(weight, 0, ids) if ids.numel() else weight[:0]
    return torch.stack([torch.index_select(weight, 0, row) for row in ids])


def lookup_with_view(weight, ids):  # ids.view(-1) crashes on non-contiguous ids
    if ids.dtype not in (torch.int64, torch.int32):
        raise TypeError("ids must be int64 or int32")
    if ids.numel() and (ids.min() < 0 or ids.max() >= weight.shape[0]):
        raise ValueError("ids out of range")
    return torch.index_select(weight, 0, ids.view(-1)).view(*ids.shape, -1)


def lookup_accepting_any_integer_dtype(weight, ids):  # int16 and uint8 ids go through
    if ids.dtype.is_floating_point:
        raise TypeError("ids must be integers")
    if ids.numel() and (ids.min() < 0 or ids.max() >= weight.shape[0]):
        raise ValueError("ids out of range")
    return torch.index_select(weight, 0, ids.reshape(-1).long()).reshape(*ids.shape, -1)


def lookup_by_indexing(weight, ids):  # plain weight[ids], which the statement forbids
    if ids.dtype not in (torch.int64, torch.int32):
        raise TypeError("ids must be int64 or int32")
    if ids.numel() and (ids.min() < 0 or ids.max() >= weight.shape[0]):
        raise ValueError("ids out of range")
    return weight[ids]


@pytest.mark.parametrize("wrong", [
    _validated(lambda w, ids: w.detach().index_select(0, ids.reshape(-1)).reshape(*ids.shape, -1)),  # no gradient
    _validated(lambda w, ids: w.index_select(0, ids.reshape(-1))),                   # flattens the batch shape
    _validated(lambda w, ids: w.index_select(0, (ids.reshape(-1) + 1) % w.shape[0]).reshape(*ids.shape, -1)),  # off by one
    _validated(lambda w, ids: w.detach().clone().requires_grad_().index_select(0, ids.reshape(-1)).reshape(*ids.shape, -1)),  # copy, weight gets no grad
    lambda w, ids: w.index_select(0, ids.reshape(-1).long()).reshape(*ids.shape, -1),  # no validation
    lookup_row_by_row,
    lookup_with_view,
    lookup_accepting_any_integer_dtype,
    lookup_by_indexing,
])
def test_embedding_lookup_rejects_wrong_implementations(wrong):
    assert not check_embedding_lookup(wrong).ok
    with pytest.raises(CheckFailed):
        check_embedding_lookup(wrong, strict=True)


def test_embedding_lookup_by_indexing_is_named_in_the_report():
    report = check_embedding_lookup(lookup_by_indexing)
    assert report.failed == ["rows are taken with torch.index_select, as the statement asks"]
    assert "weight[...]" in report.reasons[report.failed[0]]


def test_embedding_lookup_stub_is_reported_not_raised(capsys):
    def stub(weight, ids):
        raise Unfinished

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


def mean_bag_nan_to_num(weight, ids, pad_id):  # right forward, but a nan gradient from an all-padding row
    if ids.dim() != 2:
        raise ValueError("ids must be 2-D")
    mask = (ids != pad_id).unsqueeze(-1)                                 # (B, T, 1)
    return torch.nan_to_num((weight[ids] * mask).sum(1) / mask.sum(1))  # (B, D)


@pytest.mark.parametrize("wrong", [
    _checked_2d(lambda w, ids, pad: w[ids].mean(dim=1)),                                       # padding counted
    _checked_2d(lambda w, ids, pad: (w[ids] * (ids != pad).unsqueeze(-1)).sum(dim=1)),           # sum, not mean
    _checked_2d(lambda w, ids, pad: (w[ids] * (ids != pad).unsqueeze(-1)).sum(1) / ids.shape[1]),  # divides by T
    _checked_2d(lambda w, ids, pad: (w[ids] * (ids != pad).unsqueeze(-1)).sum(1)
                / (ids != pad).sum(1, keepdim=True)),                                           # NaN for all-padding rows
    _checked_2d(lambda w, ids, pad: (w[ids] * (ids != 0).unsqueeze(-1)).sum(1)
                / (ids != 0).sum(1, keepdim=True).clamp(min=1)),                                # assumes pad_id 0
    mean_bag_nan_to_num,
])
def test_mean_bag_rejects_wrong_implementations(wrong):
    assert not check_mean_bag(wrong).ok
    with pytest.raises(CheckFailed):
        check_mean_bag(wrong, strict=True)


def test_mean_bag_stub_is_reported_not_raised(capsys):
    def stub(weight, ids, pad_id):
        raise Unfinished("write mean_bag above")

    assert not check_mean_bag(stub).ok
    assert "not yet implemented" in capsys.readouterr().out


def test_mean_bag_nan_gradient_is_caught_by_the_all_padding_row():
    report = check_mean_bag(mean_bag_nan_to_num)
    assert "got nan" in report.reasons["gradient with a row of only padding: zero, not nan"]


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


def table_memory_accepting_embed_dim_0(vocab_size, embed_dim, dtype=torch.float32):
    if not isinstance(dtype, torch.dtype):
        raise TypeError("dtype")
    if vocab_size < 1:
        raise ValueError("vocab_size")
    weight = vocab_size * embed_dim * dtype.itemsize
    return {"weight": weight, "grad": weight, "adam_state": 2 * weight, "total": 4 * weight}


@pytest.mark.parametrize("wrong", [
    _valid_args(lambda V, D, dt: {"weight": 4 * V * D, "grad": 4 * V * D, "adam_state": 8 * V * D,
                                  "total": 16 * V * D}),                                        # always 4 bytes
    _valid_args(lambda V, D, dt: {"weight": V * D * dt.itemsize, "grad": V * D * dt.itemsize,
                                  "adam_state": V * D * dt.itemsize, "total": 3 * V * D * dt.itemsize}),  # one moment
    _valid_args(lambda V, D, dt: {"weight": V * D * dt.itemsize, "grad": 0,
                                  "adam_state": 2 * V * D * dt.itemsize, "total": 3 * V * D * dt.itemsize}),  # no grad
    _valid_args(lambda V, D, dt: {k: v / 1e6 for k, v in reference_table_memory(V, D, dt).items()}),  # MB, not bytes
    lambda V, D, dt=torch.float32: reference_table_memory(max(V, 1), D, dt),                      # accepts V = 0
    table_memory_accepting_embed_dim_0,
])
def test_table_memory_rejects_wrong_implementations(wrong):
    assert not check_table_memory(wrong).ok
    with pytest.raises(CheckFailed):
        check_table_memory(wrong, strict=True)
