"""The self-check framework: friendly mode reports, strict mode raises."""

import pytest
import torch

from embcourse.checks import Case, CheckFailed, compare, run_check


def square(x):
    return x * x


def cases():
    return [Case("two", (2,)), Case("tensor", (torch.tensor([1.0, 3.0]),))]


def test_reference_passes_and_report_is_true(capsys):
    report = run_check("square", square, square, cases())
    assert report.ok and report.passed == ["two", "tensor"]
    assert "all 2 cases pass" in capsys.readouterr().out


def test_wrong_function_is_reported_with_expected_and_actual(capsys):
    report = run_check("square", lambda x: x + x, square, cases())
    out = capsys.readouterr().out
    assert not report.ok and report.failed == ["tensor"]  # 2 + 2 == 2 * 2
    assert "FAIL  tensor" in out and "largest difference" in out


def test_friendly_mode_never_raises_on_a_crash(capsys):
    report = run_check("square", lambda x: 1 / 0, square, cases())
    assert report.failed == ["two", "tensor"]
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_stub_is_reported_as_not_yet_implemented(capsys):
    def stub(x):
        raise NotImplementedError

    report = run_check("square", stub, square, cases())
    assert not report.implemented and not report.ok
    assert "not yet implemented" in capsys.readouterr().out


def test_strict_mode_raises_on_failure_and_stub():
    with pytest.raises(CheckFailed, match="tensor"):
        run_check("square", lambda x: x + x, square, cases(), strict=True, quiet=True)
    with pytest.raises(CheckFailed, match="not yet implemented"):
        run_check("square", lambda x: (_ for _ in ()).throw(NotImplementedError()), square, cases(),
                  strict=True, quiet=True)


def test_expected_exception_must_be_raised():
    def ref(x):
        if x < 0:
            raise ValueError("negative")
        return x

    report = run_check("ref", lambda x: x, ref, [Case("negative", (-1,))], quiet=True)
    assert report.failed == ["negative"]
    report = run_check("ref", ref, ref, [Case("negative", (-1,))], quiet=True)
    assert report.ok


def test_compare_explains_shape_dtype_and_value_differences():
    assert "shape" in compare(torch.zeros(2), torch.zeros(3))
    assert "dtype" in compare(torch.zeros(2), torch.zeros(2, dtype=torch.long))
    assert "0.5" in compare(torch.zeros(2), torch.tensor([0.0, 0.5]))
    assert compare([1, torch.ones(1)], [1, torch.ones(1)]) is None
    assert "key" in compare({"a": 1}, {"a": 2})


def test_case_inputs_are_copied_so_a_mutating_function_cannot_corrupt_the_reference():
    data = [3, 1, 2]

    def mutating(xs):
        xs.sort()
        return xs

    report = run_check("sorted", mutating, sorted, [Case("list", (data,))], quiet=True)
    assert report.ok and data == [3, 1, 2]
