"""embcourse.generalise: the basket task, the two classifiers, the training loop and the memory count."""

import pytest
import torch

from embcourse.generalise import (EmbeddingClassifier, OneHotClassifier, accuracy, bayes_accuracy,
                                  count_parameters, make_basket_task, multi_hot, train_classifier,
                                  training_bytes)


def small_task(seed=0):
    return make_basket_task(vocab_size=200, num_train=3000, num_valid=500, num_classes=4, seed=seed)


def test_basket_task_has_the_requested_shapes_and_ranges():
    task = small_task()
    assert task.X_train.shape == (3000, 3) and task.X_valid.shape == (500, 3)
    assert task.X_train.dtype == torch.long and 0 <= int(task.X_train.min()) and int(task.X_train.max()) < 200
    assert set(task.y_train.unique().tolist()) <= set(range(4))
    assert task.latent.shape == (200, 3) and task.prototypes.shape == (4, 3)


def test_basket_task_is_deterministic_per_seed():
    a, b, c = small_task(0), small_task(0), small_task(1)
    assert torch.equal(a.X_train, b.X_train) and torch.equal(a.y_train, b.y_train)
    assert not torch.equal(a.X_train, c.X_train)


def test_basket_labels_follow_the_hidden_structure():
    task = small_task()
    chance = torch.bincount(task.y_valid).max().item() / len(task.y_valid)
    assert bayes_accuracy(task, task.X_valid, task.y_valid) > chance + 0.2


def test_make_basket_task_rejects_a_bad_size():
    with pytest.raises(ValueError, match="vocab_size"):
        make_basket_task(vocab_size=0)


def test_multi_hot_counts_repeated_ids():
    out = multi_hot(torch.tensor([[0, 2, 2], [1, 1, 1]]), 4)
    assert torch.equal(out, torch.tensor([[1.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 0.0]]))


def test_multi_hot_rejects_float_ids():
    with pytest.raises(TypeError, match="X must be"):
        multi_hot(torch.tensor([[0.0, 1.0]]), 3)


def test_one_hot_classifier_lookup_equals_the_dense_product():
    torch.manual_seed(0)
    model = OneHotClassifier(50, 5)
    X = torch.tensor([[1, 7, 7], [49, 0, 3]])
    lookup = model(X)
    model.dense = True
    assert torch.allclose(lookup, model(X), atol=1e-6)


def test_embedding_classifier_equals_one_hot_classifier_with_factorised_weight():
    torch.manual_seed(0)
    emb = EmbeddingClassifier(30, 2, 4)
    hot = OneHotClassifier(30, 4)
    with torch.no_grad():
        hot.weight.copy_(emb.emb.weight @ emb.out.weight.T)  # (V, C) = (V, D) @ (D, C)
        hot.bias.copy_(emb.out.bias)
    X = torch.tensor([[0, 29, 5]])
    assert torch.allclose(emb(X), hot(X), atol=1e-5)


def test_parameter_counts_follow_the_formulas():
    assert count_parameters(OneHotClassifier(1000, 8)) == 1000 * 8 + 8
    assert count_parameters(EmbeddingClassifier(1000, 3, 8)) == 1000 * 3 + 3 * 8 + 8


def test_accuracy_restores_training_mode_and_counts_hits():
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))
        model.bias.zero_()
    X, y = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]), torch.tensor([0, 1, 1])
    assert accuracy(model, X, y) == pytest.approx(2 / 3)
    assert model.training


def test_train_classifier_learns_the_training_set_and_records_each_epoch():
    task = small_task()
    torch.manual_seed(0)
    model = EmbeddingClassifier(200, 3, 4)
    hist = train_classifier(model, task.X_train, task.y_train, task.X_valid, task.y_valid, num_epochs=4)
    assert [len(v) for v in hist.values()] == [4, 4, 4]
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    assert hist["train_acc"][-1] > 0.5


def test_train_classifier_rejects_mismatched_lengths():
    task = small_task()
    with pytest.raises(ValueError, match="same length"):
        train_classifier(OneHotClassifier(200, 4), task.X_train, task.y_train[:10], task.X_valid, task.y_valid)


def test_training_bytes_counts_parameters_gradients_adam_state_and_inputs():
    model = OneHotClassifier(100, 4)
    opt = torch.optim.Adam(model.parameters())
    X = torch.tensor([[1, 2]])
    model(X).sum().backward()
    opt.step()
    n = 100 * 4 + 4
    assert training_bytes(model, opt, X) == 4 * n * 4 + 2 * 8 + 2 * 4  # params, grads, 2 moments; ids; 2 steps
