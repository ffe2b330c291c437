"""Chapter 5's self-check accepts the reference and rejects wrong implementations."""

import pytest
import torch

from embcourse.checks import CheckFailed
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


@pytest.mark.parametrize("wrong", [
    _validated(lambda X, E, A, b: E[X].mean(dim=1) @ A + b),               # mean instead of sum
    _validated(lambda X, E, A, b: E[X].sum(dim=1) @ A),                    # forgets the bias
    _validated(lambda X, E, A, b: E[X[:, 0]] @ A + b),                      # first item only
    _validated(lambda X, E, A, b: E[X.unique(dim=1)].sum(dim=1) @ A + b),   # drops repeated items
    lambda X, E, A, b: E[X].sum(dim=1) @ A + b,                            # no validation: negative ids wrap
])
def test_embedding_logits_rejects_wrong_implementations(wrong):
    assert not check_embedding_logits(wrong).ok
    with pytest.raises(CheckFailed):
        check_embedding_logits(wrong, strict=True)


def test_embedding_logits_stub_is_not_yet_implemented(capsys):
    def stub(X, E, A, b):
        raise NotImplementedError

    assert not check_embedding_logits(stub).ok
    assert "not yet implemented" in capsys.readouterr().out
    with pytest.raises(CheckFailed):
        check_embedding_logits(stub, strict=True)
