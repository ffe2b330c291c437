"""Chapter 3's self-checks accept the reference and reject wrong implementations."""

import math

import pytest
import torch
import torch.nn.functional as F

from embcourse.checks import CheckFailed, Unfinished
from embcourse.checks.ch03 import (check_analogy, check_keep_probability, check_nearest, check_sgns_loss,
                                   reference_analogy, reference_keep_probability, reference_nearest,
                                   reference_sgns_loss)
from embcourse.sgns import sgns_loss


def _rejects(check, wrong):
    report = check(wrong)
    assert not report.ok and report.failed
    with pytest.raises(CheckFailed):
        check(wrong, strict=True)


def _stub_reports_not_implemented(check, capsys):
    def stub(*args, **kwargs):
        raise Unfinished

    report = check(stub)
    assert not report.ok and not report.implemented
    assert "not yet implemented" in capsys.readouterr().out


# ------------------------------------------------------------------ SGNS loss
def _shapes_checked(loss):
    """Wrap a loss so that it validates shapes like the reference, leaving its bug elsewhere."""
    def wrapped(c, o, n):
        if o.shape != c.shape or n.dim() != 3 or n.shape[0] != c.shape[0] or n.shape[2] != c.shape[1]:
            raise ValueError("shapes")
        return loss(c, o, n)
    return wrapped


def _pos(c, o):
    return (c * o).sum(-1)  # (B,)


def _neg(c, n):
    return torch.bmm(n, c.unsqueeze(2)).squeeze(2)  # (B, K)


def sgns_loss_broadcasting_negatives(c, o, n):  # checks D and K but not B: (1, K, D) broadcasts over the batch
    if o.shape != c.shape or n.dim() != 3 or n.shape[2] != c.shape[1]:
        raise ValueError("shapes")
    neg = (n * c.unsqueeze(1)).sum(-1)  # (B, K), broadcast when n is (1, K, D)
    return (F.softplus(-_pos(c, o)) + F.softplus(neg).sum(-1)).mean()


def test_sgns_loss_reference_passes_strict():
    assert check_sgns_loss(reference_sgns_loss, strict=True).ok


def test_sgns_loss_reference_agrees_with_the_package_and_by_hand():
    g = torch.Generator().manual_seed(0)
    c, o, n = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g), torch.randn(5, 4, 3, generator=g)
    assert torch.allclose(reference_sgns_loss(c, o, n), sgns_loss(c, o, n))
    by_hand = -math.log(torch.sigmoid(torch.tensor(2.0)).item()) - math.log(0.5) \
        - math.log(torch.sigmoid(torch.tensor(1.0)).item())
    loss = reference_sgns_loss(torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0, 0.0]]),
                               torch.tensor([[[0.0, 1.0], [-1.0, 0.0]]]))
    assert loss.item() == pytest.approx(by_hand, rel=1e-6)


@pytest.mark.parametrize("wrong", [
    _shapes_checked(lambda c, o, n: (F.softplus(-_pos(c, o)) + F.softplus(_neg(c, n)).sum(-1)).sum()),  # sum, not mean
    _shapes_checked(lambda c, o, n: (F.softplus(-_pos(c, o)) + F.softplus(-_neg(c, n)).sum(-1)).mean()),  # sign of negatives
    _shapes_checked(lambda c, o, n: F.softplus(-_pos(c, o)).mean()),                                   # no negatives
    _shapes_checked(lambda c, o, n: (F.softplus(-_pos(c, o)) + F.softplus(_neg(c, n)).mean(-1)).mean()),  # mean over K
    _shapes_checked(lambda c, o, n: (-torch.log(torch.sigmoid(_pos(c, o)))                              # overflows
                                     - torch.log(torch.sigmoid(-_neg(c, n))).sum(-1)).mean()),
    lambda c, o, n: sgns_loss(c, o, n),                                                                 # no shape checks
    sgns_loss_broadcasting_negatives,
])
def test_sgns_loss_rejects_wrong_implementations(wrong):
    _rejects(check_sgns_loss, wrong)


def test_sgns_loss_stub_is_not_yet_implemented(capsys):
    _stub_reports_not_implemented(check_sgns_loss, capsys)


# ------------------------------------------------------ subsampling keep-prob
def _freq(counts):
    if not isinstance(counts, torch.Tensor) or counts.dim() != 1:
        raise TypeError("counts must be a 1-D tensor")
    return counts.double() / counts.sum()


def keep_probability_nan_for_zero_counts(counts, sample=1e-3):  # f = 0 / 0 when every count is zero
    if sample <= 0:
        return torch.ones(counts.shape)
    ratio = sample / _freq(counts)
    return (ratio.sqrt() + ratio).clamp(max=1).float()


def keep_probability_accepting_lists(counts, sample=1e-3):  # a list is turned into a tensor, not refused
    counts = torch.as_tensor(counts)
    return reference_keep_probability(counts, sample)


def test_keep_probability_reference_passes_strict():
    assert check_keep_probability(reference_keep_probability, strict=True).ok


def test_keep_probability_reference_is_the_formula():
    t, counts = 0.01, torch.tensor([900, 90, 9, 1])
    f = counts.double() / counts.sum()
    expected = ((t / f).sqrt() + t / f).clamp(max=1)
    assert torch.allclose(reference_keep_probability(counts, t).double(), expected, atol=1e-6)


@pytest.mark.parametrize("wrong", [
    lambda counts, sample=1e-3: (sample / _freq(counts)).sqrt().clamp(max=1).float(),                   # paper's sqrt(t/f) only
    lambda counts, sample=1e-3: ((sample / _freq(counts)).sqrt() + sample / _freq(counts)).float(),     # not clipped
    lambda counts, sample=1e-3: (1 - (sample / _freq(counts)).sqrt()).clamp(0, 1).float(),             # discard probability
    lambda counts, sample=1e-3: ((sample / counts.double()).sqrt() + sample / counts.double())          # counts, not freqs
    .clamp(max=1).float() if counts.dim() == 1 else _freq(counts),
    keep_probability_nan_for_zero_counts,
    keep_probability_accepting_lists,
])
def test_keep_probability_rejects_wrong_implementations(wrong):
    _rejects(check_keep_probability, wrong)


def test_keep_probability_stub_is_not_yet_implemented(capsys):
    _stub_reports_not_implemented(check_keep_probability, capsys)


# ------------------------------------------------- nearest neighbours, 3CosAdd
def _lookup(itos, word):
    if word not in itos:
        raise KeyError(word)
    return itos.index(word)


def _ranked(scores, itos, k, banned):
    scores = scores.clone()
    scores[list(banned)] = -float("inf")
    vals, idx = scores.topk(k)
    return [(itos[i], float(s)) for i, s in zip(idx.tolist(), vals.tolist())]


def _cosines(vectors, i):
    unit = F.normalize(vectors, dim=1)  # (V, D)
    return unit @ unit[i]  # (V,)


def nearest_normalising_in_place(vectors, itos, word, k=5):  # divides the caller's table by its norms
    vectors /= vectors.norm(dim=1, keepdim=True)
    return reference_nearest(vectors, itos, word, k)


def analogy_normalising_in_place(vectors, itos, a, b, c):
    vectors /= vectors.norm(dim=1, keepdim=True)
    return reference_analogy(vectors, itos, a, b, c)


def analogy_returning_pairs(vectors, itos, a, b, c):  # [(word, score)], like embcourse.wordvec.analogy
    return [(reference_analogy(vectors, itos, a, b, c), 1.0)]


def test_nearest_reference_passes_strict():
    assert check_nearest(reference_nearest, strict=True).ok


@pytest.mark.parametrize("wrong", [
    lambda v, itos, w, k=5: _ranked(v @ v[_lookup(itos, w)], itos, k, {_lookup(itos, w)}),          # dot, not cosine
    lambda v, itos, w, k=5: _ranked(_cosines(v, _lookup(itos, w)), itos, k, set()),                  # keeps the word itself
    lambda v, itos, w, k=5: _ranked(-_cosines(v, _lookup(itos, w)), itos, k, {_lookup(itos, w)}),    # least similar
    lambda v, itos, w, k=5: _ranked(-torch.cdist(v, v[[_lookup(itos, w)]]).squeeze(1),              # Euclidean
                                    itos, k, {_lookup(itos, w)}),
    lambda v, itos, w, k=5: [(itos[i], 0.0) for i in range(k)],                                      # ignores the word
    nearest_normalising_in_place,
])
def test_nearest_rejects_wrong_implementations(wrong):
    _rejects(check_nearest, wrong)


def test_nearest_stub_is_not_yet_implemented(capsys):
    _stub_reports_not_implemented(check_nearest, capsys)


def _cos_add(vectors, itos, a, b, c, unit=True, sign=1, exclude=True, best=True):
    ia, ib, ic = (_lookup(itos, w) for w in (a, b, c))
    u = F.normalize(vectors, dim=1) if unit else vectors  # (V, D)
    target = sign * (u[ib] - u[ia]) + u[ic]  # (D,)
    scores = F.normalize(u, dim=1) @ target  # (V,)
    if not best:
        scores = -scores
    if exclude:
        scores[[ia, ib, ic]] = -float("inf")
    return itos[int(scores.argmax())]


def test_analogy_reference_passes_strict():
    assert check_analogy(reference_analogy, strict=True).ok


@pytest.mark.parametrize("wrong", [
    lambda v, itos, a, b, c: _cos_add(v, itos, a, b, c, exclude=False),   # may answer a, b or c
    lambda v, itos, a, b, c: _cos_add(v, itos, a, b, c, unit=False),      # raw vectors, not unit vectors
    lambda v, itos, a, b, c: _cos_add(v, itos, a, b, c, sign=-1),         # a - b + c
    lambda v, itos, a, b, c: _cos_add(v, itos, a, b, c, best=False),      # least similar
    analogy_normalising_in_place,
    analogy_returning_pairs,
])
def test_analogy_rejects_wrong_implementations(wrong):
    _rejects(check_analogy, wrong)


def test_analogy_stub_is_not_yet_implemented(capsys):
    _stub_reports_not_implemented(check_analogy, capsys)


def test_normalising_the_callers_table_is_reported_as_a_changed_input():
    report = check_nearest(nearest_normalising_in_place)
    assert report.failed and not report.passed
    assert all("changes its input `vectors`" in why for why in report.reasons.values())
