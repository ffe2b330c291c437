"""The attention model's options (chapter 7): scaled weight tying, a bidirectional
encoder, and the uniform-attention control (embcourse.attention, embcourse.seq2seq)."""

from __future__ import annotations

import math

import pytest
import torch

from embcourse.attention import (ATTENTIONS, AttnSeq2Seq, UniformAttention, beam_search,
                                 count_parameters, source_mask)
from embcourse.seq2seq import Encoder, greedy_decode, masked_cross_entropy

PAD, BOS, EOS = 0, 1, 2


def model(seed=0, V=12, E=8, H=8, **options):
    torch.manual_seed(seed)
    return AttnSeq2Seq(V, V, embed_dim=E, hidden_size=H, src_pad_id=PAD, tgt_pad_id=PAD,
                       dropout=0.0, **options)


def copy_batch(seed=0, V=12, B=16, max_len=6):
    """A copy task: src = random words (padded), tgt = <bos> words <eos> (padded)."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, max_len + 1, (B,), generator=g)  # (B,)
    lengths[0] = max_len
    src = torch.full((B, max_len), PAD)  # (B, S)
    tgt = torch.full((B, max_len + 2), PAD)  # (B, S + 2)
    for i, n in enumerate(lengths.tolist()):
        words = torch.randint(3, V, (n,), generator=g)
        src[i, :n] = words
        tgt[i, :n + 2] = torch.cat([torch.tensor([BOS]), words, torch.tensor([EOS])])
    return src, lengths, tgt


def train(m, steps, seed=0, V=12, lr=1e-2):
    """Adam with clipping on one fixed copy batch; returns the loss before and after."""
    src, lengths, tgt = copy_batch(seed, V)
    opt = torch.optim.Adam(m.parameters(), lr=lr)
    losses = []
    for _ in range(steps + 1):
        loss = masked_cross_entropy(m(src, lengths, tgt[:, :-1]), tgt[:, 1:], PAD)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
    return losses[0], losses[-1]


# ------------------------------------------------------------ weight tying

def initial_logits_and_loss(tie, seed, V=400, E=32, H=32):
    m = model(seed, V=V, E=E, H=H, tie=tie).eval()
    src, lengths, tgt = copy_batch(seed + 100, V=V, B=32)
    with torch.no_grad():
        logits = m(src, lengths, tgt[:, :-1])  # (B, T, V)
    real = tgt[:, 1:] != PAD  # (B, T)
    finite = logits[real][:, torch.arange(V) != PAD]  # (N, V - 1): without the <pad> column
    return finite.std().item(), masked_cross_entropy(logits, tgt[:, 1:], PAD).item()


def test_tied_model_starts_at_the_untied_scale():
    # Factor 2.5 on the logit std (N(0, 1/E) against nn.Linear's U(+-1/sqrt(E)) is sqrt(3) =
    # 1.73x); an unscaled N(0, 1) table starts about sqrt(3E) ~ 10x larger and fails both.
    for seed in range(3):
        std_u, loss_u = initial_logits_and_loss(False, seed)
        std_t, loss_t = initial_logits_and_loss(True, seed)
        assert 1 / 2.5 < std_t / std_u < 2.5, (seed, std_t, std_u)
        assert abs(loss_t - math.log(400)) < 0.1 and abs(loss_u - math.log(400)) < 0.1, (
            seed, loss_t, loss_u)


def test_tied_lookups_keep_the_untied_input_scale():
    tied, untied = model(V=400, E=32, tie=True), model(V=400, E=32)
    rows = torch.arange(1, 400)
    scaled = tied.decoder.embedding(rows) * tied.decoder.emb_scale  # (V - 1, E)
    assert 0.9 < scaled.std().item() < 1.1
    assert torch.allclose(scaled, untied.decoder.embedding(rows), atol=1e-5)  # same random numbers


def test_tying_shares_one_parameter():
    m = model(tie=True)
    table = m.decoder.embedding.weight
    assert m.decoder.out.weight is table
    assert sum(p is table for p in m.parameters()) == 1
    assert count_parameters(model()) - count_parameters(m) == 12 * 8


def test_tied_pad_row_stays_exactly_zero_after_training_steps():
    m = model(tie=True).train()
    assert (m.decoder.embedding.weight[PAD] == 0).all()
    before, after = train(m, 30)
    assert math.isfinite(after) and after < before
    assert all(torch.isfinite(p).all() for p in m.parameters())
    assert (m.decoder.embedding.weight[PAD] == 0).all()


def test_tied_model_never_predicts_pad_even_with_a_large_pad_bias():
    m = model(tie=True).eval()
    with torch.no_grad():
        m.decoder.out.bias[PAD] = 1e4  # would win every argmax if <pad> were scored
    src, lengths, tgt = copy_batch()
    logits = m(src, lengths, tgt[:, :-1])  # (B, T, V)
    assert torch.isinf(logits[..., PAD]).all() and (logits[..., PAD] < 0).all()
    assert torch.isfinite(logits[..., 1:]).all()
    assert all(PAD not in seq for seq in greedy_decode(m, src, lengths, 8, BOS, EOS))
    assert all(PAD not in seq for seq in beam_search(m, src, lengths, 3, 8, BOS, EOS))


def test_untied_default_scores_pad_like_any_word():
    src, lengths, tgt = copy_batch()
    logits = model().eval()(src, lengths, tgt[:, :-1])  # (B, T, V)
    assert torch.isfinite(logits).all()


# ------------------------------------------------------ bidirectional encoder

def test_bidirectional_shapes():
    m = model(bidirectional=True, E=6, H=8).eval()
    src, lengths, tgt = copy_batch()
    outputs, last = m.encoder(src, lengths)
    assert outputs.shape == (16, 6, 16) and last.shape == (2, 16, 8)
    state = m.encode(src, lengths)
    assert state.keys.shape == (16, 6, 16) and state.hidden.shape == (16, 8)
    assert state.mask.equal(source_mask(lengths, 6))
    assert m(src, lengths, tgt[:, :-1]).shape == (16, 7, 12)


def encoder_outputs(enc, sentences, width):
    lengths = torch.tensor([len(s) for s in sentences])
    src = torch.tensor([s + [PAD] * (width - len(s)) for s in sentences])  # (B, S)
    with torch.no_grad():
        return enc(src, lengths)


def test_backward_half_reads_only_the_words_from_its_position_to_the_end():
    torch.manual_seed(0)
    enc = Encoder(12, 6, 8, PAD, dropout=0.0, bidirectional=True).eval()
    sent, i = [3, 4, 5, 6, 7, 8], 3
    other = [9, 10, 11, 4]  # in the same batch, so sent is padded (to 9) and packed
    earlier, later = list(sent), list(sent)
    earlier[1], later[5] = 11, 3
    out, _ = encoder_outputs(enc, [sent, earlier, later, other + [5] * 5], 9)  # (4, 9, 16)
    fwd, bwd = out[..., :8], out[..., 8:]
    assert torch.equal(bwd[0, i], bwd[1, i]) and not torch.allclose(fwd[0, i], fwd[1, i])
    assert torch.equal(fwd[0, i], fwd[2, i]) and not torch.allclose(bwd[0, i], bwd[2, i])


def test_bidirectional_final_states_are_taken_at_each_sentences_true_ends():
    torch.manual_seed(1)
    enc = Encoder(12, 6, 8, PAD, dropout=0.0, bidirectional=True).eval()
    sentences = [[3, 4, 5, 6, 7], [8, 9], [10, 11, 3]]
    out, last = encoder_outputs(enc, sentences, 5)  # (3, 5, 16), (2, 3, 8)
    for b, s in enumerate(sentences):
        assert torch.allclose(last[0, b], out[b, len(s) - 1, :8], atol=1e-6)  # forward: last word
        assert torch.allclose(last[1, b], out[b, 0, 8:], atol=1e-6)  # backward: first word
        assert (out[b, len(s):] == 0).all()


def test_bidirectional_keys_do_not_depend_on_the_batchs_padding():
    m = model(bidirectional=True).eval()
    sent = [3, 4, 5]
    alone = m.encode(torch.tensor([sent]), torch.tensor([3]))
    batch = torch.tensor([sent + [PAD] * 4, [6, 7, 8, 9, 10, 11, 3]])  # (2, 7)
    padded = m.encode(batch, torch.tensor([3, 7]))
    assert torch.allclose(alone.keys[0], padded.keys[0, :3], atol=1e-6)
    assert torch.allclose(alone.hidden[0], padded.hidden[0], atol=1e-6)


@pytest.mark.parametrize("options", [{"bidirectional": True}, {"attention": "uniform"},
                                     {"bidirectional": True, "tie": True}])
def test_teacher_forcing_equals_step_by_step_decoding(options):
    m = model(**options).eval()
    src, lengths, tgt = copy_batch()
    logits = m(src, lengths, tgt[:, :-1])  # (B, T, V)
    state = m.encode(src, lengths)
    for t in range(tgt.shape[1] - 1):
        step, state = m.decode_step(tgt[:, t], state)
        assert torch.allclose(logits[:, t], step, atol=1e-5)


@pytest.mark.parametrize("options", [{"bidirectional": True}, {"attention": "uniform"}])
def test_beam_of_one_is_greedy_for_the_new_options(options):
    m = model(**options).eval()
    src, lengths, _ = copy_batch()
    assert beam_search(m, src, lengths, 1, 8, BOS, EOS) == greedy_decode(m, src, lengths, 8, BOS, EOS)


@pytest.mark.parametrize("options", [{"bidirectional": True}, {"attention": "uniform"},
                                     {"tie": True}])
def test_a_short_training_run_reduces_the_loss(options):
    before, after = train(model(**options).train(), 40)
    assert after < 0.7 * before, (before, after)


# ------------------------------------------------------ uniform attention

def test_uniform_attention_is_registered_and_has_no_parameters():
    assert ATTENTIONS["uniform"] is UniformAttention
    assert list(UniformAttention(6, 4).parameters()) == []
    additive, uniform = model(), model(attention="uniform")
    attn = additive.decoder.attention
    assert count_parameters(additive) - count_parameters(uniform) == count_parameters(attn)


def test_uniform_weights_are_one_over_length_on_real_words_and_zero_on_padding():
    lengths = torch.tensor([5, 3, 1])
    mask = source_mask(lengths, 5)  # (3, 5)
    keys = torch.randn(3, 5, 4)
    keys[~mask] = 1e3  # padding keys that would show up in any average
    context, weights = UniformAttention(6, 4)(torch.randn(3, 6), keys, mask)
    for b, n in enumerate(lengths.tolist()):
        assert torch.allclose(weights[b, :n], torch.full((n,), 1 / n), atol=1e-7)
        assert (weights[b, n:] == 0).all()
        assert torch.allclose(context[b], keys[b, :n].mean(0), atol=1e-5)


def test_uniform_attention_ignores_the_query_and_refuses_a_bad_mask():
    keys, mask = torch.randn(2, 4, 3), source_mask(torch.tensor([4, 2]), 4)
    attn = UniformAttention(5, 3)
    assert torch.equal(attn(torch.randn(2, 5), keys, mask)[0], attn(torch.randn(2, 5), keys, mask)[0])
    with pytest.raises(TypeError, match="mask"):
        attn(torch.randn(2, 5), keys, mask.long())
