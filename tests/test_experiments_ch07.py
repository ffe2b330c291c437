"""experiments/07_variants.py: the committed CSV is complete, and chapter 7's claims follow from it."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from embcourse.evidence import COLUMNS, summarise, wins

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "experiments" / "07_variants.py"


def load_script():
    spec = importlib.util.spec_from_file_location("ch07_variants", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script():
    return load_script()


@pytest.fixture(scope="module")
def csv(script):
    return pd.read_csv(script.CSV)


def bleu(csv, metric="test BLEU"):
    return summarise(csv, metric)


def test_csv_has_the_tidy_columns(csv):
    assert list(csv.columns[:len(COLUMNS)]) == list(COLUMNS)


def test_csv_has_three_seeds_of_every_metric_for_every_variant(script, csv):
    keys = list(zip(csv.variant, csv.seed, csv.metric))
    assert len(keys) == len(set(keys))  # no duplicated run
    assert set(keys) == {(v, s, m) for v in script.VARIANTS for s in script.SEEDS
                         for m in script.METRICS}


def test_csv_values_are_in_range(csv):
    for metric in ("test BLEU", "combo BLEU", "exact %", "valid BLEU"):
        assert csv[csv.metric == metric].value.between(0, 100).all(), metric
    assert csv[csv.metric == "final train loss"].value.between(0, 10).all()
    assert (csv[csv.metric == "ms/step CPU"].value > 0).all()
    params = csv[csv.metric == "parameters"]
    assert (params.groupby("variant").value.nunique() == 1).all()  # seeds do not change sizes


def test_tied_variants_share_their_parameter_count(csv):
    p = csv[csv.metric == "parameters"].groupby("variant").value.first()
    assert p["additive, tied (scaled)"] == p["additive, tied (old, unscaled)"] < p["additive"]
    assert p["additive, bidirectional"] > 1.3 * p["additive"]  # not a one-factor change


def test_chapter_claims_follow_from_the_csv(csv):
    # the claims of the notebook's "Controls over 3 seeds" and tying sections
    t = bleu(csv)
    assert wins(csv, "additive", "chapter 6 (no attention)", "test BLEU", margin=10) == (3, 3)
    assert wins(csv, "chapter 6 (no attention)", "uniform", "test BLEU", margin=5) == (3, 3)
    assert wins(csv, "additive", "uniform", "test BLEU", margin=30) == (3, 3)
    assert t.loc["uniform", "max"] < t.loc["chapter 6 (no attention)", "min"]
    assert wins(csv, "additive, bidirectional", "additive", "test BLEU") == (3, 3)
    # tying costs nothing measurable: the tied means sit within the untied seeds' range
    lo, hi = t.loc["additive", "min"], t.loc["additive", "max"]
    assert abs(t.loc["additive, tied (scaled)", "mean"] - t.loc["additive", "mean"]) < hi - lo
    assert t.loc["additive, tied (scaled)", "mean"] > t.loc["additive, tied (old, unscaled)", "mean"]


def test_script_rejects_an_unknown_variant(script, monkeypatch, tmp_path):
    monkeypatch.setattr("sys.argv", ["07_variants.py", "--out", str(tmp_path / "x.csv"),
                                      "no such variant"])
    with pytest.raises(SystemExit):
        script.main()


def test_unscale_tying_restores_the_earlier_tied_decoder(script):
    import torch

    from embcourse import set_seed
    from embcourse.attention import AttnSeq2Seq
    set_seed(0)
    model = script.unscale_tying(AttnSeq2Seq(50, 40, embed_dim=16, hidden_size=8, src_pad_id=0,
                                             tgt_pad_id=0, tie=True))
    dec = model.decoder
    assert dec.out.weight is dec.embedding.weight and dec.emb_scale == 1.0
    assert 0.7 < dec.embedding.weight[1:].std().item() < 1.3  # N(0, 1), not N(0, 1/E)
    logits = dec.logits(torch.zeros(2, 8 + 8 + 16))
    assert torch.isfinite(logits[:, 0]).all()  # <pad> is scored, as before
