"""The chapter-2 training loop: it learns, records, is reproducible and rejects bad data."""

import pytest
import torch
import torch.nn as nn

from embcourse.train import History, evaluate, fit


def _regression(n=256, seed=0):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=gen)                         # (N, 3)
    y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.3                  # (N,)
    return (X, y)


class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1)

    def forward(self, X):
        return self.fc(X).squeeze(-1)                             # (B,)


def _fit(seed=0, num_epochs=30):
    torch.manual_seed(seed)
    model = Linear()
    hist = fit(model, nn.functional.mse_loss, _regression(), _regression(seed=1), num_epochs=num_epochs,
               lr=0.05, batch_size=32, generator=torch.Generator().manual_seed(seed), progress=False)
    return model, hist


def test_fit_records_one_loss_per_epoch_and_learns():
    _, hist = _fit(num_epochs=30)
    assert isinstance(hist, History)
    assert len(hist.train_loss) == len(hist.valid_loss) == 30
    assert hist.valid_loss[-1] < 0.01 < hist.valid_loss[0]
    assert hist.seconds > 0


def test_fit_is_reproducible_with_a_generator():
    assert _fit(seed=3)[1].train_loss == _fit(seed=3)[1].train_loss


def test_fit_passes_several_inputs_to_the_model():
    class Add(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(4, 1)

        def forward(self, a, b):
            return (self.emb(a) + self.emb(b)).squeeze(-1)        # (B,)

    a, b = torch.arange(4).repeat(8), torch.arange(4).flip(0).repeat(8)  # (32,) each
    y = (a + b).float()
    hist = fit(Add(), nn.functional.mse_loss, (a, b, y), (a, b, y), num_epochs=60, lr=0.1, batch_size=8,
               generator=torch.Generator().manual_seed(0), progress=False)
    assert hist.valid_loss[-1] < 0.05


def test_evaluate_restores_training_mode_and_takes_no_gradient():
    model, _ = _fit(num_epochs=1)
    model.train()
    before = [p.clone() for p in model.parameters()]
    evaluate(model, nn.functional.mse_loss, _regression(), batch_size=100)
    assert model.training
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))


@pytest.mark.parametrize("train_data, error, match", [
    ((torch.zeros(5, 3),), TypeError, "train_data"),
    ([1, 2], TypeError, "train_data"),
    ((torch.zeros(5, 3), torch.zeros(4)), ValueError, "first dimension"),
])
def test_fit_rejects_bad_data(train_data, error, match):
    with pytest.raises(error, match=match):
        fit(Linear(), nn.functional.mse_loss, train_data, _regression(), num_epochs=1, progress=False)


def test_fit_rejects_zero_epochs():
    with pytest.raises(ValueError, match="num_epochs"):
        fit(Linear(), nn.functional.mse_loss, _regression(), _regression(), num_epochs=0, progress=False)

