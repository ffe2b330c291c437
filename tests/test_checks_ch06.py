"""Chapter 6's self-checks accept the reference and reject wrong implementations."""

import math
from collections import Counter

import pytest
import torch
import torch.nn.functional as F

from embcourse.checks import CheckFailed, Unfinished
from embcourse.checks.ch06 import (check_greedy_decode, check_masked_loss, check_sentence_bleu,
                                   reference_greedy_decode, reference_masked_loss,
                                   reference_sentence_bleu)
from embcourse.seq2seq import greedy_decode, masked_cross_entropy


def _stub(*args, **kwargs):
    raise Unfinished("write it above")


@pytest.mark.parametrize("check, ref", [(check_sentence_bleu, reference_sentence_bleu),
                                        (check_greedy_decode, reference_greedy_decode),
                                        (check_masked_loss, reference_masked_loss)])
def test_reference_passes_strict(check, ref):
    assert check(ref, strict=True).ok


@pytest.mark.parametrize("check", [check_sentence_bleu, check_greedy_decode, check_masked_loss])
def test_stub_is_reported_not_raised(check, capsys):
    report = check(_stub)
    assert not report.ok and not report.implemented
    assert "not yet implemented" in capsys.readouterr().out
    with pytest.raises(CheckFailed):
        check(_stub, strict=True)


def test_package_greedy_decode_passes_the_check():
    assert check_greedy_decode(greedy_decode, strict=True).ok


def test_package_masked_cross_entropy_has_the_reference_value_but_uses_the_forbidden_ignore_index():
    logits = torch.randn(2, 4, 6, generator=torch.Generator().manual_seed(0))
    tgt = torch.tensor([[3, 2, 0, 0], [5, 0, 0, 0]])
    assert torch.allclose(masked_cross_entropy(logits, tgt, 0), reference_masked_loss(logits, tgt, 0))
    report = check_masked_loss(masked_cross_entropy)
    assert report.failed == ["computed with a mask, not ignore_index (as the statement asks)"]


def _bleu(h, r, clip=True, smooth=True, effective=True, brevity=True, scale=100.0, divide_by_4=False):
    """A sentence BLEU with one of its ingredients switched off (each switch is one classic mistake)."""
    hyp, ref = h.split(), r.split()
    if not hyp:
        return 0.0
    grams = lambda xs, n: Counter(tuple(xs[i:i + n]) for i in range(len(xs) - n + 1))  # noqa: E731
    logs, halvings = [], 1
    for n in range(1, 5):
        total = len(hyp) - n + 1
        if total <= 0:
            if effective:
                break
            logs.append(math.log(1e-9))
            continue
        g, rg = grams(hyp, n), grams(ref, n)
        correct = sum((g & rg).values()) if clip else sum(c for k, c in g.items() if k in rg)
        if n == 1 and correct == 0:
            return 0.0
        if correct == 0:
            if not smooth:
                return 0.0
            halvings *= 2
            logs.append(math.log(100.0 / (halvings * total)))
        else:
            logs.append(math.log(100.0 * correct / total))
    bp = 1.0 if len(hyp) >= len(ref) or not brevity else math.exp(1 - len(ref) / len(hyp))
    if divide_by_4:  # the effective order leaves orders out, but the mean still divides by 4
        return bp * math.exp(sum(log - math.log(100.0) for log in logs) / 4) * scale
    return bp * math.exp(sum(logs) / len(logs)) * scale / 100.0


def test_dividing_by_4_scores_the_dog_against_the_cat_70_7_instead_of_50():
    assert _bleu("the dog", "the cat", divide_by_4=True) == pytest.approx(70.71, abs=0.01)
    assert reference_sentence_bleu("the dog", "the cat") == pytest.approx(50.0)


def test_the_test_helper_with_every_switch_on_is_the_reference():
    for h in ["le chat", "le chat noir mange", "la la la la", "un chien", ""]:
        assert _bleu(h, "le chat noir mange la souris .") == pytest.approx(
            reference_sentence_bleu(h, "le chat noir mange la souris ."))


@pytest.mark.parametrize("wrong", [
    lambda h, r: _bleu(h, r, brevity=False),    # no brevity penalty
    lambda h, r: _bleu(h, r, clip=False),       # repeated words all count as matches
    lambda h, r: _bleu(h, r, smooth=False),     # a missing 4-gram sends BLEU to 0
    lambda h, r: _bleu(h, r, effective=False),  # short hypotheses forced through 4 orders
    lambda h, r: _bleu(h, r, scale=1.0),        # 0-1 scale instead of sacrebleu's 0-100
    lambda h, r: _bleu(h, r, divide_by_4=True),  # log-precisions summed over the effective order, divided by 4
])
def test_sentence_bleu_check_rejects_wrong_implementations(wrong):
    assert not check_sentence_bleu(wrong).ok
    with pytest.raises(CheckFailed):
        check_sentence_bleu(wrong, strict=True)


def _greedy_no_stop(model, src, src_lengths, max_len, bos_id, eos_id):  # never stops at <eos>
    state, prev, out = model.encode(src, src_lengths), torch.full((src.size(0),), bos_id), [[] for _ in src]
    for _ in range(max(max_len, 0)):
        logits, state = model.decode_step(prev, state)
        prev = logits.argmax(-1)
        for i, t in enumerate(prev.tolist()):
            out[i].append(t)
    return out


def _greedy_keeps_eos(model, src, src_lengths, max_len, bos_id, eos_id):
    out = reference_greedy_decode(model, src, src_lengths, max_len, bos_id, eos_id)
    return [seq + [eos_id] if len(seq) < max_len else seq for seq in out]


def _greedy_batch_stops_at_first_eos(model, src, src_lengths, max_len, bos_id, eos_id):
    state, prev, out = model.encode(src, src_lengths), torch.full((src.size(0),), bos_id), [[] for _ in src]
    for _ in range(max_len):
        logits, state = model.decode_step(prev, state)
        prev = logits.argmax(-1)
        if (prev == eos_id).any():
            break
        for i, t in enumerate(prev.tolist()):
            out[i].append(t)
    return out


def _greedy_off_by_one_limit(model, src, src_lengths, max_len, bos_id, eos_id):
    return reference_greedy_decode(model, src, src_lengths, max_len + 1, bos_id, eos_id)


def _greedy_drops_eos_but_keeps_what_follows(model, src, src_lengths, max_len, bos_id, eos_id):
    if max_len < 0:
        raise ValueError("max_len")
    out = _greedy_no_stop(model, src, src_lengths, max_len, bos_id, eos_id)
    return [[t for t in seq if t != eos_id] for seq in out]


@pytest.mark.parametrize("wrong", [_greedy_no_stop, _greedy_keeps_eos, _greedy_batch_stops_at_first_eos,
                                   _greedy_off_by_one_limit, _greedy_drops_eos_but_keeps_what_follows])
def test_greedy_decode_check_rejects_wrong_implementations(wrong):
    assert not check_greedy_decode(wrong).ok
    with pytest.raises(CheckFailed):
        check_greedy_decode(wrong, strict=True)


def _shapes_checked(logits, tgt):
    if logits.dim() != 3 or tgt.shape != logits.shape[:2]:
        raise ValueError("shapes")


def masked_loss_log_of_softmax(logits, tgt, pad_id):  # log(softmax) underflows to log(0) for large logits
    _shapes_checked(logits, tgt)
    mask = (tgt != pad_id).float()                                                      # (B, T)
    nll = -torch.log(F.softmax(logits, -1)).gather(-1, tgt.unsqueeze(-1)).squeeze(-1)  # (B, T)
    return (nll * mask).sum() / mask.sum()


def masked_loss_ignore_index_one_liner(logits, tgt, pad_id):  # the statement asks for a mask instead
    _shapes_checked(logits, tgt)
    return F.cross_entropy(logits.flatten(0, 1), tgt.flatten(), ignore_index=pad_id)


@pytest.mark.parametrize("wrong", [
    lambda logits, tgt, pad_id: F.cross_entropy(logits.flatten(0, 1), tgt.flatten()),            # no mask
    lambda logits, tgt, pad_id: F.cross_entropy(logits.flatten(0, 1), tgt.flatten(), ignore_index=pad_id,
                                                reduction="sum"),                                 # sum, not mean
    lambda logits, tgt, pad_id: torch.stack([F.cross_entropy(l[t != pad_id], t[t != pad_id])
                                             for l, t in zip(logits, tgt)]).mean(),               # mean of means
    lambda logits, tgt, pad_id: F.cross_entropy(logits.flatten(0, 1), tgt.flatten(), ignore_index=0),  # pad 0 hard-coded
    masked_loss_log_of_softmax,
    masked_loss_ignore_index_one_liner,
])
def test_masked_loss_check_rejects_wrong_implementations(wrong):
    assert not check_masked_loss(wrong).ok
    with pytest.raises(CheckFailed):
        check_masked_loss(wrong, strict=True)


def test_masked_loss_log_of_softmax_fails_on_large_logits_with_inf_printed_plainly():
    report = check_masked_loss(masked_loss_log_of_softmax)
    why = report.reasons["large logits (x100) stay finite: use log_softmax"]
    assert "got inf" in why or "got nan" in why
