"""embcourse.sgns: subsampling, pairs, noise, the loss, the hand-written update, training and the cache."""

import math

import pytest
import torch
import torch.nn.functional as F

import embcourse.sgns as sgns
from embcourse.sgns import (SGNS, SGNSConfig, flatten_sentences, keep_probability, noise_distribution,
                            sample_negatives, sgns_loss, sgns_step, shared_negatives_loss, skipgram_pairs,
                            train_sgns)


def test_keep_probability_is_word2vec_formula():
    counts = torch.tensor([900, 90, 9, 1])
    t, f = 0.01, 90 / 1000
    keep = keep_probability(counts, sample=t)
    assert keep[1].item() == pytest.approx(math.sqrt(t / f) + t / f, rel=1e-6)
    assert keep[3].item() == 1.0  # rarer than the threshold: always kept


def test_keep_probability_agrees_with_gensim():
    from gensim.models import Word2Vec

    sentences = [["the"] * 50 + ["cat", "sat"] * 5 + ["mat"]] * 20
    model = Word2Vec(vector_size=4, min_count=1, sample=1e-2, seed=0)
    model.build_vocab(sentences)
    words = model.wv.index_to_key
    counts = torch.tensor([model.wv.get_vecattr(w, "count") for w in words])
    ours = keep_probability(counts, sample=1e-2)
    theirs = torch.tensor([model.wv.get_vecattr(w, "sample_int") / 2**32 for w in words])
    assert torch.allclose(ours, theirs.float(), atol=1e-6)


def test_keep_probability_zero_sample_keeps_everything():
    assert torch.equal(keep_probability(torch.tensor([5, 1]), sample=0), torch.ones(2))


def test_noise_distribution_is_counts_to_the_three_quarters():
    noise = noise_distribution(torch.tensor([16, 1, 0]))
    assert noise.sum().item() == pytest.approx(1.0)
    assert (noise[0] / noise[1]).item() == pytest.approx(8.0)  # 16 ** 0.75
    assert noise[2].item() == 0.0


def test_noise_distribution_rejects_all_zero_counts():
    with pytest.raises(ValueError, match="positive count"):
        noise_distribution(torch.zeros(3))


def test_sample_negatives_follows_the_noise_and_never_draws_zero_probability_words():
    noise = torch.tensor([0.5, 0.0, 0.3, 0.2])
    draws = sample_negatives(noise, (200_000,), torch.Generator().manual_seed(0))
    freq = torch.bincount(draws, minlength=4).float() / len(draws)
    assert torch.allclose(freq, noise, atol=0.005)
    assert freq[1].item() == 0.0


def test_skipgram_pairs_window_one_by_hand_and_not_across_sentences():
    tokens, sent = flatten_sentences([[0, 1, 2], [3, 4]])
    pairs = skipgram_pairs(tokens, sent, window=1, shrink=False)
    assert sorted(map(tuple, pairs.tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1), (3, 4), (4, 3)]


def test_skipgram_pairs_count_for_a_full_window():
    tokens, sent = flatten_sentences([list(range(10))])
    pairs = skipgram_pairs(tokens, sent, window=3, shrink=False)
    assert len(pairs) == 2 * (9 + 8 + 7)  # each distance d gives 10 - d pairs each way


def test_shrunk_window_gives_a_subset_with_near_pairs_always_present():
    tokens, sent = flatten_sentences([list(range(50))])
    full = set(map(tuple, skipgram_pairs(tokens, sent, 5, shrink=False).tolist()))
    shrunk = set(map(tuple, skipgram_pairs(tokens, sent, 5, torch.Generator().manual_seed(0)).tolist()))
    assert shrunk < full
    assert {(i, i + 1) for i in range(49)} <= shrunk


def test_skipgram_pairs_rejects_a_zero_window():
    tokens, sent = flatten_sentences([[0, 1]])
    with pytest.raises(ValueError, match="window"):
        skipgram_pairs(tokens, sent, window=0)


def test_sgns_loss_by_hand_for_one_pair():
    c, o, n = torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0, 0.0]]), torch.tensor([[[0.0, 1.0], [-1.0, 0.0]]])
    expected = -math.log(torch.sigmoid(torch.tensor(2.0)).item()) \
        - math.log(0.5) - math.log(torch.sigmoid(torch.tensor(1.0)).item())
    assert sgns_loss(c, o, n).item() == pytest.approx(expected, rel=1e-6)


def test_sgns_module_forward_is_sgns_loss_of_its_tables():
    model = SGNS(10, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        model.out_embed.weight.normal_()
    centre, context, negs = torch.tensor([1, 2]), torch.tensor([3, 4]), torch.tensor([[5, 6], [7, 8]])
    expected = sgns_loss(model.in_embed.weight[centre], model.out_embed.weight[context],
                         model.out_embed.weight[negs])
    assert torch.allclose(model(centre, context, negs), expected)


def test_shared_negatives_loss_equals_sgns_loss_when_every_pair_gets_the_same_noise():
    g = torch.Generator().manual_seed(0)
    C, O, N = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g), torch.randn(3, 4, generator=g)
    per_pair = sgns_loss(C, O, N.expand(6, 3, 4))
    assert torch.allclose(shared_negatives_loss(C, O, N, negatives=3), per_pair)


def test_sgns_step_equals_autograd_and_sparse_sgd():
    g = torch.Generator().manual_seed(0)
    W_in, W_out = torch.randn(12, 5, generator=g), torch.randn(12, 5, generator=g)
    centre, context = torch.tensor([0, 1, 1, 3]), torch.tensor([2, 2, 4, 0])
    noise_ids = torch.tensor([5, 2, 5])
    model = SGNS(12, 5)
    with torch.no_grad():
        model.in_embed.weight.copy_(W_in)
        model.out_embed.weight.copy_(W_out)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = shared_negatives_loss(model.in_embed(centre), model.out_embed(context), model.out_embed(noise_ids), 5)
    (loss * len(centre)).backward()
    opt.step()
    mean_loss, capped = sgns_step(W_in, W_out, centre, context, noise_ids, negatives=5, lr=0.1)
    assert not capped
    assert mean_loss == pytest.approx(loss.item(), rel=1e-6)
    assert torch.allclose(W_in, model.in_embed.weight, atol=1e-6)
    assert torch.allclose(W_out, model.out_embed.weight, atol=1e-6)


def toy_sentences(num_sentences=400):
    """Two topics that never meet: words 0-4 together and words 5-9 together."""
    g = torch.Generator().manual_seed(1)
    return [(torch.randint(0, 5, (8,), generator=g) + 5 * (i % 2)).tolist() for i in range(num_sentences)]


def test_train_sgns_lowers_the_loss_and_separates_the_topics():
    sentences = toy_sentences()
    counts = torch.bincount(torch.tensor(sentences).flatten(), minlength=10)
    result = train_sgns(sentences, counts, SGNSConfig(embed_dim=8, num_epochs=5, batch_size=256, sample=0),
                        progress=False, log_every=5)
    assert result.losses[-1] < result.losses[0]
    unit = F.normalize(result.vectors, dim=1)  # (V, D)
    sims = unit @ unit.T  # (V, V)
    assert sims[:5, :5].mean() > sims[:5, 5:].mean() + 0.3


def test_train_sgns_is_deterministic_for_a_seed():
    sentences = toy_sentences(100)
    counts = torch.bincount(torch.tensor(sentences).flatten(), minlength=10)
    config = SGNSConfig(embed_dim=4, num_epochs=2, batch_size=64)
    a = train_sgns(sentences, counts, config, progress=False)
    b = train_sgns(sentences, counts, config, progress=False)
    assert torch.equal(a.vectors, b.vectors)


def test_train_sgns_rejects_counts_that_are_not_a_vector():
    with pytest.raises(TypeError, match="counts"):
        train_sgns([[0, 1]], [1, 1], progress=False)


def test_english_vectors_trains_once_then_loads_the_same_table(tmp_path, monkeypatch):
    import embcourse.corpus

    toy = [["the", "cat", "eats", "fish"], ["the", "dog", "eats", "meat"]] * 50
    monkeypatch.setattr(sgns, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(embcourse.corpus, "english_corpus", lambda *a, **k: toy)
    itos, vectors = sgns.english_vectors(embed_dim=4)
    assert list(tmp_path.glob("*.txt")) == [sgns.english_vectors_path(embed_dim=4)]
    monkeypatch.setattr(embcourse.corpus, "english_corpus", lambda *a, **k: pytest.fail("retrained"))
    itos2, vectors2 = sgns.english_vectors(embed_dim=4)
    assert itos2 == itos and torch.equal(vectors2, vectors) and vectors.shape == (len(itos), 4)


def test_english_vectors_path_names_the_dimension_and_seed_inside_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(sgns, "CACHE_DIR", tmp_path)
    path = sgns.english_vectors_path(embed_dim=32, seed=7)
    assert path.parent == tmp_path and "d32" in path.name and "seed7" in path.name
    assert path != sgns.english_vectors_path(embed_dim=32, seed=0)


def test_train_sgns_uses_one_thread_and_restores_the_setting():
    sentences = toy_sentences(60)
    counts = torch.bincount(torch.tensor(sentences).flatten(), minlength=10)
    config = SGNSConfig(embed_dim=4, num_epochs=1, batch_size=64)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        two = train_sgns(sentences, counts, config, progress=False)
        assert torch.get_num_threads() == 2
        torch.set_num_threads(1)
        one = train_sgns(sentences, counts, config, progress=False)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(one.vectors, two.vectors)


def test_sgns_step_caps_the_summed_step_of_each_row():
    g = torch.Generator().manual_seed(0)
    W_in, W_out = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    centre = torch.zeros(50, dtype=torch.long)  # one word in every pair: 50 gradients on row 0
    context, noise_ids = torch.randint(1, 6, (50,), generator=g), torch.tensor([1, 2])
    free_in, free_out = W_in.clone(), W_out.clone()
    sgns_step(free_in, free_out, centre, context, noise_ids, 5, lr=1.0)
    before = W_in.clone()
    _, capped = sgns_step(W_in, W_out, centre, context, noise_ids, 5, lr=1.0, max_step=0.1)
    assert capped
    assert (W_in[0] - before[0]).norm().item() == pytest.approx(0.1, rel=1e-5)
    assert (free_in[0] - before[0]).norm().item() > 1.0  # the uncapped step is far longer
    step = W_in[0] - before[0]
    free = free_in[0] - before[0]  # the capped step points the same way
    assert F.cosine_similarity(step, free, dim=0).item() == pytest.approx(1.0, abs=1e-5)
    assert torch.equal(W_in[1:], before[1:])  # rows not looked up stay put


def test_sgns_step_with_a_cap_that_does_not_bind_is_the_plain_step():
    g = torch.Generator().manual_seed(0)
    W_in, W_out = torch.randn(12, 5, generator=g), torch.randn(12, 5, generator=g)
    centre, context, noise_ids = torch.tensor([0, 1, 1, 3]), torch.tensor([2, 2, 4, 0]), torch.tensor([5, 2])
    a_in, a_out, b_in, b_out = W_in.clone(), W_out.clone(), W_in.clone(), W_out.clone()
    sgns_step(a_in, a_out, centre, context, noise_ids, 5, lr=0.01)
    _, capped = sgns_step(b_in, b_out, centre, context, noise_ids, 5, lr=0.01, max_step=100.0)
    assert not capped
    assert torch.allclose(a_in, b_in, atol=1e-7) and torch.allclose(a_out, b_out, atol=1e-7)


def frequent_word_sentences():
    """Word 0 in almost every window, as "the" is without subsampling."""
    g = torch.Generator().manual_seed(2)
    return [[0, int(w), 0, int(v), 0] for w, v in torch.randint(1, 20, (2000, 2), generator=g)]


def test_train_sgns_without_subsampling_diverges_without_the_cap_and_raises_a_clear_error():
    sentences = frequent_word_sentences()
    counts = torch.bincount(torch.tensor(sentences).flatten(), minlength=20)
    config = SGNSConfig(embed_dim=16, num_epochs=2, sample=0, lr=0.5, batch_size=1024, max_step=None)
    with pytest.raises(FloatingPointError, match=r"step \d+ .*sample=0.*max_step=None"):
        train_sgns(sentences, counts, config, progress=False)


def test_train_sgns_without_subsampling_stays_finite_with_the_cap():
    sentences = frequent_word_sentences()
    counts = torch.bincount(torch.tensor(sentences).flatten(), minlength=20)
    config = SGNSConfig(embed_dim=16, num_epochs=2, sample=0, lr=0.5, batch_size=1024)
    result = train_sgns(sentences, counts, config, progress=False, log_every=1)
    assert result.capped_steps > 0
    assert all(math.isfinite(x) for x in result.losses)
    assert torch.isfinite(result.vectors).all()


@pytest.mark.parametrize("field, value", [("max_step", 0.0), ("embed_dim", 0), ("lr", -1.0),
                                          ("sample", -0.1), ("batch_size", 1.5), ("init_scale", -1.0)])
def test_train_sgns_rejects_a_bad_setting_by_name(field, value):
    import dataclasses

    config = dataclasses.replace(SGNSConfig(), **{field: value})
    with pytest.raises(ValueError, match=field):
        train_sgns([[1, 2, 1]], torch.tensor([0, 2, 1]), config, progress=False)


def test_init_scale_sets_the_range_of_the_input_table():
    model = SGNS(100, 8, torch.Generator().manual_seed(0), init_scale=0.2)
    w = model.in_embed.weight
    assert 0.15 < w.abs().max().item() <= 0.2
    default = SGNS(100, 8, torch.Generator().manual_seed(0)).in_embed.weight
    assert default.abs().max().item() <= 0.5 / 8
