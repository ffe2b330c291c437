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
from typing import Iterator, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from safetensors import safe_open
from safetensors.torch import save_file
from torch.utils.data import DataLoader, Sampler

from embcourse.bleu import corpus_bleu
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
    """Embedding -> GRU over packed sequences; returns all outputs and the final hidden state (chapter 6)."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, pad_id: int,
                 dropout: float = 0.1, one_hot: bool = False):
        super().__init__()
        self.embedding = make_embedding(vocab_size, embed_dim, pad_id, one_hot)
        self.dropout = nn.Dropout(dropout)
        self.rnn = nn.GRU(self.embedding.embedding_dim, hidden_size, batch_first=True)

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.dropout(self.embedding(src))  # (B, S, D)
        packed = pack_padded_sequence(emb, src_lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, hidden = self.rnn(packed)  # hidden: (1, B, H), taken at each sequence's true end
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))  # (B, S, H)
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
        """Vocabularies from ``splits.train`` (English source, French target)."""
        if not splits.train:
            raise ValueError("splits.train is empty: nothing to build vocabularies from")
        src_vocab = Vocab.build([en.split() for en, _ in splits.train], min_freq=min_freq)
        tgt_vocab = Vocab.build([fr.split() for _, fr in splits.train], min_freq=min_freq)
        return cls(src_vocab, tgt_vocab, list(splits.train), list(splits.valid), list(splits.test),
                   list(getattr(splits, "test_combos", []) or []), batch_size)

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
        """Tokenized English sentences -> src (B, S) and src_lengths (B,)."""
        ids = [self.src_vocab.encode(s.split()) for s in sentences]  # as PairCollate: no <bos>, no <eos>
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
                      generator: torch.Generator) -> torch.Tensor:
    """Step-by-step decoding that feeds the gold token with probability ``teacher_forcing``, else the model's own guess."""
    state = model.encode(src, src_lengths)
    prev, steps = tgt_in[:, 0], []
    for t in range(tgt_in.size(1)):
        logits, state = model.decode_step(prev, state)  # (B, V)
        steps.append(logits)
        if t + 1 < tgt_in.size(1):
            use_gold = torch.rand((), generator=generator).item() < teacher_forcing
            prev = tgt_in[:, t + 1] if use_gold else logits.argmax(-1).detach()  # (B,)
    return torch.stack(steps, dim=1)  # (B, T, V)


@dataclass
class History:
    """What :func:`train_seq2seq` recorded: train loss per step; valid loss and BLEU at each evaluation."""

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    valid_bleu: list[float] = field(default_factory=list)
    train_seconds: list[float] = field(default_factory=list)  # CPU seconds of training (evaluation excluded) at each evaluation


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
                  teacher_forcing: float = 1.0, device: torch.device | None = None,
                  max_seconds: float | None = None, progress: bool = True) -> History:
    """Train for ``num_steps`` batches with Adam, gradient clipping and a padding-masked loss (chapter 6).

    ``max_seconds`` stops earlier, once that much training time has passed (for
    benchmarks with a time budget; a fixed ``num_steps`` is what is reproducible).
    Training time is this process's CPU time (``time.process_time``), evaluations
    excluded, so a busy machine does not inflate it.
    """
    from tqdm import tqdm  # the text bar: tqdm.auto warns in a notebook without ipywidgets
    if num_steps < 1:
        raise ValueError(f"num_steps must be at least 1, got {num_steps}")
    device = device or next(model.parameters()).device
    pad_id, hist = data.tgt_vocab.pad_id, History()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    valid, valid_loader = data.valid[:num_eval], data.loader(data.valid[:num_eval])
    gen, batches, seconds = torch.Generator().manual_seed(seed), _forever(data, seed), 0.0
    model.train()
    for step in tqdm(range(1, num_steps + 1), disable=not progress, desc="training", mininterval=2.0):
        t0 = time.process_time()
        src, src_lengths, tgt, _ = (x.to(device) for x in next(batches))
        if teacher_forcing >= 1.0:
            logits = model(src, src_lengths, tgt[:, :-1])  # (B, T-1, V)
        else:
            logits = scheduled_forward(model, src, src_lengths, tgt[:, :-1], teacher_forcing, gen)
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

@torch.no_grad()
def greedy_decode(model: nn.Module, src: torch.Tensor, src_lengths: torch.Tensor, max_len: int,
                  bos_id: int, eos_id: int) -> list[list[int]]:
    """The most likely next token, step by step, until ``<eos>`` or ``max_len`` tokens (chapter 6).

    Returns one list of ids per source sentence, without ``<bos>`` and ``<eos>``.
    """
    if max_len < 0:
        raise ValueError(f"max_len must be >= 0, got {max_len}")
    state = model.encode(src, src_lengths)
    prev = torch.full((src.size(0),), bos_id, dtype=torch.long, device=src.device)  # (B,)
    done = torch.zeros(src.size(0), dtype=torch.bool, device=src.device)  # (B,)
    steps = []
    for _ in range(max_len):
        logits, state = model.decode_step(prev, state)  # (B, V)
        prev = logits.argmax(-1)  # (B,)
        steps.append(prev.masked_fill(done, eos_id))  # finished rows only repeat <eos>
        done = done | (prev == eos_id)
        if done.all():
            break
    ids = torch.stack(steps, dim=1).tolist() if steps else [[] for _ in range(src.size(0))]  # (B, T)
    return [seq[:seq.index(eos_id)] if eos_id in seq else seq for seq in ids]


def translate(model: nn.Module, data: TranslationData, sentences: Sequence[str],
              max_len: int = 30, batch_size: int = 256) -> list[str]:
    """Greedy translations of tokenized English ``sentences`` (model put in eval mode) (chapter 6)."""
    if isinstance(sentences, str):
        raise TypeError("sentences must be a list of strings, got a single str")
    device = next(model.parameters()).device
    was_training, out = model.training, []
    model.eval()
    for k in range(0, len(sentences), batch_size):
        src, src_lengths = data.encode_sources(sentences[k:k + batch_size])  # (B, S), (B,)
        ids = greedy_decode(model, src.to(device), src_lengths, max_len,
                            data.tgt_vocab.bos_id, data.tgt_vocab.eos_id)
        out += [" ".join(data.tgt_vocab.decode(seq)) for seq in ids]
    model.train(was_training)
    return out


def evaluate(model: nn.Module, data: TranslationData, pairs: Pairs, max_len: int = 30,
             device: torch.device | None = None) -> dict:
    """Corpus BLEU (sacrebleu, already-tokenized text) and exact-match accuracy on ``pairs``, in eval mode (chapter 6)."""
    if not pairs:
        raise ValueError("pairs is empty: nothing to evaluate")
    hyps = translate(model, data, [en for en, _ in pairs], max_len=max_len)
    refs = [fr for _, fr in pairs]
    exact = sum(h == r for h, r in zip(hyps, refs)) / len(refs)
    return {"bleu": corpus_bleu(hyps, refs), "exact_match": exact, "n": len(refs), "hypotheses": hyps}


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
