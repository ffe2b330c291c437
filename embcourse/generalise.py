"""Chapter 5: a large-vocabulary task with latent structure, one-hot and embedding classifiers, and their training loop.

Chapter 4 reuses :func:`train_classifier` and :func:`accuracy` for its own
sentence classifiers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from embcourse.utils import count_parameters  # noqa: F401  (chapter 5 imports it from here)


@dataclass
class BasketTask:
    """Baskets of item ids and their labels: train, validation and test splits, plus the hidden truth."""

    X_train: torch.Tensor  # (N, L) item ids
    y_train: torch.Tensor  # (N,) labels
    X_valid: torch.Tensor  # (M, L), for choosing (D, epochs, penalties)
    y_valid: torch.Tensor  # (M,)
    latent: torch.Tensor  # (V, k) each item's hidden vector
    prototypes: torch.Tensor  # (C, k) each class's direction in the latent space
    vocab_size: int
    num_classes: int
    X_test: torch.Tensor | None = None  # (T, L), for reporting only
    y_test: torch.Tensor | None = None  # (T,)


def _baskets(n: int, task_latent: torch.Tensor, prototypes: torch.Tensor, basket_size: int,
             sharpness: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random baskets and labels drawn from softmax(sharpness * prototypes @ sum of latents)."""
    X = torch.randint(0, task_latent.shape[0], (n, basket_size), generator=generator)  # (n, L)
    scores = task_latent[X].sum(dim=1) @ prototypes.T / math.sqrt(basket_size)  # (n, C)
    y = torch.multinomial(F.softmax(sharpness * scores, dim=1), 1, generator=generator)  # (n, 1)
    return X, y.squeeze(1)


def make_basket_task(vocab_size: int = 20_000, num_train: int = 60_000, num_valid: int = 5_000,
                     basket_size: int = 3, latent_dim: int = 3, num_classes: int = 32,
                     sharpness: float = 5.0, seed: int = 0, num_test: int = 5_000) -> BasketTask:
    """Chapter 5: baskets of co-occurring items whose label depends on the items' hidden low-dimensional vectors.

    The test baskets are drawn after the training and validation ones, so adding
    them leaves those two splits unchanged.
    """
    for name, value in [("vocab_size", vocab_size), ("num_train", num_train), ("num_valid", num_valid),
                        ("num_test", num_test), ("basket_size", basket_size),
                        ("latent_dim", latent_dim), ("num_classes", num_classes)]:
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    g = torch.Generator().manual_seed(seed)
    latent = torch.randn(vocab_size, latent_dim, generator=g)  # (V, k)
    prototypes = torch.randn(num_classes, latent_dim, generator=g)  # (C, k)
    X_train, y_train = _baskets(num_train, latent, prototypes, basket_size, sharpness, g)
    X_valid, y_valid = _baskets(num_valid, latent, prototypes, basket_size, sharpness, g)
    X_test, y_test = _baskets(num_test, latent, prototypes, basket_size, sharpness, g)
    return BasketTask(X_train, y_train, X_valid, y_valid, latent, prototypes, vocab_size, num_classes,
                      X_test, y_test)


def bayes_accuracy(task: BasketTask, X: torch.Tensor, y: torch.Tensor) -> float:
    """Chapter 5: accuracy of the best possible guess, the class the hidden truth scores highest."""
    scores = task.latent[X].sum(dim=1) @ task.prototypes.T  # (N, C)
    return float((scores.argmax(dim=1) == y).float().mean())


def multi_hot(X: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """Chapter 5: the (B, vocab_size) float sum of the one-hot codes of each row of ids ``X`` (B, L)."""
    if X.dtype != torch.long or X.dim() != 2:
        raise TypeError(f"X must be a 2-D int64 tensor of ids (B, L), got {X.dtype} of shape {tuple(X.shape)}")
    out = torch.zeros(X.shape[0], vocab_size)  # (B, V)
    return out.scatter_add_(1, X, torch.ones(X.shape, dtype=out.dtype))  # (B, V)


class OneHotClassifier(nn.Module):
    """Chapter 5: a linear layer over the one-hot (multi-hot) code of a basket: logits = multi_hot(X) @ W + b."""

    def __init__(self, vocab_size: int, num_classes: int, dense: bool = False):
        super().__init__()
        self.vocab_size, self.dense = vocab_size, dense
        bound = 1 / math.sqrt(vocab_size)  # nn.Linear(vocab_size, num_classes)'s own initialisation
        self.weight = nn.Parameter(torch.empty(vocab_size, num_classes).uniform_(-bound, bound))  # (V, C)
        self.bias = nn.Parameter(torch.empty(num_classes).uniform_(-bound, bound))  # (C,)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if self.dense:  # the literal one-hot product
            return multi_hot(X, self.vocab_size) @ self.weight + self.bias  # (B, C)
        return F.embedding_bag(X, self.weight, mode="sum") + self.bias  # (B, C), same numbers


class EmbeddingClassifier(nn.Module):
    """Chapter 5: the same classifier through a (vocab_size, embed_dim) embedding: logits = (sum of rows) @ A + b."""

    def __init__(self, vocab_size: int, embed_dim: int, num_classes: int, init_std: float = 0.1):
        super().__init__()
        self.emb = nn.EmbeddingBag(vocab_size, embed_dim, mode="sum")  # (V, D)
        nn.init.normal_(self.emb.weight, std=init_std)  # a small start that the data, not chance, overwrites
        self.out = nn.Linear(embed_dim, num_classes)  # (D, C)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.out(self.emb(X))  # (B, D) -> (B, C)


@torch.no_grad()
def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int = 4096) -> float:
    """Chapters 4-5: the fraction of rows of ``X`` whose highest logit is the label ``y`` (model in eval mode)."""
    was_training = model.training
    model.eval()
    correct = sum(int((model(X[i:i + batch_size]).argmax(dim=1) == y[i:i + batch_size]).sum())
                  for i in range(0, len(X), batch_size))
    model.train(was_training)
    return correct / max(len(X), 1)


OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """Chapter 5: ``"adam"`` (weight_decay is an L2 term added to the gradient, coupled with
    Adam's scaling), ``"adamw"`` (decoupled: each step shrinks every weight by ``lr * weight_decay``)
    or plain ``"sgd"`` (where the two kinds of decay coincide)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    if not weight_decay >= 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
    return OPTIMIZERS[name](params, lr=lr, weight_decay=weight_decay)


def train_classifier(model: nn.Module, X: torch.Tensor, y: torch.Tensor, X_valid: torch.Tensor,
                     y_valid: torch.Tensor, num_epochs: int = 10, batch_size: int = 256,
                     lr: float = 1e-2, seed: int = 0, weight_decay: float = 0.0,
                     optimizer: str = "adam", num_steps: int | None = None) -> dict[str, list[float]]:
    """Chapters 4-5: cross-entropy in shuffled mini-batches; train/valid accuracy and loss after each epoch.

    ``num_steps`` (chapter 5), when given, replaces ``num_epochs``: training stops after
    exactly that many mini-batches, so data sets of different sizes get the same budget;
    the last history entry is then that of a partial epoch.
    """
    if len(X) != len(y) or len(X_valid) != len(y_valid):
        raise ValueError(f"X and y must have the same length, got {len(X)}/{len(y)} and {len(X_valid)}/{len(y_valid)}")
    if len(X) == 0:
        raise ValueError("X is empty: train_classifier needs at least one training example")
    if num_steps is not None and (not isinstance(num_steps, int) or num_steps < 1):
        raise ValueError(f"num_steps must be a positive int or None, got {num_steps!r}")
    g = torch.Generator().manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(optimizer, params, lr, weight_decay)
    if num_steps is None:
        num_steps = num_epochs * math.ceil(len(X) / batch_size)
    history, step = {"train_loss": [], "train_acc": [], "valid_acc": []}, 0
    while step < num_steps:
        model.train()
        order, total, seen = torch.randperm(len(X), generator=g), 0.0, 0
        for i in range(0, len(X), batch_size):
            if step == num_steps:
                break
            idx = order[i:i + batch_size]  # (B,)
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, seen, step = total + loss.item() * len(idx), seen + len(idx), step + 1
        history["train_loss"].append(total / seen)
        history["train_acc"].append(accuracy(model, X, y))
        history["valid_acc"].append(accuracy(model, X_valid, y_valid))
    return history


def training_bytes(model: nn.Module, optimizer: torch.optim.Optimizer, *inputs: torch.Tensor) -> int:
    """Chapter 5: bytes held by parameters, their gradients, the optimizer's state and the given input tensors."""
    tensors = [p for p in model.parameters()] + [p.grad for p in model.parameters() if p.grad is not None]
    tensors += [t for state in optimizer.state.values() for t in state.values() if isinstance(t, torch.Tensor)]
    tensors += list(inputs)
    return sum(t.numel() * t.element_size() for t in tensors)
