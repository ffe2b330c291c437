"""The self-check framework: friendly mode reports, strict mode raises, and only the stub counts as unfinished."""

import math
import time

import numpy as np
import pytest
import torch

import embcourse.checks.feedback as feedback
import embcourse.checks.core as core
from embcourse.checks import Case, CheckFailed, Unfinished, call_checked, compare, run_check
from embcourse.checks.core import InputChanged, call_with_time_limit


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
    assert "FAIL  tensor" in out and "expected 9, got 6" in out and "largest difference 3" in out


def test_friendly_mode_never_raises_on_a_crash(capsys):
    report = run_check("square", lambda x: 1 / 0, square, cases())
    assert report.failed == ["two", "tensor"]
    assert "ZeroDivisionError" in capsys.readouterr().out


# ---------------------------------------------------------------- only Unfinished means "not yet implemented"
@pytest.mark.parametrize("stub_error", [Unfinished, Unfinished("write square above")])
def test_a_stub_raising_unfinished_is_not_yet_implemented_without_raising(stub_error, capsys):
    def stub(x):
        raise stub_error

    report = run_check("square", stub, square, cases())
    out = capsys.readouterr().out
    assert not report.implemented and not report.ok
    assert "Verdict: not yet implemented" in out


def test_the_stub_message_is_shown():
    assert str(Unfinished("write square above")) == "write square above"
    assert str(Unfinished()) == "not yet implemented"


def test_strict_mode_raises_on_failure_and_on_a_stub():
    with pytest.raises(CheckFailed, match="tensor"):
        run_check("square", lambda x: x + x, square, cases(), strict=True, quiet=True)
    with pytest.raises(CheckFailed, match="not yet implemented"):
        run_check("square", lambda x: (_ for _ in ()).throw(Unfinished()), square, cases(),
                  strict=True, quiet=True)


def test_torch_not_implemented_error_is_a_failure_with_its_message_and_the_other_cases_run(capsys):
    def uses_bincount(x):
        if isinstance(x, torch.Tensor):
            return torch.bincount(x)  # floats: torch raises NotImplementedError
        return x * x

    report = run_check("square", uses_bincount, square, [Case("tensor", (torch.tensor([1.0, 3.0]),)),
                                                          Case("two", (2,))])
    out = capsys.readouterr().out
    assert report.implemented and report.failed == ["tensor"] and report.passed == ["two"]
    assert "raised NotImplementedError" in out and "bincount" in out


def test_a_bare_not_implemented_error_is_a_failure_too():
    def old_stub(x):
        raise NotImplementedError

    report = run_check("square", old_stub, square, cases(), quiet=True)
    assert report.implemented and report.failed == ["two", "tensor"]


def test_a_result_that_cannot_be_compared_fails_without_raising():
    class Odd:
        def __repr__(self):
            raise RuntimeError("no repr")

    report = run_check("square", lambda x: np.array([Odd()]) if not isinstance(x, int) else Odd(), square,
                       cases(), quiet=True)
    assert report.failed == ["two", "tensor"]


# ---------------------------------------------------------------- expected errors
def test_expected_exception_must_be_raised():
    def ref(x):
        if x < 0:
            raise ValueError("negative")
        return x

    report = run_check("ref", lambda x: x, ref, [Case("negative", (-1,))], quiet=True)
    assert report.failed == ["negative"]
    report = run_check("ref", ref, ref, [Case("negative", (-1,))], quiet=True)
    assert report.ok


def test_an_expected_error_must_name_what_the_case_says():
    def ref(word):
        raise KeyError(f"{word!r} is not in the vocabulary")

    case = [Case("unknown word", ("duchess",), mentions="duchess")]
    assert run_check("lookup", ref, ref, case, quiet=True).ok
    report = run_check("lookup", lambda w: {}[0], ref, case, quiet=True)
    assert "does not name 'duchess'" in report.reasons["unknown word"]


# ---------------------------------------------------------------- compare: exact types and clear feedback
def test_compare_explains_shape_dtype_and_value_differences():
    assert "shape" in compare(torch.zeros(2), torch.zeros(3))
    assert "dtype" in compare(torch.zeros(2), torch.zeros(2, dtype=torch.long))
    assert "0.5" in compare(torch.zeros(2), torch.tensor([0.0, 0.5]))
    assert compare([1, torch.ones(1)], [1, torch.ones(1)]) is None


def test_exact_compare_gives_a_dtype_hint_when_only_the_dtype_differs():
    ids = torch.tensor([1, 2])
    assert compare(ids, ids.int()) is None
    assert compare(ids, ids.int(), exact=True) == "values right, dtype torch.int32; expected torch.int64"


def test_exact_compare_refuses_a_numpy_array_for_a_tensor():
    assert compare(torch.tensor([1, 2]), np.array([1, 2])) is None
    assert "NumPy array" in compare(torch.tensor([1, 2]), np.array([1, 2]), exact=True)


def test_exact_compare_refuses_a_0d_tensor_for_a_python_float():
    assert compare(0.5, torch.tensor(0.5)) is None
    why = compare(0.5, torch.tensor(0.5), exact=True)
    assert "expected a Python float" in why and ".item()" in why
    assert "expected a Python float" in compare(0.0, 0, exact=True)


def test_a_str_is_not_a_list():
    assert "expected str 'queen', got [('queen', 0.9)]" == compare("queen", [("queen", 0.9)])


def test_compare_reports_every_differing_dict_key():
    why = compare({"weight": 4, "grad": 4, "total": 8}, {"weight": 4, "grad": 0, "total": 4})
    assert "key 'grad'" in why and "key 'total'" in why
    assert compare({"a": 1, "b": 2}, {"a": 1, "c": 2}) == "missing key 'b'; unexpected key 'c'"


def test_compare_says_which_positions_differ():
    expected = torch.zeros(4, 3)
    actual = expected.clone()
    actual[1, 2], actual[3, 0] = 1.0, 2.0
    why = compare(expected, actual)
    assert why.startswith("2 of 12 values differ")
    assert "at (1, 2): expected 0, got 1" in why and "at (3, 0): expected 0, got 2" in why


def test_compare_prints_inf_and_nan_plainly():
    why = compare(torch.tensor([1.0, 2.0]), torch.tensor([math.inf, math.nan]))
    assert "got inf" in why and "got nan" in why and "e+308" not in why
    assert compare(0.5, math.inf) == "expected 0.5, got inf"
    assert compare(torch.tensor(0.5), torch.tensor(math.nan)) == "expected 0.5, got nan"


def test_tuples_of_tensors_are_described_briefly():
    big = (torch.zeros(1000), torch.ones(1000))
    why = compare(big, (torch.zeros(1000),))
    assert len(why) < 250 and "tensor of shape (1000,)" in why


def test_a_tensor_subclass_never_matches_but_a_parameter_does():
    class AlwaysEqual(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return True

    liar = torch.zeros(2).as_subclass(AlwaysEqual)
    assert "subclass" in compare(torch.ones(2), liar)
    assert "subclass" in compare((torch.ones(2),), (liar,))
    assert compare(torch.ones(2), torch.nn.Parameter(torch.ones(2))) is None


def test_compare_uses_the_comparison_functions_captured_at_import(monkeypatch):
    monkeypatch.setattr(torch, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(torch, "isclose", lambda a, b, **k: torch.ones_like(a, dtype=torch.bool))
    monkeypatch.setattr(torch, "equal", lambda *a, **k: True)
    assert compare(torch.zeros(2), torch.ones(2)) is not None
    assert compare(torch.tensor([1, 2]), torch.tensor([1, 3])) is not None
    assert feedback._allclose is torch._C._VariableFunctions.allclose  # torch's own, not torch.allclose


def test_a_function_that_replaces_torch_allclose_fails_and_torch_gets_it_back():
    real = torch.allclose

    def cheat(x):
        torch.allclose = lambda *a, **k: True
        return x

    try:
        report = run_check("square", cheat, square, cases(), quiet=True)
        assert report.failed == ["two", "tensor"] and "replaces torch.allclose" in report.reasons["tensor"]
        assert torch.allclose is real
    finally:
        torch.allclose = real


# ---------------------------------------------------------------- changed inputs
def sort_in_place(xs):
    xs.sort()
    return xs


def test_a_function_that_changes_its_input_fails_and_the_callers_data_stays_pristine():
    data = [3, 1, 2]
    report = run_check("sorted", sort_in_place, sorted, [Case("list", (data,))], quiet=True)
    assert report.failed == ["list"] and "changes its input `xs`" in report.reasons["list"]
    assert data == [3, 1, 2]


def test_a_module_level_table_cannot_be_corrupted_across_calls():
    table = torch.zeros(3)

    def writes(t):
        t[0] += 1
        return t.sum()

    for _ in range(3):
        run_check("table", writes, lambda t: t.sum(), [Case("table", (table,))], quiet=True)
    assert torch.equal(table, torch.zeros(3))


def test_call_checked_on_the_originals_compares_with_a_snapshot():
    x = torch.tensor([1.0, 2.0])
    with pytest.raises(InputChanged, match="changes its input `t`: its shape changed"):
        call_checked(lambda t: t.unsqueeze_(0), (x,), on_copies=False)
    y = torch.ones(2, requires_grad=True)
    call_checked(lambda t: (t * 2).sum(), (y,), on_copies=False).backward()
    assert torch.equal(y.grad, torch.full((2,), 2.0))  # the gradient reached the caller's tensor


def test_an_object_attribute_changed_in_place_is_found():
    class Holder:
        def __init__(self):
            self.table = torch.zeros(2)

    def pokes(h):
        h.table[1] = 5.0

    with pytest.raises(InputChanged, match="its table: 1 of its 2 values changed"):
        call_checked(pokes, (Holder(),))


# ---------------------------------------------------------------- random cases
def draw(g):
    return [Case(f"x={int(v)}", (torch.tensor(float(v)),)) for v in torch.randint(100, (3,), generator=g)]


def test_random_cases_are_drawn_from_the_seed_and_the_seed_changes_per_run():
    a = run_check("square", square, square, cases(), quiet=True, random_cases=draw, seed=7)
    b = run_check("square", square, square, cases(), quiet=True, random_cases=draw, seed=7)
    assert a.passed == b.passed and len(a.passed) == 5 and a.seed == 7
    seeds = {run_check("square", square, square, cases(), quiet=True, random_cases=draw).seed for _ in range(5)}
    assert len(seeds) > 1


def test_a_passing_report_is_the_same_whatever_the_seed(capsys):
    run_check("square", square, square, cases(), random_cases=draw, seed=1)
    first = capsys.readouterr().out
    run_check("square", square, square, cases(), random_cases=draw, seed=2)
    assert capsys.readouterr().out == first and "random case 3" in first  # stored notebook outputs stay put


def test_a_failing_random_case_says_what_it_drew(capsys):
    run_check("square", lambda x: x, square, [], random_cases=draw, seed=3)
    out = capsys.readouterr().out
    assert "FAIL  random case 1 (x=" in out


def test_the_seed_is_printed_only_when_a_random_case_fails(capsys):
    run_check("square", square, square, cases(), random_cases=draw, seed=12345)
    assert "12345" not in capsys.readouterr().out  # a passing run prints the same every time
    printed = {2: 4}  # the answer the fixed case printed

    def lookup(x):
        return printed[x] if isinstance(x, int) else torch.tensor(0.0)

    report = run_check("square", lookup, square, [Case("two", (2,))], random_cases=draw, seed=12345)
    out = capsys.readouterr().out
    assert report.passed == ["two"] and "seed=12345" in out
    with pytest.raises(CheckFailed, match="seed=12345"):
        run_check("square", lambda x: x, square, [], random_cases=draw, seed=12345, strict=True, quiet=True)


# ---------------------------------------------------------------- time limits
def loops_forever(x):
    while True:
        try:
            pass
        except Exception:  # a learner's catch-all cannot swallow the time limit
            pass


@pytest.mark.parametrize("use_thread", [False, True])
def test_call_with_time_limit_stops_an_infinite_loop(use_thread):
    start = time.monotonic()
    with pytest.raises(BaseException) as caught:
        call_with_time_limit(lambda: loops_forever(0), 0.2, use_thread=use_thread)
    assert type(caught.value).__name__ == "_TookTooLong" and time.monotonic() - start < 3


def test_call_with_time_limit_returns_the_value_and_carries_errors_in_both_modes():
    for use_thread in (False, True):
        assert call_with_time_limit(lambda: 42, 1.0, use_thread=use_thread) == 42
        with pytest.raises(ZeroDivisionError):
            call_with_time_limit(lambda: 1 / 0, 1.0, use_thread=use_thread)


def test_a_case_that_runs_too_long_fails_and_the_check_goes_on(monkeypatch, capsys):
    monkeypatch.setattr(core, "TIME_LIMIT", 0.2)

    def slow_on_tensors(x):
        return loops_forever(x) if isinstance(x, torch.Tensor) else x * x

    report = run_check("square", slow_on_tensors, square, [Case("tensor", (torch.tensor([1.0]),)), Case("two", (2,))])
    assert report.failed == ["tensor"] and report.passed == ["two"]
    assert "took longer than 0.2 s (an infinite loop?)" in capsys.readouterr().out


# ---------------------------------------------------------------- every chapter's checks
def _all_checks():
    import embcourse.checks.ch01 as ch01, embcourse.checks.ch02 as ch02, embcourse.checks.ch03 as ch03  # noqa: E401
    import embcourse.checks.ch04 as ch04, embcourse.checks.ch05 as ch05, embcourse.checks.ch06 as ch06  # noqa: E401
    import embcourse.checks.ch07 as ch07, embcourse.checks.ch08 as ch08  # noqa: E401
    pairs = []
    for module in (ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08):
        for name in dir(module):
            if name.startswith("check_"):
                ref = getattr(module, "reference_" + name.removeprefix("check_"))
                pairs.append(pytest.param(getattr(module, name), ref, id=f"{module.__name__[-4:]}.{name}"))
    return pairs


@pytest.mark.parametrize("check, reference", _all_checks())
def test_every_check_accepts_its_reference_on_other_random_cases_and_leaves_the_global_rng_alone(check, reference):
    torch.manual_seed(0)
    state = torch.get_rng_state()
    for seed in (1, 2):
        report = check(reference, strict=True, seed=seed)
        assert report.ok and report.seed == seed and any(n.startswith("random case") for n in report.passed)
    assert torch.equal(torch.get_rng_state(), state)
