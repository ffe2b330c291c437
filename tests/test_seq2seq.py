"""The chapter 6 translation model, its data pipeline, training, decoding and checkpoints."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from embcourse.checks.ch06 import reference_greedy_decode, tiny_model
from embcourse.seq2seq import (BucketBatchSampler, CheckpointError, OneHot, Seq2Seq, TranslationData,
                               error_kind, evaluate, greedy_decode, init_embedding, load_checkpoint, load_splits,
                               masked_cross_entropy, save_checkpoint, splits_from_pairs, train_seq2seq,
                               translate)

EN = {"dog": "chien", "cat": "chat", "bird": "oiseau", "horse": "cheval"}
VERB = {"sees": "voit", "likes": "aime"}


def toy_pairs() -> list[tuple[str, str]]:
    """Every 'the X verb the Y .' sentence: 32 pairs of 6 tokens."""
    return [(f"the {a} {v} the {b} .", f"le {EN[a]} {VERB[v]} le {EN[b]} .")
            for a in EN for v in VERB for b in EN]


@pytest.fixture
def data() -> TranslationData:
    pairs = toy_pairs()
    splits = SimpleNamespace(train=pairs, valid=pairs[:8], test=pairs[8:16], test_combos=pairs[:4])
    return TranslationData.build(splits, batch_size=8)


def small_model(data, **kw) -> Seq2Seq:
    torch.manual_seed(0)
    return Seq2Seq(len(data.src_vocab), len(data.tgt_vocab), embed_dim=8, hidden_size=16,
                   src_pad_id=data.src_vocab.pad_id, tgt_pad_id=data.tgt_vocab.pad_id, **kw)


def test_encoder_final_state_ignores_padding(data):
    model = small_model(data).eval()
    src, lengths = data.encode_sources(["the dog sees the cat ."])  # (1, S)
    padded = torch.cat([src, torch.full((1, 4), data.src_vocab.pad_id)], dim=1)  # (1, S + 4)
    _, h1 = model.encoder(src, lengths)
    out, h2 = model.encoder(padded, lengths)
    assert torch.allclose(h1, h2, atol=1e-6)
    assert out[0, src.size(1):].abs().max() == 0  # padded positions have zero outputs


def test_forward_gives_logits_over_the_target_vocabulary(data):
    src, src_lengths, tgt, _ = next(iter(data.loader(data.train[:5])))
    logits = small_model(data)(src, src_lengths, tgt[:, :-1])
    assert logits.shape == (5, tgt.size(1) - 1, len(data.tgt_vocab))


def test_decode_step_by_step_equals_teacher_forced_forward(data):
    model = small_model(data).eval()
    src, src_lengths, tgt, _ = next(iter(data.loader(data.train[:3])))
    full = model(src, src_lengths, tgt[:, :-1])  # (B, T, V)
    state = model.encode(src, src_lengths)
    for t in range(tgt.size(1) - 1):
        logits, state = model.decode_step(tgt[:, t], state)
        assert torch.allclose(logits, full[:, t], atol=1e-5)


def test_padding_row_of_the_embeddings_gets_no_gradient(data):
    model = small_model(data)
    src, src_lengths, tgt, _ = next(iter(data.loader(data.train[:8])))
    masked_cross_entropy(model(src, src_lengths, tgt[:, :-1]), tgt[:, 1:], data.tgt_vocab.pad_id).backward()
    assert model.encoder.embedding.weight.grad[data.src_vocab.pad_id].abs().max() == 0
    assert model.decoder.embedding.weight.grad[data.tgt_vocab.pad_id].abs().max() == 0


def test_one_hot_model_has_no_embedding_table_and_zero_padding_vectors(data):
    model = small_model(data, one_hot=True)
    assert isinstance(model.encoder.embedding, OneHot)
    assert not any(isinstance(m, torch.nn.Embedding) for m in model.modules())
    x = OneHot(5, padding_idx=0)(torch.tensor([[0, 3]]))  # (1, 2, 5)
    assert x.tolist() == [[[0, 0, 0, 0, 0], [0, 0, 0, 1, 0]]]


def test_init_embedding_copies_known_words_standardized(data):
    model = small_model(data)
    vectors = torch.arange(16.0).view(2, 8)  # (2, D)
    n = init_embedding(model.encoder.embedding, data.src_vocab.itos, ["dog", "zebra"], vectors)
    assert n == 1
    want = (vectors - vectors.mean()) / vectors.std()
    assert torch.allclose(model.encoder.embedding.weight[data.src_vocab.stoi["dog"]], want[0])


def test_init_embedding_rejects_wrong_dimension(data):
    with pytest.raises(ValueError, match="embedding_dim=8"):
        init_embedding(small_model(data).encoder.embedding, data.src_vocab.itos, ["dog"], torch.zeros(1, 5))


def test_bucket_sampler_covers_every_pair_once_in_length_sorted_batches():
    lengths = [i % 13 for i in range(1000)]
    batches = list(BucketBatchSampler(lengths, 20, torch.Generator().manual_seed(0)))
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert len(batches) == len(BucketBatchSampler(lengths, 20, torch.Generator()))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 2  # random batches of 20 would span nearly all 13 lengths


def test_bucket_sampler_is_reproducible_from_its_seed():
    lengths = list(range(100))
    run = lambda seed: list(BucketBatchSampler(lengths, 7, torch.Generator().manual_seed(seed)))  # noqa: E731
    assert run(1) == run(1) and run(1) != run(2)


def test_masked_cross_entropy_ignores_padding_positions():
    logits = torch.randn(2, 3, 5)
    tgt = torch.tensor([[1, 2, 0], [3, 0, 0]])
    manual = torch.stack([torch.nn.functional.cross_entropy(logits[b, t][None], tgt[b, t][None])
                          for b, t in [(0, 0), (0, 1), (1, 0)]]).mean()
    assert torch.allclose(masked_cross_entropy(logits, tgt, 0), manual)


def test_greedy_decode_matches_the_reference_on_the_tiny_model():
    src = torch.tensor([[0, 3], [1, 3], [2, 3]])
    args = (tiny_model(), src, torch.tensor([2, 2, 2]), 6, 1, 2)
    assert greedy_decode(*args) == reference_greedy_decode(*args) == [[3, 4, 5], [3, 3, 3, 3, 3, 3], []]


def test_training_is_deterministic_and_lowers_the_loss(data):
    runs = [train_seq2seq(small_model(data), data, num_steps=30, eval_every=10, progress=False)
            for _ in range(2)]
    assert runs[0].train_loss == runs[1].train_loss
    assert runs[0].valid_loss == runs[1].valid_loss
    assert runs[0].eval_steps == [10, 20, 30] and len(runs[0].train_seconds) == 3
    assert runs[0].valid_loss[-1] < runs[0].valid_loss[0]


def test_training_stops_at_the_time_budget(data):
    hist = train_seq2seq(small_model(data), data, num_steps=10_000, eval_every=10_000, max_seconds=0.0,
                         progress=False)
    assert hist.steps == [1] and hist.eval_steps == [1]


def test_training_with_partial_teacher_forcing_runs(data):
    hist = train_seq2seq(small_model(data), data, num_steps=3, eval_every=3, teacher_forcing=0.5,
                         progress=False)
    assert len(hist.train_loss) == 3


def test_a_trained_model_translates_the_toy_language(data):
    torch.manual_seed(0)
    model = Seq2Seq(len(data.src_vocab), len(data.tgt_vocab), 16, 32,
                    data.src_vocab.pad_id, data.tgt_vocab.pad_id, dropout=0.0)
    train_seq2seq(model, data, num_steps=150, lr=1e-2, eval_every=150, progress=False)
    result = evaluate(model, data, data.test)
    assert result["bleu"] > 80 and result["exact_match"] > 0.5


def test_evaluate_uses_eval_mode_and_restores_training_mode(data):
    model = small_model(data, dropout=0.5).train()
    first, second = evaluate(model, data, data.test), evaluate(model, data, data.test)
    assert first["hypotheses"] == second["hypotheses"]  # dropout was off
    assert model.training


def test_translate_rejects_a_single_string(data):
    with pytest.raises(TypeError, match="list of strings"):
        translate(small_model(data), data, "the dog sees the cat .")


def test_checkpoint_round_trip(data, tmp_path):
    model = small_model(data)
    save_checkpoint(model, tmp_path / "m.safetensors", {"embed_dim": 8, "hidden_size": 16})
    state, config = load_checkpoint(tmp_path / "m.safetensors")
    other = small_model(data, dropout=0.2)
    other.load_state_dict(state)
    assert config == {"embed_dim": 8, "hidden_size": 16}
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other.state_dict().values()))
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]  # no temporary file left behind


def test_checkpoint_keeps_tied_weights(tmp_path):
    model = torch.nn.Sequential(torch.nn.Embedding(20, 4), torch.nn.Linear(4, 20))
    model[1].weight = model[0].weight  # one tensor under two names
    save_checkpoint(model, tmp_path / "tied.safetensors")
    state, _ = load_checkpoint(tmp_path / "tied.safetensors")
    assert torch.equal(state["0.weight"], state["1.weight"])


def _saved(data, tmp_path) -> Path:
    path = tmp_path / "m.safetensors"
    save_checkpoint(small_model(data), path, {"embed_dim": 8})
    return path


def test_a_bit_flipped_checkpoint_is_rejected(data, tmp_path):
    path = _saved(data, tmp_path)
    raw = bytearray(path.read_bytes())
    middle = len(raw) // 2
    for i in range(middle, middle + 200):  # 200 bytes flipped in the middle, in the weights
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="m.safetensors: truncated or corrupted checkpoint"):
        load_checkpoint(path)


def test_a_changed_config_is_rejected(data, tmp_path):
    path = _saved(data, tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b'{\\"embed_dim\\": 8}', b'{\\"embed_dim\\": 9}'))
    assert path.read_bytes() != raw
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        load_checkpoint(path)


@pytest.mark.parametrize("damage", ["truncated", "random bytes", "empty", "a torch.save file"])
def test_damaged_files_raise_a_clear_error_that_never_suggests_weights_only_false(data, tmp_path, damage):
    path = _saved(data, tmp_path)
    raw = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "random bytes":
        path.write_bytes(np.random.default_rng(0).bytes(len(raw)))
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        torch.save(small_model(data).state_dict(), path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert str(path) in message and "truncated or corrupted checkpoint" in message
    assert "weights_only" not in message


@pytest.mark.parametrize("config", [{"sizes": (1, 2)}, {1: "a"}, {"w": torch.ones(1)}, {"x": float("nan")}])
def test_a_config_that_cannot_round_trip_is_refused_at_save_time(data, tmp_path, config):
    with pytest.raises(ValueError, match="config"):
        save_checkpoint(small_model(data), tmp_path / "m.safetensors", config)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_save_leaves_no_temporary_file(data, tmp_path, monkeypatch):
    import embcourse.seq2seq as s2s

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(s2s, "save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(small_model(data), tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_load_checkpoint_names_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        load_checkpoint(tmp_path / "nope.safetensors")


def test_splits_from_pairs_are_disjoint_and_reproducible():
    pairs = [(f"e{i}", f"f{i}") for i in range(100)]
    a, b = splits_from_pairs(pairs, seed=3), splits_from_pairs(pairs, seed=3)
    assert (len(a.train), len(a.valid), len(a.test)) == (90, 5, 5)
    assert sorted(a.train + a.valid + a.test) == sorted(pairs)
    assert a.test == b.test and a.test_combos == []


def test_splits_from_pairs_rejects_bad_fractions():
    with pytest.raises(ValueError, match="valid_frac"):
        splits_from_pairs([("a", "b")], valid_frac=0.6, test_frac=0.5)


def write_tatoeba(path, n: int, bad_lines: int = 0):
    """A small file in the Tatoeba fra-eng format: english TAB french TAB attribution."""
    lines = [f"I see dog number {i}.\tJe vois le chien numéro {i}.\tCC-BY 2.0 (France) #{i}"
             for i in range(n)]
    lines += ["a line without a tab"] * bad_lines
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_splits_reads_a_tatoeba_file_tokenized_and_split(tmp_path):
    with pytest.warns(UserWarning, match="skipped 2 bad line"):
        splits = load_splits(write_tatoeba(tmp_path / "fra.txt", 40, bad_lines=2), seed=0)
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (36, 2, 2)
    assert ("i see dog number 0 .", "je vois le chien numéro 0 .") in splits.train + splits.valid + splits.test
    data = TranslationData.build(splits, batch_size=8)
    model = small_model(data)
    train_seq2seq(model, data, num_steps=2, eval_every=1, progress=False)
    assert len(translate(model, data, [en for en, _ in splits.test])) == 2


def test_load_splits_keeps_at_most_num_pairs_and_drops_long_pairs(tmp_path):
    path = write_tatoeba(tmp_path / "fra.txt", 60)
    kept = load_splits(path, num_pairs=30)
    assert len(kept.train) + len(kept.valid) + len(kept.test) == 30
    with pytest.raises(ValueError, match="usable pairs"):
        load_splits(path, max_len=3)


def test_load_splits_defaults_to_the_generated_corpus():
    splits = load_splits(None, num_pairs=400, seed=0)
    assert splits.test_combos is not None and len(splits.train) > 300


@pytest.mark.parametrize("hyp, kind", [
    ("le chat dort .", "correct"), ("chat le dort .", "word order"), ("le chat .", "missing words"),
    ("le chat dort bien .", "extra words"), ("le chien dort .", "one wrong word"),
    ("la chienne dort .", "2 wrong words")])
def test_error_kind_labels_each_kind_of_mistake(hyp, kind):
    assert error_kind(hyp, "le chat dort .") == kind
