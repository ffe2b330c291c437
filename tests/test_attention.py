"""Chapter 7's attention, attention decoder, beam search and helpers (embcourse.attention)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from embcourse.attention import (AdditiveAttention, AttnSeq2Seq, DotAttention, UniformAttention,
                                 _batch_dims, beam_search, beam_search_one, bleu_by_length,
                                 count_parameters, evaluate_beam, masked_softmax, source_mask)
from embcourse.bleu import corpus_bleu
from embcourse.checks.ch07 import brute_force_search, reference_additive_attention
from embcourse.seq2seq import Seq2Seq, TranslationData, evaluate, greedy_decode


def random_attention_inputs(seed=0, lengths=(5, 3, 1), key_size=4):
    g = torch.Generator().manual_seed(seed)
    S = max(lengths)
    query = torch.randn(len(lengths), 6, generator=g)  # (B, Hq)
    keys = torch.randn(len(lengths), S, key_size, generator=g)  # (B, S, K)
    return query, keys, source_mask(torch.tensor(lengths), S)


# ------------------------------------------------------------ attention

def test_source_mask_is_true_exactly_at_real_positions():
    mask = source_mask(torch.tensor([3, 1]), 4)
    assert mask.tolist() == [[True, True, True, False], [True, False, False, False]]


def test_masked_softmax_gives_zero_weight_to_padding_and_sums_to_one():
    scores = torch.randn(3, 5)
    mask = source_mask(torch.tensor([5, 2, 1]), 5)
    weights = masked_softmax(scores, mask)
    assert (weights[~mask] == 0).all()
    assert torch.allclose(weights.sum(-1), torch.ones(3))


def test_masked_softmax_refuses_an_integer_mask_and_an_empty_row():
    with pytest.raises(TypeError, match="mask"):
        masked_softmax(torch.randn(2, 3), torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="at least one"):
        masked_softmax(torch.randn(2, 3), torch.tensor([[True, False, False], [False] * 3]))


def test_additive_attention_module_equals_the_exercise_reference():
    query, keys, mask = random_attention_inputs(1)
    attn = AdditiveAttention(6, 4, 3)
    context, weights = attn(query, keys, mask)
    ref_c, ref_w = reference_additive_attention(query, keys, mask, attn.W_q.weight, attn.W_k.weight,
                                                attn.v.weight[0])
    assert torch.allclose(context, ref_c, atol=1e-6) and torch.allclose(weights, ref_w, atol=1e-6)


@pytest.mark.parametrize("kind", [AdditiveAttention, DotAttention, UniformAttention])
def test_keys_at_padded_positions_do_not_change_the_context(kind):
    query, keys, mask = random_attention_inputs(2)
    attn = kind(6, 4, 3)
    noisy = keys.clone()
    noisy[~mask] = 1e3
    assert torch.allclose(attn(query, keys, mask)[0], attn(query, noisy, mask)[0], atol=1e-6)


def test_dot_attention_weights_are_the_softmax_of_scaled_dot_products():
    query, keys, mask = random_attention_inputs(3, lengths=(4, 4))
    attn = DotAttention(6, 4)
    _, weights = attn(query, keys, mask)
    q = attn.W_q(query) / 2.0  # sqrt(key_size = 4) = 2
    expected = torch.softmax(torch.einsum("bk,bsk->bs", q, keys), dim=-1)
    assert torch.allclose(weights, expected, atol=1e-6)


# ---------------------------------------------------------- the model

def tiny_model(tie=False, attention="additive", seed=0):
    torch.manual_seed(seed)
    return AttnSeq2Seq(11, 9, embed_dim=6, hidden_size=8, src_pad_id=0, tgt_pad_id=0, dropout=0.0,
                       attention=attention, tie=tie).eval()


def tiny_batch():
    src = torch.tensor([[4, 5, 6, 3], [7, 3, 0, 0], [8, 9, 3, 0]])  # (B, S), 0 = <pad>
    return src, torch.tensor([4, 2, 3]), torch.tensor([[2, 4, 5, 6], [2, 7, 0, 0], [2, 8, 4, 0]])


@pytest.mark.parametrize("attention", ["additive", "dot", "uniform"])
def test_teacher_forcing_equals_feeding_the_same_tokens_step_by_step(attention):
    model = tiny_model(attention=attention)
    src, src_lengths, tgt_in = tiny_batch()
    logits = model(src, src_lengths, tgt_in)  # (B, T, V)
    state = model.encode(src, src_lengths)
    for t in range(tgt_in.shape[1]):
        step, state = model.decode_step(tgt_in[:, t], state)
        assert torch.allclose(logits[:, t], step, atol=1e-5)


def test_extra_padding_columns_do_not_change_the_logits():
    model = tiny_model()
    src, src_lengths, tgt_in = tiny_batch()
    wider = torch.cat([src, torch.zeros(3, 3, dtype=torch.long)], dim=1)  # (B, S + 3)
    assert torch.allclose(model(src, src_lengths, tgt_in), model(wider, src_lengths, tgt_in), atol=1e-5)


def test_decode_step_returns_weights_that_ignore_padding():
    model = tiny_model()
    src, src_lengths, _ = tiny_batch()
    logits, _, weights = model.decode_step(torch.full((3,), 2), model.encode(src, src_lengths),
                                           return_weights=True)
    assert logits.shape == (3, 9) and weights.shape == (3, 4)
    assert (weights[~source_mask(src_lengths, 4)] == 0).all()
    assert torch.allclose(weights.sum(-1), torch.ones(3))


def test_tying_shares_one_table_and_saves_vocab_size_times_embed_dim_parameters():
    untied, tied = tiny_model(), tiny_model(tie=True)
    assert tied.decoder.out.weight is tied.decoder.embedding.weight
    assert count_parameters(untied) - count_parameters(tied) == 9 * 6


def test_an_unknown_attention_kind_is_refused():
    with pytest.raises(ValueError, match="attention"):
        tiny_model(attention="cosine")


# ---------------------------------------------------------- beam search

class TableModel(nn.Module):
    """Interface-(3) model with known weights: log p(next | position, previous token) + a source bias."""

    def __init__(self, table, src_bias):
        super().__init__()
        self.table, self.src_bias = table, src_bias  # (L, V, V), (V_src, V)
        self.dummy = nn.Parameter(torch.zeros(1))

    def encode(self, src, src_lengths):
        t = torch.zeros(1, src.shape[0], dtype=torch.long)  # (1, B): batch on axis 1, like a GRU state
        return {"t": t, "bias": self.src_bias[src[:, 0]], "note": "carried along"}

    def decode_step(self, prev, state):
        logits = self.table[state["t"][0], prev] + state["bias"]  # (B, V)
        return logits, {**state, "t": state["t"] + 1}

    def step_fn(self, first_src_token):
        bias = self.src_bias[first_src_token]
        return lambda prefix: torch.log_softmax(self.table[len(prefix) - 1, prefix[-1]] + bias, -1)


def table_model(seed=0, V=5, L=6):
    g = torch.Generator().manual_seed(seed)
    table = 2 * torch.randn(L, V, V, generator=g)
    table[..., 0] = float("-inf")  # never predict <bos> = 0
    return TableModel(table, torch.randn(4, V, generator=g))


def test_batch_axes_of_the_state_are_found_by_probing():
    model = table_model()
    src = torch.tensor([[1, 2], [3, 1]])
    dims = _batch_dims(model, src, torch.tensor([2, 2]))
    assert dims == {"t": 1, "bias": 0, "note": "carried along"}


@pytest.mark.parametrize("beam_size,alpha", [(1, 1.0), (2, 1.0), (3, 0.0), (4, 0.7)])
def test_batched_beam_search_equals_the_plain_one_sentence_version(beam_size, alpha):
    model = table_model(1)
    src = torch.tensor([[0, 1], [1, 1], [2, 3], [3, 3]])  # first tokens pick the bias
    got = beam_search(model, src, torch.tensor([2, 2, 2, 2]), beam_size, 5, 0, 1, alpha)
    for i in range(4):
        seq, _ = beam_search_one(model.step_fn(i), 0, 1, beam_size, 5, alpha)
        assert got[i] == (seq[:-1] if seq and seq[-1] == 1 else seq)


def test_an_exhaustive_beam_finds_the_brute_force_optimum():
    model = table_model(2, V=4)
    got = beam_search(model, torch.tensor([[2]]), torch.tensor([1]), 4 ** 4, 4, 0, 1, 1.0)
    seq, _ = brute_force_search(model.step_fn(2), 0, 1, 4, 4, 1.0)
    assert got[0] == (seq[:-1] if seq[-1] == 1 else seq)


@pytest.mark.parametrize("make", [lambda: tiny_model(), lambda: tiny_model(tie=True, attention="dot"),
                                  lambda: Seq2Seq(11, 9, embed_dim=6, hidden_size=8).eval()])
def test_beam_of_one_is_greedy_decoding_for_both_chapter_models(make):
    torch.manual_seed(3)
    model = make()
    src, src_lengths, _ = tiny_batch()
    assert beam_search(model, src, src_lengths, 1, 7, 2, 3) == greedy_decode(model, src, src_lengths, 7, 2, 3)


def test_beam_search_refuses_a_bad_beam_size_and_restores_training_mode():
    model = tiny_model().train()
    src, src_lengths, _ = tiny_batch()
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(model, src, src_lengths, 0, 5, 2, 3)
    beam_search(model, src, src_lengths, 2, 5, 2, 3)
    assert model.training


# ---------------------------------------------------------- evaluation helpers

PAIRS = [("the cat eats", "le chat mange"), ("the dog eats", "le chien mange"),
         ("a big cat sleeps", "un gros chat dort"), ("the dog sleeps", "le chien dort")]


def test_beam_of_one_scores_the_same_bleu_as_chapter_6_evaluate():
    data = TranslationData.build(SimpleNamespace(train=PAIRS, valid=PAIRS, test=PAIRS), batch_size=2)
    torch.manual_seed(0)
    model = AttnSeq2Seq(len(data.src_vocab), len(data.tgt_vocab), 8, 8, data.src_vocab.pad_id,
                        data.tgt_vocab.pad_id)
    ours, theirs = evaluate_beam(model, data, PAIRS, 1), evaluate(model, data, PAIRS)
    assert ours["hypotheses"] == theirs["hypotheses"] and ours["bleu"] == theirs["bleu"]


def test_bleu_by_length_buckets_by_source_tokens():
    hyps = ["le chat dort", "le chien mange", "un gros chat dort", "le chien mange"]
    rows = bleu_by_length(PAIRS, hyps, [3, 4, 5])
    assert [(label, n, exact) for label, n, _, exact in rows] == [("3-3", 3, 1 / 3), ("4-4", 1, 1.0)]
    short = [0, 1, 3]
    assert rows[0][2] == corpus_bleu([hyps[i] for i in short], [PAIRS[i][1] for i in short])
    assert rows[1][2] == pytest.approx(100.0)
    with pytest.raises(ValueError, match="edges"):
        bleu_by_length(PAIRS, hyps, [5, 3])
