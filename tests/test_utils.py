"""Seeding, device choice and timing helpers."""

import random

import numpy as np
import pytest
import torch

from embcourse import get_device, hardware, measure, set_seed


def draw():
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_set_seed_makes_python_numpy_and_torch_repeat():
    set_seed(3)
    first = draw()
    set_seed(3)
    assert draw() == first


def test_set_seed_returns_a_generator_seeded_the_same_way():
    a = torch.rand(3, generator=set_seed(5))
    b = torch.rand(3, generator=set_seed(5))
    assert torch.equal(a, b)


@pytest.mark.parametrize("bad", [1.5, "0", None, True])
def test_set_seed_rejects_non_integers(bad):
    with pytest.raises(TypeError, match="seed must be an int"):
        set_seed(bad)


def test_device_is_cuda_only_when_available():
    assert get_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_measure_counts_warmup_and_repeats():
    calls = []
    timing = measure(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6 and len(timing.times) == 4
    assert timing.best <= timing.median


def test_measure_rejects_zero_repeats():
    with pytest.raises(ValueError, match="repeats"):
        measure(lambda: None, repeats=0)


def test_hardware_names_cores_and_torch_version():
    line = hardware()
    assert "cores" in line and torch.__version__ in line


def test_count_parameters_counts_trainable_numbers_and_a_shared_table_once():
    import torch

    from embcourse import count_parameters

    emb, out = torch.nn.Embedding(10, 4), torch.nn.Linear(4, 10)
    model = torch.nn.ModuleDict({"emb": emb, "out": out})
    assert count_parameters(model) == 10 * 4 + (4 * 10 + 10)
    out.weight = emb.weight  # tied: one (10, 4) table
    assert count_parameters(model) == 10 * 4 + 10
    emb.weight.requires_grad_(False)
    assert count_parameters(model) == 10


def test_claim_passes_silently_when_it_holds():
    from embcourse import claim

    claim(2 > 1, "two exceeds one", two=2)


def test_a_failed_claim_quotes_the_sentence_and_the_numbers():
    from embcourse import claim

    with pytest.raises(AssertionError, match=r'Claim no longer holds: "attention wins" '
                                             r"\(measured: attention=55.0, baseline=58.8\)"):
        claim(55.0 > 58.8, "attention wins", attention=55.0, baseline=58.8)


@pytest.mark.parametrize("sentence", ["", "   ", None])
def test_a_claim_needs_its_sentence(sentence):
    from embcourse import claim

    with pytest.raises(TypeError, match="sentence"):
        claim(True, sentence)
