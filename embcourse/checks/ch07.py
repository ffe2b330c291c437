"""Self-checks for chapter 7: masked additive attention and length-normalised beam search."""

from __future__ import annotations

import itertools
from typing import Callable

import torch
from torch import Tensor

from embcourse.attention import beam_search_one
from embcourse.checks.core import RANDOM_CASES, Case, Report, call_checked, run_check

# ------------------------------------------------------- additive attention


def reference_additive_attention(query: Tensor, keys: Tensor, mask: Tensor, W_q: Tensor,
                                 W_k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """Context (B, K) and weights (B, S): score = v . tanh(W_q q + W_k k), softmax over real positions only."""
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor, got dtype {mask.dtype}")
    energy = torch.tanh((query @ W_q.T)[:, None, :] + keys @ W_k.T)  # (B, S, A)
    scores = energy @ v  # (B, S)
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)  # (B, S)
    context = (weights[:, :, None] * keys).sum(dim=1)  # (B, K)
    return context, weights


def _attention_inputs(lengths: list[int], seq_len: int, query_size: int = 6, key_size: int = 5,
                      attn_size: int = 4, seed: int = 0) -> tuple:
    g = torch.Generator().manual_seed(seed)
    B = len(lengths)
    query = torch.randn(B, query_size, generator=g)  # (B, Hq)
    keys = torch.randn(B, seq_len, key_size, generator=g)  # (B, S, K)
    mask = torch.arange(seq_len)[None, :] < torch.tensor(lengths)[:, None]  # (B, S)
    W_q = torch.randn(attn_size, query_size, generator=g)  # (A, Hq)
    W_k = torch.randn(attn_size, key_size, generator=g)  # (A, K)
    v = torch.randn(attn_size, generator=g)  # (A,)
    return query, keys, mask, W_q, W_k, v


def _padding_changes(fn: Callable) -> Tensor:
    """How much the output moves when the keys at padded positions are replaced by large values."""
    query, keys, mask, W_q, W_k, v = _attention_inputs([5, 3, 1], 5, seed=3)
    noisy = keys.clone()
    noisy[~mask] = 100.0 * torch.randn(int((~mask).sum()), keys.shape[-1], generator=torch.Generator().manual_seed(9))
    c1, w1 = call_checked(fn, (query, keys, mask, W_q, W_k, v))
    c2, w2 = call_checked(fn, (query, noisy, mask, W_q, W_k, v))
    return torch.tensor([(c1 - c2).abs().max().item(), (w1 - w2).abs().max().item()])


def _padded_weights(fn: Callable) -> Tensor:
    query, keys, mask, W_q, W_k, v = _attention_inputs([4, 2, 3], 4, seed=4)
    _, weights = call_checked(fn, (query, keys, mask, W_q, W_k, v))
    return weights[~mask]  # exactly zero where the mask is False


def _attention_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        B, S = int(torch.randint(1, 5, (), generator=g)), int(torch.randint(1, 7, (), generator=g))
        lengths = torch.randint(1, S + 1, (B,), generator=g).tolist()
        Hq, K, A = (int(torch.randint(1, 7, (), generator=g)) for _ in range(3))
        inputs = _attention_inputs(lengths, S, Hq, K, A, seed=int(torch.randint(10**6, (), generator=g)))
        cases.append(Case(f"lengths {lengths}, sizes Hq={Hq}, K={K}, A={A}", inputs))
    return cases


def check_additive_attention(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Chapter 7 exercise: masked additive attention against the reference on random inputs."""
    ints = _attention_inputs([3, 2], 3, seed=5)
    cases = [
        Case("one sentence, no padding", _attention_inputs([4], 4, seed=1)),
        Case("batch of three, padded to length 6", _attention_inputs([6, 4, 2], 6, seed=2)),
        Case("a single source position", _attention_inputs([1, 1], 1, seed=6)),
        Case("query, key and attention sizes all different",
             _attention_inputs([3, 5], 5, query_size=7, key_size=3, attn_size=2, seed=7)),
        Case("weights at padded positions are exactly zero", call=_padded_weights),
        Case("keys at padded positions change nothing", call=_padding_changes),
        Case("a mask of integers is refused (TypeError)", (*ints[:2], ints[2].long(), *ints[3:])),
    ]
    return run_check("masked additive attention", fn, reference_additive_attention, cases,
                     strict=strict, rtol=1e-4, atol=1e-5, random_cases=_attention_random, seed=seed)


# -------------------------------------------------------------- beam search

BOS, EOS = 0, 1
# A tiny "language model" with known weights: log-probabilities of the next token
# given the previous one (rows: previous token 0..4, columns: next token 0..4).
# Greedy decoding takes 2 (0.5) and then gets stuck in low-probability tokens;
# 3 (0.4) is followed by <eos> with high probability: beam search finds it.
GARDEN_PATH = torch.tensor([
    [0.00, 0.05, 0.50, 0.40, 0.05],   # after <bos>
    [0.00, 1.00, 0.00, 0.00, 0.00],   # after <eos> (never used)
    [0.00, 0.30, 0.36, 0.00, 0.34],   # after 2
    [0.00, 0.90, 0.05, 0.00, 0.05],   # after 3
    [0.00, 0.30, 0.35, 0.35, 0.00],   # after 4
]).clamp_min(1e-9).log()


class TableStep:
    """A step function for a table of next-token log-probabilities: (V, V) by previous token,
    or (max_len, V, V) by position and previous token.

    An object rather than a closure, so that a check's deep copy of it copies the
    table too: a search that writes into the rows it gets changes only its copy,
    and the check reports it.
    """

    def __init__(self, table: Tensor) -> None:
        self.table = table

    def __call__(self, prefix: list[int]) -> Tensor:
        if self.table.dim() == 2:
            return self.table[prefix[-1]]  # (V,)
        return self.table[len(prefix) - 1, prefix[-1]]  # (V,)


def table_step_fn(table: Tensor) -> TableStep:
    """The step function of a table of next-token log-probabilities (see :class:`TableStep`)."""
    return TableStep(table)


def random_table(vocab_size: int, seed: int, eos_bias: float = 0.0, max_len: int = 6) -> Tensor:
    """Random next-token log-probabilities (max_len, V, V) by position and previous token; never <bos>."""
    g = torch.Generator().manual_seed(seed)
    logits = 2.0 * torch.randn(max_len, vocab_size, vocab_size, generator=g)  # (L, V, V)
    logits[..., BOS] = float("-inf")
    logits[..., EOS] += eos_bias
    return torch.log_softmax(logits, dim=-1)


def random_bigram(vocab_size: int, seed: int) -> Tensor:
    """Random next-token log-probabilities (V, V) by previous token only; never <bos>."""
    g = torch.Generator().manual_seed(seed)
    logits = 2.0 * torch.randn(vocab_size, vocab_size, generator=g)  # (V, V)
    logits[:, BOS] = float("-inf")
    return torch.log_softmax(logits, dim=-1)


def brute_force_search(step_fn: Callable[[list[int]], Tensor], bos_id: int, eos_id: int,
                       vocab_size: int, max_len: int, alpha: float = 1.0) -> tuple[list[int], float]:
    """The best hypothesis by score / length ** alpha over every sequence, by enumeration."""
    best: tuple[list[int], float] = ([], float("-inf"))
    for n in range(1, max_len + 1):
        for seq in itertools.product(range(vocab_size), repeat=n):
            if eos_id in seq[:-1] or (seq[-1] != eos_id and n < max_len):
                continue
            prefix, total = [bos_id], 0.0
            for w in seq:
                total += step_fn(prefix)[w].item()
                prefix.append(w)
            if total / n ** alpha > best[1]:
                best = (list(seq), total / n ** alpha)
    return best


def reference_beam_search(step_fn: Callable[[list[int]], Tensor], bos_id: int, eos_id: int,
                          beam_size: int, max_len: int, alpha: float = 1.0) -> tuple[list[int], float]:
    """Length-normalised beam search for one sentence (see :func:`embcourse.attention.beam_search_one`)."""
    return beam_search_one(step_fn, bos_id, eos_id, beam_size, max_len, alpha)


def _versus_brute_force(table: Tensor, max_len: int, alpha: float) -> Callable[[Callable], tuple]:
    step, V = table_step_fn(table), table.shape[-1]

    def call(fn: Callable) -> tuple:
        if fn is reference_beam_search:  # the expected answer comes from enumeration
            return tuple(brute_force_search(step, BOS, EOS, V, max_len, alpha))
        return tuple(call_checked(fn, (step, BOS, EOS, V ** max_len, max_len, alpha)))
    return call


def _beam_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        V, seed = int(torch.randint(3, 6, (), generator=g)), int(torch.randint(10**6, (), generator=g))
        beam_size, max_len = int(torch.randint(1, 5, (), generator=g)), int(torch.randint(1, 6, (), generator=g))
        alpha = [0.0, 0.5, 1.0][int(torch.randint(3, (), generator=g))]
        bigram = bool(torch.rand((), generator=g) < 0.5)
        table = random_bigram(V, seed) if bigram else random_table(V, seed, max_len=max_len)
        cases.append(Case(f"{'bigram' if bigram else 'position'} table, V={V}, beam {beam_size}, "
                          f"max_len {max_len}, alpha {alpha:g}",
                          (table_step_fn(table), BOS, EOS, beam_size, max_len, alpha)))
    return cases


def check_beam_search(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Chapter 7 exercise: length-normalised beam search on tiny models with known weights."""
    garden, rand, long_t = table_step_fn(GARDEN_PATH), table_step_fn(random_table(5, 1)), \
        table_step_fn(random_table(4, 2, eos_bias=-4.0))
    cases = [
        Case("beam 1 is greedy (garden path)", (garden, BOS, EOS, 1, 4, 1.0)),
        Case("beam 2 escapes the garden path", (garden, BOS, EOS, 2, 4, 1.0)),
        Case("beam 3, random table, alpha=1", (rand, BOS, EOS, 3, 5, 1.0)),
        Case("beam 3, random table, no length normalisation (alpha=0)", (rand, BOS, EOS, 3, 5, 0.0)),
        Case("beam wider than the vocabulary", (rand, BOS, EOS, 12, 4, 0.5)),
        Case("no <eos> likely: the best unfinished hypothesis at max_len", (long_t, BOS, EOS, 2, 3, 1.0)),
        Case("a finished candidate uses up its place in the beam (bigram table 17)",
             (table_step_fn(random_bigram(5, 17)), BOS, EOS, 2, 5, 1.0)),
        Case("a finished candidate uses up its place in the beam (bigram table 22)",
             (table_step_fn(random_bigram(5, 22)), BOS, EOS, 2, 5, 1.0)),
        Case("a beam as wide as every sequence equals brute force, alpha=1",
             call=_versus_brute_force(random_table(4, 3), 4, 1.0)),
        Case("a beam as wide as every sequence equals brute force, alpha=0.6",
             call=_versus_brute_force(random_table(4, 4, eos_bias=-1.0), 4, 0.6)),
        Case("beam_size=0 is refused (ValueError)", (garden, BOS, EOS, 0, 4, 1.0)),
        Case("beam_size=-1 is refused (ValueError)", (garden, BOS, EOS, -1, 4, 1.0)),
        Case("beam_size=2.5 is refused (ValueError)", (garden, BOS, EOS, 2.5, 4, 1.0)),
    ]
    return run_check("length-normalised beam search", fn, reference_beam_search, cases,
                     strict=strict, rtol=1e-5, atol=1e-6, random_cases=_beam_random, seed=seed)
