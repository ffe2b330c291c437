"""embcourse.generalise: the basket task, the two classifiers, the training loop and the memory count."""

import pytest
import torch

from embcourse.generalise import (EmbeddingClassifier, OneHotClassifier, accuracy, bayes_accuracy,
                                  count_parameters, make_basket_task, make_optimizer, multi_hot,
                                  train_classifier, training_bytes)


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


def test_basket_task_has_a_test_split_drawn_after_the_others():
    task = small_task()
    assert task.X_test.shape == (5000, 3) and task.y_test.shape == (5000,)
    smaller = make_basket_task(vocab_size=200, num_train=3000, num_valid=500, num_classes=4,
                               num_test=7)
    assert torch.equal(task.X_train, smaller.X_train) and torch.equal(task.X_valid, smaller.X_valid)
    assert torch.equal(task.y_valid, smaller.y_valid)
    assert smaller.X_test.shape == (7, 3) and not torch.equal(task.X_valid[:7], smaller.X_test)


def test_make_basket_task_rejects_a_bad_num_test():
    with pytest.raises(ValueError, match="num_test"):
        make_basket_task(vocab_size=10, num_train=10, num_test=0)


def test_make_optimizer_builds_each_kind_with_its_decay():
    params = [torch.nn.Parameter(torch.zeros(2))]
    for name, kind in [("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW), ("sgd", torch.optim.SGD)]:
        opt = make_optimizer(name, params, lr=0.1, weight_decay=0.5)
        assert type(opt) is kind and opt.defaults["weight_decay"] == 0.5 and opt.defaults["lr"] == 0.1


def test_make_optimizer_rejects_unknown_names_and_negative_decay():
    params = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match="optimizer must be one of"):
        make_optimizer("rmsprop", params, lr=0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        make_optimizer("adamw", params, lr=0.1, weight_decay=-1.0)


def test_adamw_decay_is_decoupled_and_adam_decay_is_not():
    # with a zero gradient, AdamW still shrinks a weight by lr * wd; Adam's L2 term becomes the
    # whole gradient, which Adam rescales to a step of about lr
    for name, expected in [("adamw", 1.0 - 0.1 * 0.01), ("adam", 1.0 - 0.1)]:
        w = torch.nn.Parameter(torch.ones(1))
        opt = make_optimizer(name, [w], lr=0.1, weight_decay=0.01)
        w.grad = torch.zeros(1)
        opt.step()
        assert w.item() == pytest.approx(expected, abs=1e-4), name


def _count_steps(monkeypatch, **kw):
    calls = []
    original = torch.optim.Adam.step
    monkeypatch.setattr(torch.optim.Adam, "step", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    task = small_task()
    torch.manual_seed(0)
    hist = train_classifier(EmbeddingClassifier(200, 2, 4), task.X_train, task.y_train, task.X_valid,
                            task.y_valid, batch_size=256, **kw)
    return len(calls), hist


def test_train_classifier_runs_exactly_num_steps_whatever_the_data_size(monkeypatch):
    steps, hist = _count_steps(monkeypatch, num_steps=30)  # 12 batches per epoch: 2.5 epochs
    assert steps == 30
    assert [len(v) for v in hist.values()] == [3, 3, 3]  # the last entry is a partial epoch


def test_train_classifier_without_num_steps_runs_whole_epochs(monkeypatch):
    steps, hist = _count_steps(monkeypatch, num_epochs=2)
    assert steps == 2 * 12 and [len(v) for v in hist.values()] == [2, 2, 2]


def test_train_classifier_with_num_steps_of_whole_epochs_equals_num_epochs():
    task = small_task()
    runs = []
    for kw in [{"num_epochs": 2}, {"num_steps": 24}]:
        torch.manual_seed(0)
        model = EmbeddingClassifier(200, 2, 4)
        runs.append((train_classifier(model, task.X_train, task.y_train, task.X_valid, task.y_valid,
                                      **kw), model.emb.weight.detach().clone()))
    assert runs[0][0] == runs[1][0] and torch.equal(runs[0][1], runs[1][1])


def test_train_classifier_uses_the_named_optimizer():
    task = small_task()
    torch.manual_seed(0)
    a = OneHotClassifier(200, 4)
    b = OneHotClassifier(200, 4)
    b.load_state_dict(a.state_dict())
    for model, name in [(a, "adam"), (b, "sgd")]:
        train_classifier(model, task.X_train, task.y_train, task.X_valid, task.y_valid, num_steps=3,
                         optimizer=name, lr=0.01)
    assert not torch.equal(a.weight, b.weight)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        train_classifier(a, task.X_train, task.y_train, task.X_valid, task.y_valid, optimizer="lbfgs")


def test_train_classifier_rejects_a_bad_num_steps():
    task = small_task()
    with pytest.raises(ValueError, match="num_steps"):
        train_classifier(OneHotClassifier(200, 4), task.X_train, task.y_train, task.X_valid,
                         task.y_valid, num_steps=0)


def test_train_classifier_rejects_an_empty_training_set():
    task = small_task()
    empty = task.X_train[:0]
    with pytest.raises(ValueError, match="X is empty"):
        train_classifier(OneHotClassifier(200, 4), empty, task.y_train[:0], task.X_valid, task.y_valid,
                         num_steps=5)
