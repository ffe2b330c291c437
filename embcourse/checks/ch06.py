"""Self-checks for chapter 6 (sequence-to-sequence translation), with reference solutions."""

from __future__ import annotations

import math
from collections import Counter
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from embcourse.checks.core import RANDOM_CASES, Case, Report, TorchCalls, call_checked, run_check

MAX_ORDER = 4


# ---------------------------------------------------------------- sentence BLEU

def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def reference_sentence_bleu(hypothesis: str, reference: str) -> float:
    """Sentence BLEU (0-100) of tokenized text, as ``sacrebleu.sentence_bleu(..., tokenize="none")``.

    Clipped n-gram precisions for n = 1..4, 'exp' smoothing (the k-th order with
    no match gets precision 1 / (2**k * total)), effective order (orders the
    hypothesis is too short to have are left out), times the brevity penalty.
    """
    if not isinstance(hypothesis, str) or not isinstance(reference, str):
        raise TypeError(f"hypothesis and reference must be str, got "
                        f"{type(hypothesis).__name__} and {type(reference).__name__}")
    hyp, ref = hypothesis.split(), reference.split()
    if not hyp:
        return 0.0
    bp = 1.0 if len(hyp) >= len(ref) else math.exp(1 - len(ref) / len(hyp))
    correct = [sum((_ngrams(hyp, n) & _ngrams(ref, n)).values()) for n in range(1, MAX_ORDER + 1)]
    if not any(correct):
        return 0.0
    logs, halvings = [], 1
    for n in range(1, MAX_ORDER + 1):
        total = len(hyp) - n + 1
        if total <= 0:
            break  # effective order: the hypothesis has no n-grams this long
        if correct[n - 1] == 0:
            halvings *= 2
            logs.append(math.log(100.0 / (halvings * total)))
        else:
            logs.append(math.log(100.0 * correct[n - 1] / total))
    return bp * math.exp(sum(logs) / len(logs))


def _bleu_random(g: torch.Generator) -> list[Case]:
    """Sentences over a vocabulary of eight words, so that n-grams often match."""
    words = "le la chat chien noir mange dort .".split()

    def sentence(n: int) -> str:
        return " ".join(words[i] for i in torch.randint(len(words), (n,), generator=g).tolist())

    cases = []
    for _ in range(RANDOM_CASES):
        n_hyp, n_ref = int(torch.randint(1, 12, (), generator=g)), int(torch.randint(1, 12, (), generator=g))
        cases.append(Case(f"a hypothesis of {n_hyp} tokens against a reference of {n_ref}",
                          (sentence(n_hyp), sentence(n_ref))))
    return cases


def check_sentence_bleu(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``sentence_bleu(hypothesis, reference) -> float`` (0-100)."""
    ref = "le chat noir mange la souris grise ."
    cases = [
        Case("identical sentences score 100", (ref, ref)),
        Case("zero matching words score 0", ("un chien blanc dort", ref)),
        Case("empty hypothesis scores 0", ("", ref)),
        Case("short output: brevity penalty", ("le chat noir mange", ref)),
        Case("hypothesis shorter than 4 tokens: effective order", ("le chat", ref)),
        Case("two tokens, precisions below 1: 'the dog' against 'the cat' scores 50", ("the dog", "the cat")),
        Case("one wrong word: smoothing of missing 4-grams", ("le chat blanc mange la souris .", ref)),
        Case("repeated word: counts are clipped", ("la la la la la la la la", ref)),
        Case("longer than the reference: no brevity penalty", (ref + " le chat dort", ref)),
        Case("words in the wrong order", (". grise souris la mange noir chat le", ref)),
        Case("a list instead of a string is rejected", (ref.split(), ref)),
    ]
    return run_check("sentence_bleu", fn, reference_sentence_bleu, cases, strict=strict, rtol=1e-6,
                     random_cases=_bleu_random, seed=seed)


# ---------------------------------------------------------------- greedy decoding

class TinyModel(nn.Module):
    """A decoder with known weights: next-token logits = ``table[prev] + bias[src[:, 0]]``, state counts the steps."""

    def __init__(self, table: torch.Tensor, bias: torch.Tensor):
        super().__init__()
        self.table, self.bias = nn.Parameter(table), nn.Parameter(bias)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> tuple:
        return self.bias[src[:, 0]], 0  # (B, V), steps taken

    def decode_step(self, prev: torch.Tensor, state: tuple) -> tuple:
        bias, steps = state
        return self.table[prev] + bias, (bias, steps + 1)  # (B, V)


def tiny_model(repeat_eos: bool = True) -> TinyModel:
    """Vocabulary 0 <pad>, 1 <bos>, 2 <eos>, 3..5 words. From <bos>: 3 -> 4 -> 5 -> <eos>; source 1 makes 5 loop to 3.

    After <eos> the model says <eos> again, or, with ``repeat_eos=False``, starts over with 3 -> 4 -> ...
    """
    V = 6
    table = torch.full((V, V), -5.0)
    for a, b in [(1, 3), (3, 4), (4, 5), (5, 2), (2, 2 if repeat_eos else 3), (0, 2)]:
        table[a, b] = 5.0
    bias = torch.zeros(V, V)
    bias[1, 3] = 12.0  # source starting with token 1: after 5 comes 3 again, never <eos>
    bias[2, 2] = 20.0  # source starting with token 2: <eos> at once
    return TinyModel(table, bias)


def random_tiny_model(g: torch.Generator, vocab_size: int = 7) -> TinyModel:
    """A TinyModel with random weights (no ties); <eos> (2) is likely enough that most sentences end."""
    table = 3.0 * torch.randn(vocab_size, vocab_size, generator=g)  # (V, V) next-token logits by previous token
    table[:, 2] += 1.0
    table[:, 0:2] = -20.0  # never <pad> or <bos>
    return TinyModel(table, torch.randn(vocab_size, vocab_size, generator=g))


def reference_greedy_decode(model: nn.Module, src: torch.Tensor, src_lengths: torch.Tensor,
                            max_len: int, bos_id: int, eos_id: int) -> list[list[int]]:
    """Greedy decoding with ``<eos>`` stopping and a length limit; outputs exclude <bos> and <eos>."""
    if max_len < 0:
        raise ValueError(f"max_len must be >= 0, got {max_len}")
    with torch.no_grad():
        state = model.encode(src, src_lengths)
        prev = torch.full((src.size(0),), bos_id, dtype=torch.long)  # (B,)
        out, done = [[] for _ in range(src.size(0))], [False] * src.size(0)
        for _ in range(max_len):
            logits, state = model.decode_step(prev, state)  # (B, V)
            prev = logits.argmax(-1)  # (B,)
            for i, tok in enumerate(prev.tolist()):
                done[i] = done[i] or tok == eos_id
                if not done[i]:
                    out[i].append(tok)
            if all(done):
                break
    return out


def _greedy_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        model, B = random_tiny_model(g), int(torch.randint(1, 5, (), generator=g))
        src = torch.randint(0, 7, (B, 2), generator=g)  # (B, 2); only the first token matters to the model
        max_len = int(torch.randint(0, 9, (), generator=g))

        def call(f: Callable, model=model, src=src, max_len=max_len) -> list[list[int]]:
            return call_checked(f, (model, src, torch.full((len(src),), 2), max_len, 1, 2))
        cases.append(Case(f"a random model, a batch of {B}, max_len={max_len}", call=call))
    return cases


def check_greedy_decode(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``greedy_decode(model, src, src_lengths, max_len, bos_id, eos_id)`` on a tiny known model."""
    t = torch.tensor

    def run(src, max_len, bos=1, eos=2, repeat_eos=True):
        return lambda f: call_checked(f, (tiny_model(repeat_eos), t(src), t([len(s) for s in src]), max_len, bos, eos))

    cases = [
        Case("one sentence stops at <eos>", call=run([[0, 3]], 10)),
        Case("the length limit stops a loop without <eos>", call=run([[1, 3]], 7)),
        Case("<eos> at once gives an empty output", call=run([[2, 3]], 10)),
        Case("a batch: rows stop at their own <eos>", call=run([[0, 3], [1, 3], [2, 3]], 6)),
        Case("a model that goes on after <eos>: nothing after it is kept",
             call=run([[0, 3], [1, 3], [2, 3]], 9, repeat_eos=False)),
        Case("max_len=0 gives empty outputs", call=run([[0, 3], [1, 3]], 0)),
        Case("max_len shorter than the sentence", call=run([[0, 3]], 2)),
        Case("negative max_len is rejected", call=run([[0, 3]], -1)),
    ]
    return run_check("greedy_decode", fn, reference_greedy_decode, cases, strict=strict,
                     random_cases=_greedy_random, seed=seed)


# ---------------------------------------------------------------- the padding mask in the loss

def reference_masked_loss(logits: torch.Tensor, tgt: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Mean cross-entropy over the target positions that are not ``pad_id``: logits (B, T, V), tgt (B, T)."""
    if logits.dim() != 3 or tgt.shape != logits.shape[:2]:
        raise ValueError(f"expected logits (B, T, V) and tgt (B, T), got {tuple(logits.shape)} and {tuple(tgt.shape)}")
    mask = (tgt != pad_id).float()  # (B, T)
    nll = -logits.log_softmax(-1).gather(-1, tgt.unsqueeze(-1)).squeeze(-1)  # (B, T)
    return (nll * mask).sum() / mask.sum()


def _how_padding_is_left_out(fn: Callable) -> str:
    """A case that watches the torch calls of ``fn``: the statement asks for a mask, not ``ignore_index``."""
    logits = torch.randn(2, 4, 5, generator=torch.Generator().manual_seed(7))  # (B, T, V)
    tgt = torch.tensor([[3, 1, 0, 0], [4, 2, 1, 0]])                           # (B, T), pad_id 0
    with TorchCalls() as calls:
        call_checked(fn, (logits, tgt, 0))
    for f, args, kwargs in calls.seen:
        if f in (F.cross_entropy, F.nll_loss):
            target = args[1] if len(args) > 1 else kwargs.get("target")
            ignore = kwargs.get("ignore_index", -100)
            if isinstance(target, torch.Tensor) and bool((target == ignore).any()):
                return "padding left out with ignore_index"
    return "padding left out with a mask"


def _masked_batch(g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, int]:
    B, T, V = (int(torch.randint(1, n, (), generator=g)) for n in (5, 7, 9))
    V = V + 1
    pad_id = int(torch.randint(V, (), generator=g))
    real = torch.tensor([i for i in range(V) if i != pad_id])
    tgt = real[torch.randint(len(real), (B, T), generator=g)]                  # (B, T)
    lengths = torch.randint(0, T + 1, (B,), generator=g)
    lengths[0] = max(1, int(lengths[0]))                                       # at least one real target
    tgt = tgt.masked_fill(torch.arange(T)[None, :] >= lengths[:, None], pad_id)
    scale = float([1.0, 3.0, 50.0][int(torch.randint(3, (), generator=g))])
    return scale * torch.randn(B, T, V, generator=g), tgt, pad_id


def _masked_grad(logits: torch.Tensor, tgt: torch.Tensor, pad_id: int) -> Callable[[Callable], torch.Tensor]:
    def call(f: Callable) -> torch.Tensor:
        x = logits.clone().requires_grad_(True)                                # (B, T, V)
        call_checked(f, (x, tgt.clone(), pad_id), on_copies=False).backward()
        return x.grad                                                          # (B, T, V): zero at padding
    return call


def _masked_random(g: torch.Generator) -> list[Case]:
    cases = []
    for i in range(RANDOM_CASES):
        logits, tgt, pad_id = _masked_batch(g)
        name = f"logits of shape {tuple(logits.shape)}, pad_id {pad_id}"
        cases.append(Case(name, (logits, tgt, pad_id)) if i < RANDOM_CASES - 1 else
                     Case("gradient, " + name, call=_masked_grad(logits, tgt, pad_id)))
    return cases


def check_masked_loss(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``masked_loss(logits, tgt, pad_id)`` (value, gradient, and a mask rather than ignore_index)."""
    g = torch.Generator().manual_seed(6)
    logits = torch.randn(3, 5, 7, generator=g)  # (B, T, V)
    tgt = torch.tensor([[4, 5, 6, 2, 3], [4, 6, 0, 0, 0], [5, 0, 0, 0, 0]])  # pad_id 0, ragged lengths
    full = torch.randint(1, 7, (3, 5), generator=g)
    tgt_pad3 = torch.where(tgt == 0, 3, torch.where(tgt == 3, 1, tgt))
    cases = [
        Case("no padding: the plain mean", (logits, full, 0)),
        Case("ragged batch padded with id 0", (logits, tgt, 0)),
        Case("padding with id 3", (logits, tgt_pad3, 3)),
        Case("padded positions get no gradient", call=_masked_grad(logits, tgt, 0)),
        Case("one sequence", (logits[:1], tgt[:1], 0)),
        Case("large logits (x100) stay finite: use log_softmax", (100 * logits, tgt, 0)),
        Case("computed with a mask, not ignore_index (as the statement asks)", call=_how_padding_is_left_out),
        Case("mismatched shapes are rejected", (logits, tgt[:, :4], 0)),
    ]
    return run_check("masked_loss", fn, reference_masked_loss, cases, strict=strict,
                     random_cases=_masked_random, seed=seed)
