"""Attention and decoding (chapter 7): masked additive attention (and a uniform
control), an attention decoder with optional tied output embeddings and an
optional bidirectional encoder, length-normalised beam search over
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
from embcourse.corpus import normalise
from embcourse.seq2seq import (MAX_LEN_A, MAX_LEN_B, Encoder, TranslationData, _scores,
                               decode_limits, translate_batches)
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


class UniformAttention(nn.Module):
    """Chapter 7's control: the same weight 1 / S_i on every real source word, whatever the query.

    It has no parameters. The weights are 1 / S_i over sentence i's real positions
    and exactly 0 on padding, so the context is the mean of the real keys. A
    decoder built with it keeps everything else of the attention decoder (the
    context fed to the GRU cell, the output layer over [state; context;
    embedding]); what the additive score adds on top of that is what attention,
    the choosing of words, is worth.
    """

    def __init__(self, query_size: int, key_size: int, attn_size: int | None = None):
        super().__init__()

    def prepare(self, keys: Tensor) -> Tensor:
        """Nothing to precompute: the keys themselves."""
        return keys  # (B, S, key_size)

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor,
                prepared: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Context (B, key_size) and weights (B, S), as the others; ``query`` is ignored."""
        scores = torch.zeros(mask.shape, dtype=keys.dtype, device=keys.device)  # (B, S): all equal
        weights = masked_softmax(scores, mask)  # (B, S): 1 / S_i at real positions, 0 on padding
        context = torch.bmm(weights[:, None, :], keys).squeeze(1)  # (B, key_size): mean of real keys
        return context, weights


ATTENTIONS = {"additive": AdditiveAttention, "dot": DotAttention, "uniform": UniformAttention}


# ------------------------------------------------------------------ decoder

class AttnState(NamedTuple):
    """Chapter 7: decoder state: hidden (B, H), encoder outputs (B, S, K), their projection, source mask (B, S)."""

    hidden: Tensor
    keys: Tensor
    prepared: Tensor
    mask: Tensor


class AttnDecoder(nn.Module):
    """Chapter 7: embedding -> attention -> GRU cell fed [embedding; context] -> pre-output -> Linear.

    With ``tie`` the output layer's weight is the embedding table itself, scaled
    as Vaswani et al. (2017) do: the table starts at N(0, 1/E) and lookups are
    multiplied by sqrt(E), so the decoder reads inputs of the untied scale (N(0, 1))
    while the output layer starts with small logits like an untied ``nn.Linear``,
    whose U(+-1/sqrt(E)) rows are only sqrt(3) times smaller (an unscaled N(0, 1)
    table would start them about sqrt(3E) times larger, and the loss far above the
    uniform ln V). A tied model also never scores ``<pad>``: its logit is
    -inf. ``<pad>`` is never a target, so nothing is lost, and the shared ``<pad>``
    row then gets no gradient from the output side (its probability is exactly 0)
    nor from the input side (``padding_idx``): it stays the zero vector of chapter 6.
    Untied, the output layer's ``<pad>`` row is a weight of its own and the
    embedding's stays zero anyway, so nothing is masked.
    """

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
        self.tie, self.pad_id, self.emb_scale = tie, pad_id, 1.0
        if tie:
            self.out.weight = self.embedding.weight  # one (V, E) table for input and output
            with torch.no_grad():
                self.embedding.weight.mul_(embed_dim ** -0.5)  # N(0, 1) -> N(0, 1/E); pad row stays 0
            self.emb_scale = math.sqrt(embed_dim)  # lookups back to N(0, 1)

    def step(self, prev_tokens: Tensor, state: AttnState) -> tuple[Tensor, AttnState, Tensor]:
        """One recurrent step: features for the output layer (B, F), the new state, the weights (B, S)."""
        emb = self.dropout(self.embedding(prev_tokens) * self.emb_scale)  # (B, E)
        context, weights = self.attention(state.hidden, state.keys, state.mask, state.prepared)  # (B, K), (B, S)
        hidden = self.cell(torch.cat([emb, context], dim=-1), state.hidden)  # (B, H)
        feats = torch.cat([hidden, context, emb], dim=-1)  # (B, H + K + E)
        return feats, state._replace(hidden=hidden), weights

    def logits(self, feats: Tensor) -> Tensor:
        """Output layer: features (..., H + K + E) -> logits (..., V); tied, the ``<pad>`` logit is -inf."""
        logits = self.out(self.dropout(torch.tanh(self.pre_out(feats))))  # (..., V)
        if self.tie:
            pad = torch.tensor([self.pad_id], device=logits.device)
            logits = logits.index_fill(-1, pad, float("-inf"))  # (..., V): <pad> never predicted
        return logits


class AttnSeq2Seq(nn.Module):
    """Chapter 7: chapter 6's :class:`~embcourse.seq2seq.Encoder` with an :class:`AttnDecoder`.

    Same interface as chapter 6's ``Seq2Seq``: ``forward``, ``encode`` and
    ``decode_step``; the state carries the encoder outputs and the source mask.
    ``attention`` names a module of ``ATTENTIONS`` (``"uniform"`` is the control);
    ``tie`` shares the target embedding with the output layer (see
    :class:`AttnDecoder`); ``bidirectional`` encodes in both directions, as
    Bahdanau et al. (2015) do, so the keys are (B, S, 2H) and the bridge reads
    both directions' final states.
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, embed_dim: int = 64,
                 hidden_size: int = 256, src_pad_id: int = 0, tgt_pad_id: int = 0,
                 dropout: float = 0.1, attention: str = "additive", tie: bool = False,
                 bidirectional: bool = False):
        super().__init__()
        key_size = 2 * hidden_size if bidirectional else hidden_size
        self.encoder = Encoder(src_vocab_size, embed_dim, hidden_size, src_pad_id, dropout,
                               bidirectional=bidirectional)
        self.decoder = AttnDecoder(tgt_vocab_size, embed_dim, hidden_size, key_size, tgt_pad_id,
                                   attention, tie, dropout)
        self.bridge = nn.Linear(key_size, hidden_size)  # encoder summary -> first decoder state

    def encode(self, src: Tensor, src_lengths: Tensor) -> AttnState:
        """Encode a padded batch: the decoder's first state, carrying outputs and source mask."""
        outputs, last = self.encoder(src, src_lengths)  # (B, S, K), (1 or 2, B, H); K = H or 2H
        mask = source_mask(src_lengths.to(outputs.device), outputs.shape[1])  # (B, S)
        summary = torch.cat(list(last), dim=-1)  # (B, K): [forward at the end; backward at the start]
        hidden = torch.tanh(self.bridge(summary))  # (B, H)
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
                bos_id: int, eos_id: int, alpha: float = 1.0, early_stop: bool = True,
                max_len_a: float | None = MAX_LEN_A, max_len_b: float = MAX_LEN_B,
                stats: dict | None = None) -> list[list[int]]:
    """Chapter 7: length-normalised beam search; token ids per sentence, without <bos>/<eos>.

    Each step extends every live hypothesis by every token and keeps the
    ``beam_size`` best by total log-probability; a kept hypothesis that ends in
    ``<eos>`` (or reaches its sentence's length limit) is finished and leaves the
    beam. The answer is the finished hypothesis with the best score / length **
    alpha, the length counting the ``<eos>``. ``beam_size=1`` is greedy decoding.

    Sentence i's limit is chapter 6's guard, ``decode_limits`` (``max_len``, or
    fewer tokens for a short source; ``max_len_a=None`` turns it off). With
    ``early_stop`` a sentence's search ends as soon as no live hypothesis can
    beat its best finished one. That is exact: log-probabilities only fall as a
    hypothesis grows, so a live one with total s <= 0 after t tokens can at best
    reach max(s / (t + 1) ** alpha, s / limit ** alpha); the answers are those of
    running every step (``early_stop=False``). A ``stats`` dict receives
    ``"steps"`` (decoder calls), ``"rows"`` (hypotheses fed to the decoder,
    summed over the steps), ``"sentence_steps"`` (steps each sentence used) and
    ``"cut"`` (per sentence, True when its answer reached the limit without <eos>).
    """
    if not isinstance(beam_size, int) or beam_size < 1:
        raise ValueError(f"beam_size must be a positive int, got {beam_size!r}")
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    limits = [max(1, n) for n in decode_limits(src_lengths, max_len, max_len_a, max_len_b)]
    was_training = model.training
    model.eval()
    try:
        best, info = _beam_search(model, src, src_lengths, beam_size, limits, bos_id, eos_id,
                                  alpha, early_stop)
    finally:
        model.train(was_training)
    if stats is not None:
        stats.update(info)
    return best


def _beam_search(model, src, src_lengths, k, limits, bos_id, eos_id, alpha, early_stop):
    N, dev, inf = src.shape[0], src.device, float("-inf")
    dims = _batch_dims(model, src, src_lengths)
    state = _select(model.encode(src, src_lengths), dims, torch.arange(N, device=dev).repeat_interleave(k))
    active = list(range(N))  # sentences still searched; row block a of the batch is sentence active[a]
    scores = torch.full((N, k), inf, device=dev)  # (n, k) total log-prob; -inf = no hypothesis
    scores[:, 0] = 0.0
    prev = torch.full((N * k,), bos_id, dtype=torch.long, device=dev)  # (n k,)
    history = torch.empty(N * k, 0, dtype=torch.long, device=dev)  # (n k, t)
    best: list[tuple[float, list[int], bool]] = [(inf, [], True) for _ in range(N)]
    info = {"steps": 0, "rows": 0, "sentence_steps": [0] * N}
    t = 0
    while active:
        t, n = t + 1, len(active)
        logits, state = model.decode_step(prev, state)  # (n k, V)
        info["steps"], info["rows"] = info["steps"] + 1, info["rows"] + n * k
        logp = torch.log_softmax(logits.float(), dim=-1)  # (n k, V)
        V = logp.shape[-1]
        top, pos = (scores.view(-1, 1) + logp).view(n, k * V).topk(k, dim=1)  # (n, k)
        rows = (torch.arange(n, device=dev)[:, None] * k + pos // V).view(-1)  # (n k,) parent rows
        tok = pos % V  # (n, k)
        history = torch.cat([history[rows], tok.view(-1, 1)], dim=1)  # (n k, t)
        at_limit = torch.tensor([limits[i] == t for i in active], device=dev)[:, None]  # (n, 1)
        ended = (top > inf) & ((tok == eos_id) | at_limit)  # (n, k)
        for a, j in ended.nonzero().tolist():
            norm = top[a, j].item() / t ** alpha
            if norm > best[active[a]][0]:
                seq = history[a * k + j].tolist()
                eos = seq[-1] == eos_id
                best[active[a]] = (norm, seq[:-1] if eos else seq, not eos)
        scores = top.masked_fill(ended, inf)  # finished hypotheses leave the beam
        s = scores.max(dim=1).values.double().cpu()  # (n,) best live total; -inf: none left
        bound = torch.maximum(s / (t + 1) ** alpha,
                              s / torch.tensor([limits[i] ** alpha for i in active], dtype=torch.double))
        found = torch.tensor([best[i][0] for i in active], dtype=torch.double)  # (n,)
        stop = (s == inf) | ((found >= bound) & early_stop)  # (n,): nothing live, or nothing to gain
        for a in stop.nonzero().flatten().tolist():
            info["sentence_steps"][active[a]] = t
        keep = (~stop).nonzero().flatten().to(dev)  # (n',) row blocks that go on
        kept = (keep[:, None] * k + torch.arange(k, device=dev)).view(-1)  # (n' k,)
        active = [active[a] for a in keep.tolist()]
        state, prev = _select(state, dims, rows[kept]), tok.view(-1)[kept]
        scores, history = scores[keep], history[kept]
    info["cut"] = [cut for _, _, cut in best]
    return [seq for _, seq, _ in best], info


def beam_search_one(step_fn: Callable[[list[int]], Tensor], bos_id: int, eos_id: int,
                    beam_size: int, max_len: int, alpha: float = 1.0, early_stop: bool = True,
                    stats: dict | None = None) -> tuple[list[int], float]:
    """Chapter 7: beam search for one sentence, written plainly: (tokens ending in <eos> if finished, score).

    ``step_fn(prefix)`` returns the next-token log-probabilities (V,) after
    ``prefix`` (which starts with ``bos_id``). Same rule as :func:`beam_search`,
    ``max_len`` being the sentence's limit, and the same exact early stop, which
    needs log-probabilities (<= 0): a positive value raises a ``ValueError``
    unless ``early_stop=False``. A ``stats`` dict receives ``"steps"``, the
    number of steps the beam took.
    """
    if not isinstance(beam_size, int) or beam_size < 1:
        raise ValueError(f"beam_size must be a positive int, got {beam_size!r}")
    live, best, t = [(0.0, [bos_id])], ([], float("-inf")), 0
    for t in range(1, max_len + 1):
        cands = []
        for s, seq in live:
            lps = step_fn(seq).tolist()
            if early_stop and max(lps) > 0.0:
                raise ValueError(f"step_fn returned {max(lps)} > 0 after {seq}: the early stop needs "
                                 "log-probabilities (<= 0); pass early_stop=False for other scores")
            cands += [(s + lp, seq + [w]) for w, lp in enumerate(lps)]
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
        top = max(s for s, _ in live)  # the bound is largest for the best live total
        if early_stop and best[1] >= max(top / (t + 1) ** alpha, top / max_len ** alpha):
            break
    if stats is not None:
        stats["steps"] = t
    return best


def translate_beam(model: nn.Module, data: TranslationData, sentences: list[str], beam_size: int,
                   alpha: float = 1.0, max_len: int = 30, batch_size: int = 256,
                   early_stop: bool = True, mark_cut: bool = True,
                   stats: dict | None = None) -> list[str]:
    """Chapter 7: beam-search translations of English ``sentences``, as typed or tokenized.

    As chapter 6's ``translate``: sentences go through
    :func:`embcourse.corpus.normalise`, a translation stopped by the length guard
    ends with ``CUT_MARK`` (unless ``mark_cut=False``) and a ``stats`` dict
    receives :func:`beam_search`'s counts for all the sentences.
    """
    bos, eos = data.tgt_vocab.bos_id, data.tgt_vocab.eos_id

    def decode(src, src_lengths, part):  # (B, S), (B,) -> token ids per sentence
        return beam_search(model, src, src_lengths, beam_size, max_len, bos, eos, alpha,
                           early_stop, stats=part)
    return translate_batches(model, data, sentences, decode, batch_size, mark_cut, stats)


def evaluate_beam(model: nn.Module, data: TranslationData, pairs: list[tuple[str, str]], beam_size: int,
                  alpha: float = 1.0, max_len: int = 30, early_stop: bool = True) -> dict:
    """Chapter 7: chapter 6's ``evaluate`` (BLEU, chrF, signatures, exact match, cut outputs), with beam search."""
    if not pairs:
        raise ValueError("pairs is empty: nothing to evaluate")
    stats: dict = {}
    hyps = translate_beam(model, data, [en for en, _ in pairs], beam_size, alpha, max_len,
                          early_stop=early_stop, mark_cut=False, stats=stats)
    return _scores(hyps, [normalise(fr) for _, fr in pairs], stats)


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
                  eos_id: int, max_len_a: float | None = MAX_LEN_A,
                  max_len_b: float = MAX_LEN_B) -> tuple[list[int], Tensor]:
    """Chapter 7: greedy translation of one sentence and its attention weights (T, S), one row per output token.

    Like every decoder of the course it stops at ``<eos>`` or at the length
    guard of :func:`~embcourse.seq2seq.decode_limits` (``max_len``, or fewer
    for a short source); an output that does not end in ``<eos>`` was cut.
    """
    model.eval()
    dev = next(model.parameters()).device
    src = torch.tensor([src_ids], device=dev)  # (1, S)
    lengths = torch.tensor([len(src_ids)])
    limit = decode_limits(lengths, max_len, max_len_a, max_len_b)[0]
    state = model.encode(src, lengths)
    prev, out, rows = torch.tensor([bos_id], device=dev), [], []
    for _ in range(limit):
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
