"""embcourse.wordvec: nearest neighbours, analogies and the two quality scores."""

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors

from embcourse.wordvec import analogy, analogy_accuracy, class_purity, nearest, unit_rows

# Four words on a line-up of directions: king - man + woman lands on queen.
ITOS = ["man", "woman", "king", "queen", "apple", "pear"]
VECS = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 0.0, 1.0],
                     [1.0, 1.0, 1.0], [-1.0, 0.1, 0.0], [-1.0, 0.0, 0.1]])


def random_table(seed=0, vocab_size=40, embed_dim=8):
    g = torch.Generator().manual_seed(seed)
    return [f"w{i}" for i in range(vocab_size)], torch.randn(vocab_size, embed_dim, generator=g)


def keyed(itos, vectors):
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(itos, vectors.numpy())
    return kv


def test_unit_rows_have_length_one_and_zero_rows_stay_zero():
    u = unit_rows(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
    assert torch.allclose(u, torch.tensor([[0.6, 0.8], [0.0, 0.0]]))


def test_nearest_excludes_the_word_itself_and_sorts_by_cosine():
    result = nearest(VECS, ITOS, "apple", k=2)
    assert [w for w, _ in result] == ["pear", "queen"]  # queen is the least opposite
    assert result[0][1] == pytest.approx(1 / (1 + 0.01))  # (1 + 0) / (|apple| |pear|)
    assert result[0][1] > result[1][1]


def test_nearest_agrees_with_gensim_most_similar():
    itos, vecs = random_table()
    ours = nearest(vecs, itos, "w3", k=5)
    theirs = keyed(itos, vecs).most_similar("w3", topn=5)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)


def test_nearest_honours_exclude():
    assert "pear" not in [w for w, _ in nearest(VECS, ITOS, "apple", k=3, exclude={"pear"})]


def test_nearest_unknown_word_raises_key_error_naming_it():
    with pytest.raises(KeyError, match="banana"):
        nearest(VECS, ITOS, "banana")


def test_mismatched_itos_and_vectors_raise_value_error():
    with pytest.raises(ValueError, match="5 words but vectors has 6 rows"):
        nearest(VECS, ITOS[:5], "man")


def test_integer_vectors_are_rejected():
    with pytest.raises(ValueError, match="float"):
        nearest(VECS.long(), ITOS, "man")


def test_analogy_finds_queen():
    assert analogy(VECS, ITOS, "man", "woman", "king")[0][0] == "queen"


def test_analogy_agrees_with_gensim_3cosadd():
    itos, vecs = random_table(seed=1)
    ours = analogy(vecs, itos, "w1", "w2", "w3", k=4)
    theirs = keyed(itos, vecs).most_similar(positive=["w2", "w3"], negative=["w1"], topn=4)
    assert [w for w, _ in ours] == [w for w, _ in theirs]


def test_analogy_accuracy_counts_hits_and_skips_unknown_words():
    analogies = [("man", "woman", "king", "queen"),     # right
                 ("man", "king", "woman", "pear"),      # wrong: answer is queen
                 ("man", "woman", "prince", "princess")]  # skipped: unknown words
    assert analogy_accuracy(VECS, ITOS, analogies) == 0.5


def test_analogy_accuracy_agrees_with_analogy():
    itos, vecs = random_table(seed=2)
    quads = [(itos[i], itos[i + 1], itos[i + 2], analogy(vecs, itos, itos[i], itos[i + 1], itos[i + 2])[0][0])
             for i in range(10)]
    quads += [(itos[i], itos[i + 1], itos[i + 2], itos[i + 3]) for i in range(10)]
    expected = sum(analogy(vecs, itos, a, b, c)[0][0] == d for a, b, c, d in quads) / len(quads)
    assert analogy_accuracy(vecs, itos, quads) == pytest.approx(expected)


def test_analogy_accuracy_without_usable_analogies_raises():
    with pytest.raises(ValueError, match="none of the 1 analogies"):
        analogy_accuracy(VECS, ITOS, [("a", "b", "c", "d")])


def test_class_purity_is_one_for_separated_classes_and_lower_when_mixed():
    classes = {"man": "person", "woman": "person", "king": "person", "queen": "person",
               "apple": "fruit", "pear": "fruit"}
    assert class_purity(VECS, ITOS, classes, k=1) == 1.0
    mixed = {**classes, "pear": "person", "woman": "fruit"}
    assert class_purity(VECS, ITOS, mixed, k=1) < 1.0


def test_class_purity_by_hand_for_k_two():
    itos = ["a", "b", "c", "d"]
    vecs = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.8, 0.2]])
    classes = {"a": "x", "b": "x", "c": "y", "d": "y"}
    # a: b, d -> 1/2; b: d, a -> 1/2; c: d, b -> 1/2; d: b, a -> 0
    assert class_purity(vecs, itos, classes, k=2) == pytest.approx(1.5 / 4)


def test_class_purity_needs_more_labelled_words_than_k():
    with pytest.raises(ValueError, match="more than k=5"):
        class_purity(VECS, ITOS, {"man": "p", "apple": "f"}, k=5)


def test_expand_analogies_asks_every_ordered_pair_of_different_word_pairs():
    from embcourse.wordvec import expand_analogies

    out = expand_analogies({"gender": [("man", "woman", "king", "queen"),
                                       ("king", "queen", "boy", "girl")]})
    pairs = [("man", "woman"), ("king", "queen"), ("boy", "girl")]
    assert sorted(out["gender"]) == sorted(p + q for p in pairs for q in pairs if p != q)
    assert len(out["gender"]) == 3 * 2


def test_expand_analogies_rejects_a_question_that_is_not_four_words():
    from embcourse.wordvec import expand_analogies

    with pytest.raises(ValueError, match="gender"):
        expand_analogies({"gender": [("man", "woman", "king")]})
    with pytest.raises(ValueError, match="relations"):
        expand_analogies({})


def test_analogy_counts_gives_k_of_the_usable_n():
    from embcourse.wordvec import analogy_counts

    questions = [("man", "woman", "king", "queen"), ("man", "king", "apple", "queen"),
                 ("man", "woman", "king", "unknown")]
    k, n = analogy_counts(VECS, ITOS, questions)
    assert n == 2  # the unknown word is skipped
    assert k == round(analogy_accuracy(VECS, ITOS, questions) * n)
    assert 1 <= k <= 2


def test_ppmi_by_hand_on_a_two_by_two_table():
    from embcourse.wordvec import ppmi

    cooc = torch.tensor([[2.0, 0.0], [1.0, 1.0]])
    got = ppmi(cooc, alpha=1.0)
    # P(w0, c0) = 0.5, P(w0) = 0.5, P(c0) = 0.75: log(0.5 / 0.375) > 0
    assert got[0, 0].item() == pytest.approx(np.log(0.5 / 0.375), rel=1e-6)
    assert got[0, 1].item() == 0.0  # never seen: 0, not -inf
    assert got[1, 0].item() == 0.0  # log(0.25 / 0.375) < 0 is clipped to 0
    assert torch.isfinite(ppmi(torch.zeros(3, 3))).all()


def test_ppmi_svd_reconstructs_the_ppmi_matrix_at_full_rank():
    from embcourse.wordvec import ppmi, ppmi_svd

    g = torch.Generator().manual_seed(0)
    cooc = torch.randint(0, 5, (6, 6), generator=g).float()
    cooc = cooc + cooc.T  # symmetric, as skip-gram pairs are
    vecs = ppmi_svd(cooc, 6)
    M = ppmi(cooc)
    _, S, Vh = torch.linalg.svd(M.double())
    assert torch.allclose((vecs.double() * S.sqrt()) @ Vh, M.double(), atol=1e-4)
    with pytest.raises(ValueError, match="embed_dim"):
        ppmi_svd(cooc, 7)
