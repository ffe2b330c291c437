"""Vocabularies, padding and a DataLoader collate for sentence pairs (chapters 3 to 7)."""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

import torch
from torch import Tensor

SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")


class Vocab:
    """Token <-> id tables with special tokens and unknown-word handling (chapter 3)."""

    def __init__(self, itos: Sequence[str], counts: Counter | None = None,
                 specials: Sequence[str] = SPECIALS):
        if len(set(itos)) != len(itos):
            raise ValueError("itos must not contain duplicate tokens")
        missing = [s for s in specials if s not in itos]
        if missing:
            raise ValueError(f"itos lacks the special tokens {missing}")
        self.itos: list[str] = list(itos)
        self.stoi: dict[str, int] = {tok: i for i, tok in enumerate(self.itos)}
        self.counts: Counter = Counter(counts or {})
        self.specials = tuple(specials)

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], min_freq: int = 1,
              specials: Sequence[str] = SPECIALS) -> "Vocab":
        """Specials first, then tokens seen min_freq times, by descending count then alphabetically."""
        if not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"min_freq must be a positive int, got {min_freq!r}")
        if isinstance(token_lists, str):
            raise TypeError("token_lists must be lists of tokens, got a single str")
        counts: Counter = Counter()
        for tokens in token_lists:
            if isinstance(tokens, str):
                raise TypeError(f"each item of token_lists must be a list of tokens, got the str {tokens[:30]!r}")
            counts.update(tokens)
        kept = sorted((t for t, c in counts.items() if c >= min_freq and t not in specials),
                      key=lambda t: (-counts[t], t))
        return cls(list(specials) + kept, counts, specials)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, first={self.itos[len(self.specials):len(self.specials) + 5]})"

    def _special(self, token: str) -> int:
        if token not in self.stoi:
            raise AttributeError(f"this vocabulary has no {token} token")
        return self.stoi[token]

    @property
    def pad_id(self) -> int:
        return self._special("<pad>")

    @property
    def unk_id(self) -> int:
        return self._special("<unk>")

    @property
    def bos_id(self) -> int:
        return self._special("<bos>")

    @property
    def eos_id(self) -> int:
        return self._special("<eos>")

    def encode(self, tokens: Sequence[str], add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """Token ids; unknown tokens map to unk_id."""
        if isinstance(tokens, str):
            raise TypeError("tokens must be a list of tokens, not a str: call tokenize() or .split() first")
        unk = self.stoi.get("<unk>")
        ids = [self.stoi.get(t, unk) for t in tokens]
        if unk is None and None in ids:
            bad = [t for t in tokens if t not in self.stoi][:3]
            raise KeyError(f"tokens {bad} are not in the vocabulary, which has no <unk> token")
        return ([self.bos_id] if add_bos else []) + ids + ([self.eos_id] if add_eos else [])

    def decode(self, ids: Iterable[int], strip_specials: bool = True) -> list[str]:
        """Tokens for ids; stops at <eos> and drops specials when strip_specials."""
        out = []
        special_ids = {self.stoi[s] for s in self.specials}
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.itos):
                raise IndexError(f"id {i} is out of range for a vocabulary of size {len(self)}")
            if strip_specials and "<eos>" in self.stoi and i == self.eos_id:
                break
            if strip_specials and i in special_ids and i != self.stoi.get("<unk>"):
                continue
            out.append(self.itos[i])
        return out


def pad_batch(seqs: list[list[int]], pad_id: int) -> tuple[Tensor, Tensor]:
    """Pad id lists into a (B, T) long tensor and return their (B,) lengths (chapter 6)."""
    if not seqs:
        raise ValueError("seqs must hold at least one sequence")
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)  # (B,)
    if int(lengths.min()) == 0:
        raise ValueError("every sequence must hold at least one id; got an empty one")
    X = torch.full((len(seqs), int(lengths.max())), pad_id, dtype=torch.long)  # (B, T)
    for i, s in enumerate(seqs):
        X[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return X, lengths


class PairCollate:
    """DataLoader collate: (english, french) strings -> src, src_lengths, tgt, tgt_lengths (ch. 6)."""

    def __init__(self, src_vocab: Vocab, tgt_vocab: Vocab):
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab

    def __call__(self, batch: list[tuple[str, str]]) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        src_ids = [self.src_vocab.encode(_tokens(en)) for en, _ in batch]
        tgt_ids = [self.tgt_vocab.encode(_tokens(fr), add_bos=True, add_eos=True) for _, fr in batch]
        src, src_lengths = pad_batch(src_ids, self.src_vocab.pad_id)  # (B, S), (B,)
        tgt, tgt_lengths = pad_batch(tgt_ids, self.tgt_vocab.pad_id)  # (B, T), (B,)
        return src, src_lengths, tgt, tgt_lengths


def _tokens(text: str | Sequence[str]) -> list[str]:
    return text.split() if isinstance(text, str) else list(text)
