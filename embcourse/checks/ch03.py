"""Self-checks for chapter 3 (learning word embeddings with SGNS), with reference solutions."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from embcourse.checks.core import RANDOM_CASES, Case, Report, call_checked, run_check
from embcourse.sgns import keep_probability
from embcourse.wordvec import analogy, nearest


# ------------------------------------------------------------------ SGNS loss
def reference_sgns_loss(centre_vecs: torch.Tensor, context_vecs: torch.Tensor,
                        negative_vecs: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of -log s(c.o) - sum_k log s(-c.n_k); shapes (B, D), (B, D), (B, K, D)."""
    if centre_vecs.dim() != 2 or context_vecs.shape != centre_vecs.shape:
        raise ValueError(f"centre_vecs and context_vecs must both have shape (B, D), got "
                         f"{tuple(centre_vecs.shape)} and {tuple(context_vecs.shape)}")
    B, D = centre_vecs.shape
    if negative_vecs.dim() != 3 or negative_vecs.shape[0] != B or negative_vecs.shape[2] != D:
        raise ValueError(f"negative_vecs must have shape (B={B}, K, D={D}), got {tuple(negative_vecs.shape)}")
    pos = (centre_vecs * context_vecs).sum(-1)                         # (B,)
    neg = (negative_vecs * centre_vecs.unsqueeze(1)).sum(-1)           # (B, K)
    return (F.softplus(-pos) + F.softplus(neg).sum(-1)).mean()         # -log s(x) = softplus(-x)


def _randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _sgns_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        B, K, D = (int(torch.randint(1, n, (), generator=g)) for n in (6, 5, 7))
        scale = float([0.5, 1.0, 3.0, 30.0][int(torch.randint(4, (), generator=g))])  # 30: dot products in the hundreds
        c, o, n = (scale * torch.randn(*shape, generator=g) for shape in ((B, D), (B, D), (B, K, D)))
        cases.append(Case(f"B={B}, K={K}, D={D}, vectors of scale {scale:g}", (c, o, n)))
    return cases


def check_sgns_loss(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``sgns_loss(centre_vecs, context_vecs, negative_vecs)``."""
    t = torch.tensor
    far = t([[10.0, 10.0]])                                            # dot products of +-200 with itself
    cases = [
        Case("one pair, two negatives (by hand)", (t([[1.0, 0.0]]), t([[2.0, 0.0]]), t([[[0.0, 1.0], [-1.0, 0.0]]]))),
        Case("a batch: B=4, K=3, D=5", (_randn(4, 5, seed=1), _randn(4, 5, seed=2), _randn(4, 3, 5, seed=3))),
        Case("one negative per pair (K=1)", (_randn(3, 2, seed=4), _randn(3, 2, seed=5), _randn(3, 1, 2, seed=6))),
        Case("large scores stay finite (use softplus or logsigmoid)", (far, -far, far.unsqueeze(1))),
        Case("context batch of the wrong size is rejected (ValueError)",
             (_randn(4, 5, seed=1), _randn(3, 5, seed=2), _randn(4, 3, 5, seed=3))),
        Case("negatives of the wrong dimension are rejected (ValueError)",
             (_randn(4, 5, seed=1), _randn(4, 5, seed=2), _randn(4, 3, 6, seed=3))),
        Case("negatives for one pair only, (1, K, D) with B=4, are rejected (ValueError)",
             (_randn(4, 5, seed=1), _randn(4, 5, seed=2), _randn(1, 3, 5, seed=3))),
    ]
    return run_check("sgns_loss", fn, reference_sgns_loss, cases, strict=strict,
                     random_cases=_sgns_random, seed=seed)


# ------------------------------------------------------ subsampling keep-prob
def reference_keep_probability(counts: torch.Tensor, sample: float = 1e-3) -> torch.Tensor:
    """Probability of keeping each word: min(1, sqrt(t/f) + t/f), f its relative frequency, t = ``sample``."""
    return keep_probability(counts, sample)  # (V,) the package's version, word2vec's and gensim's formula


def _keep_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        V = int(torch.randint(1, 40, (), generator=g))
        counts = (torch.rand(V, generator=g) ** 4 * 10 ** float(torch.randint(1, 6, (), generator=g))).round().long()
        sample = float(10 ** -torch.randint(1, 5, (), generator=g).item())
        cases.append(Case(f"{V} words, counts up to {int(counts.max())}, sample={sample:g}", (counts, sample)))
    return cases


def check_keep_probability(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``keep_probability(counts, sample=1e-3)``."""
    t = torch.tensor
    zipf = (10_000 / torch.arange(1, 51)).round().long()               # (50,) counts of a Zipf-like vocabulary
    cases = [
        Case("four words, sample=0.01", (t([900, 90, 9, 1]), 0.01)),
        Case("a Zipf-like vocabulary of 50 words, default sample", (zipf,)),
        Case("every word rarer than the threshold is always kept", (t([3, 2, 1]), 0.5)),
        Case("a word with count zero is kept (probability 1)", (t([50, 0, 50]), 0.1)),
        Case("all counts zero: every word kept, no nan", (t([0, 0, 0]), 0.01)),
        Case("sample=0 turns subsampling off (all ones)", (t([900, 90, 9]), 0.0)),
        Case("counts that are not a 1-D tensor are rejected (TypeError)", (t([[1, 2], [3, 4]]),)),
        Case("a list of counts is rejected (TypeError)", ([900, 90, 9], 0.01)),
    ]
    return run_check("keep_probability", fn, reference_keep_probability, cases, strict=strict,
                     random_cases=_keep_random, seed=seed)


# ------------------------------------------------- nearest neighbours, 3CosAdd
def _table(seed: int = 0, vocab_size: int = 12, embed_dim: int = 4) -> tuple[torch.Tensor, list[str]]:
    """Random vectors of very different lengths, so that dot products and cosines rank differently."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.logspace(-1, 1, vocab_size)[torch.randperm(vocab_size, generator=g)]  # (V,) 0.1 .. 10
    vectors = F.normalize(torch.randn(vocab_size, embed_dim, generator=g), dim=1) * lengths[:, None]  # (V, D)
    return vectors, [f"w{i}" for i in range(vocab_size)]


def reference_nearest(vectors: torch.Tensor, itos: list[str], word: str, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` words of highest cosine similarity to ``word``, itself left out: [(word, cosine), ...], best first."""
    return nearest(vectors, itos, word, k)


def _nearest_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        V, D = int(torch.randint(4, 20, (), generator=g)), int(torch.randint(2, 6, (), generator=g))
        vectors, itos = _table(int(torch.randint(10**6, (), generator=g)), V, D)
        word, k = itos[int(torch.randint(V, (), generator=g))], int(torch.randint(1, V, (), generator=g))
        cases.append(Case(f"{k} neighbours of {word} among {V} words", (vectors, itos, word, k)))
    return cases


def check_nearest(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``nearest(vectors, itos, word, k=5)``."""
    vectors, itos = _table()
    cases = [
        Case("five neighbours of w3", (vectors, itos, "w3")),
        Case("three neighbours of w0", (vectors, itos, "w0", 3)),
        Case("one neighbour of w7", (vectors, itos, "w7", 1)),
        Case("neighbours in a second table", _table(seed=1) + ("w5", 4)),
        Case("an unknown word is rejected (KeyError)", (vectors, itos, "zebra")),
    ]
    return run_check("nearest", fn, reference_nearest, cases, strict=strict,
                     random_cases=_nearest_random, seed=seed)


def reference_analogy(vectors: torch.Tensor, itos: list[str], a: str, b: str, c: str) -> str:
    """3CosAdd: the word, other than a, b and c, whose unit vector is most similar to b^ - a^ + c^ (unit vectors)."""
    return analogy(vectors, itos, a, b, c, k=1)[0][0]


def _analogies(seed: int) -> Callable[[Callable], list[str]]:
    """A case that asks ``fn`` ten analogies on a random table and returns its ten answers."""
    def call(fn: Callable) -> list[str]:
        vectors, itos = _table(seed, vocab_size=30, embed_dim=6)
        return [call_checked(fn, (vectors, itos, itos[i], itos[i + 1], itos[i + 2])) for i in range(0, 30, 3)]
    return call


def _analogy_random(g: torch.Generator) -> list[Case]:
    cases = []
    for _ in range(RANDOM_CASES):
        V, D = int(torch.randint(5, 25, (), generator=g)), int(torch.randint(2, 6, (), generator=g))
        vectors, itos = _table(int(torch.randint(10**6, (), generator=g)), V, D)
        a, b, c = (itos[i] for i in torch.randperm(V, generator=g)[:3].tolist())
        cases.append(Case(f"{a} : {b} :: {c} : ? among {V} words", (vectors, itos, a, b, c)))
    return cases


def check_analogy(fn: Callable, strict: bool = False, seed: int | None = None) -> Report:
    """Check a learner's ``analogy(vectors, itos, a, b, c)``, which returns one word (a str)."""
    itos = ["man", "woman", "king", "queen", "apple", "pear"]
    vectors = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 0.0, 1.0],
                            [1.0, 1.0, 1.0], [-1.0, 0.1, 0.0], [-1.0, 0.0, 0.1]])  # (6, 3)
    cases = [
        Case("man : woman :: king : ?", (vectors, itos, "man", "woman", "king")),
        Case("woman : man :: queen : ?", (vectors, itos, "woman", "man", "queen")),
        Case("ten analogies on a random table", call=_analogies(seed=2)),
        Case("ten analogies on another random table", call=_analogies(seed=3)),
        Case("an unknown word is rejected (KeyError)", (vectors, itos, "man", "woman", "duke")),
    ]
    return run_check("analogy", fn, reference_analogy, cases, strict=strict,
                     random_cases=_analogy_random, seed=seed)
