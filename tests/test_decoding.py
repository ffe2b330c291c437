"""Decoding, input normalisation and scoring of the translation models (chapters 6 and 7).

Beam search stops early and exactly; every decoder has a length guard tied to
the source; text as a person types it is normalised like the training text;
BLEU comes with chrF and sacrebleu's signatures; scheduled sampling flips a
coin per token on a schedule.
"""

from __future__ import annotations

import itertools
import math
import random
import unicodedata
from types import SimpleNamespace

import pytest
import sacrebleu
import torch
from sacrebleu.metrics import BLEU, CHRF
from torch import nn

from embcourse.attention import (AttnSeq2Seq, attention_map, beam_search, beam_search_one,
                                 evaluate_beam, translate_beam)
from embcourse.bleu import corpus_bleu, corpus_chrf, signatures
from embcourse.corpus import english_corpus, normalise, tokenize
from embcourse.seq2seq import (CUT_MARK, MAX_LEN_A, MAX_LEN_B, Seq2Seq, TeacherForcingSchedule,
                               TranslationData, decode_limits, evaluate, greedy_decode,
                               load_splits, scheduled_forward, train_seq2seq, translate)

BOS, EOS = 0, 1

# ------------------------------------------------------------------ models with known logits


class PrefixModel(nn.Module):
    """A model of chapter 6's interface whose logits are fixed per (source, prefix).

    The logits after a prefix are drawn from a generator seeded by the source row
    and the whole prefix, so every sequence has a fixed probability and brute
    force can enumerate them. <bos> (0) is never predicted.
    """

    def __init__(self, vocab_size: int = 4, seed: int = 0, eos_bias: float = 0.0):
        super().__init__()
        self.V, self.seed, self.eos_bias = vocab_size, seed, eos_bias
        self.dummy = nn.Parameter(torch.zeros(1))

    def logits_for(self, src_row: tuple, prefix: tuple) -> torch.Tensor:
        g = torch.Generator().manual_seed(hash((self.seed, *src_row, -1, *prefix)) % 2**61)
        x = 2.0 * torch.randn(self.V, generator=g)  # (V,)
        x[BOS] = float("-inf")
        x[EOS] += self.eos_bias
        return x

    def encode(self, src, src_lengths):
        return {"src": src.clone(), "prefix": torch.zeros(src.shape[0], 0, dtype=torch.long)}

    def decode_step(self, prev, state):
        prefix = torch.cat([state["prefix"], prev[:, None].cpu()], dim=1)  # (B, t)
        rows = zip(state["src"].tolist(), prefix.tolist())
        logits = torch.stack([self.logits_for(tuple(s), tuple(p)) for s, p in rows])  # (B, V)
        return logits, {"src": state["src"], "prefix": prefix}

    def step_fn(self, src_row: list[int]):
        return lambda prefix: torch.log_softmax(self.logits_for(tuple(src_row), tuple(prefix)), -1)


class NeverEnds(nn.Module):
    """A model that never emits <eos>: it repeats token 2 forever."""

    def __init__(self, vocab_size: int = 6):
        super().__init__()
        self.V = vocab_size
        self.dummy = nn.Parameter(torch.zeros(1))

    def encode(self, src, src_lengths):
        return torch.zeros(1, src.shape[0])  # (1, B): batch on axis 1, like a GRU state

    def decode_step(self, prev, state):
        logits = torch.zeros(prev.shape[0], self.V)  # (B, V)
        logits[:, 2] = 5.0
        logits[:, EOS] = -20.0
        return logits, state + 1


def brute_force(step_fn, vocab_size: int, max_len: int, alpha: float) -> list[int]:
    """The best sequence by score / length ** alpha over every sequence up to max_len tokens."""
    best, best_seq = float("-inf"), None
    for n in range(1, max_len + 1):
        for seq in itertools.product(range(1, vocab_size), repeat=n):  # never <bos>
            if EOS in seq[:-1] or (seq[-1] != EOS and n < max_len):
                continue
            prefix, total = [BOS], 0.0
            for w in seq:
                total += step_fn(prefix)[w].item()
                prefix.append(w)
            if total / n ** alpha > best:
                best, best_seq = total / n ** alpha, list(seq)
    return best_seq[:-1] if best_seq[-1] == EOS else best_seq


# ------------------------------------------------------------------ trained toy models

EN = {"dog": "chien", "cat": "chat", "bird": "oiseau", "horse": "cheval"}
VERB = {"sees": "voit", "likes": "aime"}
TOY = [(f"the {a} {v} the {b} .", f"le {EN[a]} {VERB[v]} le {EN[b]} .")
       for a in EN for v in VERB for b in EN]


@pytest.fixture(scope="module")
def toy_data() -> TranslationData:
    return TranslationData.build(SimpleNamespace(train=TOY, valid=TOY[:8], test=TOY[8:16]), batch_size=8)


def toy_model(data, kind: str, steps: int):
    torch.manual_seed(0)
    V_src, V_tgt = len(data.src_vocab), len(data.tgt_vocab)
    pads = dict(src_pad_id=data.src_vocab.pad_id, tgt_pad_id=data.tgt_vocab.pad_id, dropout=0.0)
    model = (Seq2Seq(V_src, V_tgt, 16, 32, **pads) if kind == "seq2seq"
             else AttnSeq2Seq(V_src, V_tgt, 16, 32, **pads))
    if steps:
        train_seq2seq(model, data, num_steps=steps, lr=1e-2, eval_every=steps, progress=False)
    return model.eval()


@pytest.fixture(scope="module")
def toy_models(toy_data):
    """Trained (60 steps: good, not perfect) and untrained models of both chapters."""
    return {f"{kind}, {steps} steps": toy_model(toy_data, kind, steps)
            for kind in ("seq2seq", "attention") for steps in (0, 60)}


def toy_batch(data, n: int = 16):
    src, src_lengths = data.encode_sources([en for en, _ in TOY[:n]])
    return src, src_lengths, data.tgt_vocab.bos_id, data.tgt_vocab.eos_id


# ------------------------------------------------------------------ beam search: early stop


def test_beam_search_stops_early_when_eos_is_likely():
    model = PrefixModel(vocab_size=6, seed=1, eos_bias=2.0)
    src = torch.tensor([[2, 3], [3, 4], [4, 5]])
    stats = {}
    beam_search(model, src, torch.tensor([2, 2, 2]), 4, 20, BOS, EOS, stats=stats, max_len_a=None)
    assert stats["steps"] < 20 and max(stats["sentence_steps"]) == stats["steps"]
    full = {}
    beam_search(model, src, torch.tensor([2, 2, 2]), 4, 20, BOS, EOS, early_stop=False,
                stats=full, max_len_a=None)
    assert full["steps"] == 20 and stats["rows"] < full["rows"]


@pytest.mark.parametrize("seed", range(24))
@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
def test_early_stop_returns_what_running_to_max_len_returns_on_random_models(seed, alpha):
    model = PrefixModel(vocab_size=5, seed=seed, eos_bias=[-1.0, 0.0, 1.5][seed % 3])
    src = torch.tensor([[2, 3, 4], [3, 0, 0], [4, 4, 0], [2, 2, 2]])
    lengths = torch.tensor([3, 1, 2, 3])
    for k in (2, 3, 5):
        early, full = {}, {}
        a = beam_search(model, src, lengths, k, 8, BOS, EOS, alpha, stats=early)
        b = beam_search(model, src, lengths, k, 8, BOS, EOS, alpha, early_stop=False, stats=full)
        assert a == b and early["cut"] == full["cut"], (k, a, b)


def test_early_stop_returns_what_running_to_max_len_returns_on_toy_models(toy_data, toy_models):
    src, src_lengths, bos, eos = toy_batch(toy_data)
    for name, model in toy_models.items():
        for k in (2, 3, 5, 8):
            for alpha in (0.0, 1.0):
                early, full = {}, {}
                a = beam_search(model, src, src_lengths, k, 30, bos, eos, alpha, stats=early)
                b = beam_search(model, src, src_lengths, k, 30, bos, eos, alpha, early_stop=False,
                                stats=full)
                assert a == b, (name, k, alpha)
                assert early["rows"] <= full["rows"]


def test_early_stop_saves_steps_on_a_trained_model(toy_data, toy_models):
    src, src_lengths, bos, eos = toy_batch(toy_data)
    early = {}
    beam_search(toy_models["attention, 60 steps"], src, src_lengths, 5, 30, bos, eos, stats=early,
                max_len_a=None)
    assert early["steps"] < 30 and sum(early["sentence_steps"]) < 16 * 30 / 2


@pytest.mark.parametrize("seed,alpha", [(0, 1.0), (1, 0.0), (2, 0.6), (3, 1.0), (4, 0.6)])
def test_a_beam_as_wide_as_every_sequence_finds_the_brute_force_best(seed, alpha):
    V, L = 4, 4
    model = PrefixModel(vocab_size=V, seed=seed, eos_bias=-0.5)
    src_row = [2]
    got = beam_search(model, torch.tensor([src_row]), torch.tensor([1]), V ** L, L, BOS, EOS, alpha)
    assert got[0] == brute_force(model.step_fn(src_row), V, L, alpha)
    seq, _ = beam_search_one(model.step_fn(src_row), BOS, EOS, V ** L, L, alpha)
    assert (seq[:-1] if seq and seq[-1] == EOS else seq) == got[0]


@pytest.mark.parametrize("beam_size,alpha", [(1, 1.0), (2, 1.0), (3, 0.0), (4, 0.7), (6, 1.0)])
def test_batched_beam_search_equals_the_one_sentence_version_with_the_same_limits(beam_size, alpha):
    model = PrefixModel(vocab_size=5, seed=7, eos_bias=0.5)
    src = torch.tensor([[2, 3, 4], [3, 0, 0], [4, 4, 0]])
    lengths = torch.tensor([3, 1, 2])
    got = beam_search(model, src, lengths, beam_size, 9, BOS, EOS, alpha, max_len_a=1.0, max_len_b=2)
    limits = decode_limits(lengths, 9, 1.0, 2)
    assert limits == [5, 3, 4]
    for i, row in enumerate(src.tolist()):
        for early_stop in (True, False):
            seq, _ = beam_search_one(model.step_fn(row), BOS, EOS, beam_size, limits[i], alpha,
                                     early_stop=early_stop)
            assert got[i] == (seq[:-1] if seq and seq[-1] == EOS else seq)


def test_one_sentence_version_stops_early_with_the_same_answer():
    model = PrefixModel(vocab_size=6, seed=3, eos_bias=2.0)
    early, full = {}, {}
    a = beam_search_one(model.step_fn([2]), BOS, EOS, 3, 12, 1.0, stats=early)
    b = beam_search_one(model.step_fn([2]), BOS, EOS, 3, 12, 1.0, early_stop=False, stats=full)
    assert a == b and early["steps"] < full["steps"] == 12


def test_one_sentence_version_refuses_to_stop_early_on_scores_that_can_rise():
    # a positive "log-probability" breaks the bound: stopping at step 1 would miss [2, 2, <eos>]
    table = {(): [-9.0, -0.1, -1.0], (2,): [-9.0, -5.0, 3.0]}
    step = lambda prefix: torch.tensor(table.get(tuple(prefix[1:]), [-9.0, -0.1, -0.2]))  # noqa: E731
    assert beam_search_one(step, BOS, EOS, 2, 4, 1.0, early_stop=False)[0] == [2, 2, 1]
    table[()] = [-9.0, -1.0, -0.1]  # now the rising prefix is seen before any stop
    with pytest.raises(ValueError, match="early_stop=False"):
        beam_search_one(step, BOS, EOS, 2, 4, 1.0)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_beam_of_one_is_greedy_decoding_on_toy_models(toy_data, toy_models, alpha):
    src, src_lengths, bos, eos = toy_batch(toy_data)
    for name, model in toy_models.items():
        g_stats, b_stats = {}, {}
        greedy = greedy_decode(model, src, src_lengths, 30, bos, eos, stats=g_stats)
        beam = beam_search(model, src, src_lengths, 1, 30, bos, eos, alpha, stats=b_stats)
        assert beam == greedy, name
        assert b_stats["cut"] == g_stats["cut"]
        assert b_stats["sentence_steps"] == g_stats["sentence_steps"]


def test_beam_of_one_is_greedy_decoding_on_random_models():
    src = torch.tensor([[2, 3, 4], [3, 0, 0], [4, 4, 0], [2, 2, 2]])
    lengths = torch.tensor([3, 1, 2, 3])
    for seed in range(5):
        model = PrefixModel(vocab_size=6, seed=seed, eos_bias=-1.0)
        assert (beam_search(model, src, lengths, 1, 12, BOS, EOS)
                == greedy_decode(model, src, lengths, 12, BOS, EOS))


# ------------------------------------------------------------------ the length guard


def test_the_length_guard_covers_every_training_pair_with_room_to_spare(splits):
    src_lengths = torch.tensor([len(en.split()) for en, _ in splits.train])
    limits = decode_limits(src_lengths, 30)
    slack = min(lim - len(fr.split()) - 1 for lim, (_, fr) in zip(limits, splits.train))
    assert slack >= 5  # the reference, its <eos> and 5 more tokens fit
    ratio = max(len(fr.split()) / len(en.split()) for en, fr in splits.train)
    assert ratio <= MAX_LEN_A and MAX_LEN_B == 5


def test_greedy_decoding_stops_at_the_guard_and_says_it_cut():
    src = torch.tensor([[3, 3, 3], [3, 0, 0]])
    lengths = torch.tensor([3, 1])
    stats = {}
    out = greedy_decode(NeverEnds(), src, lengths, 30, BOS, EOS, stats=stats)
    assert [len(seq) for seq in out] == [int(MAX_LEN_A * 3 + MAX_LEN_B), int(MAX_LEN_A + MAX_LEN_B)]
    assert stats["cut"] == [True, True] and stats["sentence_steps"] == [11, 7]
    assert stats["steps"] == 11
    assert [len(s) for s in greedy_decode(NeverEnds(), src, lengths, 30, BOS, EOS,
                                          max_len_a=None)] == [30, 30]
    assert [len(s) for s in greedy_decode(NeverEnds(), src, lengths, 8, BOS, EOS)] == [8, 7]


def test_beam_search_stops_at_the_guard_and_says_it_cut():
    src, lengths, stats = torch.tensor([[3, 3, 3], [3, 0, 0]]), torch.tensor([3, 1]), {}
    out = beam_search(NeverEnds(), src, lengths, 3, 30, BOS, EOS, stats=stats)
    assert [len(seq) for seq in out] == [11, 7] and stats["cut"] == [True, True]


def test_an_output_that_ends_in_eos_is_not_cut(toy_data, toy_models):
    src, src_lengths, bos, eos = toy_batch(toy_data)
    stats = {}
    out = greedy_decode(toy_models["attention, 60 steps"], src, src_lengths, 30, bos, eos, stats=stats)
    assert not any(stats["cut"])
    assert stats["sentence_steps"] == [len(seq) + 1 for seq in out]


def toy_never_ends(data):
    """NeverEnds sized to the toy vocabulary: it repeats the target token 2 (<bos>) forever."""
    model = NeverEnds(len(data.tgt_vocab))
    model.decode_step = lambda prev, state: (_never_logits(len(data.tgt_vocab), prev.shape[0],
                                                           data.tgt_vocab.stoi["le"]), state)
    return model


def _never_logits(V, B, token):
    logits = torch.zeros(B, V)  # (B, V)
    logits[:, token] = 5.0
    return logits


def test_translate_marks_a_cut_translation_and_evaluate_counts_it_apart_from_bleu(toy_data):
    model = toy_never_ends(toy_data)
    typed = ["The dog sees the cat", "the cat likes the bird ."]
    out = translate(model, toy_data, typed)
    assert all(t.endswith(" " + CUT_MARK) for t in out)
    assert out[0] == " ".join(["le"] * 17 + [CUT_MARK])  # 6 source tokens with the full stop: 2 * 6 + 5
    clean = translate(model, toy_data, typed, mark_cut=False)
    assert clean == [t[: -len(CUT_MARK) - 1] for t in out]
    pairs = TOY[:5]
    res = evaluate(model, toy_data, pairs)
    assert res["cut"] == 5 and not any(CUT_MARK in h for h in res["hypotheses"])
    assert res["bleu"] == corpus_bleu(res["hypotheses"], [fr for _, fr in pairs])
    beam = evaluate_beam(model, toy_data, pairs, beam_size=3)
    assert beam["cut"] == 5 and beam["hypotheses"] == res["hypotheses"]
    assert translate_beam(model, toy_data, typed, 3) == out


def test_evaluate_reports_no_cut_for_a_model_that_ends_its_sentences(toy_data, toy_models):
    res = evaluate(toy_models["seq2seq, 60 steps"], toy_data, TOY)
    assert res["cut"] == 0 and 1 < res["decoder_steps"] <= 8


# ------------------------------------------------------------------ input as people type it


@pytest.fixture(scope="module")
def splits():
    return load_splits()


def typed_variants(sentence: str) -> list[str]:
    """What a person might type for a tokenized sentence."""
    glued = sentence
    for p in [" .", " ?", " !", " ,"]:
        glued = glued.replace(p, p[1:])  # punctuation attached to the word
    glued = glued.replace("' ", "'")  # l' homme -> l'homme
    variants = [glued, glued[0].upper() + glued[1:], glued.upper(), "  " + glued.replace(" ", "  ") + " ",
                unicodedata.normalize("NFD", glued), glued.replace("'", "\u2019")]
    if sentence.endswith(" ."):
        variants.append(glued[:-1])  # no final full stop
        variants.append(glued[:-1].capitalize() + "   ")
    return variants


def test_the_training_text_is_a_fixed_point_of_the_normaliser(splits):
    for split in (splits.train, splits.valid, splits.test, splits.test_combos):
        for en, fr in split:
            assert normalise(en) == en and normalise(fr) == fr, (en, fr)


def test_the_english_corpus_is_a_fixed_point_of_the_normaliser():
    for sentence in english_corpus(50_000, seed=0):
        text = " ".join(sentence)
        assert normalise(text) == text, text


def test_typed_variants_normalise_to_the_training_text(splits):
    rng = random.Random(0)
    sample = rng.sample(splits.train, 400) + splits.test_combos[:100]
    for en, fr in sample:
        for side in (en, fr):
            for typed in typed_variants(side):
                assert normalise(typed) == side, (typed, side)


@pytest.mark.parametrize("typed,clean", [
    ("Hello, world!", "hello , world !"),
    ("The cat is black", "the cat is black ."),
    ("  the   cat is  black .  ", "the cat is black ."),
    (unicodedata.normalize("NFD", "Le CAFÉ est chaud"), "le café est chaud ."),
    ("Where is the cat?", "where is the cat ?"),
    ('He said "hi."', 'he said " hi . "'),
    ("Wait...", "wait . . ."),
    ("", ""),
])
def test_normalise_examples(typed, clean):
    assert normalise(typed) == clean


def test_tokenize_composes_decomposed_accents():
    assert tokenize(unicodedata.normalize("NFD", "Élève, café")) == ["élève", ",", "café"]


def test_the_normaliser_is_used_when_data_are_built_and_when_translating(toy_data):
    raw = [("The dog sees the cat", "Le chien voit le chat")]
    data = TranslationData.build(SimpleNamespace(train=raw, valid=raw, test=raw))
    assert data.train == [("the dog sees the cat .", "le chien voit le chat .")]
    clean, _ = toy_data.encode_sources(["the dog sees the cat ."])
    for typed in ["The dog sees the cat", "the dog  sees the cat.", "THE DOG SEES THE CAT ."]:
        ids, _ = toy_data.encode_sources([typed])
        assert torch.equal(ids, clean), typed


def test_translate_gives_the_same_output_for_typed_and_tokenized_input(toy_data, toy_models):
    model = toy_models["attention, 60 steps"]
    clean = translate(model, toy_data, ["the dog sees the cat ."])
    assert translate(model, toy_data, ["The dog sees the cat"]) == clean
    assert translate_beam(model, toy_data, ["The dog  sees the cat"], 3) == \
        translate_beam(model, toy_data, ["the dog sees the cat ."], 3)


def test_translate_refuses_an_empty_sentence(toy_data, toy_models):
    with pytest.raises(ValueError, match=r"sentences\[1\] is empty"):
        translate(toy_models["seq2seq, 0 steps"], toy_data, ["the dog", "   "])


# ------------------------------------------------------------------ BLEU, chrF, signatures

HYPS = ["le chat mange la souris .", "il dort", "l' homme voit le chien ."]
REFS = ["le chat noir mange la souris .", "il dort bien .", "l' homme voit un chien ."]


def test_corpus_chrf_equals_sacrebleu():
    assert corpus_chrf(HYPS, REFS) == pytest.approx(sacrebleu.corpus_chrf(HYPS, [REFS]).score)
    assert corpus_chrf(REFS, REFS) == pytest.approx(100.0)


def test_corpus_chrf_rejects_bad_input():
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        corpus_chrf(["a", "b"], ["a"])
    with pytest.raises(TypeError, match="hypotheses"):
        corpus_chrf("le chat", REFS)


def test_signatures_are_sacrebleus_for_the_settings_the_course_uses():
    bleu, chrf = BLEU(tokenize="none", force=True), CHRF()
    assert bleu.corpus_score(HYPS, [REFS]).score == pytest.approx(corpus_bleu(HYPS, REFS))
    assert chrf.corpus_score(HYPS, [REFS]).score == pytest.approx(corpus_chrf(HYPS, REFS))
    sig = signatures()
    assert sig == {"bleu": str(bleu.get_signature()), "chrf": str(chrf.get_signature())}
    assert "tok:none" in sig["bleu"] and "nc:6" in sig["chrf"]


def test_evaluate_and_evaluate_beam_report_chrf_and_signatures(toy_data, toy_models):
    model = toy_models["seq2seq, 60 steps"]
    for res in (evaluate(model, toy_data, TOY[:10]), evaluate_beam(model, toy_data, TOY[:10], 3)):
        refs = [fr for _, fr in TOY[:10]]
        assert {"bleu", "exact_match", "n", "hypotheses", "chrf", "signature", "cut"} <= set(res)
        assert res["chrf"] == pytest.approx(sacrebleu.corpus_chrf(res["hypotheses"], [refs]).score)
        assert res["signature"] == signatures()


# ------------------------------------------------------------------ scheduled sampling


class Recorder(nn.Module):
    """Records the tokens fed at each step; its own guess is always token 1, never a gold token."""

    def __init__(self, V: int = 6):
        super().__init__()
        self.V, self.fed = V, []
        self.dummy = nn.Parameter(torch.zeros(1))

    def encode(self, src, src_lengths):
        return None

    def decode_step(self, prev, state):
        self.fed.append(prev.clone())
        logits = torch.zeros(prev.shape[0], self.V)
        logits[:, 1] = 1.0
        return logits + self.dummy, state


def fed_tokens(per_token: bool, p: float = 0.5, B: int = 32, T: int = 6) -> torch.Tensor:
    model = Recorder()
    tgt_in = torch.full((B, T), 4)  # gold tokens are 4, the model's guesses 1
    scheduled_forward(model, torch.zeros(B, 1, dtype=torch.long), torch.ones(B), tgt_in, p,
                      torch.Generator().manual_seed(0), per_token=per_token)
    return torch.stack(model.fed[1:], dim=1)  # (B, T-1): what was fed after the first step


def test_scheduled_sampling_flips_a_coin_per_token():
    fed = fed_tokens(per_token=True)
    mixed = [((col == 4).any() and (col == 1).any()).item() for col in fed.T]
    assert all(mixed)  # at every step some rows got the gold token and others their guess
    assert 0.3 < (fed == 4).float().mean().item() < 0.7


def test_the_per_step_version_feeds_the_whole_batch_alike():
    fed = fed_tokens(per_token=False)
    assert all(((col == 4).all() or (col == 1).all()).item() for col in fed.T)


@pytest.mark.parametrize("p,value", [(1.0, 4), (0.0, 1)])
def test_probability_one_feeds_gold_and_zero_feeds_guesses(p, value):
    assert (fed_tokens(per_token=True, p=p) == value).all()


def test_schedules_take_bengio_et_als_values():
    lin = TeacherForcingSchedule("linear", k=1.0, c=0.01, floor=0.1)
    assert [lin(i) for i in (0, 50, 90, 200)] == pytest.approx([1.0, 0.5, 0.1, 0.1])
    exp = TeacherForcingSchedule("exponential", k=0.99)
    assert [exp(i) for i in (0, 100)] == pytest.approx([1.0, 0.99 ** 100])
    sig = TeacherForcingSchedule("inverse_sigmoid", k=10)
    assert [sig(i) for i in (0, 10, 10**6)] == pytest.approx([10 / 11, 10 / (10 + math.e), 0.0])
    assert all(sig(i) > sig(i + 1) for i in range(100))


@pytest.mark.parametrize("kind,k", [("cosine", 1.0), ("exponential", 1.5), ("inverse_sigmoid", 0.5),
                                    ("linear", 2.0)])
def test_a_bad_schedule_is_refused(kind, k):
    with pytest.raises(ValueError, match="kind|parameters"):
        TeacherForcingSchedule(kind, k=k)


def test_training_follows_the_schedule_and_records_it(toy_data):
    sched = TeacherForcingSchedule("linear", k=1.0, c=0.25, floor=0.0)
    model = toy_model(toy_data, "seq2seq", 0).train()
    hist = train_seq2seq(model, toy_data, num_steps=6, eval_every=6, teacher_forcing=sched,
                         progress=False)
    assert hist.teacher_forcing == [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]


def test_a_schedule_stuck_at_one_trains_exactly_like_teacher_forcing(toy_data):
    runs = [train_seq2seq(toy_model(toy_data, "seq2seq", 0).train(), toy_data, num_steps=5,
                          eval_every=5, teacher_forcing=tf, progress=False)
            for tf in (1.0, TeacherForcingSchedule("linear", k=1.0))]
    assert runs[0].train_loss == runs[1].train_loss


def test_train_seq2seq_refuses_a_bad_sampling_or_probability(toy_data):
    model = toy_model(toy_data, "seq2seq", 0)
    with pytest.raises(ValueError, match="sampling"):
        train_seq2seq(model, toy_data, num_steps=1, sampling="batch", progress=False)
    with pytest.raises(ValueError, match="teacher_forcing"):
        train_seq2seq(model, toy_data, num_steps=1, teacher_forcing=1.5, progress=False)


class NeverEndsWithWeights(NeverEnds):
    """NeverEnds with attention weights, as chapter 7's attention_map asks for them."""

    def decode_step(self, prev, state, return_weights=False):
        logits, state = super().decode_step(prev, state)
        weights = torch.full((prev.shape[0], self.S), 1.0 / self.S)  # (B, S): uniform
        return (logits, state, weights) if return_weights else (logits, state)


@pytest.mark.parametrize("src_len, max_len, expected", [(3, 30, 11), (1, 30, 7), (3, 8, 8)])
def test_attention_map_stops_at_the_guard(src_len, max_len, expected):
    model = NeverEndsWithWeights()
    model.S = src_len
    out, weights = attention_map(model, [3] * src_len, max_len, BOS, EOS)
    assert len(out) == expected and EOS not in out
    assert tuple(weights.shape) == (expected, src_len)
    out, _ = attention_map(model, [3] * src_len, max_len, BOS, EOS, max_len_a=None)
    assert len(out) == max_len
