"""The bigger world's grammar: each French rule on chosen words, then checked on generated data.

Tests on chosen words use only lexicon entries guaranteed to stay in the tables
(man, woman, girl, cat, car, book, see, wash, give, talk, ...). Tests on generated
data never depend on particular words.
"""

import os
import random
import subprocess
import sys

import pytest

from embcourse.corpus import tokenize
from embcourse.world.grammar import (AVOIR, CONSTRUCTIONS, ETRE, NP, PRONOUNS, SLACK, WHO, Clause,
                                     Generator, Ref, about_trap, agree, elide_and_contract,
                                     indefinite_en, lemma_weights, np_en, np_fr, place_words, realise,
                                     starts_with_vowel, _State)
from embcourse.world.lexicon import (ADJECTIVES, ADVERBS, NOUNS, NUMBERS, PEOPLE, PREPOSITIONS,
                                     VERBS)

N = {n.en: n for n in NOUNS}
H_ASPIRE_WORDS = {w.split()[0] for n in NOUNS if n.h_aspire for w in (n.fr, n.fr_pl)}
A = {a.en: a for a in ADJECTIVES}
V = {(v.en, v.frame): v for v in VERBS}
ADV = {a.en: a for a in ADVERBS}
P = {p.en: p for p in PREPOSITIONS}
NUM = {x.en: x for x in NUMBERS}
PRO = {p.en: p for p in PRONOUNS}
SHE, HE, THEY, I = PRO["she"], PRO["he"], PRO["they"], PRO["i"]


def verb(en, frame="tr"):
    return V[(en, frame)]


def np(noun, det="the", plural=False, adjs=(), **kw):
    return NP(N[noun], plural, det, adjs=tuple(A[a] for a in adjs), **kw)


def clause(subj, v, tense="present", obj=None, rec=None, neg=None, q=None, **slots):
    c = Clause(subj, v, tense, neg, q)
    c.obj, c.rec = obj, rec
    for k, x in slots.items():
        setattr(c, k, x)
    return c


def say(*clauses, conjs=("and", "and", "and"), **kw):
    """English and French of coordinated clauses, as two strings."""
    s = realise(list(clauses), list(conjs[:len(clauses) - 1]), **kw)
    return " ".join(s.en), " ".join(s.fr)


def fr_np(x):
    return " ".join(elide_and_contract(np_fr(x)))


# ------------------------------------------------------------------ generated data
TARGETS = [3 + (i * 7) % 43 for i in range(20_000)]  # every target 3..45, mean ~24


@pytest.fixture(scope="module")
def gen():
    return Generator()


@pytest.fixture(scope="module")
def sample(gen):
    rng = random.Random(7)
    return [gen.sentence(rng, t) for t in TARGETS]


@pytest.fixture(scope="module")
def bigrams(sample):
    return {(a, b) for s in sample for a, b in zip(s.fr, s.fr[1:])}


# ------------------------------------------------------------------ noun phrases
@pytest.mark.parametrize("noun, det, plural, adjs, expected", [
    ("car", "the", False, ["red"], "la voiture rouge"),
    ("car", "the", True, ["black"], "les voitures noires"),
    ("cat", "a", False, ["small"], "un petit chat"),
    ("cat", "some", True, ["small"], "de petits chats"),        # des -> de before an adjective
    ("cat", "some", True, ["black"], "des chats noirs"),
    ("man", "the", False, ["old"], "le vieil homme"),            # vieil before a vowel
    ("car", "a", False, ["new"], "une nouvelle voiture"),
    ("owl", "the", False, ["beautiful"], "le beau hibou"),       # aspirated h: no bel, no l'
    ("owl", "the", False, [], "le hibou"),
    ("apple", "the", False, [], "la pomme"),
    ("man", "the", False, [], "l' homme"),
    ("water", "some", False, [], "de l' eau"),                   # partitive
    ("bread", "some", False, [], "du pain"),
    ("girl", "the", False, ["happy"], "la fille heureuse"),
    ("girl", "the", True, ["happy"], "les filles heureuses"),
    ("queen", "the", False, ["young"], "la jeune reine"),
])
def test_noun_phrase_agreement_position_elision(noun, det, plural, adjs, expected):
    assert fr_np(np(noun, det, plural, adjs)) == expected


def test_possessives_numbers_and_de_after_negation():
    assert fr_np(np("car", "poss", poss=("her", "son", "sa", "ses"))) == "sa voiture"
    assert fr_np(np("apple", "poss", poss=("my", "mon", "ma", "mes"))) == "ma pomme"
    assert elide_and_contract(["ma", "école"]) == ["mon", "école"]
    assert fr_np(np("cat", "num", True, num=NUM["two"])) == "deux chats"
    assert " ".join(np_en(np("cat", "num", True, num=NUM["two"]))) == "two cats"
    assert fr_np(np("apple", "a", negde=True)) == "de pomme"
    assert fr_np(np("water", "some", negde=True)) == "d' eau"
    assert fr_np(np("car", "the", negde=True)) == "la voiture"     # a definite article stays
    assert " ".join(np_en(np("apple", "a", adjs=["old"]))) == "an old apple"


@pytest.mark.parametrize("tokens, expected", [
    (["près", "de", "le", "lac"], "près du lac"),
    (["près", "de", "les", "maisons"], "près des maisons"),
    (["près", "de", "la", "gare"], "près de la gare"),
    (["près", "de", "le", "hibou"], "près du hibou"),
    (["près", "de", "le", "homme"], "près de l' homme"),
    (["à", "le", "garçon"], "au garçon"),
    (["à", "les", "filles"], "aux filles"),
    (["que", "onze", "chats"], "que onze chats"),                # no elision before onze, huit
    (["de", "huit"], "de huit"),
    (["que", "elle"], "qu' elle"),
    (["ne", "la", "a", "pas"], "ne l' a pas"),
])
def test_elision_and_contraction(tokens, expected):
    assert " ".join(elide_and_contract(tokens)) == expected


# ------------------------------------------------------------------ tenses, negation, adverbs
@pytest.mark.parametrize("tense, neg, en, fr", [
    ("present", None, "she eats bread .", "elle mange du pain ."),
    ("future", None, "she is going to eat bread .", "elle va manger du pain ."),
    ("past", None, "she ate bread .", "elle a mangé du pain ."),
    ("present", "pas", "she does not eat bread .", "elle ne mange pas de pain ."),
    ("past", "pas", "she did not eat bread .", "elle n' a pas mangé de pain ."),
    ("future", "pas", "she is not going to eat bread .", "elle ne va pas manger de pain ."),
    ("present", "jamais", "she never eats bread .", "elle ne mange jamais de pain ."),
    ("past", "jamais", "she never ate bread .", "elle n' a jamais mangé de pain ."),
    ("present", "plus", "she no longer eats bread .", "elle ne mange plus de pain ."),
    ("future", "plus", "she is no longer going to eat bread .", "elle ne va plus manger de pain ."),
])
def test_tenses_and_the_three_negations(tense, neg, en, fr):
    obj = np("bread", "some", negde=neg is not None)
    assert say(clause(SHE, verb("eat"), tense, obj, neg=neg)) == (en, fr)


def test_passe_compose_with_etre_agrees_with_the_subject():
    c = clause(np("girl", "the", True), verb("leave", "leave"), "past",
               place=([], ["de"], np("house")))
    assert say(c) == ("the girls left the house .", "les filles sont parties de la maison .")
    c = clause(SHE, verb("go", "go"), "past", place=(["to"], ["à"], np("station")))
    assert say(c) == ("she went to the station .", "elle est allée à la gare .")


@pytest.mark.parametrize("v, frame, place, en, fr", [
    ("go", "go", "house", "she goes to the house .", "elle va à la maison ."),
    ("go", "go", "kitchen", "she goes to the kitchen .", "elle va dans la cuisine ."),
    ("go", "go", "station", "she goes to the station .", "elle va à la gare ."),
    ("go", "go", "lake", "she goes to the lake .", "elle va au lac ."),
    ("leave", "leave", "school", "she leaves the school .", "elle part de l' école ."),
    ("sleep", "intr", "house", "she sleeps in the house .", "elle dort dans la maison ."),
    ("sleep", "intr", "forest", "she sleeps in the forest .", "elle dort dans la forêt ."),
])
def test_places_take_their_own_prepositions(v, frame, place, en, fr):
    c = clause(SHE, verb(v, frame), place=place_words(verb(v, frame), N[place]) + (np(place),))
    assert say(c) == (en, fr)


def test_motion_verbs_get_a_place(gen):
    rng = random.Random(0)
    for _ in range(200):
        c = Clause(SHE, verb("go", "go"), "present")
        assert gen.complement(rng, c, False) and c.place[2].noun.is_place
    c = clause(SHE, verb("sleep", "intr"), place=(["near"], ["près", "de"], np("lake")))
    assert say(c) == ("she sleeps near the lake .", "elle dort près du lac .")


@pytest.mark.parametrize("tense, slot, adv, en, fr", [
    ("present", "freq", "often", "she often washes the car .", "elle lave souvent la voiture ."),
    ("past", "freq", "often", "she often washed the car .", "elle a souvent lavé la voiture ."),
    ("present", "freq", "always", "she always washes the car .", "elle lave toujours la voiture ."),
    ("present", "manner", "slowly", "she washes the car slowly .", "elle lave lentement la voiture ."),
    ("past", "manner", "slowly", "she washed the car slowly .", "elle a lavé lentement la voiture ."),
    ("past", "manner", "well", "she washed the car well .", "elle a bien lavé la voiture ."),
    ("future", "manner", "well", "she is going to wash the car well .", "elle va bien laver la voiture ."),
])
def test_frequency_and_manner_adverbs(tense, slot, adv, en, fr):
    c = clause(SHE, verb("wash"), tense, np("car"), **{slot: ADV[adv]})
    assert say(c) == (en, fr)


def test_time_adverbs_at_either_end_of_the_sentence():
    c = clause(SHE, verb("eat"), "past", np("apple", "a"))
    assert say(c, time=ADV["yesterday"]) == ("she ate an apple yesterday .",
                                             "elle a mangé une pomme hier .")
    c = clause(SHE, verb("eat"), "future", np("apple", "a"))
    assert say(c, time=ADV["tomorrow"], time_front=True) == (
        "tomorrow she is going to eat an apple .", "demain elle va manger une pomme .")
    c = clause(SHE, verb("eat"), "present", np("apple", "a"))
    assert say(c, time=ADV["today"], time_front=True)[1] == "aujourd'hui elle mange une pomme ."


# ------------------------------------------------------------------ object pronouns
def test_direct_object_pronoun_before_the_verb_infinitive_or_auxiliary():
    car = np("car", "a")
    first = clause(SHE, verb("buy"), "present", car)
    assert say(first, clause(SHE, verb("wash"), "present", Ref(car))) == (
        "she buys a car and she washes it .", "elle achète une voiture et elle la lave .")
    first.tense = "future"
    assert say(first, clause(SHE, verb("wash"), "future", Ref(car)))[1] == \
        "elle va acheter une voiture et elle va la laver ."
    first.tense = "past"
    assert say(first, clause(SHE, verb("wash"), "past", Ref(car)))[1] == \
        "elle a acheté une voiture et elle l' a lavée ."   # agreement with the preceding la
    assert say(first, clause(SHE, verb("wash"), "past", Ref(car), neg="pas"), conjs=("but",)) == (
        "she bought a car but she did not wash it .",
        "elle a acheté une voiture mais elle ne l' a pas lavée .")


@pytest.mark.parametrize("tense, neg, fr", [
    ("present", "pas", "elle ne la voit pas"),
    ("past", "pas", "elle ne l' a pas vue"),
    ("past", "jamais", "elle ne l' a jamais vue"),
    ("future", "pas", "elle ne va pas la voir"),
    ("past", None, "elle l' a vue"),
])
def test_pronoun_inside_the_negation(tense, neg, fr):
    girl = np("girl")
    s = say(clause(HE, verb("see"), "present", girl), clause(SHE, verb("see"), tense, Ref(girl), neg=neg))
    assert s[1] == "il voit la fille et " + fr + " ."


def test_plural_pronoun_les_and_participle_agreement():
    dogs = np("dog", "the", True)
    s = say(clause(SHE, verb("see"), "past", dogs), clause(SHE, verb("wash"), "past", Ref(dogs)))
    assert s == ("she saw the dogs and she washed them .",
                 "elle a vu les chiens et elle les a lavés .")
    both = np("cat")
    both.conj = np("mouse")
    s = say(clause(SHE, verb("see"), "past", both), clause(SHE, verb("wash"), "past", Ref(both)))
    assert s[1] == "elle a vu le chat et la souris et elle les a lavés ."   # masculine if mixed


def test_english_preposition_verbs_take_a_direct_pronoun_in_french():
    cat = np("cat")
    s = say(clause(SHE, verb("see"), "present", cat), clause(SHE, verb("look"), "present", Ref(cat)))
    assert s == ("she sees the cat and she looks at it .", "elle voit le chat et elle le regarde .")
    assert say(clause(SHE, verb("look"), "present", np("cat"))) == (
        "she looks at the cat .", "elle regarde le chat .")


def test_indirect_pronoun_lui_leur_and_dropped_subject():
    boy = np("boy")
    second = clause(SHE, verb("talk", "talk"), "present", rec=Ref(boy), drop=True)
    assert say(clause(SHE, verb("see"), "present", boy), second) == (
        "she sees the boy and talks to him .", "elle voit le garçon et lui parle .")
    girls = np("girl", "the", True)
    second = clause(SHE, verb("talk", "talk"), "past", rec=Ref(girls))
    assert say(clause(SHE, verb("see"), "past", girls), second)[1] == \
        "elle a vu les filles et elle leur a parlé ."   # no agreement with an indirect object


def test_double_pronouns_le_lui():
    book, girl = np("book"), np("girl")
    first = clause(SHE, verb("buy"), "present", book, pps=((P["for"], girl),))
    second = clause(SHE, verb("give", "give"), "present", Ref(book), Ref(girl))
    assert say(first, second) == ("she buys the book for the girl and she gives it to her .",
                                  "elle achète le livre pour la fille et elle le lui donne .")
    letter = np("letter")
    first = clause(SHE, verb("find"), "past", letter, pps=((P["for"], girl),))
    second = clause(SHE, verb("give", "give"), "past", Ref(letter), Ref(girl))
    assert say(first, second)[1].endswith("et elle la lui a donnée .")
    second = clause(SHE, verb("give", "give"), "future", Ref(letter), Ref(girl), neg="pas")
    assert say(first, second)[1].endswith("et elle ne va pas la lui donner .")


def test_they_is_elles_only_for_a_feminine_plural_antecedent():
    girls = np("girl", "the", True)
    s = say(clause(girls, verb("buy"), "present", np("car", "a")),
            clause(Ref(girls), verb("see"), "present", np("cat")))
    assert s == ("the girls buy a car and they see the cat .",
                 "les filles achètent une voiture et elles voient le chat .")
    assert say(clause(THEY, verb("see"), "present", np("cat")))[1] == "ils voient le chat ."
    mixed = np("girl")
    mixed.conj = np("boy")
    assert say(clause(mixed, verb("sleep", "intr")),
               clause(Ref(mixed), verb("see"), "present", np("cat")))[1] == \
        "la fille et le garçon dorment et ils voient le chat ."


# ------------------------------------------------------------------ relative clauses
def test_object_relative_que_with_participle_agreement():
    car = np("car")
    car.rel = clause(SHE, verb("buy"), "past", car, rel="obj")
    s = say(clause(HE, verb("wash"), "present", car))
    assert s == ("he washes the car that she bought .", "il lave la voiture qu' elle a achetée .")
    apples = np("apple", "the", True)
    apples.rel = clause(np("man"), verb("buy"), "past", apples, rel="obj")
    assert fr_np(apples) == "les pommes que l' homme a achetées"
    book = np("book")
    book.rel = clause(SHE, verb("read"), "present", book, rel="obj")
    assert fr_np(book) == "le livre qu' elle lit"


def test_subject_relative_qui():
    cat = np("cat")
    cat.rel = clause(cat, verb("sleep", "intr"), rel="subj")
    assert say(clause(SHE, verb("see"), "present", cat)) == (
        "she sees the cat that sleeps .", "elle voit le chat qui dort .")
    girl = np("girl")
    girl.rel = clause(girl, verb("leave", "leave"), "past", rel="subj", place=([], ["de"], np("house")))
    assert say(clause(girl, verb("sleep", "intr"))) == (
        "the girl who left the house sleeps .", "la fille qui est partie de la maison dort .")
    cat = np("cat")
    cat.rel = clause(cat, verb("look"), "present", np("dog"), rel="subj")
    assert " ".join(np_en(cat)) == "the cat that looks at the dog"


def test_relative_clauses_make_sense_for_their_head(gen):
    rng = random.Random(1)
    kinds = set()
    for head in ("car", "cat", "girl", "apple", "book"):
        for _ in range(100):
            rel = gen.relative(rng, np(head))
            if rel is None:
                continue
            kinds.add(rel.rel)
            if rel.rel == "subj":
                assert N[head].cls != "vehicle" and N[head].cls != "food"
                if N[head].cls == "animal":
                    assert rel.verb.subjects == "pa"
            else:
                assert N[head].cls in rel.verb.objects or head in rel.verb.objects
    assert kinds == {"subj", "obj"}


# ------------------------------------------------------------------ coordination
def test_coordinated_subjects_agree_in_the_plural():
    both = np("cat")
    both.conj = np("dog")
    assert say(clause(both, verb("sleep", "intr"))) == ("the cat and the dog sleep .",
                                                         "le chat et le chien dorment .")
    women = np("girl")
    women.conj = np("woman")
    assert say(clause(women, None, adj=A["happy"])) == ("the girl and the woman are happy .",
                                                        "la fille et la femme sont heureuses .")
    mixed = np("girl")
    mixed.conj = np("man")
    assert say(clause(mixed, None, adj=A["happy"]))[1].endswith("sont heureux .")
    both = np("girl")
    both.conj = np("woman")
    assert say(clause(both, verb("leave", "leave"), "past", place=([], ["de"], np("house"))))[1] == \
        "la fille et la femme sont parties de la maison ."


# ------------------------------------------------------------------ questions
def test_questions():
    assert say(clause(SHE, verb("eat"), "present", q="what")) == (
        "what does she eat ?", "qu' est-ce qu' elle mange ?")
    assert say(clause(SHE, verb("eat"), "past", q="what"))[1] == "qu' est-ce qu' elle a mangé ?"
    assert say(clause(SHE, verb("look"), "present", q="what"))[0] == "what does she look at ?"
    assert say(clause(WHO, verb("see"), "present", np("cat"), q="who")) == (
        "who sees the cat ?", "qui voit le chat ?")
    assert say(clause(WHO, verb("see"), "past", np("cat"), q="who"))[1] == "qui a vu le chat ?"
    assert say(clause(SHE, verb("go", "go"), "present", q="where")) == (
        "where does she go ?", "où est-ce qu' elle va ?")
    assert say(clause(SHE, verb("go", "go"), "past", q="where"))[1] == "où est-ce qu' elle est allée ?"
    assert say(clause(np("cat"), verb("eat"), "future", np("bread", "some"), q="yn")) == (
        "is the cat going to eat bread ?", "est-ce que le chat va manger du pain ?")
    assert say(clause(I, verb("see"), "past", np("owl"), q="yn")) == (
        "did i see the owl ?", "est-ce que j' ai vu le hibou ?")


def test_prepositional_phrases():
    c = clause(SHE, verb("eat"), "present", np("apple", "a"),
               pps=((P["with"], np("boy", "poss", poss=("her", "son", "sa", "ses"))),))
    assert say(c) == ("she eats an apple with her boy .", "elle mange une pomme avec son garçon .")
    c = clause(SHE, verb("sleep", "intr"), pps=((P["near"], np("school")),))
    assert say(c)[1] == "elle dort près de l' école ."
    c = clause(SHE, verb("sleep", "intr"), pps=((P["without"], np("dog", "poss", poss=("my", "mon", "ma", "mes"))),))
    assert say(c)[1] == "elle dort sans mon chien ."


# ------------------------------------------------------------------ generated data: French rules
def test_generated_elision_is_always_and_only_before_a_vowel(bigrams):
    for a, b in bigrams:
        if a in ("le", "la", "je", "ne", "de", "que", "ma", "ta", "sa"):
            assert not starts_with_vowel(b), (a, b)
        if a in ("l'", "j'", "n'", "d'", "qu'"):
            assert starts_with_vowel(b), (a, b)
    assert {"l'", "j'", "n'", "d'", "qu'"} <= {a for a, _ in bigrams}
    before_vowel = {a.m_vowel for a in ADJECTIVES if a.m_vowel != a.m}   # bel, vieil, nouvel
    seen = 0
    for a, b in bigrams:
        if a in before_vowel:
            assert starts_with_vowel(b), (a, b)
            seen += 1
        if a in ("mon", "ton", "son") and b in FEMININE and b not in ADJ_FORMS:
            assert starts_with_vowel(b), (a, b)                         # mon école, ma maison
        if b in H_ASPIRE_WORDS:
            assert a not in ("l'", "d'", "qu'", "bel", "vieil", "nouvel"), (a, b)
    assert seen > 20


def test_generated_contractions(bigrams):
    for pair in [("à", "le"), ("à", "les"), ("de", "le"), ("de", "les")]:
        assert pair not in bigrams
    assert {"au", "aux", "du", "des"} <= {a for a, _ in bigrams}


NEGATIONS = {"pas", "jamais", "plus"}
MULTI_ADVERBS = sorted({tuple(a.fr.split()) for a in ADVERBS if " " in a.fr}, key=len, reverse=True)


def without_adverbs(fr):
    """French tokens with multi-word adverbs (plus tard, une fois par semaine) taken out."""
    out, i = [], 0
    while i < len(fr):
        hit = next((m for m in MULTI_ADVERBS if tuple(fr[i:i + len(m)]) == m), None)
        if hit:
            i += len(hit)
        else:
            out.append(fr[i])
            i += 1
    return tuple(out)


@pytest.fixture(scope="module")
def bare_bigrams(sample):
    out = set()
    for s in sample:
        fr = without_adverbs(s.fr)
        out.update(zip(fr, fr[1:]))
    return out
CLAUSE_START = {"et", "mais", "qui", "que", "qu'", "."}


def test_generated_ne_always_has_its_pas_jamais_or_plus_in_the_same_clause(sample):
    count = 0
    for s in sample:
        fr = without_adverbs(s.fr)
        for i, tok in enumerate(fr):
            if tok in ("ne", "n'"):
                count += 1
                rest = fr[i + 1:i + 6]
                j = next(k for k, t in enumerate(rest) if t in NEGATIONS)  # StopIteration fails
                assert not CLAUSE_START & set(rest[:j]), fr
        assert sum(t in NEGATIONS for t in fr) == sum(t in ("ne", "n'") for t in fr), fr
        en = s.en
        assert en.count("not") == fr.count("pas") and en.count("never") == fr.count("jamais")
        assert en.count("longer") == fr.count("plus")
    assert count > 2000


def test_generated_negation_has_no_indefinite_article(bare_bigrams):
    for neg in NEGATIONS:
        for article in ("un", "une", "des"):
            assert (neg, article) not in bare_bigrams, (neg, article)
    assert ("pas", "de") in bare_bigrams and ("jamais", "de") in bare_bigrams


PRESENT = {f for v in VERBS for f in v.present}
INFINITIVES = {v.fr for v in VERBS}
VERB_FORMS = PRESENT | INFINITIVES | set(AVOIR) | set(ETRE)
NOUN_FORMS = {n.fr for n in NOUNS} | {n.fr_pl for n in NOUNS}  # leur téléphone: a possessive


def test_generated_indirect_pronouns_stand_before_a_verb(sample):
    seen = 0
    for s in sample:
        fr = s.fr
        for i, tok in enumerate(fr):
            if tok == "lui" or (tok == "leur" and fr[i + 1] in VERB_FORMS - NOUN_FORMS):
                seen += 1
                assert fr[i + 1] in VERB_FORMS, fr            # elle lui parle, elle lui a parlé
                if fr[i - 1] in NEGATIONS:                    # ne va pas lui parler
                    assert fr[i + 1] in INFINITIVES, fr
    assert seen > 200


def test_generated_direct_pronoun_is_never_after_its_verb(sample):
    """In English "... it ." the pronoun follows the verb; in French le/la/les/l' stand before it."""
    seen = 0
    for s in sample:
        en = s.en
        if "them" not in en and not any(w == "it" and en[i - 1] not in ("and", "but")
                                        for i, w in enumerate(en)):
            continue  # no object pronoun (a subject "it" follows and / but)
        assert "clitic_direct" in s.features or "clitic_double" in s.features \
            or "clitic_indirect" in s.features, s
        fr = s.fr
        for i, tok in enumerate(fr[:-1]):
            if tok in ("le", "la", "les", "l'") and fr[i + 1] in VERB_FORMS | {"lui", "leur"}:
                seen += 1
        # no pronoun directly after a conjugated verb and before the end of the sentence
        for a, b, c in zip(fr, fr[1:], fr[2:]):
            if a in PRESENT and b in ("le", "la", "les") and c in (".", "et", "mais"):
                pytest.fail(f"pronoun after its verb: {fr}")
    assert seen > 500


PAST_EN = {v.en_past for v in VERBS}
AVOIR_PARTICIPLES = {v.participle: v for v in VERBS if v.aux == "avoir"}


def _participle_after(fr, i):
    """The participle after the auxiliary at fr[i], skipping a negation or an adverb."""
    for tok in fr[i + 1:i + 4]:
        for p in (tok, tok[:-1], tok[:-2]):
            if p in AVOIR_PARTICIPLES and tok in (p, p + "e", p + "s", p + "es"):
                return AVOIR_PARTICIPLES[p], tok
    return None, None


def test_generated_participle_agrees_with_a_preceding_les_or_la(sample):
    checked = 0
    for s in sample:
        fr = s.fr
        for i, tok in enumerate(fr[:-2]):
            if tok in ("les", "la") and fr[i + 1] in ("lui", "leur", *AVOIR):
                j = i + 1 if fr[i + 1] in AVOIR else i + 2
                if fr[j] not in AVOIR:
                    continue
                v, form = _participle_after(fr, j)
                assert v is not None, fr
                p = v.participle
                expect = {p + "e"} if tok == "la" else {p + "s", p + "es"} if not p.endswith("s") \
                    else {p, p + "es"}
                assert form in expect, fr
                checked += 1
    assert checked > 50


MASCULINE = {w for n in NOUNS if n.gender == "m" for w in (n.fr, n.fr_pl)}
FEMININE = {n.fr for n in NOUNS if n.gender == "f"} - MASCULINE
FEM_PLURAL = {n.fr_pl for n in NOUNS if n.gender == "f"} - MASCULINE


ADJ_FORMS = {f for a in ADJECTIVES for f in (a.m, a.f, a.m_pl, a.f_pl)}
NOUN_TAILS = {w for n in NOUNS for w in n.fr.split()[1:] + n.fr_pl.split()[1:]}  # appareil photo


def test_generated_participle_agrees_with_the_relative_que(sample):
    """la voiture qu'elle a achetée: the participle after que + subject + avoir agrees with the head."""
    checked = 0
    for s in sample:
        fr = s.fr
        for i, tok in enumerate(fr):
            if tok not in ("que", "qu'") or fr[i - 1] == "est-ce" or fr[i + 1] == "est-ce":
                continue
            head = fr[i - 1]  # a noun that is only feminine and no adjective form
            if head not in FEMININE | FEM_PLURAL or head in ADJ_FORMS or head in NOUN_TAILS:
                continue
            for j in range(i + 1, min(i + 6, len(fr))):
                if fr[j] in ("qui", "que", "qu'", "et", "mais") or \
                        (fr[j] in VERB_FORMS and fr[j] not in AVOIR):  # present, infinitive
                    break
                if fr[j] in AVOIR:
                    v, form = _participle_after(fr, j)
                    if v is not None:
                        p = v.participle
                        ok = ({p + "e"} if head in FEMININE else set()) | (
                            {p + "es"} if head in FEM_PLURAL else set())
                        assert form in ok, fr
                        checked += 1
                    break
    assert checked > 50


def test_generated_time_adverbs_match_the_tense(sample):
    kinds = {a.en: a.kind for a in ADVERBS if " " not in a.en}
    tense = {"past": "passe_compose", "future": "near_future", "present": "present"}
    seen = set()
    for s in sample:
        for tok in s.en:
            if tok in kinds and kinds[tok] in tense:
                assert tense[kinds[tok]] in s.features, s.en
                seen.add(kinds[tok])
    assert seen == {"past", "future", "present"}


def test_generated_elles_refers_to_a_feminine_plural(sample):
    seen = 0
    for s in sample:
        if "elles" in s.fr:
            seen += 1
            before = s.fr[:s.fr.index("elles")]
            assert FEM_PLURAL & set(before) or sum(t in FEMININE for t in before) >= 2, s.fr
    assert seen > 10


def test_generated_questions(sample):
    kinds = set()
    for s in sample:
        assert s.en[-1] in ".?" and s.fr[-1] == s.en[-1], s
        if s.en[-1] == "?":
            assert s.en[0] in ("do", "does", "did", "is", "are", "am", "what", "who", "where"), s.en
            assert s.fr[0] in ("est-ce", "qu'", "qui", "où"), s.fr
            if s.fr[0] == "qu'":
                assert s.fr[1] == "est-ce" and s.fr[2] in ("que", "qu'")
            kinds.add(s.fr[0])
        else:
            assert "?" not in s.en and "est-ce" not in s.fr
    assert kinds == {"est-ce", "qu'", "qui", "où"}


def test_generated_adjectives_after_a_noun_agree_with_it(sample):
    forms = {}
    for n in NOUNS:
        forms.setdefault(n.fr, set()).add((n.gender, False))
        if n.countable:
            forms.setdefault(n.fr_pl, set()).add((n.gender, True))
    for n in NOUNS:  # appareil photo: an adjective after "photo" agrees with "appareil"
        for w in n.fr.split()[1:] + n.fr_pl.split()[1:]:
            forms.pop(w, None)
    adj_forms = {}
    for a in ADJECTIVES:
        for f in (a.m, a.f, a.m_pl, a.f_pl):
            adj_forms.setdefault(f, []).append(a)
    checked = 0
    for s in sample:
        for noun, nxt in zip(s.fr, s.fr[1:]):
            if noun in forms and len(forms[noun]) == 1 and nxt in adj_forms and nxt not in forms \
                    and nxt not in VERB_FORMS:
                g, pl = next(iter(forms[noun]))
                assert any(agree(a, g, pl) == nxt for a in adj_forms[nxt]), s.fr
                checked += 1
    assert checked > 1000


def test_generated_tokens_are_tokenized_like_the_corpus(sample):
    for s in sample[:5000]:
        assert tokenize(" ".join(s.fr)) == list(s.fr), s.fr
        assert tokenize(" ".join(s.en)) == list(s.en), s.en


# ------------------------------------------------------------------ generated data: the generator
def test_every_construction_occurs_and_only_known_names(sample):
    counts = {f: 0 for f in CONSTRUCTIONS}
    for s in sample:
        for f in s.features:
            counts[f] += 1      # KeyError for an unknown name
    assert not [f for f, k in counts.items() if k < 20], counts


def test_lengths_follow_the_target(sample):
    for s, t in zip(sample, TARGETS):
        assert 3 <= len(s.en) <= max(t + SLACK, 12), (t, s.en)
    by_target = {}
    for s, t in zip(sample, TARGETS):
        by_target.setdefault(t, []).append(len(s.en))
    assert min(by_target[3]) == 3
    assert max(by_target[45]) >= 45 and sum(n >= 40 for n in by_target[45]) > 0.8 * len(by_target[45])
    for t, lens in by_target.items():
        assert sum(n >= t for n in lens) >= 0.8 * len(lens), t


def test_lemmas_and_combos_are_keys_of_the_lexicon(sample):
    keys = set(lemma_weights())
    for s in sample[:3000]:
        assert s.lemmas <= keys, s.lemmas - keys
        for kind, a, b in s.combos:
            if kind == "noun_adj":
                assert {"n:" + a, "a:" + b} <= s.lemmas
            else:
                assert "n:" + b in s.lemmas and any(x.startswith(f"v:{a}:") for x in s.lemmas)


def test_weights_follow_zipf():
    w = lemma_weights()
    assert w["n:man"] == pytest.approx(10 ** N["man"].zipf)
    assert lemma_weights(0.5)["n:man"] == pytest.approx(10 ** (0.5 * N["man"].zipf))


def test_weight_zero_removes_a_lemma_entirely():
    gone = {"n:cat": 0, "n:car": 0, "v:see:tr": 0, "a:red": 0, "adv:often": 0, "p:with": 0}
    g = Generator(gone)
    rng = random.Random(3)
    words = {"cat", "cats", "car", "cars", "see", "sees", "saw", "red", "often", "with"}
    for t in TARGETS[:6000]:
        s = g.sentence(rng, t)
        assert not s.lemmas & set(gone), s
        assert not words & set(s.en), s.en


def test_same_seed_same_sentences(gen):
    a = [gen.sentence(random.Random(5), t) for t in (3, 14, 45)]
    b = [Generator().sentence(random.Random(5), t) for t in (3, 14, 45)]
    assert a == b
    rng1, rng2 = random.Random(11), random.Random(11)
    assert [gen.sentence(rng1, 20) for _ in range(200)] == [gen.sentence(rng2, 20) for _ in range(200)]


def test_same_seed_same_sentences_whatever_the_hash_seed():
    code = ("import random; from embcourse.world.grammar import Generator; g = Generator(); "
            "r = random.Random(2); print([g.sentence(r, 3 + i % 40)[:2] for i in range(1500)])")
    outs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                text=True, check=True, cwd=os.path.dirname(os.path.dirname(__file__))).stdout)
    assert len(outs) == 1 and len(next(iter(outs))) > 10_000


def test_sample_is_varied(sample):
    assert len({s.en for s in sample}) > 0.95 * len(sample)
    assert len({s.fr for s in sample}) > 0.95 * len(sample)


@pytest.mark.parametrize("word, article", [
    ("apple", "an"), ("old", "an"), ("cat", "a"), ("university", "a"), ("hour", "an"),
    ("one", "a"), ("european", "a"), ("umbrella", "an"),
])
def test_a_or_an(word, article):
    assert indefinite_en(word) == article


def test_generated_who_follows_a_person_and_what_asks_for_a_thing(sample):
    people = {w for n in NOUNS if n.cls in PEOPLE for w in (n.en, n.en_pl)}
    whos = 0
    for s in sample:
        for i, w in enumerate(s.en[1:], 1):
            if w == "who":
                whos += 1
                assert s.en[i - 1] in people, s.en
        if s.en[0] == "what":
            verbs = [v for v in VERBS if f"v:{v.en}:{v.frame}" in s.lemmas and v.frame == "tr"]
            assert any(c not in PEOPLE for v in verbs for c in v.objects), s.en
    assert whos > 500


def test_the_length_counted_while_growing_is_the_final_length(gen):
    rng = random.Random(9)
    for t in TARGETS[:3000]:
        st = _State(gen, rng, max(t + SLACK, 12))
        while not st.start(t):
            st = _State(gen, rng, max(t + SLACK, 12))
        st.grow(t)
        s = st.finish()
        assert st.n == len(s.en), s.en


# ------------------------------------------------------------------ idiom traps and attachment
def grown(gen, n, seed=13):
    """``n`` grown sentences as (state, sentence): their trees can be inspected."""
    rng = random.Random(seed)
    for i in range(n):
        t = TARGETS[i]
        st = _State(gen, rng, max(t + SLACK, 12))
        while not st.start(t):
            st = _State(gen, rng, max(t + SLACK, 12))
        st.grow(t)
        yield st, st.finish()


def all_clauses(clauses):
    """Every clause of a sentence, relative clauses included."""
    todo = list(clauses)
    while todo:
        c = todo.pop()
        yield c
        nps = [x for x in (c.subj, c.obj, c.rec) if x.__class__ is NP]
        nps += [x for _, x in c.pps] + ([c.place[2]] if c.place is not None else [])
        while nps:
            x = nps.pop()
            if x.rel is not None and x.rel is not c:
                todo.append(x.rel)
            if x.conj is not None:
                nps.append(x.conj)


def test_no_bien_or_mal_in_a_negated_clause():
    """*tu ne lis pas mal* is "you read quite well": well / badly never follow a negation."""
    c = clause(SHE, verb("wash"), "present", np("car"), manner=ADV["well"])
    assert say(c) == ("she washes the car well .", "elle lave bien la voiture .")
    only = {"adv:" + a.en: 0 for a in ADVERBS if a.kind == "manner" and a.en not in ("well", "badly")}
    g = Generator(only)
    rng = random.Random(3)
    for neg, expect_some in ((None, True), ("pas", False)):
        added = 0
        for _ in range(200):
            st = _State(g, rng, 40)
            st.n = 5
            st.clauses = [clause(SHE, verb("wash"), "present", np("car"), neg=neg)]
            added += st.add_manner()
        assert (added > 0) == expect_some, neg


def test_generated_negated_clauses_have_no_bien_or_mal(sample):
    """Clause by clause (split at et / mais, and / but): no negation with bien, mal, well, badly."""
    checked = 0
    for s in sample:
        fr = " ".join(without_adverbs(s.fr)).replace(" mais ", " et ")
        for part in fr.split(" et "):
            toks = part.split()
            if "ne" in toks or "n'" in toks:
                checked += 1
                assert "bien" not in toks and "mal" not in toks, s.fr
        for part in " ".join(s.en).replace(" but ", " and ").split(" and "):
            toks = part.split()
            if "not" in toks:
                assert "well" not in toks and "badly" not in toks, s.en
    assert checked > 1000


THINK = verb("sleep", "intr")._replace(en="think", en_3sg="thinks", en_past="thought",
                                       fr="réfléchir", participle="réfléchi",
                                       present=("réfléchis", "réfléchis", "réfléchit",
                                                "réfléchissons", "réfléchissez", "réfléchissent"))


def test_think_takes_no_place_in_a_or_sur(gen):
    """*il réfléchit à la gare* is "he thinks about the station": réfléchir keeps dans, près de ..."""
    c = clause(SHE, THINK, place=place_words(THINK, N["house"]) + (np("house"),))
    assert say(c) == ("she thinks in the house .", "elle réfléchit dans la maison .")
    assert about_trap(THINK, ["à"]) and about_trap(THINK, ["sur"])
    assert not about_trap(THINK, ["dans"]) and not about_trap(THINK, ["près", "de"])
    assert not about_trap(verb("sleep", "intr"), ["à"])  # elle dort à l'école: a place
    rng = random.Random(5)
    for _ in range(300):
        c = clause(SHE, THINK)
        assert gen.complement(rng, c, False)
        assert c.place is None or c.place[1] not in (["à"], ["sur"]), c.place


def test_generated_thinking_verbs_have_no_a_or_sur_place(gen):
    thinking = 0
    for st, _ in grown(gen, 6000):
        for c in all_clauses(st.clauses):
            if c.verb is not None and c.verb.fr in ("réfléchir", "rêver", "rêvasser"):
                thinking += 1
                assert c.place is None or c.place[1] not in (["à"], ["sur"]), c.place[1]
                assert all(p.fr != "sur" for p, _ in c.pps)
    assert thinking > 50


def test_time_adverb_is_not_left_after_a_relative_clause(gen):
    """*... la maison que le chat voit demain* reads "the cat sees tomorrow": the adverb goes first."""
    house = np("house")
    rel = clause(np("cat"), verb("see"), "present", obj=house, rel="obj")
    house.rel = rel
    st = _State(gen, random.Random(0), 40)
    st.clauses, st.q = [clause(SHE, verb("see"), "future", house)], None
    st.time, st.time_front = ADV["tomorrow"], False
    s = st.finish()
    assert " ".join(s.en) == "tomorrow she is going to see the house that the cat sees ."
    assert " ".join(s.fr) == "demain elle va voir la maison que le chat voit ."
    st.clauses = [clause(SHE, verb("see"), "future", np("house"))]
    assert " ".join(st.finish().fr) == "elle va voir la maison demain ."
