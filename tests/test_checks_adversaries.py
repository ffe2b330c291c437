"""Five ways to pass a self-check without solving the exercise, each rejected by a check of chapter 1 and of
chapters 6, 7 and 8: a tensor subclass that says it equals anything, a replaced ``torch.allclose``, a function
that changes its input, an infinite loop, and a table of the answers the fixed cases printed."""

import pytest
import torch

import embcourse.checks.core as core
from embcourse.checks import CheckFailed
from embcourse.checks.ch01 import check_one_hot, reference_one_hot
from embcourse.checks.ch06 import check_masked_loss, reference_masked_loss
from embcourse.checks.ch07 import check_additive_attention, reference_additive_attention
from embcourse.checks.ch08 import check_collision_rate, reference_collision_rate


class AlwaysEqual(torch.Tensor):
    """A tensor whose every torch function answers True: equal, allclose, ==, even its shape."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True


def liar():
    return torch.zeros(1).as_subclass(AlwaysEqual)


def _rejected(check, fn):
    report = check(fn)
    assert not report.ok and report.implemented and report.failed
    with pytest.raises(CheckFailed):
        check(fn, strict=True)
    return report


# ---------------------------------------------------------------- a tensor subclass
@pytest.mark.parametrize("check, fn", [
    (check_one_hot, lambda indices, num_classes: liar()),
    (check_masked_loss, lambda logits, tgt, pad_id: liar()),
    (check_additive_attention, lambda query, keys, mask, W_q, W_k, v: (liar(), liar())),
    (check_collision_rate, lambda buckets: liar()),
])
def test_a_tensor_subclass_that_equals_anything_is_rejected(check, fn):
    report = _rejected(check, fn)
    assert "subclass" in report.reasons[report.failed[0]]


# ---------------------------------------------------------------- a replaced torch.allclose
def _cheating(result):
    def fn(*args):
        torch.allclose = lambda *a, **k: True
        torch.equal = lambda *a, **k: True
        torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
        return result(*args)
    return fn


@pytest.mark.parametrize("check, fn", [
    (check_one_hot, _cheating(lambda indices, num_classes: torch.zeros(*indices.shape, num_classes).long())),
    (check_masked_loss, _cheating(lambda logits, tgt, pad_id: torch.tensor(0.0))),
    (check_additive_attention, _cheating(lambda q, keys, mask, W_q, W_k, v: (keys[:, 0], mask.float()))),
    (check_collision_rate, _cheating(lambda buckets: 0.0)),
])
def test_a_function_that_replaces_torch_comparisons_is_rejected_and_torch_is_restored(check, fn):
    real = (torch.allclose, torch.equal, torch.Tensor.__eq__)
    try:
        report = _rejected(check, fn)
        assert "replaces torch.allclose" in report.reasons[report.failed[0]]
        assert (torch.allclose, torch.equal, torch.Tensor.__eq__) == real
    finally:
        torch.allclose, torch.equal, torch.Tensor.__eq__ = real


# ---------------------------------------------------------------- a function that changes its input
def one_hot_unsqueezing_its_input(indices, num_classes):
    reference_one_hot(indices, num_classes)
    return (indices.unsqueeze_(-1) == torch.arange(num_classes)).long()  # right codes, but indices is now (*, 1)


def masked_loss_rewriting_tgt(logits, tgt, pad_id):
    mask = tgt != pad_id
    tgt[~mask] = 0  # writes into the caller's targets
    return reference_masked_loss(logits, tgt, pad_id) if pad_id == 0 else \
        (-logits.log_softmax(-1).gather(-1, tgt.unsqueeze(-1)).squeeze(-1) * mask).sum() / mask.sum()


def attention_masking_keys_in_place(query, keys, mask, W_q, W_k, v):
    context, weights = reference_additive_attention(query, keys, mask, W_q, W_k, v)
    keys[~mask] = 0.0  # padded keys zeroed in the caller's tensor
    return context, weights


def collision_rate_sorting_in_place(buckets):
    reference_collision_rate(buckets)
    flat = buckets.view(-1)
    flat.copy_(flat.sort().values)  # the rate does not depend on the order, but the caller's tensor does
    return reference_collision_rate(buckets)


@pytest.mark.parametrize("check, fn", [
    (check_one_hot, one_hot_unsqueezing_its_input),
    (check_masked_loss, masked_loss_rewriting_tgt),
    (check_additive_attention, attention_masking_keys_in_place),
    (check_collision_rate, collision_rate_sorting_in_place),
])
def test_a_function_that_changes_its_input_is_rejected(check, fn):
    report = _rejected(check, fn)
    assert any("changes its input" in why for why in report.reasons.values())


# ---------------------------------------------------------------- an infinite loop
def forever(*args):
    while True:
        pass


@pytest.mark.parametrize("check", [check_one_hot, check_masked_loss, check_collision_rate])
def test_an_infinite_loop_fails_every_case_and_the_check_finishes(check, monkeypatch):
    monkeypatch.setattr(core, "TIME_LIMIT", 0.1)
    report = check(forever)
    assert not report.ok and not report.passed
    assert all("took longer than 0.1 s (an infinite loop?)" in why for why in report.reasons.values())


# ---------------------------------------------------------------- a table of printed answers
def _key(x):
    if isinstance(x, torch.Tensor):
        return ("tensor", str(x.dtype), tuple(x.shape), tuple(x.detach().reshape(-1).tolist()))
    if isinstance(x, (list, tuple)):
        return tuple(_key(v) for v in x)
    return repr(x)


def printed_answers(check, reference):
    """The answer of every case a run with seed 1 showed, recorded as a learner could copy them from the output."""
    table = {}

    def recorder(*args):
        try:
            table[_key(args)] = ("value", reference(*args))
        except Exception as e:
            table[_key(args)] = ("error", e)
        kind, answer = table[_key(args)]
        if kind == "error":
            raise answer
        return answer

    check(recorder, seed=1)

    def lookup(*args):
        kind, answer = table[_key(args)]  # KeyError for an input it has not seen
        if kind == "error":
            raise answer
        return answer
    return lookup


@pytest.mark.parametrize("check, reference", [(check_one_hot, reference_one_hot),
                                              (check_masked_loss, reference_masked_loss),
                                              (check_additive_attention, reference_additive_attention),
                                              (check_collision_rate, reference_collision_rate)])
def test_a_table_of_printed_answers_fails_the_random_cases(check, reference):
    lookup = printed_answers(check, reference)
    report = check(lookup, seed=2)
    random = [name for name in report.passed + report.failed if name.startswith("random case")]
    assert random and set(random) <= set(report.failed)
    assert not report.ok


# ---------------------------------------------------------------- chapter 1: the dtype allowance cannot be gamed
class FloatSubclass(torch.Tensor):
    """An ordinary-looking float tensor of a subclass: right values, wrong dtype, untrusted type."""


@pytest.mark.parametrize("fn", [
    lambda indices, num_classes: reference_one_hot(indices, num_classes).float().as_subclass(FloatSubclass),
    lambda indices, num_classes: reference_one_hot(indices, num_classes).float() * 0.999,  # near, not equal
    lambda indices, num_classes: reference_one_hot(indices, num_classes).float().numpy(),  # not a tensor
])
def test_one_hot_passes_no_core_case_as_a_dtype_slip_unless_the_values_are_right(fn):
    report = _rejected(check_one_hot, fn)
    assert report.groups["core cases (values and shape)"][0] <= 1  # the empty input at most
