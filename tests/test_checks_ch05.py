"""Chapter 5's self-check accepts the reference and rejects wrong implementations."""

import pytest
import torch

from embcourse.checks import CheckFailed, Unfinished
from embcourse.checks.ch05 import check_embedding_logits, reference_embedding_logits
from embcourse.generalise import EmbeddingClassifier


def test_embedding_logits_reference_passes_strict():
    assert check_embedding_logits(reference_embedding_logits, strict=True).ok


def test_embedding_logits_reference_agrees_with_the_embedding_classifier():
    torch.manual_seed(0)
    model = EmbeddingClassifier(vocab_size=10, embed_dim=3, num_classes=4)
    X = torch.tensor([[0, 9, 9], [2, 3, 4]])
    mine = reference_embedding_logits(X, model.emb.weight, model.out.weight.T, model.out.bias)
    assert torch.allclose(mine, model(X), atol=1e-6)


def _validated(body):
    """Wrap a wrong formula in the reference's input validation, so only the formula is wrong."""
    def fn(X, E, A, b):
        reference_embedding_logits(X, E, A, b)
        return body(X, E, A, b)
    return fn


def _ids_checked(X, E):
    if X.numel() and (X.min() < 0 or X.max() >= E.shape[0]):
        raise ValueError("ids out of range")


def logits_without_a_bias_check(X, E, A, b):  # a bias of shape (1, C) or (1,) broadcasts silently
    if not isinstance(X, torch.Tensor) or X.dtype != torch.long or X.dim() != 2:
        raise TypeError("X must be a 2-D int64 tensor")
    if E.shape[1] != A.shape[0]:
        raise ValueError("E and A do not fit")
    _ids_checked(X, E)
    return E[X].sum(dim=1) @ A + b


def logits_accepting_1d_X(X, E, A, b):  # a 1-D X is taken as one basket
    if X.dtype != torch.long:
        raise TypeError("X must be int64")
    return reference_embedding_logits(X.reshape(-1, X.shape[-1]) if X.dim() == 1 else X, E, A, b)


def logits_accepting_int32_X(X, E, A, b):  # int32 ids go through
    if X.dtype.is_floating_point:
        raise TypeError("X must hold integers")
    return reference_embedding_logits(X.long(), E, A, b)


@pytest.mark.parametrize("wrong", [
    _validated(lambda X, E, A, b: E[X].mean(dim=1) @ A + b),               # mean instead of sum
    _validated(lambda X, E, A, b: E[X].sum(dim=1) @ A),                    # forgets the bias
    _validated(lambda X, E, A, b: E[X[:, 0]] @ A + b),                      # first item only
    _validated(lambda X, E, A, b: E[X.unique(dim=1)].sum(dim=1) @ A + b),   # drops repeated items
    lambda X, E, A, b: E[X].sum(dim=1) @ A + b,                            # no validation: negative ids wrap
    logits_without_a_bias_check,
    logits_accepting_1d_X,
    logits_accepting_int32_X,
])
def test_embedding_logits_rejects_wrong_implementations(wrong):
    assert not check_embedding_logits(wrong).ok
    with pytest.raises(CheckFailed):
        check_embedding_logits(wrong, strict=True)


def test_embedding_logits_stub_is_not_yet_implemented(capsys):
    def stub(X, E, A, b):
        raise Unfinished

    assert not check_embedding_logits(stub).ok
    assert "not yet implemented" in capsys.readouterr().out
    with pytest.raises(CheckFailed):
        check_embedding_logits(stub, strict=True)
