"""The seed-comparison helpers every chapter uses (embcourse.evidence) and label placement."""

import math
import random

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from embcourse.evidence import (compare, finite, format_summary, plot_runs,  # noqa: E402
                                summarise, values, wins)
from embcourse.plots import overlapping_labels, scatter_labeled  # noqa: E402


def test_compare_returns_one_tidy_row_per_variant_seed_and_metric():
    frame = compare({"a": 1, "b": 10}, [0, 1, 2], lambda c, s: {"x": c * s, "y": c + s})
    assert list(frame.columns) == ["variant", "seed", "metric", "value", "seconds"]
    assert len(frame) == 2 * 3 * 2
    assert list(frame["variant"].cat.categories) == ["a", "b"]
    row = frame[(frame.variant == "b") & (frame.seed == 2) & (frame.metric == "y")]
    assert row["value"].item() == 12.0
    assert (frame["seconds"] >= 0).all()


def test_compare_seeds_every_run_so_variants_share_their_random_start():
    frame = compare({"a": 0, "b": 0}, [3, 4], lambda c, s: torch.rand(1).item() + random.random())
    assert values(frame, "a").tolist() == values(frame, "b").tolist()
    assert values(frame, "a")[3] != values(frame, "a")[4]


def test_compare_accepts_numpy_and_torch_scalars():
    frame = compare({"a": 0}, [0], lambda c, s: {"n": np.float32(1.5), "t": torch.tensor(2.0)})
    assert sorted(frame["value"].tolist()) == [1.5, 2.0]


@pytest.mark.parametrize("seeds, error, text", [
    ([], ValueError, "seeds is empty"),
    ([1, 1], ValueError, "seeds repeat"),
    ([0.5], TypeError, "seeds must be ints"),
    ([True], TypeError, "seeds must be ints"),
])
def test_compare_rejects_bad_seeds(seeds, error, text):
    with pytest.raises(error, match=text):
        compare({"a": 0}, seeds, lambda c, s: 1.0)


def test_compare_rejects_no_variants_and_non_numbers_naming_variant_and_seed():
    with pytest.raises(ValueError, match="non-empty dict"):
        compare({}, [0], lambda c, s: 1.0)
    with pytest.raises(TypeError, match=r"metric 'acc' of variant 'b', seed 1"):
        compare({"a": 0, "b": 1}, [0, 1], lambda c, s: {"acc": "high" if (c, s) == (1, 1) else 1})
    with pytest.raises(ValueError, match="no metrics"):
        compare({"a": 0}, [0], lambda c, s: {})


def test_summarise_gives_count_mean_sd_min_max_in_variant_order():
    frame = compare({"z": [1.0, 2.0, 6.0], "a": [5.0, 5.0, 5.0]}, [0, 1, 2], lambda c, s: c[s])
    table = summarise(frame)
    assert list(table.index) == ["z", "a"]
    assert table.loc["z", "n"] == 3 and table.loc["z", "mean"] == 3.0
    assert math.isclose(table.loc["z", "sd"], np.std([1, 2, 6], ddof=1))
    assert (table.loc["z", "min"], table.loc["z", "max"]) == (1.0, 6.0)
    assert table.loc["a", "sd"] == 0.0


def test_summarise_single_seed_has_zero_sd_not_nan():
    assert summarise(compare({"a": 1.0}, [0], lambda c, s: c)).loc["a", "sd"] == 0.0


def test_metric_must_be_named_when_there_are_several():
    frame = compare({"a": 0}, [0], lambda c, s: {"x": 1, "y": 2})
    with pytest.raises(ValueError, match="several metrics"):
        summarise(frame)
    with pytest.raises(ValueError, match="no metric 'w'"):
        summarise(frame, "w")
    assert summarise(frame, "y").loc["a", "mean"] == 2
    with pytest.raises(ValueError, match="missing columns"):
        summarise(pd.DataFrame({"value": [1.0]}))


def test_wins_pairs_runs_by_seed_and_respects_direction_and_margin():
    table = {"good": [0.9, 0.8, 0.7], "bad": [0.5, 0.85, 0.1]}
    frame = compare(table, [0, 1, 2], lambda c, s: c[s])
    assert wins(frame, "good", "bad") == (2, 3)
    assert wins(frame, "bad", "good") == (1, 3)
    assert wins(frame, "good", "bad", higher_is_better=False) == (1, 3)
    assert wins(frame, "good", "bad", margin=0.5) == (1, 3)
    with pytest.raises(ValueError, match="no variant 'ugly'"):
        wins(frame, "good", "ugly")


def test_wins_needs_shared_seeds():
    a = compare({"a": 1.0}, [0, 1], lambda c, s: c)
    b = compare({"b": 1.0}, [5, 6], lambda c, s: c)
    with pytest.raises(ValueError, match="share no seed"):
        wins(pd.concat([a, b]), "a", "b")


def test_plot_runs_draws_every_run_and_one_mean_per_variant():
    frame = compare({"a": 1.0, "b": 2.0, "c": 3.0}, [0, 1, 2, 3], lambda c, s: c + 0.1 * s)
    fig, ax = plt.subplots()
    plot_runs(ax, frame, title="t", ylabel="loss")
    points = sum(len(coll.get_offsets()) for coll in ax.collections if coll.get_offsets().ndim == 2
                 and coll.get_offsets().shape[1] == 2 and coll.get_offsets().shape[0] == 4)
    assert points == 12
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "4 seeds per variant" and ax.get_ylabel() == "loss"
    with pytest.raises(ValueError, match="spread must be"):
        plot_runs(ax, frame, spread="iqr")
    plt.close(fig)


def test_format_summary_lines_and_finite():
    frame = compare({"frozen": 0.77, "tuned": 0.32}, [0, 1], lambda c, s: c)
    text = format_summary(frame, fmt="{:.1f}", scale=100, unit="%")
    assert text.splitlines()[0] == "frozen  77.0% ± 0.0  [77.0%, 77.0%]  (2 runs)"
    assert finite(frame)
    assert not finite(compare({"x": 0}, [0], lambda c, s: float("nan")))


def test_scatter_labeled_moves_crowded_labels_apart():
    rng = np.random.default_rng(0)
    pts = np.vstack([rng.normal(size=(24, 2)) * 0.02, [[1.0, 1.0]]])
    labels = [f"word{i}" for i in range(25)]
    fig, ax = plt.subplots(figsize=(6, 5))
    scatter_labeled(ax, pts, labels, "crowded", avoid_overlap=False)
    before = overlapping_labels(ax)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 5))
    scatter_labeled(ax, pts, labels, "crowded")
    after = overlapping_labels(ax)
    plt.close(fig)
    assert before > 20
    assert after <= 2, f"{after} label pairs still overlap"


def test_scatter_labeled_checks_shapes():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="shape"):
        scatter_labeled(ax, np.zeros((3, 3)), ["a", "b", "c"], "t")
    with pytest.raises(ValueError, match="2 labels for 3 points"):
        scatter_labeled(ax, np.zeros((3, 2)), ["a", "b"], "t")
    plt.close(fig)
