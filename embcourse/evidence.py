"""Experiments over seeds: run variants, keep every run, summarise and plot them.

Every chapter that compares variants uses these (``../shared/EVIDENCE.md``):
one run is an anecdote, so a comparison is a table of runs, one row per
variant, seed and metric, and a figure shows every run as a point with the
mean and its spread.

>>> frame = compare({"a": 1.0, "b": 2.0}, [0, 1, 2], lambda scale, seed: scale * (seed + 1))
>>> summarise(frame)["mean"].tolist()
[2.0, 4.0]
"""

from __future__ import annotations

import math
import numbers
import time
from typing import Any, Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from embcourse.utils import set_seed

COLUMNS = ["variant", "seed", "metric", "value", "seconds"]


def _check_seeds(seeds: Sequence[int]) -> list[int]:
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed (three or more for a conclusion)")
    for s in seeds:
        if not isinstance(s, int) or isinstance(s, bool):
            raise TypeError(f"seeds must be ints, got {s!r} ({type(s).__name__})")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds repeat: {seeds}; each run needs its own seed")
    return seeds


def _as_metrics(result: object, variant: str, seed: int) -> dict[str, float]:
    if isinstance(result, Mapping):
        items = list(result.items())
    else:
        items = [("value", result)]
    if not items:
        raise ValueError(f"fn returned no metrics for variant {variant!r}, seed {seed}")
    metrics = {}
    for name, value in items:
        if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
            value = value.item()
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError(f"fn returned {value!r} ({type(value).__name__}) for metric {name!r} "
                            f"of variant {variant!r}, seed {seed}; expected a real number")
        metrics[str(name)] = float(value)
    return metrics


def compare(variants: Mapping[str, Any], seeds: Sequence[int],
            fn: Callable[[Any, int], float | Mapping[str, float]],
            progress: bool = False) -> pd.DataFrame:
    """Run ``fn(config, seed)`` for every variant and seed; return one tidy row per metric.

    ``variants`` maps a name to whatever ``fn`` needs (a config, a learning
    rate, a constructor). Before each call the global seeds are set with
    :func:`embcourse.utils.set_seed`, so a variant run with seed 3 starts from
    the same random state as every other variant run with seed 3. ``fn``
    returns a number or a dict of named numbers. The frame has the columns
    ``variant, seed, metric, value, seconds`` (wall time of that call), with
    variants in the given order.
    """
    if not isinstance(variants, Mapping) or not variants:
        raise ValueError("variants must be a non-empty dict of name -> config")
    seeds = _check_seeds(seeds)
    rows = []
    for name, config in variants.items():
        for seed in seeds:
            set_seed(seed)
            t0 = time.perf_counter()
            result = fn(config, seed)
            seconds = time.perf_counter() - t0
            for metric, value in _as_metrics(result, name, seed).items():
                rows.append((str(name), seed, metric, value, seconds))
            if progress:
                print(f"{name:>24s}  seed {seed}: {_as_metrics(result, name, seed)}")
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["variant"] = pd.Categorical(frame["variant"], categories=[str(v) for v in variants],
                                      ordered=True)
    return frame


def _metric(frame: pd.DataFrame, metric: str | None) -> pd.DataFrame:
    missing = [c for c in COLUMNS[:4] if c not in frame.columns]
    if missing:
        raise ValueError(f"not a frame from compare(): missing columns {missing}")
    metrics = list(dict.fromkeys(frame["metric"]))
    if metric is None:
        if len(metrics) != 1:
            raise ValueError(f"the frame has several metrics {metrics}; name one with metric=")
        metric = metrics[0]
    if metric not in metrics:
        raise ValueError(f"no metric {metric!r} in the frame; it has {metrics}")
    return frame[frame["metric"] == metric]


def summarise(frame: pd.DataFrame, metric: str | None = None) -> pd.DataFrame:
    """Per variant: number of runs, mean, sample standard deviation, min and max of one metric."""
    sub = _metric(frame, metric)
    table = sub.groupby("variant", observed=True, sort=True)["value"].agg(
        n="count", mean="mean", sd="std", min="min", max="max")
    table["sd"] = table["sd"].fillna(0.0)
    return table


def values(frame: pd.DataFrame, variant: str, metric: str | None = None) -> pd.Series:
    """One variant's values of one metric, indexed by seed."""
    sub = _metric(frame, metric)
    sub = sub[sub["variant"] == variant]
    if sub.empty:
        raise ValueError(f"no variant {variant!r} in the frame; it has "
                         f"{list(dict.fromkeys(frame['variant']))}")
    return sub.set_index("seed")["value"].sort_index()


def wins(frame: pd.DataFrame, a: str, b: str, metric: str | None = None,
         higher_is_better: bool = True, margin: float = 0.0) -> tuple[int, int]:
    """Paired by seed: in how many of the shared seeds does ``a`` beat ``b`` by more than ``margin``?

    Returns ``(k, n)``, so a claim can say "in k of n seeds" and require k == n.
    """
    va, vb = values(frame, a, metric), values(frame, b, metric)
    shared = va.index.intersection(vb.index)
    if len(shared) == 0:
        raise ValueError(f"variants {a!r} and {b!r} share no seed")
    diff = (va[shared] - vb[shared]) if higher_is_better else (vb[shared] - va[shared])
    return int((diff > margin).sum()), int(len(shared))


def plot_runs(ax: plt.Axes, frame: pd.DataFrame, metric: str | None = None,
              title: str = "", ylabel: str | None = None, spread: str = "sd") -> plt.Axes:
    """Every run as a point, per variant, with the mean as a bar and its spread as an error bar.

    ``spread`` is ``"sd"`` (mean +- one sample standard deviation) or
    ``"range"`` (min to max). Points of one variant are spread sideways by
    seed order so that equal values stay visible.
    """
    if spread not in ("sd", "range"):
        raise ValueError(f"spread must be 'sd' or 'range', got {spread!r}")
    sub = _metric(frame, metric)
    table = summarise(frame, metric)
    names = [str(v) for v in table.index]
    for i, name in enumerate(names):
        ys = sub[sub["variant"] == name]["value"].to_numpy()
        offsets = np.linspace(-0.15, 0.15, len(ys)) if len(ys) > 1 else np.zeros(1)
        ax.scatter(i + offsets, ys, s=22, alpha=0.75, color=f"C{i % 10}", zorder=3,
                   label="one run" if i == 0 else None)
        row = table.loc[name]
        if spread == "sd":
            lo, hi = row["mean"] - row["sd"], row["mean"] + row["sd"]
        else:
            lo, hi = row["min"], row["max"]
        ax.errorbar(i + 0.3, row["mean"], yerr=[[row["mean"] - lo], [hi - row["mean"]]],
                    fmt="_", markersize=14, color="black", capsize=4, zorder=4,
                    label=("mean ± sd" if spread == "sd" else "mean, min-max") if i == 0 else None)
    ax.set_xticks(range(len(names)), names, rotation=20 if len(names) > 3 else 0,
                  ha="right" if len(names) > 3 else "center")
    ax.set_xlim(-0.6, len(names) - 0.4)
    label = ylabel if ylabel is not None else str(sub["metric"].iloc[0])
    n = int(table["n"].max())
    ax.set(title=title, ylabel=label)
    ax.set_xlabel(f"{n} seed{'s' if n != 1 else ''} per variant")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return ax


def format_summary(frame: pd.DataFrame, metric: str | None = None, fmt: str = "{:.3f}",
                   scale: float = 1.0, unit: str = "") -> str:
    """The summary as aligned text: ``variant  mean ± sd  [min, max]  (n runs)``."""
    table = summarise(frame, metric)
    width = max(len(str(v)) for v in table.index)
    lines = []
    for name, row in table.iterrows():
        f = lambda x: fmt.format(x * scale) + unit  # noqa: E731
        lines.append(f"{str(name):<{width}s}  {f(row['mean'])} ± {fmt.format(row['sd'] * scale)}"
                     f"  [{f(row['min'])}, {f(row['max'])}]  ({int(row['n'])} runs)")
    return "\n".join(lines)


def finite(frame: pd.DataFrame) -> bool:
    """True when every value in the frame is a finite number (no diverged run)."""
    return bool(all(math.isfinite(v) for v in frame["value"]))
