"""experiments/03_dimension.py: the committed CSV is complete, and a live run agrees with it."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "experiments" / "03_dimension.py"


def load_script():
    spec = importlib.util.spec_from_file_location("dimension_sweep", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sweep():
    return load_script()


@pytest.fixture(scope="module")
def csv(sweep):
    return pd.read_csv(sweep.CSV)


def test_csv_has_one_run_per_corpus_size_dimension_and_seed(sweep, csv):
    keys = set(zip(csv.tokens, csv.embed_dim, csv.seed))
    assert keys == {(n, d, s) for n in sweep.TOKENS for d in sweep.DIMS for s in sweep.SEEDS}
    assert len(csv) == len(keys)


def test_csv_runs_had_equal_training(csv):
    updates = csv.tokens * csv.num_epochs
    assert updates.nunique() == 1  # the small corpus got more epochs, the same updates


def test_csv_counts_are_consistent(csv):
    assert (csv.analogy_k <= csv.analogy_n).all()
    assert (csv.analogy_k == csv.gender_k + csv.plural_k + csv.past_tense_k).all()
    assert (csv.analogy - csv.analogy_k / csv.analogy_n).abs().max() < 1e-6
    assert csv.purity.between(0, 1).all()


def test_a_live_run_agrees_with_the_csv(sweep, csv):
    # the cheapest run of the sweep (about 5 s); two machines differ about as much as
    # two seeds, so the tolerance is the spread over the CSV's three seeds, at least
    # 1% of the questions
    row = csv[(csv.tokens == 100_000) & (csv.embed_dim == 8) & (csv.seed == 0)].iloc[0]
    seeds = csv[(csv.tokens == 100_000) & (csv.embed_dim == 8)]
    live = sweep.run(100_000, 8, 0)
    tol_k = max(seeds.analogy_k.max() - seeds.analogy_k.min(), 0.01 * row.analogy_n)
    assert live["analogy_n"] == row.analogy_n
    assert abs(live["analogy_k"] - row.analogy_k) <= tol_k, (live["analogy_k"], row.analogy_k)
    tol_p = max(seeds.purity.max() - seeds.purity.min(), 0.01)
    assert abs(live["purity"] - row.purity) <= tol_p, (live["purity"], row.purity)
