"""A GRU encoder-decoder for translation whose first layers are embedding layers (chapter 6).

The model interface is shared with chapter 7's attention model: a model has
``forward(src, src_lengths, tgt_in) -> logits`` (teacher forcing),
``encode(src, src_lengths) -> state`` and ``decode_step(prev_tokens, state) ->
(logits, state)``; ``state`` is opaque to the decoding functions here, so
:func:`greedy_decode`, :func:`translate` and :func:`evaluate` work for both.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from safetensors import safe_open
from safetensors.torch import save_file
from torch.utils.data import DataLoader, Sampler

from embcourse.bleu import corpus_bleu, corpus_chrf, signatures
from embcourse.corpus import normalise
from embcourse.vocab import PairCollate, Vocab, pad_batch

Pairs = Sequence[tuple[str, str]]


# ---------------------------------------------------------------- the model

class OneHot(nn.Module):
    """The ablation's stand-in for an embedding layer: token ids -> one-hot vectors (chapter 6)."""

    def __init__(self, num_embeddings: int, padding_idx: int | None = None):
        super().__init__()
        self.num_embeddings, self.padding_idx = num_embeddings, padding_idx
        self.embedding_dim = num_embeddings  # the "embedding" is as wide as the vocabulary

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = F.one_hot(ids, self.num_embeddings).float()  # (..., V)
        if self.padding_idx is not None:
            x[..., self.padding_idx] = 0.0  # <pad> is the zero vector, like padding_idx
        return x


def make_embedding(vocab_size: int, embed_dim: int, pad_id: int, one_hot: bool = False) -> nn.Module:
    """An ``nn.Embedding`` with ``padding_idx`` (or, for the ablation, a :class:`OneHot`) (chapter 6)."""
    if one_hot:
        return OneHot(vocab_size, padding_idx=pad_id)
    return nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)


class Encoder(nn.Module):
    """Embedding -> GRU over packed sequences; returns all outputs and the final hidden state (chapter 6).

    With ``bidirectional`` a second GRU reads each sentence from its true end back
    to its first word (chapter 7): the outputs are (B, S, 2H), [forward; backward]
    at each position, and the hidden state is (2, B, H), the forward GRU's state at
    the last word and the backward GRU's at the first.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, pad_id: int,
                 dropout: float = 0.1, one_hot: bool = False, bidirectional: bool = False):
        super().__init__()
        self.embedding = make_embedding(vocab_size, embed_dim, pad_id, one_hot)
        self.dropout = nn.Dropout(dropout)
        self.rnn = nn.GRU(self.embedding.embedding_dim, hidden_size, batch_first=True,
                          bidirectional=bidirectional)

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.dropout(self.embedding(src))  # (B, S, D)
        packed = pack_padded_sequence(emb, src_lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, hidden = self.rnn(packed)  # hidden: (1 or 2, B, H), at each sequence's true ends
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))  # (B, S, H or 2H)
        return out, hidden


class Decoder(nn.Module):
    """Embedding -> GRU -> Linear; the encoder's summary is fed at every step (Cho et al.) (chapter 6)."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, pad_id: int,
                 dropout: float = 0.1, one_hot: bool = False):
        super().__init__()
        self.embedding = make_embedding(vocab_size, embed_dim, pad_id, one_hot)
        self.dropout = nn.Dropout(dropout)
        self.rnn = nn.GRU(self.embedding.embedding_dim + hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, tgt_in: torch.Tensor, hidden: torch.Tensor,
                context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.dropout(self.embedding(tgt_in))  # (B, T, D)
        ctx = context.unsqueeze(1).expand(-1, tgt_in.size(1), -1)  # (B, T, H)
        out, hidden = self.rnn(torch.cat([emb, ctx], dim=-1), hidden)  # (B, T, H), (1, B, H)
        return self.out(out), hidden  # (B, T, V), (1, B, H)


class Seq2Seq(nn.Module):
    """The chapter's translation model: :class:`Encoder` + :class:`Decoder` (chapter 6)."""

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, embed_dim: int = 64,
                 hidden_size: int = 256, src_pad_id: int = 0, tgt_pad_id: int = 0,
                 dropout: float = 0.1, one_hot: bool = False):
        super().__init__()
        self.encoder = Encoder(src_vocab_size, embed_dim, hidden_size, src_pad_id, dropout, one_hot)
        self.decoder = Decoder(tgt_vocab_size, embed_dim, hidden_size, tgt_pad_id, dropout, one_hot)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The decoder's starting state: (hidden (1, B, H), context (B, H))."""
        _, hidden = self.encoder(src, src_lengths)  # (1, B, H)
        return hidden, hidden[0]

    def decode_step(self, prev_tokens: torch.Tensor, state: tuple) -> tuple[torch.Tensor, tuple]:
        """One decoder step: prev_tokens (B,) -> logits (B, V) and the next state."""
        hidden, context = state
        logits, hidden = self.decoder(prev_tokens.unsqueeze(1), hidden, context)  # (B, 1, V)
        return logits[:, 0], (hidden, context)

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits (B, T, V) for every target position at once."""
        hidden, context = self.encode(src, src_lengths)
        logits, _ = self.decoder(tgt_in, hidden, context)  # (B, T, V)
        return logits

    @staticmethod
    def select_state(state: tuple, index: torch.Tensor) -> tuple:
        """The state of the batch rows ``index`` (for beam search)."""
        hidden, context = state
        return hidden[:, index], context[index]


def init_embedding(embedding: nn.Embedding, itos: Sequence[str], vec_itos: Sequence[str],
                   vectors: torch.Tensor, standardize: bool = True) -> int:
    """Copy the rows of ``vectors`` for the words of ``itos`` found in ``vec_itos``; return how many (chapter 6).

    With ``standardize`` the vectors are scaled to mean 0 and standard deviation 1,
    the scale of ``nn.Embedding``'s own random rows, so the two kinds of rows mix.
    """
    if vectors.dim() != 2 or vectors.size(0) != len(vec_itos):
        raise ValueError(f"vectors must have shape ({len(vec_itos)}, D), got {tuple(vectors.shape)}")
    if vectors.size(1) != embedding.embedding_dim:
        raise ValueError(f"vectors have dimension {vectors.size(1)}, "
                         f"the embedding has embedding_dim={embedding.embedding_dim}")
    vecs = (vectors - vectors.mean()) / vectors.std() if standardize else vectors  # (V', D)
    where = {w: i for i, w in enumerate(vec_itos)}
    rows = [(i, where[w]) for i, w in enumerate(itos) if w in where and i != embedding.padding_idx]
    with torch.no_grad():
        for i, j in rows:
            embedding.weight[i] = vecs[j]
    return len(rows)


# ---------------------------------------------------------------- the data

class BucketBatchSampler(Sampler):
    """Batches of similar length: shuffle, sort within buckets of many batches, shuffle the batches (chapter 6)."""

    def __init__(self, lengths: Sequence[int], batch_size: int, generator: torch.Generator,
                 bucket_batches: int = 50):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.lengths, self.batch_size, self.generator = list(lengths), batch_size, generator
        self.bucket = batch_size * bucket_batches

    def __iter__(self) -> Iterator[list[int]]:
        order = torch.randperm(len(self.lengths), generator=self.generator).tolist()
        batches = []
        for start in range(0, len(order), self.bucket):
            chunk = sorted(order[start:start + self.bucket], key=lambda i: self.lengths[i])
            batches += [chunk[k:k + self.batch_size] for k in range(0, len(chunk), self.batch_size)]
        for b in torch.randperm(len(batches), generator=self.generator).tolist():
            yield batches[b]

    def __len__(self) -> int:
        return sum(math.ceil(min(self.bucket, len(self.lengths) - s) / self.batch_size)
                   for s in range(0, len(self.lengths), self.bucket))


@dataclass
class TranslationData:
    """Source/target vocabularies (built on the training split) and the splits, ready to batch (chapter 6)."""

    src_vocab: Vocab
    tgt_vocab: Vocab
    train: list[tuple[str, str]]
    valid: list[tuple[str, str]]
    test: list[tuple[str, str]]
    test_combos: list[tuple[str, str]] = field(default_factory=list)
    batch_size: int = 64

    @classmethod
    def build(cls, splits, batch_size: int = 64, min_freq: int = 1) -> "TranslationData":
        """Vocabularies from ``splits.train`` (English source, French target).

        Every pair of every split goes through :func:`embcourse.corpus.normalise`,
        the normaliser ``translate`` applies to what a user types, so training
        and use see text of one form (the generated corpus is unchanged by it).
        """
        if not splits.train:
            raise ValueError("splits.train is empty: nothing to build vocabularies from")
        norm = lambda pairs: [(normalise(en), normalise(fr)) for en, fr in pairs]  # noqa: E731
        train = norm(splits.train)
        src_vocab = Vocab.build([en.split() for en, _ in train], min_freq=min_freq)
        tgt_vocab = Vocab.build([fr.split() for _, fr in train], min_freq=min_freq)
        return cls(src_vocab, tgt_vocab, train, norm(splits.valid), norm(splits.test),
                   norm(getattr(splits, "test_combos", []) or []), batch_size)

    @property
    def collate(self) -> PairCollate:
        return PairCollate(self.src_vocab, self.tgt_vocab)

    def train_loader(self, seed: int = 0) -> DataLoader:
        """Length-bucketed, shuffled training batches; the same ``seed`` gives the same batches."""
        sampler = BucketBatchSampler([len(en.split()) for en, _ in self.train], self.batch_size,
                                     torch.Generator().manual_seed(seed))
        return DataLoader(self.train, batch_sampler=sampler, collate_fn=self.collate)

    def loader(self, pairs: Pairs, batch_size: int = 256) -> DataLoader:
        """Batches of ``pairs`` in their order (for evaluation)."""
        return DataLoader(list(pairs), batch_size=batch_size, shuffle=False, collate_fn=self.collate)

    def encode_sources(self, sentences: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """English sentences, as typed or tokenized, -> src (B, S) and src_lengths (B,).

        Each sentence goes through :func:`embcourse.corpus.normalise` first (a
        fixed point for tokenized training text), as in :meth:`build`.
        """
        if isinstance(sentences, str):
            raise TypeError("sentences must be a list of strings, got a single str")
        tokens = [normalise(s).split() for s in sentences]
        empty = [i for i, t in enumerate(tokens) if not t]
        if empty:
            raise ValueError(f"sentences[{empty[0]}] is empty: there is nothing to translate")
        ids = [self.src_vocab.encode(t) for t in tokens]  # as PairCollate: no <bos>, no <eos>
        return pad_batch(ids, self.src_vocab.pad_id)


def splits_from_pairs(pairs: Pairs, valid_frac: float = 0.05, test_frac: float = 0.05,
                      seed: int = 0):
    """Random train/valid/test splits of any list of pairs (e.g. a Tatoeba file) (chapter 6)."""
    from types import SimpleNamespace
    if not 0 < valid_frac + test_frac < 1:
        raise ValueError(f"valid_frac + test_frac must lie in (0, 1), got {valid_frac + test_frac}")
    pairs = list(pairs)
    order = torch.randperm(len(pairs), generator=torch.Generator().manual_seed(seed)).tolist()
    n_valid, n_test = round(len(pairs) * valid_frac), round(len(pairs) * test_frac)
    pick = lambda idx: [pairs[i] for i in idx]  # noqa: E731
    return SimpleNamespace(train=pick(order[n_valid + n_test:]), valid=pick(order[:n_valid]),
                           test=pick(order[n_valid:n_valid + n_test]), test_combos=[],
                           held_out="nothing (random split only)")


def load_splits(tatoeba_path: str | os.PathLike | None = None, num_pairs: int = 50_000,
                seed: int = 0, max_len: int = 15):
    """The chapter's data switch: the generated corpus by default, or a Tatoeba ``fra-eng`` file (chapter 6).

    With ``tatoeba_path`` (lines ``english<TAB>french[<TAB>attribution]``, as in
    the ``fra.txt`` of the Tatoeba/Anki downloads) the pairs are read with
    :func:`embcourse.loaders.read_tatoeba` (malformed lines skipped), pairs with a
    side longer than ``max_len`` tokens dropped, at most ``num_pairs`` kept, and
    split at random by :func:`splits_from_pairs` (no held-out combinations).
    """
    if tatoeba_path is None:
        from embcourse.corpus import translation_splits
        return translation_splits(num_pairs, seed=seed)
    from embcourse.loaders import read_tatoeba
    pairs = [(en, fr) for en, fr in read_tatoeba(tatoeba_path, on_error="skip")
             if len(en.split()) <= max_len and len(fr.split()) <= max_len]
    if len(pairs) < 20:
        raise ValueError(f"{Path(tatoeba_path).name} has {len(pairs)} usable pairs "
                         f"(at most {max_len} tokens a side); at least 20 are needed for three splits")
    return splits_from_pairs(pairs[:num_pairs], seed=seed)


def error_kind(hypothesis: str, reference: str) -> str:
    """A coarse label for one translation: correct, word order, missing/extra words, wrong word(s) (chapter 6)."""
    hyp, ref = hypothesis.split(), reference.split()
    if hyp == ref:
        return "correct"
    if sorted(hyp) == sorted(ref):
        return "word order"
    if len(hyp) != len(ref):
        return "missing words" if len(hyp) < len(ref) else "extra words"
    wrong = sum(h != r for h, r in zip(hyp, ref))
    return "one wrong word" if wrong == 1 else f"{wrong} wrong words"


# ---------------------------------------------------------------- training

def masked_cross_entropy(logits: torch.Tensor, tgt_out: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Mean cross-entropy over the non-padding target positions (chapter 6)."""
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1),
                           ignore_index=pad_id)  # (B*T, V) vs (B*T,)


def scheduled_forward(model: nn.Module, src: torch.Tensor, src_lengths: torch.Tensor,
                      tgt_in: torch.Tensor, teacher_forcing: float,
                      generator: torch.Generator, per_token: bool = True) -> torch.Tensor:
    """Step-by-step decoding that feeds the gold token with probability ``teacher_forcing``, else the model's own guess (ch. 6).

    ``per_token=True`` flips one coin per token, each sentence of the batch its
    own, as scheduled sampling does (Bengio et al. 2015; the guess here is the
    model's greedy choice, not a sample). ``per_token=False`` flips one coin per
    time step for the whole batch: the chapter's first, simpler version.
    """
    if not 0.0 <= teacher_forcing <= 1.0:
        raise ValueError(f"teacher_forcing must be a probability in [0, 1], got {teacher_forcing}")
    state = model.encode(src, src_lengths)
    prev, steps = tgt_in[:, 0], []
    for t in range(tgt_in.size(1)):
        logits, state = model.decode_step(prev, state)  # (B, V)
        steps.append(logits)
        if t + 1 < tgt_in.size(1):
            guess = logits.argmax(-1).detach()  # (B,)
            if per_token:
                gold = torch.rand(tgt_in.size(0), generator=generator) < teacher_forcing  # (B,)
                prev = torch.where(gold.to(guess.device), tgt_in[:, t + 1], guess)  # (B,)
            else:
                use_gold = torch.rand((), generator=generator).item() < teacher_forcing
                prev = tgt_in[:, t + 1] if use_gold else guess  # (B,)
    return torch.stack(steps, dim=1)  # (B, T, V)


@dataclass(frozen=True)
class TeacherForcingSchedule:
    """Bengio et al. (2015)'s decays of the teacher-forcing probability after ``i`` training steps (chapter 6).

    ``"linear"``: max(floor, k - c * i); ``"exponential"``: k ** i with 0 < k < 1;
    ``"inverse_sigmoid"``: k / (k + exp(i / k)) with k >= 1. Pass one as
    ``train_seq2seq(..., teacher_forcing=schedule)``; ``schedule(i)`` is the value.
    """

    kind: str
    k: float
    c: float = 0.0
    floor: float = 0.0

    def __post_init__(self):
        ok = {"linear": 0 <= self.k <= 1 and self.c >= 0 and 0 <= self.floor <= 1,
              "exponential": 0 < self.k < 1, "inverse_sigmoid": self.k >= 1}
        if self.kind not in ok:
            raise ValueError(f"kind must be one of {sorted(ok)}, got {self.kind!r}")
        if not ok[self.kind]:
            raise ValueError(f"bad parameters for a {self.kind} schedule: k={self.k}, c={self.c}, "
                             f"floor={self.floor} (see the docstring for the ranges)")

    def __call__(self, i: int) -> float:
        if i < 0:
            raise ValueError(f"the step count i must be >= 0, got {i}")
        if self.kind == "linear":
            return max(self.floor, self.k - self.c * i)
        if self.kind == "exponential":
            return self.k ** i
        return self.k / (self.k + math.exp(min(i / self.k, 700.0)))  # 700: exp stays finite


@dataclass
class History:
    """What :func:`train_seq2seq` recorded: train loss per step; valid loss and BLEU at each evaluation."""

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    valid_bleu: list[float] = field(default_factory=list)
    train_seconds: list[float] = field(default_factory=list)  # CPU seconds of training (evaluation excluded) at each evaluation
    teacher_forcing: list[float] = field(default_factory=list)  # the teacher-forcing probability at each step


@torch.no_grad()
def valid_loss(model: nn.Module, loader: DataLoader, pad_id: int, device: torch.device) -> float:
    """Masked cross-entropy averaged over every target token of ``loader`` (model in eval mode)."""
    was_training, total, count = model.training, 0.0, 0
    model.eval()
    for src, src_lengths, tgt, _ in loader:
        src, tgt = src.to(device), tgt.to(device)
        logits = model(src, src_lengths, tgt[:, :-1])  # (B, T-1, V)
        n = (tgt[:, 1:] != pad_id).sum().item()
        total += masked_cross_entropy(logits, tgt[:, 1:], pad_id).item() * n
        count += n
    model.train(was_training)
    return total / max(count, 1)


def train_seq2seq(model: nn.Module, data: TranslationData, num_steps: int, lr: float = 3e-3,
                  clip: float = 1.0, eval_every: int = 100, num_eval: int = 500, seed: int = 0,
                  teacher_forcing: float | Callable[[int], float] = 1.0,
                  device: torch.device | None = None, max_seconds: float | None = None,
                  progress: bool = True, sampling: str = "token") -> History:
    """Train for ``num_steps`` batches with Adam, gradient clipping and a padding-masked loss (chapter 6).

    ``teacher_forcing`` is the probability of feeding the decoder the reference
    token: a number, or a schedule called with the number of steps already
    taken (e.g. ``TeacherForcingSchedule("inverse_sigmoid", k=100)``). Below 1
    the decoder runs step by step (:func:`scheduled_forward`), with one coin per
    token (``sampling="token"``: scheduled sampling) or one coin per time step
    for the whole batch (``sampling="step"``, the chapter's first version).
    ``max_seconds`` stops earlier, once that much training time has passed (for
    benchmarks with a time budget; a fixed ``num_steps`` is what is reproducible).
    Training time is this process's CPU time (``time.process_time``), evaluations
    excluded, so a busy machine does not inflate it.
    """
    from tqdm import tqdm  # the text bar: tqdm.auto warns in a notebook without ipywidgets
    if num_steps < 1:
        raise ValueError(f"num_steps must be at least 1, got {num_steps}")
    if sampling not in ("token", "step"):
        raise ValueError(f"sampling must be 'token' or 'step', got {sampling!r}")
    forcing = teacher_forcing if callable(teacher_forcing) else lambda i: teacher_forcing
    device = device or next(model.parameters()).device
    pad_id, hist = data.tgt_vocab.pad_id, History()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    valid, valid_loader = data.valid[:num_eval], data.loader(data.valid[:num_eval])
    gen, batches, seconds = torch.Generator().manual_seed(seed), _forever(data, seed), 0.0
    model.train()
    for step in tqdm(range(1, num_steps + 1), disable=not progress, desc="training", mininterval=2.0):
        t0 = time.process_time()
        src, src_lengths, tgt, _ = (x.to(device) for x in next(batches))
        p = float(forcing(step - 1))
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"teacher_forcing must be a probability in [0, 1], got {p} at step {step}")
        if p == 1.0:
            logits = model(src, src_lengths, tgt[:, :-1])  # (B, T-1, V)
        else:
            logits = scheduled_forward(model, src, src_lengths, tgt[:, :-1], p, gen,
                                       per_token=sampling == "token")
        hist.teacher_forcing.append(p)
        loss = masked_cross_entropy(logits, tgt[:, 1:], pad_id)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        seconds += time.process_time() - t0
        hist.steps.append(step)
        hist.train_loss.append(loss.item())
        out_of_time = max_seconds is not None and seconds >= max_seconds
        if step % eval_every == 0 or step == num_steps or out_of_time:
            hist.eval_steps.append(step)
            hist.train_seconds.append(seconds)
            hist.valid_loss.append(valid_loss(model, valid_loader, pad_id, device))
            hist.valid_bleu.append(evaluate(model, data, valid, device=device)["bleu"])
            model.train()
        if out_of_time:
            break
    return hist


def _forever(data: TranslationData, seed: int) -> Iterator:
    """Training batches epoch after epoch, each epoch reshuffled by one seeded generator."""
    loader = data.train_loader(seed)
    while True:
        yield from loader


# ---------------------------------------------------------------- decoding and evaluation

# The length guard: a decoder stops sentence i after at most
# min(max_len, int(MAX_LEN_A * source length + MAX_LEN_B)) tokens. In the generated
# corpus the longest French/English ratio is 1.8 (5 English tokens -> 9 French);
# A = 2 rounds it up and B = 5 leaves at least 5 tokens to spare beyond every
# training pair and its <eos> (tests/test_decoding.py checks it), so only runaway
# outputs are cut.
MAX_LEN_A, MAX_LEN_B = 2.0, 5
CUT_MARK = "[cut]"  # ends a translation the length guard stopped before its <eos>


def decode_limits(src_lengths: torch.Tensor, max_len: int, max_len_a: float | None = MAX_LEN_A,
                  max_len_b: float = MAX_LEN_B) -> list[int]:
    """Per sentence, the most tokens a decoder may output: min(max_len, int(a * src_len + b)) (chapters 6, 7).

    ``max_len_a=None`` turns the guard off: every sentence gets ``max_len``.
    """
    if max_len < 0:
        raise ValueError(f"max_len must be >= 0, got {max_len}")
    if max_len_a is None:
        return [max_len] * len(src_lengths)
    if max_len_a < 0 or max_len_b < 0:
        raise ValueError(f"max_len_a and max_len_b must be >= 0, got {max_len_a} and {max_len_b}")
    return [min(max_len, int(max_len_a * n + max_len_b)) for n in src_lengths.tolist()]


@torch.no_grad()
def greedy_decode(model: nn.Module, src: torch.Tensor, src_lengths: torch.Tensor, max_len: int,
                  bos_id: int, eos_id: int, max_len_a: float | None = MAX_LEN_A,
                  max_len_b: float = MAX_LEN_B, stats: dict | None = None) -> list[list[int]]:
    """The most likely next token, step by step, until ``<eos>`` or the length limit (chapter 6).

    Returns one list of ids per source sentence, without ``<bos>`` and ``<eos>``.
    Sentence i outputs at most :func:`decode_limits` tokens: ``max_len``, or fewer
    for a short source (``max_len_a=None`` turns that guard off). A ``stats``
    dict receives ``"steps"`` (decoder calls), ``"sentence_steps"`` (the steps
    each sentence used, its ``<eos>`` included) and ``"cut"`` (per sentence,
    True when it reached its limit without ``<eos>``).
    """
    limits = decode_limits(src_lengths, max_len, max_len_a, max_len_b)
    limit = torch.tensor(limits, device=src.device)  # (B,)
    state = model.encode(src, src_lengths)
    prev = torch.full((src.size(0),), bos_id, dtype=torch.long, device=src.device)  # (B,)
    done = limit == 0  # (B,)
    steps = []
    for t in range(1, max(limits, default=0) + 1):
        logits, state = model.decode_step(prev, state)  # (B, V)
        prev = logits.argmax(-1)  # (B,)
        steps.append(prev.masked_fill(done, eos_id))  # finished rows only repeat <eos>
        done = done | (prev == eos_id) | (limit <= t)
        if done.all():
            break
    ids = torch.stack(steps, dim=1).tolist() if steps else [[] for _ in range(src.size(0))]  # (B, T)
    ids = [seq[:n] for seq, n in zip(ids, limits)]
    cut = [eos_id not in seq for seq in ids]
    out = [seq if c else seq[:seq.index(eos_id)] for seq, c in zip(ids, cut)]
    if stats is not None:
        stats.update(steps=len(steps), cut=cut,
                     sentence_steps=[n if c else len(o) + 1 for o, n, c in zip(out, limits, cut)])
    return out


def translate_batches(model: nn.Module, data: TranslationData, sentences: Sequence[str],
                      decode: Callable, batch_size: int = 256, mark_cut: bool = True,
                      stats: dict | None = None) -> list[str]:
    """Normalise and encode ``sentences`` batch by batch, decode each, return the texts (chapters 6, 7).

    ``decode(src, src_lengths, part)`` returns token ids per sentence and fills
    the dict ``part`` with its counts (``"cut"`` among them), as
    :func:`greedy_decode` and chapter 7's ``beam_search`` do.
    """
    if isinstance(sentences, str):
        raise TypeError("sentences must be a list of strings, got a single str")
    device = next(model.parameters()).device
    was_training, out = model.training, []
    total: dict = {}
    model.eval()
    try:
        for k in range(0, len(sentences), batch_size):
            src, src_lengths = data.encode_sources(sentences[k:k + batch_size])  # (B, S), (B,)
            part: dict = {}
            ids = decode(src.to(device), src_lengths, part)
            for key, value in part.items():  # counts add up, per-sentence lists concatenate
                total[key] = total.get(key, [] if isinstance(value, list) else 0) + value
            for seq, cut in zip(ids, part["cut"]):
                words = data.tgt_vocab.decode(seq) + ([CUT_MARK] if cut and mark_cut else [])
                out.append(" ".join(words))
    finally:
        model.train(was_training)
    if stats is not None:
        stats.update(total)
    return out


def translate(model: nn.Module, data: TranslationData, sentences: Sequence[str],
              max_len: int = 30, batch_size: int = 256, mark_cut: bool = True,
              stats: dict | None = None) -> list[str]:
    """Greedy translations of English ``sentences``, as typed or tokenized (model put in eval mode) (chapter 6).

    Each sentence goes through :func:`embcourse.corpus.normalise` (capitals,
    spacing, accents, a missing final full stop). A translation that the length
    guard stopped (see :func:`greedy_decode`) ends with ``CUT_MARK`` unless
    ``mark_cut=False``; a ``stats`` dict receives the decoding counts of
    :func:`greedy_decode` for all the sentences.
    """
    bos, eos = data.tgt_vocab.bos_id, data.tgt_vocab.eos_id

    def decode(src, src_lengths, part):  # (B, S), (B,) -> token ids per sentence
        return greedy_decode(model, src, src_lengths, max_len, bos, eos, stats=part)
    return translate_batches(model, data, sentences, decode, batch_size, mark_cut, stats)


def _scores(hyps: list[str], refs: list[str], stats: dict) -> dict:
    """The metrics :func:`evaluate` and ``evaluate_beam`` report."""
    exact = sum(h == r for h, r in zip(hyps, refs)) / len(refs)
    return {"bleu": corpus_bleu(hyps, refs), "exact_match": exact, "n": len(refs), "hypotheses": hyps,
            "chrf": corpus_chrf(hyps, refs), "signature": signatures(), "cut": sum(stats["cut"]),
            "decoder_steps": sum(stats["sentence_steps"]) / len(refs)}


def evaluate(model: nn.Module, data: TranslationData, pairs: Pairs, max_len: int = 30,
             device: torch.device | None = None) -> dict:
    """BLEU, chrF, exact match and cut outputs of greedy translations of ``pairs``, in eval mode (chapter 6).

    Keys: ``"bleu"`` and ``"chrf"`` (sacrebleu, already-tokenized text; their
    signatures under ``"signature"``, a dict), ``"exact_match"``, ``"n"``,
    ``"hypotheses"`` (without ``CUT_MARK``), ``"cut"`` (how many outputs the
    length guard stopped) and ``"decoder_steps"`` (mean steps per sentence).
    References go through :func:`embcourse.corpus.normalise` like the training text.
    """
    if not pairs:
        raise ValueError("pairs is empty: nothing to evaluate")
    stats: dict = {}
    hyps = translate(model, data, [en for en, _ in pairs], max_len=max_len, mark_cut=False,
                     stats=stats)
    return _scores(hyps, [normalise(fr) for _, fr in pairs], stats)


# ---------------------------------------------------------------- checkpoints

class CheckpointError(ValueError):
    """A checkpoint file that cannot be trusted: truncated, corrupted, or not ours."""


def _digest(tensors: dict[str, torch.Tensor], config_json: str) -> str:
    """SHA-256 of the config and of every tensor's name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256(config_json.encode())
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def save_checkpoint(model: nn.Module, path: str | os.PathLike, config: dict | None = None) -> None:
    """Save ``model.state_dict()`` and a JSON config as safetensors, with a checksum (chapter 6).

    The file is written to a temporary name and renamed, so an interrupted save
    leaves no half-written checkpoint and no temporary file. A config that JSON
    cannot carry unchanged (a tuple, a tensor, a non-string key) is refused here,
    not discovered at load time.
    """
    path = Path(path)
    config = dict(config or {})
    try:
        config_json = json.dumps(config, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"config cannot be saved as JSON: {err}") from None
    if json.loads(config_json) != config:
        raise ValueError(f"config does not survive a JSON round trip (tuples, non-string keys?): "
                         f"{config!r} would load as {json.loads(config_json)!r}")
    # Cloned so that tied weights (one tensor under two names) are stored twice.
    tensors = {k: v.detach().to("cpu").clone().contiguous() for k, v in model.state_dict().items()}
    metadata = {"format": "embcourse-checkpoint-1", "config": config_json,
                "sha256": _digest(tensors, config_json)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_checkpoint(path: str | os.PathLike) -> tuple[dict, dict]:
    """(state_dict, config) from a file written by :func:`save_checkpoint`, its checksum verified (chapter 6).

    safetensors stores tensors and text only, so reading a file runs no code;
    any damage (truncation, flipped bytes, another format) raises
    :class:`CheckpointError` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    bad = f"{path}: truncated or corrupted checkpoint"
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as err:  # safetensors raises its own error types, and OSError
        raise CheckpointError(f"{bad} ({type(err).__name__}: {err})") from None
    if metadata.get("format") != "embcourse-checkpoint-1" or "sha256" not in metadata:
        raise CheckpointError(f"{bad} (no embcourse checkpoint header: not written by save_checkpoint)")
    config_json = metadata.get("config", "{}")
    if _digest(tensors, config_json) != metadata["sha256"]:
        raise CheckpointError(f"{bad} (checksum mismatch: the weights or config changed after saving)")
    return tensors, json.loads(config_json)
