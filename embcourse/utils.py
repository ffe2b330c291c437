"""Seeding, the device, honest timing and parameter counts (used by every chapter)."""

from __future__ import annotations

import os
import platform
import random
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch


def set_seed(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch generator seeded the same way."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def get_device() -> torch.device:
    """The device to compute on: ``cuda`` when a GPU is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def cpu_model() -> str:
    """The CPU's model name as the operating system reports it."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware() -> str:
    """One line naming the hardware and software a measurement was taken on."""
    return (f"{cpu_model()}, {os.cpu_count()} cores, torch {torch.__version__} "
            f"using {torch.get_num_threads()} thread(s), Python {platform.python_version()}")


@dataclass
class Timing:
    """Wall-clock times of repeated calls, in seconds."""

    times: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)


def measure(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> Timing:
    """Time ``fn()``: ``warmup`` untimed calls, then ``repeats`` timed calls."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return Timing(times)


def count_parameters(model: torch.nn.Module) -> int:
    """The number of distinct trainable numbers in ``model`` (a table shared by two layers counts once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def claim(holds: object, sentence: str, **evidence: object) -> None:
    """Guard a sentence of the prose: raise ``AssertionError`` quoting it when ``holds`` is false.

    Chapters call it in cells the book hides (tag ``remove-cell``), with the
    numbers the sentence rests on as keyword arguments, so that a rerun that
    overturns a conclusion fails the tests and says which sentence it overturned.
    """
    if not isinstance(sentence, str) or not sentence.strip():
        raise TypeError("claim needs the sentence it guards, as a non-empty string")
    if not bool(holds):
        numbers = ", ".join(f"{k}={v!r}" for k, v in evidence.items())
        raise AssertionError(f'Claim no longer holds: "{sentence.strip()}"'
                             + (f" (measured: {numbers})" if numbers else ""))
