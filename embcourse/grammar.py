"""A small English-French grammar over the lexicon (the corpus of chapters 3 to 7).

One call to :func:`sentence` draws a random English sentence and builds its
French translation at the same time, so the translation is deterministic given
the English. French rules implemented: gender and number agreement of
determiners, adjectives and être participles; adjective position; elision
(l', j', n', d', qu') except before an aspirated h; contractions au, aux, du,
des; possessives (mon before a vowel); des -> de before a plural adjective;
partitives (du pain, de l'eau) and de after a negation; present, near future
(aller + infinitive) and passé composé with avoir or être; est-ce que questions.
English "you" is always "tu"; I, you, we and they are taken as masculine.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from embcourse.lexicon import (ADJECTIVES, ALLER, AVOIR, ETRE, H_ASPIRE, NOUNS, NUMBERS,
                               PERSON_CLASSES, PLACES, POSSESSIVES, PRONOUN_GENDER,
                               PRONOUNS, VERBS, Adjective, Noun, Place, Verb)

VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüœæh")
ELISION = {"le": "l'", "la": "l'", "je": "j'", "ne": "n'", "de": "d'", "que": "qu'",
           "me": "m'", "te": "t'", "se": "s'"}
CONTRACTION = {("à", "le"): "au", ("à", "les"): "aux", ("de", "le"): "du", ("de", "les"): "des"}
POSSESSIVE_BEFORE_VOWEL = {"ma": "mon", "ta": "ton", "sa": "son"}
TENSES = ("present", "future", "past")
LIKING = frozenset({"like", "hate"})


class Sentence(NamedTuple):
    """A generated pair with what it is made of (for held-out splits)."""

    en: list[str]
    fr: list[str]
    tense: str
    combos: tuple[tuple[str, str, str], ...]  # ("noun_adj", noun, adj), ("verb_obj", verb, noun)


class Phrase(NamedTuple):
    """A noun phrase in both languages with what the verb must agree with."""

    en: list[str]
    fr: list[str]
    person: int  # 0..5: je, tu, il/elle, nous, vous, ils/elles
    gender: str
    plural: bool
    combos: tuple


def starts_with_vowel(word: str) -> bool:
    """True when a French word elides what precedes it (vowel or mute h)."""
    return word[0] in VOWELS and word not in H_ASPIRE


def elide_and_contract(tokens: list[str]) -> list[str]:
    """Apply French elision (le -> l'), contractions (à le -> au) and mon before a vowel."""
    out: list[str] = []
    n = len(tokens)
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < n else ""
        if nxt and starts_with_vowel(nxt):
            tok = ELISION.get(tok, tok)
            tok = POSSESSIVE_BEFORE_VOWEL.get(tok, tok)
        if out and (out[-1], tok) in CONTRACTION:
            out[-1] = CONTRACTION[(out[-1], tok)]
            continue
        out.append(tok)
    return out


def agree(adj: Adjective, gender: str, plural: bool, next_word: str = "") -> str:
    """The French form of an adjective agreeing with a noun (bel before a vowel)."""
    if plural:
        return adj.f_pl if gender == "f" else adj.m_pl
    if gender == "f":
        return adj.f
    return adj.m_vowel if next_word and starts_with_vowel(next_word) else adj.m


def participle(verb: Verb, gender: str, plural: bool) -> str:
    """The past participle, agreeing with the subject when the auxiliary is être."""
    p = verb.participle
    if verb.aux != "être":
        return p
    if gender == "f":
        p += "e"
    if plural and not p.endswith("s"):
        p += "s"
    return p


def _article_an(en: list[str]) -> list[str]:
    if en[0] == "a" and en[1][0] in "aeiou":
        return ["an"] + en[1:]
    return en


def noun_phrase(rng: random.Random, noun: Noun, plural: bool, det: str,
                adjs: tuple[Adjective, ...] = ()) -> Phrase:
    """Build one noun phrase; det is the/a/bare/num/poss/mass/neg/generic."""
    fr_noun = noun.fr_pl if plural else noun.fr
    pre = [a for a in adjs if a.pre]
    post = [agree(a, noun.gender, plural) for a in adjs if not a.pre]
    fr_pre = [agree(a, noun.gender, plural, fr_noun) for a in pre]
    en_head = [a.en for a in pre] + [a.en for a in adjs if not a.pre] + [noun.en_pl if plural else noun.en]
    fr_head = fr_pre + [fr_noun] + post
    en_det, fr_det = _determiner(rng, noun, plural, det, bool(pre))
    en = _article_an(en_det + en_head) if en_det else en_head
    combos = tuple(("noun_adj", noun.en, a.en) for a in adjs)
    return Phrase(en, fr_det + fr_head, 5 if plural else 2, noun.gender, plural, combos)


def _determiner(rng: random.Random, noun: Noun, plural: bool, det: str,
                pre_adj: bool) -> tuple[list[str], list[str]]:
    g = noun.gender
    if det == "the" or det == "generic":
        fr = "les" if plural else ("la" if g == "f" else "le")
        return (["the"] if det == "the" else []), [fr]
    if det == "a":
        return ["a"], ["une" if g == "f" else "un"]
    if det == "bare":
        return [], ["de" if pre_adj else "des"]
    if det == "mass":
        return [], ["de", "la" if g == "f" else "le"]
    if det == "neg":
        return ([] if plural or noun.en_pl == "-" else ["a"]), ["de"]
    if det == "num":
        en, fr = NUMBERS[rng.randrange(len(NUMBERS))]
        return [en], [fr]
    if det in POSSESSIVES:
        m, f, pl = POSSESSIVES[det]
        return [det], [pl if plural else (f if g == "f" else m)]
    raise ValueError(f"det must be the/a/bare/mass/neg/num/generic or a possessive, got {det!r}")


# ---------------------------------------------------------------- word lists
def _by_class(classes: tuple[str, ...]) -> list[Noun]:
    return [n for n in NOUNS if n.cls in classes or n.en in classes]


PEOPLE = _by_class(PERSON_CLASSES)
ANIMATE = _by_class(PERSON_CLASSES + ("animal",))
COUNTABLE = [n for n in NOUNS if n.en_pl != "-"]
NATURE = [p for p in PLACES if p.kind == "nature"]
INDOOR = [p for p in PLACES if p.kind in ("building", "room")]
TO_A = [p for p in PLACES if p.to_fr == "à" and p.at_en != "near"]
WATER = [p for p in PLACES if p.en in ("river", "lake", "sea")]
SWIM_PLACES = WATER + [p for p in PLACES if p.en in ("beach", "island")]
OBJECTS = {v.en: _by_class(v.objects) for v in VERBS if v.objects and v.en != "visit"}
ATTRIBUTIVE = {n.en: [a for a in ADJECTIVES if n.cls in a.goes_with and a.attributive]
               for n in NOUNS}
PREDICATIVE = {n.en: [a for a in ADJECTIVES if n.cls in a.goes_with] for n in NOUNS}
BY_FRAME = {f: [v for v in VERBS if v.frame == f] for f in
            ("tr", "give", "intr", "go", "come", "arrive", "leave", "enter", "fall", "stay")}
FRAME_WEIGHTS = (("tr", 40), ("give", 8), ("intr", 12), ("go", 6), ("come", 3), ("arrive", 4),
                 ("leave", 3), ("enter", 3), ("fall", 2), ("stay", 4), ("copula", 15))
OWNED_PLACES = frozenset({"house", "kitchen", "garden", "farm", "office", "shop", "school"})
_FRAMES = [f for f, w in FRAME_WEIGHTS for _ in range(w)]


def _pick(rng: random.Random, seq: list):
    return seq[rng.randrange(len(seq))]


def _adjectives(rng: random.Random, noun: Noun, p_adj: float = 0.35) -> tuple[Adjective, ...]:
    adjs = ATTRIBUTIVE[noun.en]
    r = rng.random()
    if not adjs or r >= p_adj:
        return ()
    first = _pick(rng, adjs)
    if r < 0.05:  # one before and one after the noun: un petit chat noir
        other = [a for a in adjs if a.cls == "colour"] if first.pre else []
        if other:
            second = _pick(rng, other)
            return (first, second)
    return (first,)


def _subject(rng: random.Random, nouns: list[Noun], p_pronoun: float = 0.25) -> Phrase:
    if rng.random() < p_pronoun:
        en = _pick(rng, list(PRONOUNS))
        fr, person = PRONOUNS[en]
        return Phrase([en], [fr], person, PRONOUN_GENDER[en], person >= 3, ())
    noun = _pick(rng, nouns)
    plural = noun.en_pl != "-" and rng.random() < 0.3
    r = rng.random()
    if r < 0.6 or (r >= 0.75 and noun.cls in ("person", "royalty", "job")):
        det = "the"
    elif r < 0.75:
        det = "the" if noun.en_pl == "-" else ("num" if plural else "a")
    else:
        det = _pick(rng, list(POSSESSIVES))
    return noun_phrase(rng, noun, plural, det, _adjectives(rng, noun))


def _object(rng: random.Random, verb: Verb, neg: bool) -> Phrase:
    noun = _pick(rng, OBJECTS[verb.en])
    mass = noun.en_pl == "-"
    plural = not mass and rng.random() < 0.3
    r = rng.random()
    if r < 0.4:
        det = "the"
    elif r < 0.55:
        det = _pick(rng, list(POSSESSIVES))
    elif verb.en in LIKING and (mass or plural):
        det = "generic"
    elif plural and r < 0.7:
        det = "num"
    elif neg:
        det = "neg"
    else:
        det = "mass" if mass else ("bare" if plural else "a")
    np = noun_phrase(rng, noun, plural, det, _adjectives(rng, noun, 0.25))
    return np._replace(combos=np.combos + (("verb_obj", verb.en, noun.en),))


def _place(rng: random.Random, place: Place, poss: bool = False) -> tuple[list[str], list[str]]:
    own = poss and place.en in OWNED_PLACES and rng.random() < 0.3
    det_en = _pick(rng, list(POSSESSIVES)) if own else "the"
    noun = Noun(place.en, place.en + "s", place.fr, place.fr + "s", place.gender, "place")
    np = noun_phrase(rng, noun, False, det_en)
    return np.en, np.fr


def _location(rng: random.Random, places: list[Place]) -> tuple[list[str], list[str]]:
    place = _pick(rng, places)
    en, fr = _place(rng, place, poss=True)
    r = rng.random()
    if r < 0.1:
        return ["near"] + en, ["près", "de"] + fr
    if r < 0.15:
        return ["behind"] + en, ["derrière"] + fr
    if r < 0.2:
        return ["in", "front", "of"] + en, ["devant"] + fr
    return [place.at_en] + en, place.at_fr.split() + fr


def _complement(rng: random.Random, verb: Verb, subj: Phrase, neg: bool,
                animal: bool) -> tuple[list[str], list[str], tuple]:
    """What follows the verb, in both languages, for the verb's frame."""
    frame = verb.frame
    if frame == "tr":
        if verb.en == "visit":
            en, fr = _place(rng, _pick(rng, PLACES), poss=True)
            return en, fr, ()
        obj = _object(rng, verb, neg)
        en, fr = obj.en, obj.fr
        if rng.random() < 0.12:
            loc_en, loc_fr = _location(rng, PLACES)
            en, fr = en + loc_en, fr + loc_fr
        return en, fr, obj.combos
    if frame == "give":
        obj = _object(rng, verb, neg)
        to = _subject(rng, PEOPLE, p_pronoun=0.0)
        return obj.en + ["to"] + to.en, obj.fr + ["à"] + to.fr, obj.combos + to.combos
    places = NATURE if animal else PLACES
    if frame == "intr" or frame == "stay":
        if frame == "stay" or rng.random() < 0.6:
            en, fr = _location(rng, SWIM_PLACES if verb.en == "swim" else places)
            return en, fr, ()
        return [], [], ()
    if frame in ("go", "arrive"):
        place = _pick(rng, [p for p in (NATURE if animal else TO_A + NATURE)])
        en, fr = _place(rng, place, poss=True)
        prep = "to" if verb.en in ("go", "return") else ("at" if place.at_en != "on" else "on")
        return [prep] + en, [place.to_fr] + fr, ()
    if frame == "come":
        en, fr = _place(rng, _pick(rng, places), poss=True)
        return ["from"] + en, ["de"] + fr, ()
    if frame == "enter":
        en, fr = _place(rng, _pick(rng, [p for p in INDOOR if not animal or p.en in ("house", "kitchen")]))
        return en, ["dans"] + fr, ()
    if frame == "fall" and rng.random() < 0.5:
        en, fr = _place(rng, _pick(rng, WATER))
        return ["into"] + en, ["dans"] + fr, ()
    return [], [], ()


def _be(person: int) -> str:
    return "am" if person == 0 else ("is" if person == 2 else "are")


def _english_verb(subj: list[str], person: int, verb: Verb, tense: str, neg: bool,
                  question: bool) -> list[str]:
    third = person == 2
    if tense == "future":
        be = _be(person)
        if question:
            return [be] + subj + ["going", "to", verb.en]
        return subj + [be] + (["not"] if neg else []) + ["going", "to", verb.en]
    aux = "did" if tense == "past" else ("does" if third else "do")
    if question:
        return [aux] + subj + [verb.en]
    if neg:
        return subj + [aux, "not", verb.en]
    return subj + [verb.en_past if tense == "past" else (verb.en_3sg if third else verb.en)]


def _french_verb(subj: Phrase, verb: Verb, tense: str, neg: bool) -> list[str]:
    p = subj.person
    if tense == "present":
        words = [verb.present[p]]
    elif tense == "future":
        words = [ALLER[p], verb.fr]
    else:
        aux = ETRE if verb.aux == "être" else AVOIR
        words = [aux[p], participle(verb, subj.gender, subj.plural)]
    if neg:
        return ["ne", words[0], "pas"] + words[1:]
    return words


def _copula(rng: random.Random, tense: str, neg: bool, question: bool) -> Sentence | None:
    noun = _pick(rng, NOUNS)
    adjs = PREDICATIVE[noun.en]
    if not adjs:
        return None
    subj = _subject(rng, [noun], p_pronoun=0.15 if noun.cls in PERSON_CLASSES else 0.0)
    adj = _pick(rng, adjs)
    tense = "present" if tense == "past" else tense
    be = _be(subj.person)
    mid = ["going", "to", "be"] if tense == "future" else []
    if question:
        en = [be] + subj.en + mid + [adj.en, "?"]
    else:
        en = subj.en + [be] + (["not"] if neg else []) + mid + [adj.en, "."]
    fr_verb = [ALLER[subj.person], "être"] if tense == "future" else [ETRE[subj.person]]
    fr_verb = ["ne", fr_verb[0], "pas"] + fr_verb[1:] if neg else fr_verb
    fr = (["est-ce", "que"] if question else []) + subj.fr + fr_verb + [
        agree(adj, subj.gender, subj.plural), "?" if question else "."]
    combos = subj.combos + ((("noun_adj", noun.en, adj.en),) if len(subj.en) > 1 else ())
    return Sentence(en, elide_and_contract(fr), tense, combos)


def sentence(rng: random.Random) -> Sentence:
    """Draw one English sentence and its French translation (chapters 3 and 6)."""
    while True:
        frame = _pick(rng, _FRAMES)
        tense = TENSES[rng.randrange(3)]
        r = rng.random()
        neg, question = r < 0.25, 0.25 <= r < 0.43
        if frame == "copula":
            s = _copula(rng, tense, neg, question)
        else:
            s = _clause(rng, _pick(rng, BY_FRAME[frame]), tense, neg, question)
        if s is not None and 3 <= len(s.en) <= 15 and 3 <= len(s.fr) <= 15:
            return s


def _clause(rng: random.Random, verb: Verb, tense: str, neg: bool, question: bool) -> Sentence:
    subj = _subject(rng, ANIMATE if verb.subjects == "pa" else PEOPLE)
    animal = subj.person in (2, 5) and len(subj.en) > 1 and _is_animal(subj.en)
    if question and subj.en == ["i"]:
        question = False
    comp_en, comp_fr, combos = _complement(rng, verb, subj, neg, animal)
    en = _english_verb(subj.en, subj.person, verb, tense, neg, question) + comp_en
    fr = (["est-ce", "que"] if question else []) + subj.fr + _french_verb(subj, verb, tense, neg) + comp_fr
    en.append("?" if question else ".")
    fr.append("?" if question else ".")
    return Sentence(en, elide_and_contract(fr), tense, subj.combos + combos)


_ANIMAL_WORDS = frozenset(w for n in NOUNS if n.cls == "animal" for w in (n.en, n.en_pl))


def _is_animal(en: list[str]) -> bool:
    return en[-1] in _ANIMAL_WORDS
