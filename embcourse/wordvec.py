"""Chapter 3: querying word vectors: cosine nearest neighbours, 3CosAdd analogies and two quality scores.

Every function takes ``vectors`` (a float tensor of shape ``(V, D)``) and the
matching ``itos`` (the word of each row), so it works the same for vectors we
train, for gensim's and for pre-trained tables read from a file.
"""

from __future__ import annotations

from typing import Iterable

import torch


def _validate(vectors: torch.Tensor, itos: list[str]) -> None:
    """Raise a clear error unless ``vectors`` is a (V, D) float tensor with one row per word of ``itos``."""
    if not isinstance(vectors, torch.Tensor):
        raise TypeError(f"vectors must be a torch.Tensor of shape (V, D), got {type(vectors).__name__}")
    if vectors.dim() != 2 or not vectors.is_floating_point():
        raise ValueError(f"vectors must be a 2-D float tensor (V, D), got shape {tuple(vectors.shape)}, "
                         f"dtype {vectors.dtype}")
    if len(itos) != vectors.shape[0]:
        raise ValueError(f"itos has {len(itos)} words but vectors has {vectors.shape[0]} rows")


def _stoi(itos: list[str]) -> dict[str, int]:
    return {w: i for i, w in enumerate(itos)}


def _row(stoi: dict[str, int], word: str, name: str = "word") -> int:
    if word not in stoi:
        raise KeyError(f"{name} {word!r} is not in the vocabulary")
    return stoi[word]


def unit_rows(vectors: torch.Tensor) -> torch.Tensor:
    """Chapter 3: each row divided by its length (rows of zeros stay zero)."""
    v = vectors.float()
    return v / v.norm(dim=1, keepdim=True).clamp_min(1e-12)  # (V, D)


def _top(scores: torch.Tensor, itos: list[str], k: int, banned: Iterable[int]) -> list[tuple[str, float]]:
    """The ``k`` highest-scoring words, skipping the rows in ``banned``."""
    scores = scores.clone()  # (V,)
    scores[list(banned)] = -float("inf")
    k = min(k, int(torch.isfinite(scores).sum()))
    vals, idx = scores.topk(k)
    return [(itos[i], round(float(s), 6)) for i, s in zip(idx.tolist(), vals.tolist())]


def nearest(vectors: torch.Tensor, itos: list[str], word: str, k: int = 5,
            exclude: set[str] | None = None) -> list[tuple[str, float]]:
    """Chapter 3: the ``k`` words with the highest cosine similarity to ``word`` (itself and ``exclude`` left out)."""
    _validate(vectors, itos)
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    stoi = _stoi(itos)
    i = _row(stoi, word)
    unit = unit_rows(vectors)  # (V, D)
    banned = {i} | {stoi[w] for w in (exclude or set()) if w in stoi}
    return _top(unit @ unit[i], itos, k, banned)  # (V,) scores


def analogy(vectors: torch.Tensor, itos: list[str], a: str, b: str, c: str,
            k: int = 1) -> list[tuple[str, float]]:
    """Chapter 3: 3CosAdd, ``a : b :: c : ?``, the words closest to ``b - a + c`` (a, b, c excluded)."""
    _validate(vectors, itos)
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    stoi = _stoi(itos)
    ia, ib, ic = _row(stoi, a, "a"), _row(stoi, b, "b"), _row(stoi, c, "c")
    unit = unit_rows(vectors)  # (V, D)
    target = unit[ib] - unit[ia] + unit[ic]  # (D,)
    return _top(unit @ target, itos, k, {ia, ib, ic})  # (V,) scores, cosine up to a constant


def analogy_accuracy(vectors: torch.Tensor, itos: list[str],
                     analogies: list[tuple[str, str, str, str]]) -> float:
    """Chapter 3: fraction of analogies ``(a, b, c, d)`` whose 3CosAdd answer is ``d``.

    Analogies with a word outside ``itos`` are skipped (as gensim does); a
    ValueError is raised when none is left.
    """
    _validate(vectors, itos)
    stoi = _stoi(itos)
    usable = [q for q in analogies if len(q) == 4 and all(w in stoi for w in q)]
    if not usable:
        raise ValueError(f"none of the {len(analogies)} analogies has all four words in the vocabulary")
    unit = unit_rows(vectors)  # (V, D)
    ids = torch.tensor([[stoi[w] for w in q] for q in usable])  # (N, 4)
    target = unit[ids[:, 1]] - unit[ids[:, 0]] + unit[ids[:, 2]]  # (N, D)
    scores = target @ unit.T  # (N, V)
    scores.scatter_(1, ids[:, :3], -float("inf"))
    return float((scores.argmax(dim=1) == ids[:, 3]).float().mean())


def class_purity(vectors: torch.Tensor, itos: list[str], classes: dict[str, str], k: int = 5) -> float:
    """Chapter 3: mean fraction of each labelled word's ``k`` nearest labelled words that share its class.

    Only words that are both in ``classes`` and in ``itos`` take part, as
    queries and as neighbours; chance level is about the share of the largest class.
    """
    _validate(vectors, itos)
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    stoi = _stoi(itos)
    words = sorted(w for w in classes if w in stoi)
    if len(words) <= k:
        raise ValueError(f"class_purity needs more than k={k} labelled words in the vocabulary, found {len(words)}")
    unit = unit_rows(vectors[[stoi[w] for w in words]])  # (N, D)
    sims = unit @ unit.T  # (N, N)
    sims.fill_diagonal_(-float("inf"))
    nbrs = sims.topk(k, dim=1).indices  # (N, k)
    names = sorted(set(classes[w] for w in words))
    label = torch.tensor([names.index(classes[w]) for w in words])  # (N,)
    return float((label[nbrs] == label[:, None]).float().mean())


def expand_analogies(relations: dict[str, list[tuple[str, str, str, str]]]
                     ) -> dict[str, list[tuple[str, str, str, str]]]:
    """Chapter 3: every analogy ``a : b :: c : d`` between two different word pairs of a relation.

    The pairs ``(a, b)`` and ``(c, d)`` of each relation's analogies are
    collected (first seen first), and each ordered pair of two different pairs
    becomes a question, so a relation with ``p`` pairs gives ``p (p - 1)``.
    """
    if not isinstance(relations, dict) or not relations:
        raise ValueError("relations must be a non-empty dict of name -> list of (a, b, c, d)")
    out = {}
    for name, questions in relations.items():
        if any(len(q) != 4 for q in questions):
            raise ValueError(f"relation {name!r} has an analogy that is not (a, b, c, d)")
        pairs = list(dict.fromkeys(p for q in questions for p in (tuple(q[:2]), tuple(q[2:]))))
        out[name] = [p + q for p in pairs for q in pairs if p != q]
    return out


def analogy_counts(vectors: torch.Tensor, itos: list[str],
                   analogies: list[tuple[str, str, str, str]]) -> tuple[int, int]:
    """Chapter 3: ``(k, n)``: k of the n usable analogies are solved by 3CosAdd."""
    stoi = _stoi(itos)
    n = sum(len(q) == 4 and all(w in stoi for w in q) for q in analogies)
    return round(analogy_accuracy(vectors, itos, analogies) * n), n


def ppmi(cooc: torch.Tensor, alpha: float = 0.75) -> torch.Tensor:
    """Chapter 3: positive PMI of a (V, V) word-context count matrix, context counts ** alpha.

    ``alpha`` smooths the context distribution as SGNS's noise does
    (Levy, Goldberg and Dagan 2015); rows or columns of zeros give zeros.
    """
    if not isinstance(cooc, torch.Tensor) or cooc.dim() != 2:
        raise ValueError(f"cooc must be a 2-D tensor of counts, got {type(cooc).__name__}")
    c = cooc.double()
    p_wc = c / c.sum()  # (V, C)
    p_w = p_wc.sum(1, keepdim=True)  # (V, 1)
    ctx = c.sum(0) ** alpha  # (C,)
    p_c = (ctx / ctx.sum()).unsqueeze(0)  # (1, C)
    pmi = torch.log(p_wc / (p_w * p_c))  # (V, C), -inf where the count is 0
    return torch.nan_to_num(pmi, nan=0.0, posinf=0.0, neginf=0.0).clamp_min(0).float()


def ppmi_svd(cooc: torch.Tensor, embed_dim: int, alpha: float = 0.75) -> torch.Tensor:
    """Chapter 3: count-based word vectors, U_D sqrt(S_D) of the truncated SVD of :func:`ppmi`."""
    if not isinstance(embed_dim, int) or not 1 <= embed_dim <= min(cooc.shape):
        raise ValueError(f"embed_dim must be an int in 1..{min(cooc.shape)}, got {embed_dim!r}")
    U, S, _ = torch.linalg.svd(ppmi(cooc, alpha).double(), full_matrices=False)
    return (U[:, :embed_dim] * S[:embed_dim].sqrt()).float()  # (V, D)
