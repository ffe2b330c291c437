"""Chapter 3: skip-gram with negative sampling (SGNS) in PyTorch, vectorised for a CPU.

The pieces, in the order the chapter builds them: subsampling of frequent words
(:func:`keep_probability`), (centre, context) pairs inside a window
(:func:`skipgram_pairs`), the unigram^0.75 noise distribution
(:func:`noise_distribution`, :func:`sample_negatives`), the loss
(:func:`sgns_loss`, :class:`SGNS`), one update with the gradient written by hand
and each row's step capped at ``max_step`` (:func:`sgns_step`), the training loop (:func:`train_sgns`), and the cached
English vectors the later chapters reuse (:func:`english_vectors`).
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm  # the text bar: tqdm.auto warns in a notebook without ipywidgets

from embcourse import corpus
from embcourse.loaders import read_word2vec_text, write_word2vec_text
from embcourse.vocab import Vocab

CACHE_DIR = Path(__file__).resolve().parent.parent / "data_cache"


@dataclass
class SGNSConfig:
    """The settings of one SGNS run (the same names as gensim's Word2Vec where one exists)."""

    embed_dim: int = 64       # length of each word vector (gensim: vector_size)
    window: int = 5           # largest distance between centre and context
    negatives: int = 5        # noise words per (centre, context) pair (gensim: negative)
    num_epochs: int = 5       # passes over the corpus (gensim: epochs)
    min_count: int = 5        # rarer words become <unk> (gensim drops them)
    sample: float = 1e-3      # subsampling threshold t (gensim: sample)
    lr: float = 0.025         # starting learning rate, decays linearly (gensim: alpha)
    min_lr: float = 1e-4      # learning rate at the end (gensim: min_alpha)
    batch_size: int = 1024    # pairs per update
    shared_noise: int = 16    # noise words drawn per batch and shared by its pairs (M)
    seed: int = 0
    max_step: float | None = 1.0  # largest length of one row's step per batch (None: no cap)
    init_scale: float | None = None  # input rows uniform in +-init_scale (None: 0.5 / embed_dim)


@dataclass
class SGNSResult:
    """What :func:`train_sgns` returns: the input vectors, the loss per logged step, the time taken."""

    vectors: torch.Tensor                      # (V, D) input embeddings, the word vectors
    out_vectors: torch.Tensor                  # (V, D) output (context) embeddings
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    num_words: int = 0                         # corpus tokens times epochs
    num_steps: int = 0                         # batches, one update each
    capped_steps: int = 0                      # batches in which max_step shortened a row's step


def keep_probability(counts: torch.Tensor, sample: float = 1e-3) -> torch.Tensor:
    """Chapter 3: probability of keeping each word, sqrt(t/f) + t/f clipped to 1, as in word2vec's code and gensim."""
    if not isinstance(counts, torch.Tensor) or counts.dim() != 1:
        raise TypeError("counts must be a 1-D tensor of word counts")
    if sample <= 0:
        return torch.ones(counts.shape, dtype=torch.float)  # (V,) no subsampling
    f = counts.double() / counts.sum().clamp_min(1)  # (V,) relative frequency
    ratio = sample / f.clamp_min(1e-300)  # (V,) t / f
    return (ratio.sqrt() + ratio).clamp(max=1.0).float()  # (V,)


def noise_distribution(counts: torch.Tensor, power: float = 0.75) -> torch.Tensor:
    """Chapter 3: the noise distribution for negative samples, counts**power normalised to sum to one."""
    if not isinstance(counts, torch.Tensor) or counts.dim() != 1:
        raise TypeError("counts must be a 1-D tensor of word counts")
    weights = counts.double().clamp_min(0) ** power  # (V,)
    if weights.sum() <= 0:
        raise ValueError("counts must contain at least one positive count")
    return (weights / weights.sum()).float()  # (V,)


def sample_negatives(noise: torch.Tensor, shape: tuple[int, ...],
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Chapter 3: word ids drawn from the distribution ``noise`` (V,) with replacement (inverse CDF)."""
    cdf = noise.double().cumsum(0)  # (V,)
    u = torch.rand(shape, generator=generator, dtype=torch.float64) * cdf[-1]  # shape
    return torch.searchsorted(cdf, u).clamp_(max=len(noise) - 1)  # shape, long


def flatten_sentences(sentences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Chapter 3: all token ids in one tensor, and the sentence each token belongs to."""
    lengths = torch.tensor([len(s) for s in sentences], dtype=torch.long)  # (S,)
    tokens = torch.tensor([t for s in sentences for t in s], dtype=torch.long)  # (N,)
    sent = torch.repeat_interleave(torch.arange(len(sentences)), lengths)  # (N,)
    return tokens, sent


def skipgram_pairs(tokens: torch.Tensor, sent: torch.Tensor, window: int,
                   generator: torch.Generator | None = None, shrink: bool = True) -> torch.Tensor:
    """Chapter 3: all (centre, context) id pairs at distance <= window inside a sentence, shape (P, 2).

    With ``shrink`` each centre draws its own window in 1..window (word2vec's
    dynamic window), so near neighbours count more than far ones.
    """
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    n = len(tokens)
    if shrink:
        reach = torch.randint(1, window + 1, (n,), generator=generator)  # (N,)
    else:
        reach = torch.full((n,), window)  # (N,)
    chunks = []
    for d in range(1, min(window, n - 1) + 1):
        same = sent[:-d] == sent[d:]  # (N-d,) both ends in one sentence
        right = same & (reach[:-d] >= d)  # centre i, context i + d
        left = same & (reach[d:] >= d)  # centre i + d, context i
        chunks.append(torch.stack([tokens[:-d][right], tokens[d:][right]], 1))
        chunks.append(torch.stack([tokens[d:][left], tokens[:-d][left]], 1))
    if not chunks:
        return torch.empty(0, 2, dtype=torch.long)
    return torch.cat(chunks)  # (P, 2)


def sgns_loss(centre_vecs: torch.Tensor, context_vecs: torch.Tensor, negative_vecs: torch.Tensor) -> torch.Tensor:
    """Chapter 3: mean over the batch of -log s(c.o) - sum_k log s(-c.n_k), s the sigmoid."""
    pos = (centre_vecs * context_vecs).sum(-1)  # (B,)
    neg = torch.bmm(negative_vecs, centre_vecs.unsqueeze(2)).squeeze(2)  # (B, K)
    return (F.softplus(-pos) + F.softplus(neg).sum(-1)).mean()  # -log s(x) = softplus(-x)


class SGNS(nn.Module):
    """Chapter 3: the two tables of skip-gram, input (centre) and output (context) embeddings."""

    def __init__(self, vocab_size: int, embed_dim: int, generator: torch.Generator | None = None,
                 init_scale: float | None = None):
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, embed_dim, sparse=True)
        self.out_embed = nn.Embedding(vocab_size, embed_dim, sparse=True)
        a = 0.5 / embed_dim if init_scale is None else init_scale
        with torch.no_grad():  # word2vec's start: small random inputs, zero outputs
            self.in_embed.weight.uniform_(-a, a, generator=generator)
            self.out_embed.weight.zero_()

    def forward(self, centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """The batch's mean SGNS loss for ids centre (B,), context (B,), negatives (B, K)."""
        return sgns_loss(self.in_embed(centre), self.out_embed(context), self.out_embed(negatives))


def shared_negatives_loss(centre_vecs: torch.Tensor, context_vecs: torch.Tensor, noise_vecs: torch.Tensor,
                          negatives: int) -> torch.Tensor:
    """Chapter 3: the SGNS loss with one set of M noise words shared by the whole batch, each weighted negatives / M.

    Its expected value equals :func:`sgns_loss` with ``negatives`` noise words
    drawn per pair; the scores are one matrix product instead of B x K dot products.
    """
    pos = (centre_vecs * context_vecs).sum(-1)  # (B,)
    scores = centre_vecs @ noise_vecs.T  # (B, M)
    weight = negatives / noise_vecs.shape[0]
    return (F.softplus(-pos) + weight * F.softplus(scores).sum(-1)).mean()


def _capped_add(W: torch.Tensor, rows: torch.Tensor, grads: torch.Tensor, lr: float,
                max_step: float | None) -> bool:
    """W[rows] -= lr * grads, summed per row; a row whose summed step is longer than
    ``max_step`` is shortened to that length. Returns True when a step was shortened."""
    if max_step is None:
        W.index_add_(0, rows, grads, alpha=-lr)
        return False
    total = torch.zeros_like(W).index_add_(0, rows, grads)  # (V, D) each row's summed gradient
    length = lr * total.norm(dim=1, keepdim=True)  # (V, 1) length of each row's step
    W.addcmul_(total, (max_step / length.clamp_min(1e-30)).clamp_(max=1.0), value=-lr)
    return bool((length > max_step).any())


@torch.no_grad()
def sgns_step(W_in: torch.Tensor, W_out: torch.Tensor, centre: torch.Tensor, context: torch.Tensor,
              noise_ids: torch.Tensor, negatives: int, lr: float,
              max_step: float | None = None) -> tuple[float, bool]:
    """Chapter 3: one SGD step on B times :func:`shared_negatives_loss`, gradient by hand, rows updated in place.

    With ``max_step=None`` it is the same update as autograd on the summed loss
    followed by ``torch.optim.SGD`` with sparse gradients, without building a
    graph. A frequent word occurs in many pairs of a batch and its row receives
    the sum of all their gradients at once; ``max_step`` caps the length of each
    row's summed step, which keeps training stable without subsampling.
    Returns the batch's mean loss and whether a step was capped.
    """
    C, O, N = W_in[centre], W_out[context], W_out[noise_ids]  # (B, D), (B, D), (M, D)
    pos = (C * O).sum(-1)  # (B,)
    scores = C @ N.T  # (B, M)
    weight = negatives / len(noise_ids)
    g_pos = torch.sigmoid(pos) - 1  # (B,) d loss / d pos
    G = torch.sigmoid(scores).mul_(weight)  # (B, M) d loss / d scores
    grad_C = torch.addmm(g_pos.unsqueeze(1) * O, G, N)  # (B, D)
    out_rows = torch.cat([context, noise_ids])  # (B + M,)
    grad_out = torch.cat([g_pos.unsqueeze(1) * C, G.T @ C])  # (B + M, D) context and noise rows
    capped = _capped_add(W_out, out_rows, grad_out, lr, max_step)
    capped |= _capped_add(W_in, centre, grad_C, lr, max_step)
    loss = float((F.softplus(-pos) + weight * F.softplus(scores).sum(-1)).mean())
    return loss, capped


def epoch_pairs(tokens: torch.Tensor, sent: torch.Tensor, keep: torch.Tensor, window: int,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Chapter 3: one epoch's training pairs (P, 2): subsample the tokens, pair them inside the window, shuffle."""
    mask = torch.rand(len(tokens), generator=generator) < keep[tokens]  # (N,) kept tokens
    pairs = skipgram_pairs(tokens[mask], sent[mask], window, generator=generator)  # (P, 2)
    return pairs[torch.randperm(len(pairs), generator=generator)]  # (P, 2)


@contextmanager
def one_thread():
    """Run the block with one torch thread, then restore the previous number.

    SGNS steps are small (a batch of 1,024 rows): a second thread gains nothing,
    and on a busy machine its synchronisation made training dozens of times
    slower. One thread also makes the result independent of the thread count.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_sgns(sentences: list[list[int]], counts: torch.Tensor, config: SGNSConfig = SGNSConfig(),
               progress: bool = True, log_every: int = 50) -> SGNSResult:
    """Chapter 3: train SGNS on sentences of word ids; ``counts`` (V,) are the word counts that set the noise.

    Runs on one torch thread whatever the setting (see :func:`one_thread`).
    Raises a ValueError naming a bad setting of ``config``, and a
    FloatingPointError naming the step and the settings when the loss stops
    being finite (``config.max_step`` prevents that in every documented setting).
    """
    if not isinstance(counts, torch.Tensor) or counts.dim() != 1:
        raise TypeError("counts must be a 1-D tensor with one count per word id")
    with one_thread():
        return _train(sentences, counts, config, progress, log_every)


def _train(sentences: list[list[int]], counts: torch.Tensor, config: SGNSConfig, progress: bool,
           log_every: int) -> SGNSResult:
    """The loop of :func:`train_sgns`."""
    cfg, g = config, torch.Generator().manual_seed(config.seed)
    _check_config(cfg)
    model = SGNS(len(counts), cfg.embed_dim, generator=g, init_scale=cfg.init_scale)
    W_in, W_out = model.in_embed.weight.data, model.out_embed.weight.data  # (V, D) each
    tokens, sent = flatten_sentences(sentences)  # (N,), (N,)
    keep, noise = keep_probability(counts, cfg.sample), noise_distribution(counts)  # (V,), (V,)
    result, losses = SGNSResult(W_in, W_out, num_words=len(tokens) * cfg.num_epochs), []
    bar = tqdm(total=result.num_words, desc="SGNS", unit="word", unit_scale=True, disable=not progress,
               mininterval=1.0)
    t0 = time.perf_counter()
    for epoch in range(cfg.num_epochs):
        batches = epoch_pairs(tokens, sent, keep, cfg.window, g).split(cfg.batch_size)
        for i, batch in enumerate(batches):
            lr = cfg.lr + (cfg.min_lr - cfg.lr) * (epoch + i / len(batches)) / cfg.num_epochs  # linear decay
            noise_ids = sample_negatives(noise, (cfg.shared_noise,), g)  # (M,)
            loss, capped = sgns_step(W_in, W_out, batch[:, 0], batch[:, 1], noise_ids,
                                     cfg.negatives, lr, cfg.max_step)
            if not math.isfinite(loss):
                raise FloatingPointError(
                    f"SGNS diverged: loss {loss} at step {len(losses) + 1} (epoch {epoch + 1}, "
                    f"batch {i + 1} of {len(batches)}, lr {lr:.4g}) with sample={cfg.sample}, "
                    f"batch_size={cfg.batch_size}, max_step={cfg.max_step}; "
                    "use a smaller lr or batch_size, or set max_step")
            losses.append(loss)
            result.num_steps += 1
            result.capped_steps += capped
            bar.update(len(tokens) / len(batches))
    bar.close()
    result.seconds = time.perf_counter() - t0
    result.losses = [sum(losses[i:i + log_every]) / len(losses[i:i + log_every])
                     for i in range(0, len(losses), log_every)]
    return result


def _check_config(cfg: SGNSConfig) -> None:
    """Raise a ValueError naming the first setting of ``cfg`` that cannot work."""
    for name in ("embed_dim", "window", "negatives", "num_epochs", "batch_size", "shared_noise"):
        value = getattr(cfg, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"config.{name} must be a positive int, got {value!r}")
    if not cfg.lr > 0 or cfg.sample < 0:
        raise ValueError(f"config.lr must be > 0 and config.sample >= 0, got lr={cfg.lr!r}, "
                         f"sample={cfg.sample!r}")
    for name in ("max_step", "init_scale"):
        value = getattr(cfg, name)
        if value is not None and not value > 0:
            raise ValueError(f"config.{name} must be None or > 0, got {value!r}")


def encode_corpus(sentences: list[list[str]], min_count: int = 5) -> tuple[list[str], list[list[int]], torch.Tensor]:
    """Chapter 3: the vocabulary (``<unk>`` first, rarer words mapped to it), the id sentences, the count of each id."""
    vocab = Vocab.build(sentences, min_freq=min_count, specials=("<unk>",))
    ids = [vocab.encode(s) for s in sentences]
    flat = torch.tensor([t for s in ids for t in s], dtype=torch.long)  # (N,)
    return list(vocab.itos), ids, torch.bincount(flat, minlength=len(vocab.itos))  # (V,)


def english_vectors_path(embed_dim: int = 64, seed: int = 0) -> Path:
    """Chapter 3: where :func:`english_vectors` keeps its word2vec text file (in data_cache/)."""
    return CACHE_DIR / f"english_sgns_v2_d{embed_dim}_seed{seed}.txt"  # v2: max_step


def english_vectors(embed_dim: int = 64, seed: int = 0, progress: bool = False) -> tuple[list[str], torch.Tensor]:
    """Chapter 3: SGNS vectors of ``english_corpus()`` with the chapter's settings, cached in data_cache/.

    Trained when the word2vec text file is absent, then written atomically and
    read back, so the result is the same whether it was trained or loaded.
    """
    path = english_vectors_path(embed_dim, seed)
    if not path.exists():
        config = SGNSConfig(embed_dim=embed_dim, seed=seed)
        itos, ids, counts = encode_corpus(corpus.english_corpus(), config.min_count)
        result = train_sgns(ids, counts, config, progress=progress)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_word2vec_text(path, itos, result.vectors)  # atomic: a temporary file, then a rename
    return read_word2vec_text(path)

