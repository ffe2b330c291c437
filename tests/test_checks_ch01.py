"""Chapter 1's self-checks accept the reference and reject wrong implementations."""

from collections import Counter

import pytest
import torch
import torch.nn.functional as F

from embcourse.checks import CheckFailed, Unfinished
from embcourse.checks.ch01 import (CORE, INPUT_CHECKS, check_build_vocab, check_encode, check_one_hot,
                                   reference_build_vocab, reference_encode, reference_one_hot)
from embcourse.checks.core import DTYPE_ITEM


def _rejected(check, wrong):
    report = check(wrong)
    assert not report.ok and report.failed
    with pytest.raises(CheckFailed):
        check(wrong, strict=True)
    return report


# ------------------------------------------------------------------ one_hot
def test_one_hot_reference_passes_strict():
    assert check_one_hot(reference_one_hot, strict=True).ok


def test_one_hot_reference_agrees_with_torch():
    idx = torch.tensor([[3, 0], [1, 2]])
    assert torch.equal(reference_one_hot(idx, 4), F.one_hot(idx, 4))


def _validated(body):
    """A one_hot that validates like the reference, with its result built by ``body``."""
    def fn(indices, num_classes):
        reference_one_hot(indices, num_classes)
        return body(indices, num_classes)
    return fn


def one_hot_in_the_input_dtype(indices, num_classes):  # int32 in, int32 out
    return _validated(lambda i, n: (i.unsqueeze(-1) == torch.arange(n)).to(i.dtype))(indices, num_classes)


def one_hot_as_numpy(indices, num_classes):  # a NumPy array, not a tensor
    return reference_one_hot(indices, num_classes).numpy()


def one_hot_accepting_float_num_classes(indices, num_classes):  # num_classes=3.0 goes through
    return reference_one_hot(indices, int(num_classes))


@pytest.mark.parametrize("wrong", [
    lambda idx, n: F.one_hot(idx, n),                                   # no validation
    _validated(lambda idx, n: (idx.unsqueeze(-1) == torch.arange(n)).float()),  # float out
    _validated(lambda idx, n: torch.eye(n + 1, dtype=torch.long)[idx.long()]),  # one column too many
    _validated(lambda idx, n: (idx.reshape(-1, 1) == torch.arange(n)).long()),  # flattens the batch shape
    lambda idx, n: torch.eye(n, dtype=torch.long)[idx.long()],          # negative index wraps around
    one_hot_in_the_input_dtype,
    one_hot_as_numpy,
    one_hot_accepting_float_num_classes,
])
def test_one_hot_rejects_wrong_implementations(wrong):
    _rejected(check_one_hot, wrong)


def test_one_hot_dtype_mistake_gets_the_dtype_hint():
    report = check_one_hot(one_hot_in_the_input_dtype, seed=0)
    why = report.reasons[DTYPE_ITEM]
    assert why.startswith("values right, dtype torch.int32") and "expected torch.int64" in why
    assert "(int32 indices;" in why and report.groups[CORE] == (10, 10)


@pytest.mark.parametrize("stub_error", [Unfinished, Unfinished("write one_hot above")])
def test_one_hot_stub_is_not_yet_implemented(stub_error, capsys):
    def stub(indices, num_classes):
        raise stub_error

    report = check_one_hot(stub)
    assert not report.ok and not report.implemented
    assert "not yet implemented" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="not yet implemented"):
        check_one_hot(stub, strict=True)


# ------------------------------------------------------------------ build_vocab
def test_build_vocab_reference_passes_strict():
    assert check_build_vocab(reference_build_vocab, strict=True).ok


def build_vocab_literal(values, min_count=1):  # "<unk>" first, then every value: a value "<unk>" comes twice
    if min_count < 1:
        raise ValueError("min_count")
    return ["<unk>"] + sorted(v for v, c in Counter(values).items() if c >= min_count)


@pytest.mark.parametrize("wrong", [
    lambda values, min_count=1: ["<unk>"] + list(dict.fromkeys(values)),            # unsorted
    lambda values, min_count=1: sorted(set(values)) + ["<unk>"],                    # <unk> last
    lambda values, min_count=1: ["<unk>"] + sorted(v for v in set(values) if values.count(v) > min_count),  # off by one
    lambda values, min_count=1: ["<unk>"] + sorted(set(values)),                    # ignores min_count
    build_vocab_literal,
])
def test_build_vocab_rejects_wrong_implementations(wrong):
    _rejected(check_build_vocab, wrong)


# ------------------------------------------------------------------ encode
def test_encode_reference_passes_strict():
    assert check_encode(reference_encode, strict=True).ok


def encode_indexing_an_empty_itos(values, itos):  # itos[0] on [] raises IndexError, not ValueError
    if itos[0] != "<unk>":
        raise ValueError("itos must start with <unk>")
    return torch.tensor([itos.index(v) if v in itos else 0 for v in values], dtype=torch.long)


def encode_int32(values, itos):  # int32 ids, not int64
    return reference_encode(values, itos).to(torch.int32)


@pytest.mark.parametrize("wrong", [
    lambda values, itos: torch.tensor([itos.index(v) for v in values]),             # crashes on unseen
    lambda values, itos: torch.tensor([itos.index(v) if v in itos else -1 for v in values], dtype=torch.long),
    lambda values, itos: torch.tensor([itos.index(v) if v in itos else 0 for v in values], dtype=torch.float),
    lambda values, itos: [itos.index(v) if v in itos else 0 for v in values],       # a list, not a tensor
    encode_indexing_an_empty_itos,
    encode_int32,
])
def test_encode_rejects_wrong_implementations(wrong):
    _rejected(check_encode, wrong)


# ------------------------------------------------------------------ one_hot: core cases apart from input checks
def float_one_hot_without_checks(indices, num_classes):  # the right idea, float codes, no validation
    return (indices.unsqueeze(-1) == torch.arange(num_classes)).float()


def test_float_version_without_checks_gets_full_marks_on_the_core_cases(capsys):
    report = check_one_hot(float_one_hot_without_checks)
    out = capsys.readouterr().out
    assert report.groups[CORE] == (10, 10)
    assert report.groups[INPUT_CHECKS] == (0, 6)
    assert "10 of 10 core cases (values and shape) pass" in out
    assert "0 of 6 input checks pass" in out


def test_float_version_gets_one_specific_dtype_hint(capsys):
    report = check_one_hot(float_one_hot_without_checks)
    out = capsys.readouterr().out
    why = report.reasons[DTYPE_ITEM]
    assert "values right, dtype torch.float32; expected torch.int64 in 10 of 10 cases" in why
    assert "`.long()`" in why and "the dtype is wrong" in out
    assert out.count("FAIL  the result's dtype") == 1


def test_float_version_without_checks_is_still_rejected():
    report = _rejected(check_one_hot, float_one_hot_without_checks)
    assert DTYPE_ITEM in report.failed
    assert not report.ok


def test_float_version_with_checks_fails_only_on_its_dtype():
    report = _rejected(check_one_hot, _validated(float_one_hot_without_checks))
    assert report.failed == [DTYPE_ITEM]
    assert report.groups == {CORE: (10, 10), INPUT_CHECKS: (6, 6)}


def test_wrong_values_in_float_are_not_excused_as_a_dtype_slip():
    wrong = _validated(lambda idx, n: torch.eye(n + 1)[idx.long()])  # float and a column too many
    report = _rejected(check_one_hot, wrong)
    assert report.groups[CORE][0] == 0
    assert DTYPE_ITEM not in report.failed


def test_reference_reports_both_groups_in_full():
    report = check_one_hot(reference_one_hot)
    assert report.ok and report.groups == {CORE: (10, 10), INPUT_CHECKS: (6, 6)}
