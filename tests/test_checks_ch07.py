"""The chapter 7 self-checks accept the references and reject wrong implementations."""

from __future__ import annotations

import pytest
import torch

from embcourse.checks.ch07 import (BOS, EOS, GARDEN_PATH, brute_force_search, check_additive_attention,
                                   check_beam_search, random_table, reference_additive_attention,
                                   reference_beam_search, table_step_fn)
from embcourse.checks.core import CheckFailed, Unfinished

# ----------------------------------------------------------- attention


def attention_without_mask(query, keys, mask, W_q, W_k, v):
    if mask.dtype != torch.bool:
        raise TypeError("mask")
    weights = torch.softmax(torch.tanh((query @ W_q.T)[:, None] + keys @ W_k.T) @ v, dim=-1)
    return (weights[:, :, None] * keys).sum(1), weights


def attention_masked_after_softmax(query, keys, mask, W_q, W_k, v):
    if mask.dtype != torch.bool:
        raise TypeError("mask")
    weights = torch.softmax(torch.tanh((query @ W_q.T)[:, None] + keys @ W_k.T) @ v, dim=-1) * mask
    return (weights[:, :, None] * keys).sum(1), weights


def attention_zero_filled_scores(query, keys, mask, W_q, W_k, v):
    if mask.dtype != torch.bool:
        raise TypeError("mask")
    scores = (torch.tanh((query @ W_q.T)[:, None] + keys @ W_k.T) @ v).masked_fill(~mask, 0.0)
    weights = torch.softmax(scores, dim=-1)
    return (weights[:, :, None] * keys).sum(1), weights


def attention_without_tanh(query, keys, mask, W_q, W_k, v):
    if mask.dtype != torch.bool:
        raise TypeError("mask")
    scores = (((query @ W_q.T)[:, None] + keys @ W_k.T) @ v).masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return (weights[:, :, None] * keys).sum(1), weights


def attention_accepting_int_mask(query, keys, mask, W_q, W_k, v):
    return reference_additive_attention(query, keys, mask.bool(), W_q, W_k, v)


@pytest.mark.parametrize("wrong", [attention_without_mask, attention_masked_after_softmax,
                                   attention_zero_filled_scores, attention_without_tanh,
                                   attention_accepting_int_mask])
def test_attention_check_rejects_a_wrong_implementation(wrong):
    assert not check_additive_attention(wrong)


def test_attention_check_accepts_the_reference():
    assert check_additive_attention(reference_additive_attention, strict=True)


def test_attention_check_reports_a_stub_without_raising(capsys):
    def stub(*args):
        raise Unfinished
    report = check_additive_attention(stub)
    assert not report and not report.implemented
    assert "not yet implemented" in capsys.readouterr().out
    with pytest.raises(CheckFailed):
        check_additive_attention(stub, strict=True)


def test_attention_check_strict_raises_on_a_wrong_implementation():
    with pytest.raises(CheckFailed):
        check_additive_attention(attention_without_mask, strict=True)


# --------------------------------------------------------- beam search


def beam_without_normalisation(step_fn, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    return reference_beam_search(step_fn, bos_id, eos_id, beam_size, max_len, 0.0) if alpha != 0 else \
        reference_beam_search(step_fn, bos_id, eos_id, beam_size, max_len, 1.0)


def beam_greedy_only(step_fn, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    return reference_beam_search(step_fn, bos_id, eos_id, 1, max_len, alpha)


def beam_length_without_eos(step_fn, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    if beam_size < 1:
        raise ValueError("beam_size")
    live, best = [(0.0, [bos_id])], ([], float("-inf"))
    for t in range(1, max_len + 1):
        cands = sorted(((s + lp, seq + [w]) for s, seq in live
                        for w, lp in enumerate(step_fn(seq).tolist())), key=lambda c: -c[0])[:beam_size]
        live = []
        for s, seq in cands:
            if seq[-1] == eos_id or t == max_len:
                n = max(1, t - (seq[-1] == eos_id))  # wrong: the <eos> is not counted
                if s / n ** alpha > best[1]:
                    best = (seq[1:], s / n ** alpha)
            else:
                live.append((s, seq))
        if not live:
            break
    return best


def beam_first_finished(step_fn, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    if beam_size < 1:
        raise ValueError("beam_size")
    live = [(0.0, [bos_id])]
    for t in range(1, max_len + 1):
        cands = sorted(((s + lp, seq + [w]) for s, seq in live
                        for w, lp in enumerate(step_fn(seq).tolist())), key=lambda c: -c[0])[:beam_size]
        for s, seq in cands:
            if seq[-1] == eos_id or t == max_len:
                return seq[1:], s / t ** alpha  # wrong: stops at the first finished hypothesis
        live = cands
    return [], float("-inf")


def beam_accepting_zero(step_fn, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    return reference_beam_search(step_fn, bos_id, eos_id, max(beam_size, 1), max_len, alpha)


def beam_without_validation(step_fn, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    """Refuses beam_size=0 only by accident: max() of no finished hypothesis raises ValueError."""
    live, finished = [(0.0, [bos_id])], []
    for t in range(1, max_len + 1):
        cands = sorted(((s + lp, seq + [w]) for s, seq in live
                        for w, lp in enumerate(step_fn(seq).tolist())), key=lambda c: -c[0])[:beam_size]
        live = []
        for s, seq in cands:
            if seq[-1] == eos_id or t == max_len:
                finished.append((seq[1:], s / t ** alpha))
            else:
                live.append((s, seq))
        if not live:
            break
    return max(finished, key=lambda f: f[1])


def beam_refilling(step_fn, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    """Finished candidates do not use up the beam: it refills with more live ones."""
    if not isinstance(beam_size, int) or beam_size < 1:
        raise ValueError("beam_size")
    live, best = [(0.0, [bos_id])], ([], float("-inf"))
    for t in range(1, max_len + 1):
        cands = sorted(((s + lp, seq + [w]) for s, seq in live
                        for w, lp in enumerate(step_fn(seq).tolist())), key=lambda c: -c[0])
        live = []
        for s, seq in cands:
            if len(live) == beam_size:
                break
            if seq[-1] == eos_id or t == max_len:
                if s / t ** alpha > best[1]:
                    best = (seq[1:], s / t ** alpha)
            else:
                live.append((s, seq))
        if not live:
            break
    return best


def beam_editing_the_table(step_fn, bos_id, eos_id, beam_size, max_len, alpha=1.0):
    """Right answers, but it writes into the rows step_fn returns: the table behind it changes."""
    def step(prefix):
        row = step_fn(prefix)
        row[bos_id] = float("-inf")  # "never <bos>", written into the caller's table
        return row
    return reference_beam_search(step, bos_id, eos_id, beam_size, max_len, alpha)


@pytest.mark.parametrize("wrong", [beam_without_normalisation, beam_greedy_only, beam_length_without_eos,
                                   beam_first_finished, beam_accepting_zero, beam_without_validation,
                                   beam_refilling, beam_editing_the_table])
def test_beam_check_rejects_a_wrong_implementation(wrong):
    assert not check_beam_search(wrong)
    with pytest.raises(CheckFailed):
        check_beam_search(wrong, strict=True)


def test_beam_without_validation_fails_on_negative_and_fractional_beam_sizes():
    report = check_beam_search(beam_without_validation)
    assert {"beam_size=-1 is refused (ValueError)", "beam_size=2.5 is refused (ValueError)"} <= set(report.failed)


def test_a_search_that_edits_the_table_is_reported_and_leaves_the_module_table_intact():
    garden = GARDEN_PATH.clone()
    report = check_beam_search(beam_editing_the_table)
    assert any("changes its input `step_fn`" in why for why in report.reasons.values())
    assert torch.equal(GARDEN_PATH, garden)


def test_beam_check_accepts_the_reference():
    assert check_beam_search(reference_beam_search, strict=True)


def test_beam_check_reports_a_stub_without_raising(capsys):
    def stub(*args):
        raise Unfinished
    report = check_beam_search(stub)
    assert not report and not report.implemented
    assert "not yet implemented" in capsys.readouterr().out
    with pytest.raises(CheckFailed):
        check_beam_search(stub, strict=True)


def test_garden_path_fools_greedy_but_not_a_beam_of_two():
    step = table_step_fn(GARDEN_PATH)
    greedy, _ = reference_beam_search(step, BOS, EOS, 1, 4, 1.0)
    beam, _ = reference_beam_search(step, BOS, EOS, 2, 4, 1.0)
    assert greedy == [2, 2, 2, 2] and beam == [3, EOS]


@pytest.mark.parametrize("seed,alpha", [(0, 1.0), (5, 0.0), (6, 0.7)])
def test_reference_with_an_exhaustive_beam_equals_brute_force(seed, alpha):
    step = table_step_fn(random_table(4, seed, eos_bias=-1.0))
    seq, score = reference_beam_search(step, BOS, EOS, 4 ** 4, 4, alpha)
    best, best_score = brute_force_search(step, BOS, EOS, 4, 4, alpha)
    assert seq == best and score == pytest.approx(best_score)
