"""The French of the generator follows the grammar a French teacher checks: each rule, both ways."""

import random

import pytest

from embcourse.corpus import translation_pairs
from embcourse.grammar import (agree, elide_and_contract, noun_phrase, participle, sentence,
                               starts_with_vowel)
from embcourse.lexicon import ADJECTIVES, AVOIR, ETRE, NOUNS, VERBS

NOUN = {n.en: n for n in NOUNS}
ADJ = {a.en: a for a in ADJECTIVES}
VERB = {v.en: v for v in VERBS}


@pytest.fixture(scope="module")
def pairs():
    return [(en.split(), fr.split()) for en, fr in translation_pairs(20_000, seed=3)]


def bigrams(pairs):
    return {(a, b) for _, fr in pairs for a, b in zip(fr, fr[1:])}


def np_fr(noun, adjs=(), plural=False, det="the"):
    return noun_phrase(random.Random(0), NOUN[noun], plural, det, tuple(ADJ[a] for a in adjs)).fr


# ------------------------------------------------------------------ elision
@pytest.mark.parametrize("tokens, expected", [
    (["le", "homme"], ["l'", "homme"]),          # mute h
    (["la", "eau"], ["l'", "eau"]),
    (["je", "aime"], ["j'", "aime"]),
    (["il", "ne", "aime", "pas"], ["il", "n'", "aime", "pas"]),
    (["est-ce", "que", "il"], ["est-ce", "qu'", "il"]),
    (["pas", "de", "eau"], ["pas", "d'", "eau"]),
])
def test_elision_before_a_vowel_or_mute_h(tokens, expected):
    assert elide_and_contract(tokens) == expected


@pytest.mark.parametrize("tokens", [
    ["le", "chat"], ["la", "gare"], ["je", "mange"], ["ne", "mange"],
    ["le", "hibou"], ["le", "hamster"],  # aspirated h: no elision
    ["je", "ne", "aime"][:2],
])
def test_no_elision_before_a_consonant_or_aspirated_h(tokens):
    assert elide_and_contract(tokens) == tokens


def test_generated_french_always_elides_and_never_elides_wrongly(pairs):
    for a, b in bigrams(pairs):
        if a in ("le", "la", "je", "ne", "de", "que"):
            assert not starts_with_vowel(b), (a, b)
        if a in ("l'", "j'", "n'", "d'", "qu'"):
            assert starts_with_vowel(b), (a, b)
    found = {a for a, _ in bigrams(pairs)}
    assert {"l'", "j'", "n'", "d'", "qu'"} <= found


# ------------------------------------------------------------------ contractions
@pytest.mark.parametrize("tokens, expected", [
    (["à", "le", "marché"], ["au", "marché"]),
    (["à", "les", "enfants"], ["aux", "enfants"]),
    (["de", "le", "pain"], ["du", "pain"]),
    (["près", "de", "les", "chats"], ["près", "des", "chats"]),
    (["à", "le", "hibou"], ["au", "hibou"]),  # aspirated h: contraction, no elision
])
def test_contractions(tokens, expected):
    assert elide_and_contract(tokens) == expected


@pytest.mark.parametrize("tokens, expected", [
    (["à", "la", "gare"], ["à", "la", "gare"]),
    (["à", "le", "hôtel"], ["à", "l'", "hôtel"]),  # elision wins over contraction
    (["de", "la", "soupe"], ["de", "la", "soupe"]),
    (["de", "le", "eau"], ["de", "l'", "eau"]),
])
def test_no_contraction_with_la_or_an_elided_article(tokens, expected):
    assert elide_and_contract(tokens) == expected


def test_generated_french_has_contractions_and_no_uncontracted_article(pairs):
    found = bigrams(pairs)
    for pair in [("à", "le"), ("à", "les"), ("de", "le"), ("de", "les")]:
        assert pair not in found
    words = {w for _, fr in pairs for w in fr}
    assert {"au", "aux", "du", "des"} <= words


def test_possessive_mon_before_a_feminine_vowel_word(pairs):
    assert elide_and_contract(["ma", "orange"]) == ["mon", "orange"]
    assert elide_and_contract(["ma", "pomme"]) == ["ma", "pomme"]
    for a, b in bigrams(pairs):
        if a in ("ma", "ta", "sa"):
            assert not starts_with_vowel(b), (a, b)


# ------------------------------------------------------------------ adjectives
@pytest.mark.parametrize("noun, adjs, plural, det, expected", [
    ("car", ["black"], False, "the", ["la", "voiture", "noire"]),
    ("cat", ["small"], False, "a", ["un", "petit", "chat"]),
    ("cat", ["small", "black"], False, "a", ["un", "petit", "chat", "noir"]),
    ("man", ["old"], False, "the", ["le", "vieil", "homme"]),
    ("elephant", ["beautiful"], False, "a", ["un", "bel", "éléphant"]),
    ("dress", ["beautiful"], True, "the", ["les", "belles", "robes"]),
    ("cat", ["small"], True, "bare", ["de", "petits", "chats"]),      # des -> de before an adjective
    ("cat", ["black"], True, "bare", ["des", "chats", "noirs"]),
    ("dog", ["brown"], True, "the", ["les", "chiens", "marron"]),      # invariable colour
    ("shirt", ["white"], True, "the", ["les", "chemises", "blanches"]),
    ("soup", ["hot"], False, "mass", ["de", "la", "soupe", "chaude"]),
])
def test_adjective_agreement_and_position(noun, adjs, plural, det, expected):
    assert np_fr(noun, adjs, plural, det) == expected


@pytest.mark.parametrize("noun, adjs, wrong", [
    ("car", ["black"], ["la", "voiture", "noir"]),           # no agreement
    ("car", ["black"], ["la", "noire", "voiture"]),          # colour before the noun
    ("cat", ["small"], ["le", "chat", "petit"]),             # size after the noun
    ("man", ["old"], ["le", "vieux", "homme"]),              # vieux before a vowel
])
def test_adjective_wrong_forms_are_not_produced(noun, adjs, wrong):
    assert np_fr(noun, adjs) != wrong


def _noun_forms():
    forms = {}
    for n in NOUNS:
        if n.fr != n.fr_pl:
            forms[n.fr] = (n.gender, False)
            if n.fr_pl != "-":
                forms[n.fr_pl] = (n.gender, True)
    return forms


def test_generated_adjectives_next_to_a_noun_agree_with_it(pairs):
    nouns = _noun_forms()
    adj_forms = {}
    for a in ADJECTIVES:
        for form in (a.m, a.f, a.m_pl, a.f_pl, a.m_vowel):
            adj_forms.setdefault(form, []).append(a)
    checked = 0
    for _, fr in pairs:
        for i, (noun, nxt) in enumerate(zip(fr, fr[1:])):
            if noun in nouns and nxt in adj_forms:
                gender, plural = nouns[noun]
                assert any(agree(a, gender, plural) == nxt for a in adj_forms[nxt]), fr
                assert any(not a.pre for a in adj_forms[nxt]), fr
                checked += 1
    assert checked > 1000


# ------------------------------------------------------------------ passé composé
@pytest.mark.parametrize("verb, gender, plural, expected", [
    ("leave", "f", False, "partie"),
    ("go", "m", True, "allés"),
    ("arrive", "f", True, "arrivées"),
    ("fall", "m", False, "tombé"),
    ("eat", "f", True, "mangé"),      # avoir: no agreement with the subject
    ("take", "f", False, "pris"),
])
def test_participle_agrees_with_the_subject_only_with_etre(verb, gender, plural, expected):
    assert participle(VERB[verb], gender, plural) == expected


SUBJECTS = {"she": ("f", False), "he": ("m", False), "they": ("m", True), "we": ("m", True),
            "i": ("m", False), "you": ("m", False)}
SUBJECTS.update({n.en: (n.gender, False) for n in NOUNS})
SUBJECTS.update({n.en_pl: (n.gender, True) for n in NOUNS if n.en_pl != "-"})


def _subject(en):
    return next(SUBJECTS[w] for w in en if w in SUBJECTS)


def test_generated_passe_compose_agrees_with_etre_and_not_with_avoir(pairs):
    etre_pp = {v.participle: v for v in VERBS if v.aux == "être"}
    avoir_pp = {v.participle for v in VERBS if v.aux == "avoir"}
    seen_etre = seen_avoir = 0
    for en, fr in pairs:
        for i, tok in enumerate(fr[:-1]):
            nxt = fr[i + 2] if fr[i + 1] == "pas" and i + 2 < len(fr) else fr[i + 1]
            if tok in ETRE:
                stem = next((p for p in etre_pp if nxt.startswith(p)), None)
                if stem is not None and nxt != "être":
                    assert nxt == participle(etre_pp[stem], *_subject(en)), (en, fr)
                    seen_etre += 1
            if tok in AVOIR and nxt not in ("pas",):
                if any(nxt.startswith(p) for p in avoir_pp) and nxt not in avoir_pp:
                    pytest.fail(f"agreement after avoir: {fr}")
                seen_avoir += nxt in avoir_pp
    assert seen_etre > 500 and seen_avoir > 1000


def test_she_left_is_elle_est_partie():
    assert participle(VERB["leave"], "f", False) == "partie"
    assert elide_and_contract(["elle", "ne", "est", "pas", "partie"]) == ["elle", "n'", "est", "pas", "partie"]


# ------------------------------------------------------------------ negation
def test_generated_negation_is_ne_verb_pas(pairs):
    negatives = 0
    for en, fr in pairs:
        if "not" in en:
            negatives += 1
            assert fr.count("pas") == 1, (en, fr)
            j = fr.index("pas")
            assert fr[j - 2] in ("ne", "n'"), (en, fr)  # ne + one verb form + pas
        else:
            assert "pas" not in fr and "ne" not in fr and "n'" not in fr, (en, fr)
    assert negatives > 3000


def test_generated_negation_uses_de_not_an_indefinite_or_partitive(pairs):
    found = bigrams([(en, fr) for en, fr in pairs if "from" not in en])  # "pas du théâtre" is de + le
    for article in ("un", "une", "des", "du"):
        assert ("pas", article) not in found
    assert ("pas", "de") in found and ("pas", "d'") in found


# ------------------------------------------------------------------ questions
def test_generated_questions_use_est_ce_que(pairs):
    questions = 0
    for en, fr in pairs:
        assert (en[-1] == "?") == (fr[-1] == "?") == (fr[0] == "est-ce"), (en, fr)
        if fr[0] == "est-ce":
            questions += 1
            assert fr[1] == ("qu'" if starts_with_vowel(fr[2]) else "que"), fr
    assert questions > 2000


def test_a_sentence_is_a_pair_of_token_lists_within_the_length_limits():
    rng = random.Random(0)
    for _ in range(500):
        s = sentence(rng)
        assert 3 <= len(s.en) <= 15 and 3 <= len(s.fr) <= 15
        assert s.tense in ("present", "future", "past")
