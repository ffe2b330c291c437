"""Plot helpers shared by the chapters. Each takes and returns a matplotlib ``ax``; none changes global style."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np


def heatmap(ax: plt.Axes, matrix, labels: Sequence[str], title: str, cbar_label: str = "",
            fmt: str = "{:.2f}", cmap: str = "viridis") -> plt.Axes:
    """Chapter 1: a square matrix as a heat map with its values written in the cells."""
    m = np.asarray(matrix, dtype=float)
    im = ax.imshow(m, cmap=cmap)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, fmt.format(m[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if m[i, j] < (m.max() + m.min()) / 2 else "black")
    ax.figure.colorbar(im, ax=ax, label=cbar_label, shrink=0.8)
    ax.set_title(title)
    return ax


def loglog_series(ax: plt.Axes, x, series: dict[str, Sequence[float]], title: str,
                  xlabel: str, ylabel: str, styles: dict[str, str] | None = None) -> plt.Axes:
    """Chapters 1, 2 and 8: several measured or computed series against one x, on log-log axes."""
    styles = styles or {}
    for name, ys in series.items():
        ax.loglog(x, ys, styles.get(name, "o-"), label=name)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return ax


def scatter_labeled(ax: plt.Axes, points, labels: Sequence[str], title: str,
                    groups: Sequence[str] | None = None, xlabel: str = "dimension 1",
                    ylabel: str = "dimension 2", avoid_overlap: bool = True) -> plt.Axes:
    """Chapters 2-4: 2-D points with a text label each, coloured by group when given.

    With ``avoid_overlap`` (the default) the labels are moved apart with
    adjustText and joined to their points by thin lines, so that no label
    covers another; :func:`overlapping_labels` counts any that still do.
    """
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {pts.shape}")
    if len(labels) != len(pts):
        raise ValueError(f"{len(labels)} labels for {len(pts)} points")
    if groups is None:
        ax.scatter(pts[:, 0], pts[:, 1], s=20)
    else:
        for g in sorted(set(groups)):
            sel = np.array([x == g for x in groups])
            ax.scatter(pts[sel, 0], pts[sel, 1], s=20, label=g)
        ax.legend(fontsize=7, loc="best")
    texts = [ax.text(x, y, text, fontsize=7) for (x, y), text in zip(pts, labels)]
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if avoid_overlap and len(texts) > 1:
        from adjustText import adjust_text
        adjust_text(texts, x=pts[:, 0], y=pts[:, 1], ax=ax, iter_lim=500,
                    arrowprops=dict(arrowstyle="-", color="grey", lw=0.5))
    return ax


def overlapping_labels(ax: plt.Axes) -> int:
    """How many pairs of text labels in ``ax`` overlap once drawn (0 for a readable figure)."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text().strip()]
    count = 0
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if boxes[i].overlaps(boxes[j]):
                count += 1
    return count


def curves(ax: plt.Axes, series: dict[str, Sequence[float]], title: str, xlabel: str,
           ylabel: str, x: Sequence[float] | None = None) -> plt.Axes:
    """Every chapter that trains: named curves (losses, accuracies) against steps or epochs."""
    for name, ys in series.items():
        ax.plot(x if x is not None else range(1, len(ys) + 1), ys, label=name)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax
