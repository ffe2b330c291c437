"""Chapter 1's self-checks accept the reference and reject wrong implementations."""

import pytest
import torch
import torch.nn.functional as F

from embcourse.checks import CheckFailed
from embcourse.checks.ch01 import (check_build_vocab, check_encode, check_one_hot,
                                   reference_build_vocab, reference_encode, reference_one_hot)


def test_one_hot_reference_passes_strict():
    assert check_one_hot(reference_one_hot, strict=True).ok


def test_one_hot_reference_agrees_with_torch():
    idx = torch.tensor([[3, 0], [1, 2]])
    assert torch.equal(reference_one_hot(idx, 4), F.one_hot(idx, 4))


@pytest.mark.parametrize("wrong", [
    lambda idx, n: F.one_hot(idx, n),                                   # no validation: RuntimeError, accepts floats?
    lambda idx, n: (idx.unsqueeze(-1) == torch.arange(n)).float(),      # wrong dtype
    lambda idx, n: torch.eye(n, dtype=torch.long)[idx.long()],          # negative index wraps around
    lambda idx, n: torch.eye(n + 1, dtype=torch.long)[idx.long()],      # one column too many
    lambda idx, n: (idx.view(-1, 1) == torch.arange(n)).long(),         # flattens batch shape
])
def test_one_hot_rejects_wrong_implementations(wrong):
    report = check_one_hot(wrong)
    assert not report.ok and report.failed
    with pytest.raises(CheckFailed):
        check_one_hot(wrong, strict=True)


def test_one_hot_stub_is_not_yet_implemented(capsys):
    def stub(indices, num_classes):
        raise NotImplementedError

    assert not check_one_hot(stub).ok
    assert "not yet implemented" in capsys.readouterr().out


def test_build_vocab_reference_passes_strict():
    assert check_build_vocab(reference_build_vocab, strict=True).ok


@pytest.mark.parametrize("wrong", [
    lambda values, min_count=1: ["<unk>"] + list(dict.fromkeys(values)),            # unsorted
    lambda values, min_count=1: sorted(set(values)) + ["<unk>"],                    # <unk> last
    lambda values, min_count=1: ["<unk>"] + sorted(v for v in set(values) if values.count(v) > min_count),  # off by one
    lambda values, min_count=1: ["<unk>"] + sorted(set(values)),                    # ignores min_count
])
def test_build_vocab_rejects_wrong_implementations(wrong):
    assert not check_build_vocab(wrong).ok


def test_encode_reference_passes_strict():
    assert check_encode(reference_encode, strict=True).ok


@pytest.mark.parametrize("wrong", [
    lambda values, itos: torch.tensor([itos.index(v) for v in values]),             # crashes on unseen
    lambda values, itos: torch.tensor([itos.index(v) if v in itos else -1 for v in values], dtype=torch.long),
    lambda values, itos: torch.tensor([itos.index(v) if v in itos else 0 for v in values], dtype=torch.float),
    lambda values, itos: [itos.index(v) if v in itos else 0 for v in values],       # a list, not a tensor
])
def test_encode_rejects_wrong_implementations(wrong):
    assert not check_encode(wrong).ok
