"""Chapter 8's memory arithmetic, hashing and precision helpers."""

import pytest
import torch

from embcourse.scale import (DTYPES, OPTIMIZERS, collision_rate, crossover, expected_collision_rate, hash_bucket,
                             hash_buckets, hashed_task_accuracy, human_bytes, measured_training_memory,
                             peak_training_memory, precision_error, tensor_peak_memory, training_memory)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_training_memory_equals_the_bytes_torch_allocates(optimizer, dtype):
    assert training_memory(700, 12, optimizer, dtype, 50) == measured_training_memory(700, 12, optimizer, dtype, 50)


def test_training_memory_of_adam_is_four_tables():
    mem = training_memory(50_000, 768, "adam", torch.float32)
    assert mem["weight"] == 50_000 * 768 * 4
    assert mem["total"] == 4 * mem["weight"]


def test_sparse_adam_gradient_grows_with_the_batch_not_the_vocabulary():
    small = training_memory(1_000, 16, "sparse_adam", torch.float32, 64)
    large = training_memory(1_000_000, 16, "sparse_adam", torch.float32, 64)
    assert small["grad"] == large["grad"] == 64 * (16 * 4 + 8)
    assert large["optimizer_state"] == 2 * large["weight"]


@pytest.mark.parametrize("args, error", [
    ((0, 8, "adam"), ValueError),
    ((10, 8, "adagrad"), ValueError),
    ((10, 8, "sparse_adam", torch.float32, None), ValueError),
    ((10, 8, "sgd", "float32"), TypeError),
])
def test_training_memory_rejects_bad_input(args, error):
    with pytest.raises(error):
        training_memory(*args)


def test_human_bytes():
    assert human_bytes(512) == "512 B"
    assert human_bytes(153_600_000) == "153.6 MB"
    assert human_bytes(2.5e12) == "2.5 TB"


def test_crossover_is_where_sparse_stays_faster():
    assert crossover([10, 100, 1000, 10000], [1, 2, 5, 50], [3, 1, 4, 6]) == 100
    assert crossover([10, 100], [1, 1], [2, 2]) is None
    assert crossover([10, 100, 1000], [1, 3, 5], [0.5, 4, 1]) == 1000  # a fast small case is not a crossover


def test_hash_bucket_is_stable_and_in_range():
    assert hash_bucket("paris", 1000) == hash_bucket("paris", 1000)
    assert hash_bucket("paris", 1000, seed=1) != hash_bucket("paris", 1000, seed=2) or \
        hash_bucket("lyon", 1000, seed=1) != hash_bucket("lyon", 1000, seed=2)
    b = hash_buckets(range(500), 37)
    assert b.dtype == torch.long and b.shape == (500,) and 0 <= b.min() and b.max() < 37


def test_collision_rate_counts_keys_that_share_a_bucket():
    assert collision_rate(torch.tensor([0, 1, 2])) == 0.0
    assert collision_rate(torch.tensor([5, 5, 1, 2])) == 0.5
    assert collision_rate(torch.tensor([], dtype=torch.long)) == 0.0
    with pytest.raises(TypeError):
        collision_rate(torch.tensor([0.5]))


@pytest.mark.parametrize("num_buckets", [500, 2_000, 20_000])
def test_measured_collision_rate_follows_the_formula(num_buckets):
    measured = collision_rate(hash_buckets(range(2_000), num_buckets))
    assert abs(measured - expected_collision_rate(2_000, num_buckets)) < 0.04


def test_expected_collision_rate_limits():
    assert expected_collision_rate(1, 10) == 0.0
    assert expected_collision_rate(100, 1) == 1.0


def test_hashing_into_few_buckets_costs_accuracy():
    full = hashed_task_accuracy(None, num_categories=400, num_epochs=40)
    hashed = hashed_task_accuracy(100, num_categories=400, num_epochs=40)
    assert full > 0.95 and hashed < full - 0.2


def test_bfloat16_halves_memory_with_relative_error_below_2_to_minus_8():
    res = precision_error(1_000, 16, torch.bfloat16)
    assert res["bytes"] * 2 == res["float32_bytes"]
    assert 0 < res["max_rel_error"] <= 2 ** -8
    assert precision_error(1_000, 16, torch.float32)["max_rel_error"] == 0.0
    with pytest.raises(ValueError):
        precision_error(10, 4, torch.int8)


def test_float16_error_is_within_2_to_minus_11_in_the_normal_range():
    res = precision_error(10_000, 64, torch.float16)
    assert res["subnormals"] > 0                                  # N(0, 1) puts a few values below 6.1e-5
    assert res["normal_max_rel_error"] <= 2 ** -11 < res["max_rel_error"]
    tiny, eps = torch.finfo(torch.float16).tiny, torch.finfo(torch.float16).eps
    assert 0 < res["subnormal_max_abs_error"] <= tiny * eps / 2  # half the subnormal spacing, 2^-25
    assert precision_error(10_000, 64, torch.bfloat16)["subnormals"] == 0  # float32's exponent range


def test_peak_memory_of_an_adam_step_exceeds_its_steady_state_by_its_temporaries():
    weight = 250_000 * 128 * 4                                    # a 128 MB table: well above mmap's threshold
    loop = peak_training_memory(250_000, 128, "adam", "for-loop")
    assert loop["weight"] == weight and loop["peak"] >= loop["steady"]
    assert abs(loop["steady"] / weight - training_memory(250_000, 128, "adam")["total"] / weight) < 0.25
    assert abs((loop["peak"] - loop["steady"]) / weight - 2) < 0.25  # sqrt and quotient, both (V, D)
    fused = peak_training_memory(250_000, 128, "adam", "fused")
    assert fused["peak"] >= fused["steady"] and (fused["peak"] - fused["steady"]) / weight < 0.25


@pytest.mark.parametrize("kwargs, error", [
    ({"optimizer": "adagrad"}, ValueError),
    ({"implementation": "vectorised"}, ValueError),
    ({"optimizer": "sparse_adam", "implementation": "fused"}, ValueError),
    ({"steps": 0}, ValueError),
])
def test_peak_training_memory_rejects_bad_input(kwargs, error):
    with pytest.raises(error):
        peak_training_memory(1_000, 8, **kwargs)


@pytest.mark.parametrize("optimizer, implementation, extra_tables", [
    ("sgd", None, 0), ("adam", "for-loop", 2), ("adam", "foreach", 1), ("adam", "fused", 0), ("sparse_adam", None, 0),
])
def test_tensor_peak_is_the_steady_state_plus_the_step_temporaries(optimizer, implementation, extra_tables):
    res = tensor_peak_memory(20_000, 64, optimizer, implementation)
    formula = training_memory(20_000, 64, optimizer, batch_size=512)["total"]
    assert abs(res["steady"] - formula) <= 8                      # Adam's 4-byte step counter aside
    assert res["peak"] >= res["steady"]
    assert abs((res["peak"] - res["steady"]) / res["weight"] - extra_tables) < 0.2
