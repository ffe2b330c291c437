"""Attention and decoding (chapter 7): masked additive attention, an attention
decoder with optional tied output embeddings, length-normalised beam search over
any translation model of chapter 6's interface, and helpers for heat maps and
BLEU by source length.

A translation model has ``forward(src, src_lengths, tgt_in) -> logits``,
``encode(src, src_lengths) -> state`` and ``decode_step(prev_tokens, state) ->
(logits, state)``; the decoding functions here treat ``state`` as opaque.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, NamedTuple

import torch
from torch import Tensor, nn

from embcourse.bleu import corpus_bleu
from embcourse.seq2seq import Encoder, TranslationData
from embcourse.utils import count_parameters  # noqa: F401  (chapter 7 imports it from here)


# ---------------------------------------------------------------- attention

def source_mask(src_lengths: Tensor, seq_len: int) -> Tensor:
    """Chapter 7: the (B, S) boolean mask that is True at real source positions, False at padding."""
    if src_lengths.dim() != 1:
        raise ValueError(f"src_lengths must be 1-D (B,), got shape {tuple(src_lengths.shape)}")
    positions = torch.arange(seq_len, device=src_lengths.device)  # (S,)
    return positions[None, :] < src_lengths[:, None]  # (B, S)


def masked_softmax(scores: Tensor, mask: Tensor) -> Tensor:
    """Chapter 7: softmax over the last axis that gives exactly zero weight where ``mask`` is False."""
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor (True = real position), got dtype {mask.dtype}")
    if not mask.any(dim=-1).all():
        raise ValueError("mask: every row needs at least one True (real) position")
    scores = scores.masked_fill(~mask, float("-inf"))  # (B, S)
    return torch.softmax(scores, dim=-1)  # (B, S)


class AdditiveAttention(nn.Module):
    """Chapter 7: Bahdanau's additive attention, score(q, k) = v . tanh(W_q q + W_k k)."""

    def __init__(self, query_size: int, key_size: int, attn_size: int):
        super().__init__()
        self.W_q = nn.Linear(query_size, attn_size, bias=False)
        self.W_k = nn.Linear(key_size, attn_size, bias=False)
        self.v = nn.Linear(attn_size, 1, bias=False)

    def prepare(self, keys: Tensor) -> Tensor:
        """Project the keys once per sentence: (B, S, key_size) -> (B, S, attn_size)."""
        return self.W_k(keys)  # (B, S, A)

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor,
                prepared: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Context (B, key_size) and weights (B, S) for query (B, query_size) over keys (B, S, key_size)."""
        proj_keys = self.prepare(keys) if prepared is None else prepared  # (B, S, A)
        energy = torch.tanh(self.W_q(query)[:, None, :] + proj_keys)  # (B, S, A)
        scores = self.v(energy).squeeze(-1)  # (B, S)
        weights = masked_softmax(scores, mask)  # (B, S)
        context = torch.bmm(weights[:, None, :], keys).squeeze(1)  # (B, key_size)
        return context, weights


class DotAttention(nn.Module):
    """Chapter 7: scaled dot-product attention, score(q, k) = (W q) . k / sqrt(key_size)."""

    def __init__(self, query_size: int, key_size: int, attn_size: int | None = None):
        super().__init__()
        self.W_q = nn.Linear(query_size, key_size, bias=False)
        self.scale = 1.0 / math.sqrt(key_size)

    def prepare(self, keys: Tensor) -> Tensor:
        """Nothing to precompute: the keys themselves."""
        return keys  # (B, S, key_size)

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor,
                prepared: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Context (B, key_size) and weights (B, S), as :class:`AdditiveAttention`."""
        q = self.W_q(query) * self.scale  # (B, key_size)
        scores = torch.bmm(keys, q[:, :, None]).squeeze(-1)  # (B, S)
        weights = masked_softmax(scores, mask)  # (B, S)
        context = torch.bmm(weights[:, None, :], keys).squeeze(1)  # (B, key_size)
        return context, weights


ATTENTIONS = {"additive": AdditiveAttention, "dot": DotAttention}


# ------------------------------------------------------------------ decoder

class AttnState(NamedTuple):
    """Chapter 7: decoder state: hidden (B, H), encoder outputs (B, S, K), their projection, source mask (B, S)."""

    hidden: Tensor
    keys: Tensor
    prepared: Tensor
    mask: Tensor


class AttnDecoder(nn.Module):
    """Chapter 7: embedding -> attention -> GRU cell fed [embedding; context] -> pre-output -> Linear."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, key_size: int,
                 pad_id: int, attention: str = "additive", tie: bool = False, dropout: float = 0.0):
        super().__init__()
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {sorted(ATTENTIONS)}, got {attention!r}")
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.attention = ATTENTIONS[attention](hidden_size, key_size, hidden_size)
        self.cell = nn.GRUCell(embed_dim + key_size, hidden_size)
        self.pre_out = nn.Linear(hidden_size + key_size + embed_dim, embed_dim)  # embed_dim wide, so tying fits
        self.out = nn.Linear(embed_dim, vocab_size)
        self.dropout = nn.Dropout(dropout)
        if tie:
            self.out.weight = self.embedding.weight  # one (V, E) table for input and output

    def step(self, prev_tokens: Tensor, state: AttnState) -> tuple[Tensor, AttnState, Tensor]:
        """One recurrent step: features for the output layer (B, F), the new state, the weights (B, S)."""
        emb = self.dropout(self.embedding(prev_tokens))  # (B, E)
        context, weights = self.attention(state.hidden, state.keys, state.mask, state.prepared)  # (B, K), (B, S)
        hidden = self.cell(torch.cat([emb, context], dim=-1), state.hidden)  # (B, H)
        feats = torch.cat([hidden, context, emb], dim=-1)  # (B, H + K + E)
        return feats, state._replace(hidden=hidden), weights

    def logits(self, feats: Tensor) -> Tensor:
        """Output layer: features (..., H + K + E) -> logits (..., V)."""
        return self.out(self.dropout(torch.tanh(self.pre_out(feats))))  # (..., V)


class AttnSeq2Seq(nn.Module):
    """Chapter 7: chapter 6's :class:`~embcourse.seq2seq.Encoder` with an :class:`AttnDecoder`.

    Same interface as chapter 6's ``Seq2Seq``: ``forward``, ``encode`` and
    ``decode_step``; the state carries the encoder outputs and the source mask.
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, embed_dim: int = 64,
                 hidden_size: int = 256, src_pad_id: int = 0, tgt_pad_id: int = 0,
                 dropout: float = 0.1, attention: str = "additive", tie: bool = False):
        super().__init__()
        self.encoder = Encoder(src_vocab_size, embed_dim, hidden_size, src_pad_id, dropout)
        self.decoder = AttnDecoder(tgt_vocab_size, embed_dim, hidden_size, hidden_size, tgt_pad_id,
                                   attention, tie, dropout)
        self.bridge = nn.Linear(hidden_size, hidden_size)  # encoder summary -> first decoder state

    def encode(self, src: Tensor, src_lengths: Tensor) -> AttnState:
        """Encode a padded batch: the decoder's first state, carrying outputs and source mask."""
        outputs, last = self.encoder(src, src_lengths)  # (B, S, H), (1, B, H)
        mask = source_mask(src_lengths.to(outputs.device), outputs.shape[1])  # (B, S)
        hidden = torch.tanh(self.bridge(last[0]))  # (B, H)
        return AttnState(hidden, outputs, self.decoder.attention.prepare(outputs), mask)

    def decode_step(self, prev_tokens: Tensor, state: AttnState, return_weights: bool = False):
        """Logits (B, V) for the next token and the new state (and the attention weights (B, S) if asked)."""
        feats, state, weights = self.decoder.step(prev_tokens, state)  # (B, F), ..., (B, S)
        logits = self.decoder.logits(feats)  # (B, V)
        return (logits, state, weights) if return_weights else (logits, state)

    def forward(self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor) -> Tensor:
        """Teacher forcing: logits (B, T, V) for target inputs tgt_in (B, T)."""
        state = self.encode(src, src_lengths)
        feats = []
        for t in range(tgt_in.shape[1]):
            f, state, _ = self.decoder.step(tgt_in[:, t], state)  # (B, F)
            feats.append(f)
        return self.decoder.logits(torch.stack(feats, dim=1))  # (B, T, V): one output layer call


# -------------------------------------------------------------- beam search

def _map(fn: Callable[..., Any], *trees: Any) -> Any:
    """Apply ``fn`` to matching tensor leaves of equally shaped states (tuples, lists, dicts, dataclasses)."""
    first = trees[0]
    if isinstance(first, Tensor):
        return fn(*trees)
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(_map(fn, *xs) for xs in zip(*trees)))
    if isinstance(first, (tuple, list)):
        return type(first)(_map(fn, *xs) for xs in zip(*trees))
    if isinstance(first, dict):
        return {k: _map(fn, *(t[k] for t in trees)) for k in first}
    if dataclasses.is_dataclass(first) and not isinstance(first, type):
        names = [f.name for f in dataclasses.fields(first)]
        return dataclasses.replace(first, **{n: _map(fn, *(getattr(t, n) for t in trees)) for n in names})
    return first  # not a tensor: carried along unchanged


def _batch_dims(model: nn.Module, src: Tensor, src_lengths: Tensor) -> Any:
    """Find each state tensor's batch axis by encoding one sentence once and twice."""
    one = model.encode(src[:1], src_lengths[:1])
    two = model.encode(src[:1].repeat(2, 1), src_lengths[:1].repeat(2))

    def axis(a: Tensor, b: Tensor) -> int | None:
        diff = [i for i, (m, n) in enumerate(zip(a.shape, b.shape)) if (m, n) == (1, 2)]
        return diff[0] if diff else None
    return _map(axis, one, two)


def _select(state: Any, dims: Any, rows: Tensor) -> Any:
    """Pick batch rows ``rows`` (N',) out of every batched tensor of ``state``."""
    return _map(lambda x, d: x if d is None else x.index_select(d, rows.to(x.device)), state, dims)


@torch.no_grad()
def beam_search(model: nn.Module, src: Tensor, src_lengths: Tensor, beam_size: int, max_len: int,
                bos_id: int, eos_id: int, alpha: float = 1.0) -> list[list[int]]:
    """Chapter 7: length-normalised beam search; token ids per sentence, without <bos>/<eos>.

    Each step extends every live hypothesis by every token and keeps the
    ``beam_size`` best by total log-probability; a kept hypothesis that ends in
    ``<eos>`` (or reaches ``max_len``) is finished and leaves the beam. The
    answer is the finished hypothesis with the best score / length ** alpha,
    the length counting the ``<eos>``. ``beam_size=1`` is greedy decoding.
    """
    if not isinstance(beam_size, int) or beam_size < 1:
        raise ValueError(f"beam_size must be a positive int, got {beam_size!r}")
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    was_training = model.training
    model.eval()
    try:
        return _beam_search(model, src, src_lengths, beam_size, max_len, bos_id, eos_id, alpha)
    finally:
        model.train(was_training)


def _beam_search(model, src, src_lengths, k, max_len, bos_id, eos_id, alpha):
    N, dev = src.shape[0], src.device
    dims = _batch_dims(model, src, src_lengths)
    state = _select(model.encode(src, src_lengths), dims, torch.arange(N, device=dev).repeat_interleave(k))
    scores = torch.full((N, k), float("-inf"), device=dev)  # (N, k) total log-prob; -inf = no hypothesis
    scores[:, 0] = 0.0
    prev = torch.full((N * k,), bos_id, dtype=torch.long, device=dev)  # (N k,)
    history = torch.empty(N * k, 0, dtype=torch.long, device=dev)  # (N k, t)
    best: list[tuple[float, list[int]]] = [(float("-inf"), []) for _ in range(N)]
    for t in range(1, max_len + 1):
        logits, state = model.decode_step(prev, state)  # (N k, V)
        logp = torch.log_softmax(logits.float(), dim=-1)  # (N k, V)
        V = logp.shape[-1]
        top, pos = (scores.view(-1, 1) + logp).view(N, k * V).topk(k, dim=1)  # (N, k)
        rows = (torch.arange(N, device=dev)[:, None] * k + pos // V).view(-1)  # (N k,) parent rows
        tok = pos % V  # (N, k)
        history = torch.cat([history[rows], tok.view(-1, 1)], dim=1)  # (N k, t)
        ended = (top > float("-inf")) & ((tok == eos_id) | (t == max_len))  # (N, k)
        for i, j in ended.nonzero().tolist():
            norm = top[i, j].item() / t ** alpha
            if norm > best[i][0]:
                seq = history[i * k + j].tolist()
                best[i] = (norm, seq[:-1] if seq[-1] == eos_id else seq)
        scores = top.masked_fill(ended, float("-inf"))  # finished hypotheses leave the beam
        if not torch.isfinite(scores).any():
            break
        state, prev = _select(state, dims, rows), tok.view(-1)
    return [seq for _, seq in best]


def beam_search_one(step_fn: Callable[[list[int]], Tensor], bos_id: int, eos_id: int,
                    beam_size: int, max_len: int, alpha: float = 1.0) -> tuple[list[int], float]:
    """Chapter 7: beam search for one sentence, written plainly: (tokens ending in <eos> if finished, score).

    ``step_fn(prefix)`` returns the next-token log-probabilities (V,) after
    ``prefix`` (which starts with ``bos_id``). Same rule as :func:`beam_search`.
    """
    if not isinstance(beam_size, int) or beam_size < 1:
        raise ValueError(f"beam_size must be a positive int, got {beam_size!r}")
    live, best = [(0.0, [bos_id])], ([], float("-inf"))
    for t in range(1, max_len + 1):
        cands = [(s + lp, seq + [w]) for s, seq in live
                 for w, lp in enumerate(step_fn(seq).tolist())]
        cands = sorted(cands, key=lambda c: -c[0])[:beam_size]
        live = []
        for s, seq in cands:
            if seq[-1] == eos_id or t == max_len:
                if s / t ** alpha > best[1]:
                    best = (seq[1:], s / t ** alpha)
            else:
                live.append((s, seq))
        if not live:
            break
    return best


def translate_beam(model: nn.Module, data: TranslationData, sentences: list[str], beam_size: int,
                   alpha: float = 1.0, max_len: int = 30, batch_size: int = 256) -> list[str]:
    """Chapter 7: beam-search translations of tokenized English ``sentences``."""
    if isinstance(sentences, str):
        raise TypeError("sentences must be a list of strings, got a single str")
    device, out = next(model.parameters()).device, []
    for k in range(0, len(sentences), batch_size):
        src, src_lengths = data.encode_sources(sentences[k:k + batch_size])  # (B, S), (B,)
        ids = beam_search(model, src.to(device), src_lengths, beam_size, max_len,
                          data.tgt_vocab.bos_id, data.tgt_vocab.eos_id, alpha)
        out += [" ".join(data.tgt_vocab.decode(seq)) for seq in ids]
    return out


def evaluate_beam(model: nn.Module, data: TranslationData, pairs: list[tuple[str, str]], beam_size: int,
                  alpha: float = 1.0, max_len: int = 30) -> dict:
    """Chapter 7: like chapter 6's ``evaluate`` (BLEU, exact match), decoding with beam search."""
    if not pairs:
        raise ValueError("pairs is empty: nothing to evaluate")
    hyps = translate_beam(model, data, [en for en, _ in pairs], beam_size, alpha, max_len)
    refs = [fr for _, fr in pairs]
    exact = sum(h == r for h, r in zip(hyps, refs)) / len(refs)
    return {"bleu": corpus_bleu(hyps, refs), "exact_match": exact, "n": len(refs), "hypotheses": hyps}


# ------------------------------------------------------------ inspection

def bleu_by_length(pairs: list[tuple[str, str]], hypotheses: list[str],
                   edges: list[int]) -> list[tuple[str, int, float, float]]:
    """Chapter 7: per source-length bucket [edges[i], edges[i+1]): (label, count, corpus BLEU, exact match)."""
    if len(pairs) != len(hypotheses):
        raise ValueError(f"got {len(pairs)} pairs but {len(hypotheses)} hypotheses")
    if list(edges) != sorted(set(edges)) or len(edges) < 2:
        raise ValueError(f"edges must be at least two increasing numbers, got {edges}")
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        idx = [i for i, (en, _) in enumerate(pairs) if lo <= len(en.split()) < hi]
        if idx:
            hyps, refs = [hypotheses[i] for i in idx], [pairs[i][1] for i in idx]
            exact = sum(h == r for h, r in zip(hyps, refs)) / len(idx)
            rows.append((f"{lo}-{hi - 1}", len(idx), corpus_bleu(hyps, refs), exact))
    return rows


@torch.no_grad()
def attention_map(model: AttnSeq2Seq, src_ids: list[int], max_len: int, bos_id: int,
                  eos_id: int) -> tuple[list[int], Tensor]:
    """Chapter 7: greedy translation of one sentence and its attention weights (T, S), one row per output token."""
    model.eval()
    dev = next(model.parameters()).device
    src = torch.tensor([src_ids], device=dev)  # (1, S)
    state = model.encode(src, torch.tensor([len(src_ids)]))
    prev, out, rows = torch.tensor([bos_id], device=dev), [], []
    for _ in range(max_len):
        logits, state, weights = model.decode_step(prev, state, return_weights=True)  # (1, V), (1, S)
        prev = logits.argmax(-1)  # (1,)
        out.append(prev.item())
        rows.append(weights[0].cpu())
        if out[-1] == eos_id:
            break
    return out, torch.stack(rows)  # (T, S)


def plot_attention(ax, weights: Tensor, src_tokens: list[str], tgt_tokens: list[str], title: str = ""):
    """Chapter 7: draw attention weights (T, S) as a heat map, source along x, output along y; return ax."""
    if tuple(weights.shape) != (len(tgt_tokens), len(src_tokens)):
        raise ValueError(f"weights has shape {tuple(weights.shape)}, expected "
                         f"(len(tgt_tokens), len(src_tokens)) = ({len(tgt_tokens)}, {len(src_tokens)})")
    ax.imshow(weights.numpy(), cmap="Greys", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(src_tokens)), src_tokens, rotation=60, ha="right")
    ax.set_yticks(range(len(tgt_tokens)), tgt_tokens)
    ax.set_xlabel("source (English)")
    ax.set_ylabel("output (French)")
    ax.set_title(title)
    return ax
