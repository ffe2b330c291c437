"""embcourse.pretrained: the MiniLM table read offline, WordPiece, vocabulary alignment and the topic task."""

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from embcourse.pretrained import (TOPIC_WORDS, UNK_PIECE, align_vectors, load_minilm_embeddings, minilm_dir,
                                  read_vocab_txt, topic_task, train_with_table_rate, wordpiece)
from embcourse.wordvec import nearest


@pytest.fixture(scope="module")
def minilm():
    return load_minilm_embeddings()


@pytest.fixture(scope="module")
def stoi(minilm):
    return {w: i for i, w in enumerate(minilm[0])}


def test_minilm_table_has_one_384_dim_float_row_per_word_piece(minilm):
    itos, vectors = minilm
    assert len(itos) == 30522
    assert vectors.shape == (30522, 384) and vectors.dtype == torch.float32
    assert torch.isfinite(vectors).all()


def test_minilm_vocab_has_the_known_bert_ids(stoi):
    assert stoi["[PAD]"] == 0 and stoi[UNK_PIECE] == 100 and stoi["[CLS]"] == 101
    assert stoi["the"] == 1996 and stoi["king"] == 2332


def test_minilm_neighbours_make_sense(minilm):
    itos, vectors = minilm
    assert "queen" in [w for w, _ in nearest(vectors, itos, "king", k=3)]
    assert nearest(vectors, itos, "cat", k=1)[0][0] == "cats"
    unit = vectors / vectors.norm(dim=1, keepdim=True)
    s = {w: i for i, w in enumerate(itos)}
    assert unit[s["cat"]] @ unit[s["dog"]] > unit[s["cat"]] @ unit[s["tuesday"]] + 0.2


def test_minilm_table_loads_with_networking_disabled(tmp_path):
    prelude = textwrap.dedent("""
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network access attempted")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        try:
            socket.create_connection(("example.org", 80))
            raise SystemExit("the network block does not work")
        except OSError:
            pass
        from embcourse.pretrained import load_minilm_embeddings
        itos, vectors = load_minilm_embeddings()
        print(len(itos), tuple(vectors.shape))
    """)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HOME=str(tmp_path / "no_hub_cache"))
    proc = subprocess.run([sys.executable, "-c", prelude], capture_output=True, text=True, env=env,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "30522 (30522, 384)"
    assert not (tmp_path / "no_hub_cache").exists()


def test_minilm_dir_holds_the_two_files_the_loader_reads():
    folder = minilm_dir()
    assert (folder / "model.safetensors").is_file() and (folder / "vocab.txt").is_file()


def test_read_vocab_txt_rejects_an_empty_file(tmp_path):
    (tmp_path / "vocab.txt").write_text("")
    with pytest.raises(ValueError, match="empty vocabulary"):
        read_vocab_txt(tmp_path / "vocab.txt")


def test_wordpiece_splits_a_rare_word_into_known_pieces(stoi):
    assert wordpiece("tokenization", stoi) == ["token", "##ization"]
    assert wordpiece("King", stoi) == ["king"]           # lower-cased
    assert wordpiece("café", stoi) == ["cafe"]           # accents stripped
    assert wordpiece("", stoi) == []


def test_wordpiece_returns_unk_when_no_piece_matches():
    assert wordpiece("abc", {"a": 0, "##b": 1}) == [UNK_PIECE]


def test_wordpiece_rejects_a_non_string(stoi):
    with pytest.raises(TypeError, match="word must be a str"):
        wordpiece(3, stoi)


PRE = ["the", "cat", "dog", "##s", "ca", "##t"]
VECS = torch.tensor([[1.0, 0.0], [0.0, 2.0], [2.0, 2.0], [4.0, 0.0], [0.0, 4.0], [2.0, 0.0]])


def test_align_copies_known_rows_and_zeros_the_padding_row():
    table, missing = align_vectors(["<pad>", "dog", "the"], PRE, VECS)
    assert torch.equal(table, torch.tensor([[0.0, 0.0], [2.0, 2.0], [1.0, 0.0]]))
    assert missing == []


def test_align_mean_strategy_gives_missing_words_the_mean_row():
    table, missing = align_vectors(["zebra", "cat"], PRE, VECS, oov="mean")
    assert missing == ["zebra"]
    assert torch.allclose(table[0], VECS.mean(dim=0))


def test_align_subword_strategy_averages_the_word_pieces():
    table, missing = align_vectors(["dogs", "xyz"], PRE, VECS, oov="subword")
    assert missing == ["dogs", "xyz"]
    assert torch.allclose(table[0], (VECS[2] + VECS[3]) / 2)   # dog + ##s
    assert torch.allclose(table[1], VECS.mean(dim=0))          # no piece: the mean row


def test_align_random_strategy_is_reproducible_with_a_generator_and_has_the_table_scale():
    words = [f"w{i}" for i in range(2000)]
    a, _ = align_vectors(words, PRE, VECS, oov="random", generator=torch.Generator().manual_seed(0))
    b, _ = align_vectors(words, PRE, VECS, oov="random", generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b)
    assert a.std().item() == pytest.approx(VECS.std().item(), rel=0.1)


def test_align_rejects_an_unknown_strategy_and_a_mismatched_table():
    with pytest.raises(ValueError, match="oov must be one of"):
        align_vectors(["cat"], PRE, VECS, oov="zeros")
    with pytest.raises(ValueError, match="pre_itos has 6 words"):
        align_vectors(["cat"], PRE, VECS[:4])


def test_align_subword_gives_minilm_rows_for_words_it_lacks(minilm):
    itos, vectors = minilm
    table, missing = align_vectors(["zebra", "axolotl"], itos, vectors, oov="subword")
    assert missing == ["axolotl"]
    assert table.shape == (2, 384)
    assert not torch.allclose(table[1], vectors.mean(dim=0))


def test_topic_task_splits_words_into_seen_and_unseen():
    task = topic_task(words_per_class=5, seed=0)
    n = len(TOPIC_WORDS)
    assert len(task.seen_words) == 5 * n and len(task.train) == 3 * 5 * n and len(task.test_seen) == 5 * n
    assert not set(task.seen_words) & set(task.unseen_words)
    train_tokens = {w for s, _ in task.train for w in s}
    assert not train_tokens & set(task.unseen_words)
    assert {y for _, y in task.test_unseen} == set(range(n))


def test_topic_task_labels_follow_the_topic_word():
    task = topic_task(words_per_class=3, seed=1)
    topic_of = {w: task.classes.index(t) for t, ws in TOPIC_WORDS.items() for w in ws}
    for sentence, label in task.train + task.test_seen + task.test_unseen:
        assert [topic_of[w] for w in sentence if w in topic_of] == [label]


def test_topic_task_is_deterministic_per_seed_and_rejects_bad_sizes():
    assert topic_task(4, seed=2).train == topic_task(4, seed=2).train
    assert topic_task(4, seed=2).seen_words != topic_task(4, seed=3).seen_words
    with pytest.raises(ValueError, match="words_per_class"):
        topic_task(words_per_class=0)


# ---------------------------------------------------------------- fine-tuning with the table's own rate
class _TinyClassifier(torch.nn.Module):
    def __init__(self, table, freeze=False):
        super().__init__()
        self.emb = torch.nn.Embedding.from_pretrained(table.clone(), freeze=freeze, padding_idx=0)
        self.out = torch.nn.Linear(table.shape[1], 3)

    def forward(self, X):  # (B, T) -> (B, 3)
        return self.out(self.emb(X).mean(dim=1))


def _tiny(freeze=False):
    torch.manual_seed(0)
    table = torch.randn(10, 4)  # (V, D)
    X, y = torch.randint(1, 10, (20, 3)), torch.randint(0, 3, (20,))
    return _TinyClassifier(table, freeze), table, X, y


def test_train_with_table_rate_is_train_classifier_when_the_rates_agree():
    from embcourse.generalise import train_classifier
    for freeze in (False, True):
        a, _, X, y = _tiny(freeze)
        b, _, _, _ = _tiny(freeze)
        h_a = train_classifier(a, X, y, X, y, num_epochs=3, batch_size=8, lr=0.01, seed=1)
        h_b = train_with_table_rate(b, X, y, X, y, num_epochs=3, batch_size=8, lr=0.01,
                                    freeze_epochs=3 if freeze else 0, seed=1)
        assert h_a == h_b
        for p, q in zip(a.parameters(), b.parameters()):
            assert torch.equal(p, q)


def test_train_with_table_rate_keeps_the_table_frozen_for_freeze_epochs():
    model, table, X, y = _tiny()
    train_with_table_rate(model, X, y, X, y, num_epochs=2, batch_size=8, freeze_epochs=2)
    assert torch.equal(model.emb.weight, table)
    model, table, X, y = _tiny()
    train_with_table_rate(model, X, y, X, y, num_epochs=3, batch_size=8, freeze_epochs=2)
    assert not torch.equal(model.emb.weight, table)


def test_train_with_table_rate_moves_the_table_by_its_own_rate():
    # Adam's first step moves every entry with a gradient by about its learning rate
    model, table, X, y = _tiny()
    out_before = model.out.weight.detach().clone()
    train_with_table_rate(model, X, y, X, y, num_epochs=1, batch_size=len(X), lr=0.1, emb_lr=1e-4)
    moved = (model.emb.weight - table).abs()[1:]  # (V - 1, D), the padding row left out
    assert 0.5e-4 < moved.max() <= 1.01e-4
    assert (model.out.weight - out_before).abs().max() > 0.05


def test_train_with_table_rate_rejects_bad_arguments():
    model, _, X, y = _tiny()
    with pytest.raises(ValueError, match="model.emb"):
        train_with_table_rate(torch.nn.Linear(3, 3), X, y, X, y)
    with pytest.raises(ValueError, match="num_epochs"):
        train_with_table_rate(model, X, y, X, y, num_epochs=0)
    with pytest.raises(ValueError, match="freeze_epochs"):
        train_with_table_rate(model, X, y, X, y, freeze_epochs=-1)
    with pytest.raises(ValueError, match="emb_lr"):
        train_with_table_rate(model, X, y, X, y, emb_lr=0.0)
    with pytest.raises(ValueError, match="same length"):
        train_with_table_rate(model, X, y[:5], X, y)
