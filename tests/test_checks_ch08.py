"""Chapter 8's self-checks accept the reference and reject wrong implementations."""

import pytest
import torch

from embcourse.checks import CheckFailed, Unfinished
from embcourse.checks.ch08 import (check_collision_rate, check_route_ids, check_training_memory,
                                   reference_collision_rate, reference_route_ids, reference_training_memory)
from embcourse.scale import measured_training_memory


def _assert_rejected(check, wrong):
    assert not check(wrong).ok
    with pytest.raises(CheckFailed):
        check(wrong, strict=True)


def _assert_stub_reported(check, capsys):
    def stub(*args, **kwargs):
        raise Unfinished

    report = check(stub)
    assert not report.ok and not report.implemented
    assert "not yet implemented" in capsys.readouterr().out
    with pytest.raises(CheckFailed):
        check(stub, strict=True)


# training_memory

def test_training_memory_reference_passes_strict():
    assert check_training_memory(reference_training_memory, strict=True).ok


def test_training_memory_reference_matches_torch():
    for opt in ("sgd", "adam", "sparse_adam"):
        assert reference_training_memory(300, 8, opt, torch.bfloat16, 20) == \
            measured_training_memory(300, 8, opt, torch.bfloat16, 20)


def _memory(grad=None, state=None, itemsize=None):
    """A training_memory that validates like the reference, with one rule replaced."""
    def fn(vocab_size, embed_dim, optimizer="adam", dtype=torch.float32, batch_size=None):
        ref = reference_training_memory(vocab_size, embed_dim, optimizer, dtype, batch_size)
        size = itemsize(dtype) if itemsize else dtype.itemsize
        weight = vocab_size * embed_dim * size
        g = grad(vocab_size, embed_dim, optimizer, size, batch_size) if grad else ref["grad"] * size // dtype.itemsize
        s = state(weight, optimizer) if state else ref["optimizer_state"] * size // dtype.itemsize
        return {"weight": weight, "grad": g, "optimizer_state": s, "total": weight + g + s}
    return fn


def training_memory_accepting_embed_dim_0(vocab_size, embed_dim, optimizer="adam", dtype=torch.float32,
                                          batch_size=None):
    return reference_training_memory(vocab_size, max(embed_dim, 1), optimizer, dtype, batch_size) \
        if embed_dim else {"weight": 0, "grad": 0, "optimizer_state": 0, "total": 0}


def training_memory_sgd_with_a_sparse_gradient(vocab_size, embed_dim, optimizer="adam", dtype=torch.float32,
                                               batch_size=None):  # uses batch_size for SGD too
    if optimizer == "sgd" and batch_size is not None:
        return reference_training_memory(vocab_size, embed_dim, "sparse_adam", dtype, batch_size) | \
            {"optimizer_state": 0}
    return reference_training_memory(vocab_size, embed_dim, optimizer, dtype, batch_size)


@pytest.mark.parametrize("wrong", [
    _memory(itemsize=lambda dtype: 4),                                            # every dtype taken as float32
    _memory(state=lambda w, opt: 0 if opt == "sgd" else w),                       # Adam keeps only one moment
    _memory(state=lambda w, opt: 2 * w if opt == "adam" else 0),                  # SparseAdam state taken as sparse
    _memory(grad=lambda V, D, opt, s, B: V * D * s),                              # sparse gradient taken as dense
    _memory(grad=lambda V, D, opt, s, B: B * D * s if opt == "sparse_adam" else V * D * s),  # forgets the indices
    lambda V, D, optimizer="adam", dtype=torch.float32, batch_size=None: {         # no validation at all
        "weight": V * D * 4, "grad": V * D * 4, "optimizer_state": 8 * V * D, "total": 16 * V * D},
    training_memory_accepting_embed_dim_0,
    training_memory_sgd_with_a_sparse_gradient,
])
def test_training_memory_rejects_wrong_implementations(wrong):
    _assert_rejected(check_training_memory, wrong)


def test_training_memory_stub_is_reported_not_raised(capsys):
    _assert_stub_reported(check_training_memory, capsys)


# collision_rate

def test_collision_rate_reference_passes_strict():
    assert check_collision_rate(reference_collision_rate, strict=True).ok


def _validated(fn):
    def wrapped(buckets):
        if buckets.dtype.is_floating_point:
            raise TypeError("buckets must be integers")
        if buckets.numel() and buckets.min() < 0:
            raise ValueError("negative bucket")
        return fn(buckets.reshape(-1).long()) if buckets.numel() else 0.0
    return wrapped


def collision_rate_as_a_tensor(buckets):  # a 0-d tensor, not a Python float
    reference_collision_rate(buckets)
    counts = torch.bincount(buckets.reshape(-1).long())
    return counts[counts > 1].sum() / buckets.numel() if buckets.numel() else torch.tensor(0.0)


def collision_rate_with_bincount_on_any_dtype(buckets):  # bincount of floats raises torch's NotImplementedError
    if buckets.numel() == 0:
        return 0.0
    if buckets.min() < 0:
        raise ValueError("negative bucket")
    counts = torch.bincount(buckets.reshape(-1))
    return counts[counts > 1].sum().item() / buckets.numel()


PRINTED = {(0, 1, 2, 5): 0.0, (3, 3, 3): 1.0, (0, 0, 1, 2): 0.5, (3, 3, 3, 1, 1, 2): 5 / 6, (4, 1, 4, 0): 0.5,
           (7, 7, 2): 2 / 3, (): 0.0}


def collision_rate_from_a_table_of_printed_values(buckets):  # the printed answers, and a guess otherwise
    reference_collision_rate(buckets)
    return PRINTED.get(tuple(buckets.reshape(-1).tolist()), 0.37)


@pytest.mark.parametrize("wrong", [
    _validated(lambda b: (torch.bincount(b) > 1).sum().item() / b.numel()),             # counts buckets, not keys
    _validated(lambda b: 1 - b.unique().numel() / b.numel()),                          # keys beyond the first
    _validated(lambda b: (torch.bincount(b) > 1).float().sum().item() /
               max(1, (torch.bincount(b) > 0).sum().item())),                          # fraction of used buckets
    _validated(lambda b: (torch.bincount(b)[b] > 2).float().mean().item()),            # off by one in the count
    lambda b: reference_collision_rate(b.long()) if b.numel() else 0.0,                 # accepts float buckets
    collision_rate_as_a_tensor,
    collision_rate_with_bincount_on_any_dtype,
    collision_rate_from_a_table_of_printed_values,
])
def test_collision_rate_rejects_wrong_implementations(wrong):
    _assert_rejected(check_collision_rate, wrong)


def test_collision_rate_stub_is_reported_not_raised(capsys):
    _assert_stub_reported(check_collision_rate, capsys)


# route_ids

def test_route_ids_reference_passes_strict():
    assert check_route_ids(reference_route_ids, strict=True).ok


def _routed(rule):
    """A route_ids that validates like the reference, with the routing rule replaced."""
    def fn(ids, vocab_size, world_size):
        reference_route_ids(ids, vocab_size, world_size)  # raises on bad input
        return rule(ids.long(), vocab_size, world_size)
    return fn


@pytest.mark.parametrize("wrong", [
    _routed(lambda ids, V, W: (ids % W, ids // W)),                                    # round-robin, not row blocks
    _routed(lambda ids, V, W: ((ids // max(1, V // W)).clamp(max=W - 1),
                               ids - (ids // max(1, V // W)).clamp(max=W - 1) * max(1, V // W))),  # floor block size
    _routed(lambda ids, V, W: (ids * W // V, ids % -(-V // W))),                       # proportional owner
    _routed(lambda ids, V, W: (ids // -(-V // W), ids)),                               # global row, not local
    _routed(lambda ids, V, W: (ids.reshape(-1) // -(-V // W), ids.reshape(-1) % -(-V // W))),  # flattens the shape
    lambda ids, V, W: (ids.long() // -(-V // W), ids.long() % -(-V // W)),             # no validation
])
def test_route_ids_rejects_wrong_implementations(wrong):
    _assert_rejected(check_route_ids, wrong)


def test_route_ids_stub_is_reported_not_raised(capsys):
    _assert_stub_reported(check_route_ids, capsys)


def test_collision_rate_with_torch_not_implemented_error_fails_that_case_with_its_message():
    report = check_collision_rate(collision_rate_with_bincount_on_any_dtype)
    assert report.implemented
    why = report.reasons["float buckets are rejected (TypeError)"]
    assert "NotImplementedError" in why and "bincount" in why
    assert "no keys: 0.0" in report.passed  # the cases after it still ran


def test_collision_rate_tensor_instead_of_float_is_named():
    report = check_collision_rate(collision_rate_as_a_tensor)
    assert "expected a Python float" in report.reasons["all keys in one bucket: 1.0"]


def test_route_ids_int32_output_is_rejected_with_the_dtype_hint():
    def route_ids_int32(ids, vocab_size, world_size):
        owner, local = reference_route_ids(ids, vocab_size, world_size)
        return owner.to(ids.dtype), local.to(ids.dtype)

    report = check_route_ids(route_ids_int32)
    fixed = [name for name in report.failed if not name.startswith("random case")]
    assert fixed == ["int32 ids give int64 ranks and rows"]
    why = report.reasons["int32 ids give int64 ranks and rows"]
    assert "values right, dtype torch.int32; expected torch.int64" in why
    with pytest.raises(CheckFailed):
        check_route_ids(route_ids_int32, strict=True)
