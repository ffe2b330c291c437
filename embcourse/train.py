"""A small training loop for models on in-memory tensors (chapter 2; reused by later chapters).

``fit`` trains any ``nn.Module`` whose ``forward`` takes the input tensors of a
data set and whose output ``loss_fn`` compares with the targets. A data set is
a tuple of tensors with the same first dimension: the inputs first, the targets
last, e.g. ``(X, y)`` or ``(stores, products, y)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
import torch.nn as nn
from tqdm import tqdm  # the text bar: tqdm.auto warns in a notebook without ipywidgets

Data = Sequence[torch.Tensor]


@dataclass
class History:
    """What :func:`fit` recorded: mean train and validation loss after each epoch, and the seconds spent."""

    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _check_data(data: Data, name: str) -> int:
    if not isinstance(data, (tuple, list)) or len(data) < 2 or not all(torch.is_tensor(t) for t in data):
        raise TypeError(f"{name} must be a tuple of at least two tensors (inputs..., targets), "
                        f"got {type(data).__name__}")
    sizes = {len(t) for t in data}
    if len(sizes) != 1 or 0 in sizes:
        raise ValueError(f"the tensors of {name} must share one non-zero first dimension, got sizes "
                         f"{[len(t) for t in data]}")
    return sizes.pop()


@torch.no_grad()
def evaluate(model: nn.Module, loss_fn: Callable, data: Data, batch_size: int = 1024) -> float:
    """Chapter 2: the mean of ``loss_fn`` over ``data`` in batches, with the model in eval mode."""
    n, was_training = _check_data(data, "data"), model.training
    model.eval()
    total = 0.0
    for start in range(0, n, batch_size):
        *inputs, y = (t[start:start + batch_size] for t in data)
        total += loss_fn(model(*inputs), y).item() * len(y)  # loss_fn returns a batch mean
    model.train(was_training)
    return total / n


def fit(model: nn.Module, loss_fn: Callable, train_data: Data, valid_data: Data, num_epochs: int,
        lr: float = 1e-2, batch_size: int = 64, generator: torch.Generator | None = None,
        weight_decay: float = 0.0, progress: bool = True) -> History:
    """Chapter 2: train ``model`` with Adam on shuffled mini-batches; record train and valid loss per epoch."""
    n = _check_data(train_data, "train_data")
    _check_data(valid_data, "valid_data")
    if num_epochs < 1 or batch_size < 1:
        raise ValueError(f"num_epochs and batch_size must be at least 1, got {num_epochs} and {batch_size}")
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    hist, t0 = History(), time.perf_counter()
    bar = tqdm(range(num_epochs), desc="epochs", disable=not progress, mininterval=1.0)
    for _ in bar:
        model.train()
        order, total = torch.randperm(n, generator=generator), 0.0  # (N,) a new shuffle each epoch
        for start in range(0, n, batch_size):
            *inputs, y = (t[order[start:start + batch_size]] for t in train_data)
            loss = loss_fn(model(*inputs), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(y)
        hist.train_loss.append(total / n)
        hist.valid_loss.append(evaluate(model, loss_fn, valid_data))
        bar.set_postfix(train=f"{hist.train_loss[-1]:.3f}", valid=f"{hist.valid_loss[-1]:.3f}")
    hist.seconds = time.perf_counter() - t0
    return hist
