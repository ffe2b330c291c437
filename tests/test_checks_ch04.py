"""Chapter 4's self-checks accept the reference and reject wrong implementations."""

import pytest
import torch

from embcourse.checks import CheckFailed, Unfinished
from embcourse.checks.ch04 import (check_align, check_coverage, check_new_rows_grad, reference_align,
                                   reference_coverage, reference_new_rows_grad)
from embcourse.pretrained import align_vectors, load_minilm_embeddings, wordpiece


def test_align_reference_passes_strict():
    assert check_align(reference_align, strict=True).ok


def test_align_reference_agrees_with_the_package_mean_strategy():
    pre, vecs = ["a", "b", "c"], torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    task = ["c", "zzz", "a"]
    expected, _ = align_vectors(task, pre, vecs, oov="mean", pad_token=None)
    assert torch.allclose(reference_align(task, pre, vecs), expected)


def _checked(body):
    """Wrap a wrong alignment in the reference's validation, so that only the alignment is wrong."""
    def fn(task_itos, pre_itos, vectors):
        reference_align(task_itos, pre_itos, vectors)
        return body(task_itos, pre_itos, vectors)
    return fn


def _zeros_for_missing(task_itos, pre_itos, vectors):
    stoi = {w: i for i, w in enumerate(pre_itos)}
    rows = [vectors[stoi[w]] if w in stoi else torch.zeros(vectors.shape[1]) for w in task_itos]
    return torch.stack(rows) if rows else torch.zeros(0, vectors.shape[1])


def _case_insensitive(task_itos, pre_itos, vectors):
    stoi = {w.lower(): i for i, w in enumerate(pre_itos)}
    mean = vectors.mean(dim=0)
    rows = [vectors[stoi[w.lower()]] if w.lower() in stoi else mean for w in task_itos]
    return torch.stack(rows) if rows else torch.zeros(0, vectors.shape[1])


def _mean_of_task_rows(task_itos, pre_itos, vectors):
    stoi = {w: i for i, w in enumerate(pre_itos)}
    known = [vectors[stoi[w]] for w in task_itos if w in stoi]
    mean = torch.stack(known).mean(dim=0) if known else vectors.mean(dim=0)  # mean of the wrong rows
    rows = [vectors[stoi[w]] if w in stoi else mean for w in task_itos]
    return torch.stack(rows) if rows else torch.zeros(0, vectors.shape[1])


def _drops_missing(task_itos, pre_itos, vectors):
    stoi = {w: i for i, w in enumerate(pre_itos)}
    rows = [vectors[stoi[w]] for w in task_itos if w in stoi]
    return torch.stack(rows) if rows else torch.zeros(0, vectors.shape[1])


def _no_validation(task_itos, pre_itos, vectors):
    stoi = {w: i for i, w in enumerate(pre_itos)}
    mean = vectors.mean(dim=0)
    rows = [vectors[stoi[w]] if w in stoi and stoi[w] < len(vectors) else mean for w in task_itos]
    return torch.stack(rows) if rows else torch.zeros(0, vectors.shape[1])


def align_returning_a_view(task_itos, pre_itos, vectors):  # a shortcut that aliases `vectors`
    reference_align(task_itos, pre_itos, vectors)
    if task_itos == pre_itos[:len(task_itos)]:
        return vectors[:len(task_itos)]
    return reference_align(task_itos, pre_itos, vectors)


@pytest.mark.parametrize("wrong", [
    _checked(_zeros_for_missing),      # zeros instead of the mean row
    _checked(_case_insensitive),       # 'Cat' matched to 'cat'
    _checked(_mean_of_task_rows),      # the mean of the task's known rows, not of the whole table
    _checked(_drops_missing),          # leaves missing words out: rows no longer line up with ids
    _no_validation,                    # accepts a table with fewer rows than pre_itos
    _checked(lambda t, p, v: reference_align(sorted(t), p, v)),  # reorders the task vocabulary
    align_returning_a_view,
])
def test_align_rejects_wrong_implementations(wrong):
    assert not check_align(wrong).ok
    with pytest.raises(CheckFailed):
        check_align(wrong, strict=True)


def test_coverage_reference_passes_strict():
    assert check_coverage(reference_coverage, strict=True).ok


def test_coverage_reference_agrees_with_wordpiece_on_minilm():
    itos, _ = load_minilm_embeddings()
    stoi = {w: i for i, w in enumerate(itos)}
    got = reference_coverage(["cat", "xylophone", "snow\u2603man", "cat"], stoi)
    assert got == {"whole": ["cat"], "split": ["xylophone"], "unknown": ["snow\u2603man"]}


def _coverage_by(classify):
    """A coverage whose only mistake is ``classify(word, pieces, stoi) -> key``."""
    def fn(words, stoi):
        out = {"whole": [], "split": [], "unknown": []}
        for word in dict.fromkeys(words):
            reference_coverage([word], stoi)  # the reference's validation
            out[classify(word, wordpiece(word, stoi), stoi)].append(word)
        return out
    return fn


def _with_duplicates(words, stoi):
    out = {"whole": [], "split": [], "unknown": []}
    for word in words:
        out[next(k for k, v in reference_coverage([word], stoi).items() if v)].append(word)
    return out


def _sorted_words(words, stoi):
    return {k: sorted(v) for k, v in reference_coverage(words, stoi).items()}


def _no_validation(words, stoi):
    words = [w for w in words if isinstance(w, str) and w]
    return reference_coverage(words, stoi)


def _partial_unknown(word, pieces, stoi):  # keeps the pieces that matched: "xq" is split, not unknown
    if pieces == ["[UNK]"] and len(word) > 1 and word[0] in stoi:
        return "split"
    return "unknown" if pieces == ["[UNK]"] else "whole" if len(pieces) == 1 else "split"


@pytest.mark.parametrize("wrong", [
    _coverage_by(lambda w, p, s: "whole" if len(p) == 1 else "split"),          # [UNK] counted as a piece
    _coverage_by(lambda w, p, s: "whole" if w in s else "split"),               # never unknown, no lower-casing
    _coverage_by(lambda w, p, s: "unknown" if "[UNK]" in p else
                 "whole" if w in s else "split"),                              # no lower-casing or accents
    _coverage_by(_partial_unknown),
    _with_duplicates,
    _sorted_words,
    _no_validation,
])
def test_coverage_rejects_wrong_implementations(wrong):
    assert not check_coverage(wrong).ok
    with pytest.raises(CheckFailed):
        check_coverage(wrong, strict=True)


def test_new_rows_grad_reference_passes_strict():
    assert check_new_rows_grad(reference_new_rows_grad, strict=True).ok


def test_new_rows_grad_as_a_hook_leaves_the_known_rows_alone():
    known = torch.tensor([True, False, True])
    emb = torch.nn.Embedding.from_pretrained(torch.ones(3, 2), freeze=False)
    emb.weight.register_hook(lambda g: reference_new_rows_grad(g, known))
    emb(torch.tensor([0, 1, 2])).sum().backward()
    assert torch.equal(emb.weight.grad, torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]))


def _known_checked(body):
    def fn(grad, known):
        reference_new_rows_grad(grad, known)
        return body(grad, known)
    return fn


def new_rows_grad_in_place(grad, known):  # zeroes the rows of the caller's gradient
    reference_new_rows_grad(grad, known)
    grad[known] = 0.0
    return grad


@pytest.mark.parametrize("wrong", [
    new_rows_grad_in_place,
    _known_checked(lambda g, k: g.masked_fill(~k[:, None], 0.0)),       # zeroes the new rows instead
    _known_checked(lambda g, k: g * ~k),                                # broadcasts over columns (or fails)
    _known_checked(lambda g, k: g.masked_fill(k[:, None], 0.0)[:, :1]),  # drops columns
    lambda g, k: g * (1 - torch.as_tensor(k).float())[:, None],         # accepts a 0/1 integer mask
    lambda g, k: g.masked_fill(k[:len(g), None].bool(), 0.0),           # no validation of the length
])
def test_new_rows_grad_rejects_wrong_implementations(wrong):
    assert not check_new_rows_grad(wrong).ok
    with pytest.raises(CheckFailed):
        check_new_rows_grad(wrong, strict=True)


@pytest.mark.parametrize("check, nargs", [(check_align, 3), (check_coverage, 2), (check_new_rows_grad, 2)])
def test_stub_is_not_yet_implemented(check, nargs, capsys):
    def stub(*args):
        assert len(args) == nargs
        raise Unfinished

    assert not check(stub).ok
    assert "not yet implemented" in capsys.readouterr().out
    with pytest.raises(CheckFailed):
        check(stub, strict=True)
