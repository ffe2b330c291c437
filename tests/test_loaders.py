"""The file readers accept good files and name the line of every broken one."""

import re

import pytest
import torch

from embcourse.loaders import (DataFormatError, read_glove, read_tatoeba, read_text_corpus,
                               read_word2vec_text, write_word2vec_text)


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def assert_names_line(exc_info, path, lineno):
    message = str(exc_info.value)
    assert path.name in message, message
    assert re.search(rf"\bline {lineno}\b", message), message


# ------------------------------------------------------------------ Tatoeba
TATOEBA = ("Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM)\n"
           "I like the cat.\tJ’aime le chat.\n"
           "Is he at the hotel?\tEst-ce qu'il est à l'hôtel ?\n")


def test_read_tatoeba_reads_two_and_three_column_lines_tokenized(tmp_path):
    pairs = read_tatoeba(write(tmp_path, "fra.txt", TATOEBA))
    assert pairs == [("go .", "va !"), ("i like the cat .", "j' aime le chat ."),
                     ("is he at the hotel ?", "est-ce qu' il est à l' hôtel ?")]


def test_read_tatoeba_can_keep_raw_text(tmp_path):
    pairs = read_tatoeba(write(tmp_path, "fra.txt", TATOEBA), tokenized=False)
    assert pairs[1] == ("I like the cat.", "J’aime le chat.")


@pytest.mark.parametrize("content, lineno", [
    ("Go.\tVa !\nno tab here\n", 2),
    ("Go.\tVa !\na\tb\tc\td\n", 2),
    ("Go.\tVa !\nHi.\t\n", 2),
    ("\tVa !\n", 1),
    (b"Go.\tVa !\nCaf\xe9\tCaf\xe9\n", 2),
    ("", 1),
])
def test_read_tatoeba_rejects_broken_lines_naming_them(tmp_path, content, lineno):
    path = write(tmp_path, "broken.tsv", content)
    with pytest.raises(DataFormatError) as exc_info:
        read_tatoeba(path)
    assert_names_line(exc_info, path, lineno)


def test_read_tatoeba_skips_bad_lines_only_when_asked_and_counts_them(tmp_path):
    path = write(tmp_path, "mixed.tsv", "Go.\tVa !\nbad line\nHi.\tSalut.\nx\ty\tz\tw\n")
    report = {}
    with pytest.warns(UserWarning, match="skipped 2 bad line"):
        pairs = read_tatoeba(path, on_error="skip", report=report)
    assert pairs == [("go .", "va !"), ("hi .", "salut .")]
    assert [lineno for lineno, _ in report["skipped"]] == [2, 4]
    assert report["lines"] == 4


def test_read_tatoeba_rejects_an_unknown_on_error(tmp_path):
    with pytest.raises(ValueError, match="on_error"):
        read_tatoeba(write(tmp_path, "a.tsv", TATOEBA), on_error="ignore")


def test_read_tatoeba_names_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        read_tatoeba(tmp_path / "missing.tsv")


# ------------------------------------------------------------------ GloVe
GLOVE = "the 0.1 0.2 0.3\ncat -1 2.5e-1 3\nchat 0 0 1\n"


def test_read_glove_reads_words_and_a_float_tensor(tmp_path):
    itos, vectors = read_glove(write(tmp_path, "glove.txt", GLOVE))
    assert itos == ["the", "cat", "chat"]
    assert vectors.dtype == torch.float32 and vectors.shape == (3, 3)
    assert torch.allclose(vectors[1], torch.tensor([-1.0, 0.25, 3.0]))


@pytest.mark.parametrize("content, lineno, fragment", [
    ("the 0.1 0.2 0.3\ncat 1 2\n", 2, "expected 3 numbers"),
    ("the 0.1 0.2 0.3\ncat 1 2 3 4\n", 2, "expected 3 numbers"),
    ("the 0.1 0.2 0.3\ncat 1 abc 3\n", 2, "column 3"),
    ("the 0.1 0.2 0.3\ncat 1 nan 3\n", 2, "finite"),
    ("the 0.1 0.2 0.3\nlonely\n", 2, "expected a word followed by"),
    ("the 0.1 0.2 0.3\nthe 1 2 3\n", 2, "once"),
    ("2 3\nthe 0.1 0.2 0.3\n", 1, "word2vec"),
    (b"the 0.1 0.2 0.3\ncaf\xe9 1 2 3\n", 2, "UTF-8"),
    ("", 1, "empty"),
])
def test_read_glove_rejects_broken_lines_naming_them(tmp_path, content, lineno, fragment):
    path = write(tmp_path, "glove.txt", content)
    with pytest.raises(DataFormatError, match=fragment) as exc_info:
        read_glove(path)
    assert_names_line(exc_info, path, lineno)


def test_read_glove_skip_mode_counts_mixed_dimensions(tmp_path):
    path = write(tmp_path, "glove.txt", GLOVE + "dog 1 2\n")
    report = {}
    with pytest.warns(UserWarning, match="skipped 1"):
        itos, vectors = read_glove(path, on_error="skip", report=report)
    assert itos == ["the", "cat", "chat"] and report["skipped"][0][0] == 4


# ------------------------------------------------------------------ word2vec
W2V = "3 2\nthe 0.5 -0.5\ncat 1 2\nl' 3 4\n"


def test_read_word2vec_text_reads_header_and_vectors(tmp_path):
    itos, vectors = read_word2vec_text(write(tmp_path, "vec.txt", W2V))
    assert itos == ["the", "cat", "l'"] and vectors.shape == (3, 2)


@pytest.mark.parametrize("content, lineno, fragment", [
    ("the 0.5 -0.5\n", 1, "header"),
    ("3 x\nthe 1 2\n", 1, "header"),
    ("3 2\nthe 0.5 -0.5\ncat 1 2 3\nl' 3 4\n", 3, "expected 2 numbers"),
    ("3 2\nthe 0.5 -0.5\ncat 1 two\nl' 3 4\n", 3, "column 3"),
    ("3 2\nthe 0.5 -0.5\ncat 1 2\n", 4, "announces 3"),
    ("2 2\nthe 0.5 -0.5\ncat 1 2\nl' 3 4\n", 4, "announces 2"),
    (b"3 2\nthe 0.5 -0.5\n\xff\xfe 1 2\nl' 3 4\n", 3, "UTF-8"),
    ("", 1, "empty"),
])
def test_read_word2vec_text_rejects_broken_files_naming_the_line(tmp_path, content, lineno, fragment):
    path = write(tmp_path, "vec.txt", content)
    with pytest.raises(DataFormatError, match=fragment) as exc_info:
        read_word2vec_text(path)
    assert_names_line(exc_info, path, lineno)


def test_write_then_read_word2vec_text_round_trips_exactly(tmp_path):
    vectors = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))  # (V, D)
    itos = ["a", "b", "c", "l'", "é"]
    path = tmp_path / "vec.txt"
    write_word2vec_text(path, itos, vectors)
    itos2, vectors2 = read_word2vec_text(path)
    assert itos2 == itos and torch.equal(vectors2, vectors)
    assert [p.name for p in tmp_path.iterdir()] == ["vec.txt"]  # no temporary file left


def test_written_word2vec_text_is_readable_by_gensim(tmp_path):
    gensim_models = pytest.importorskip("gensim.models")
    vectors = torch.arange(6, dtype=torch.float32).reshape(3, 2) / 7  # (V, D)
    path = tmp_path / "vec.txt"
    write_word2vec_text(path, ["x", "y", "z"], vectors)
    kv = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=False)
    assert kv.index_to_key == ["x", "y", "z"]
    assert torch.allclose(torch.from_numpy(kv.vectors), vectors)


def test_write_word2vec_text_rejects_mismatched_and_spaced_words(tmp_path):
    with pytest.raises(ValueError, match="2 words but vectors has 3 rows"):
        write_word2vec_text(tmp_path / "v.txt", ["a", "b"], torch.zeros(3, 2))
    with pytest.raises(ValueError, match="whitespace"):
        write_word2vec_text(tmp_path / "v.txt", ["a b"], torch.zeros(1, 2))
    with pytest.raises(TypeError, match="2-D"):
        write_word2vec_text(tmp_path / "v.txt", ["a"], torch.zeros(2))


# ------------------------------------------------------------------ plain text
def test_read_text_corpus_tokenizes_each_non_blank_line(tmp_path):
    path = write(tmp_path, "corpus.txt", "The cat eats.\n\nL'homme arrive !\n")
    assert read_text_corpus(path) == [["the", "cat", "eats", "."], ["l'", "homme", "arrive", "!"]]


@pytest.mark.parametrize("content, lineno, fragment", [
    ("", 1, "empty"),
    ("\n\n  \n", 3, "no usable line"),
    (b"good line\nbad \xc3\x28 line\n", 2, "UTF-8"),
])
def test_read_text_corpus_rejects_broken_files_naming_the_line(tmp_path, content, lineno, fragment):
    path = write(tmp_path, "corpus.txt", content)
    with pytest.raises(DataFormatError, match=fragment) as exc_info:
        read_text_corpus(path)
    assert_names_line(exc_info, path, lineno)


def test_read_text_corpus_skips_undecodable_lines_when_asked(tmp_path):
    path = write(tmp_path, "corpus.txt", b"good line\nbad \xff line\nanother one\n")
    with pytest.warns(UserWarning, match="skipped 1 bad line"):
        assert read_text_corpus(path, on_error="skip") == [["good", "line"], ["another", "one"]]
