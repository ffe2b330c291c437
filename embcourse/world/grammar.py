"""The bigger world's grammar: English sentences of 3 to 45+ tokens with their French translation.

One call to :meth:`Generator.sentence` draws a *core clause* (subject, verb, tense,
perhaps a negation or a question, and what the verb's frame asks for: an object, a
recipient, a place), then keeps adding optional constructions -- adjectives,
relative clauses, prepositional phrases, adverbs, coordinated noun phrases and
coordinated clauses with object pronouns -- until the English side is long enough.
The sentence is kept as a small tree (:class:`NP`, :class:`Clause`) while it grows and
is written out in both languages only at the end, so a late change (coordinating a
subject, say) still makes the verb, the pronouns and the participles agree.

French rules, each in the function that applies it:

* determiners and adjectives agree in gender and number; most adjectives follow
  the noun, a few (``pre``) come before it (*un petit chat noir*); *beau, vieux,
  nouveau* become *bel, vieil, nouvel* before a vowel (:func:`agree`);
* elision (*l', n', qu', d'*) before a vowel or mute h, but not before an
  aspirated h (*le hibou*) or *huit, onze*; contractions *au, aux, du, des*;
  *mon* for *ma* before a vowel (:func:`elide_and_contract`);
* the partitive for mass nouns (*du pain, de l'eau*), *de* for *des* before an
  adjective (*de petits chats*), and *de* for any indefinite or partitive article
  after a negation (*elle ne mange pas de pain*) (:func:`np_fr`);
* three tenses: present, near future (*aller* + infinitive, English *going to*)
  and passé composé (English simple past); the participle agrees with the subject
  after *être* and with a direct object placed before it after *avoir* -- an object
  pronoun (*elle l'a lavée*) or the relative *que* (*la voiture qu'elle a achetée*)
  (:func:`participle`, :func:`verb_group_fr`);
* object pronouns (*le, la, les, lui, leur*) stand before the conjugated verb, before
  the infinitive in the near future and before the auxiliary in the passé composé;
  *le/la/les* come before *lui/leur* (*elle le lui donne*) (:func:`clitics`);
* negation *ne ... pas / jamais / plus* around the conjugated verb (or auxiliary);
* questions with *est-ce que*, *qu'est-ce que* (what), *qui* (who) and *où est-ce que*
  (where); relative clauses with *qui* (subject) and *que* (object);
* adverbs: time adverbs at the start or end of the sentence (their kind matches the
  tense), frequency adverbs after the conjugated verb, manner adverbs after the
  verb that carries the meaning (see :func:`verb_group_fr`). Never *bien* or *mal*
  in a negated clause: *tu ne lis pas mal* means "you read quite well", and *pas
  bien* reads as a judgement (:meth:`_State.add_manner`). A time adverb at the end
  would be read with a relative clause ending the sentence (*la maison que le chat
  a connue dans deux jours*), so there it goes to the front (:func:`_ends_in_relative`);
* *réfléchir à / sur* and *rêver à* name what one thinks or dreams about, so these
  verbs never take a place or a phrase in *à* or *sur* (*il réfléchit à la gare*
  is "he thinks about the station") (:func:`about_trap`).

English side: *you* is always *tu*; *I, you, we, they* are masculine; *they* is
*elles* only when it refers back to a feminine plural noun phrase of the same
sentence. Subject relatives use *who* after a person and *that* otherwise, object
relatives always *that* (*the car that she bought*). Object pronouns (*it, him, her,
them*) only appear in a clause coordinated after the one that names their antecedent
(:class:`Ref`), so their French gender is known. A manner adverb ends the English verb
phrase (*she washes the car slowly*), so it is never added next to a relative clause
it could be read with. Negations and questions use *do*-support (*she did not see*,
*did she see*), the near future *be going to*, the passé composé the simple past.

What a :class:`Sentence` records: ``lemmas`` every content word used; ``combos`` the
(noun, adjective) pairs and the (verb, object noun) pairs -- also when the object is a
pronoun or the relative *que* standing for that noun; ``features`` the names from
:data:`CONSTRUCTIONS` of the constructions it uses.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_right
from itertools import accumulate
from typing import Mapping, NamedTuple

from embcourse.world.lexicon import (ADJECTIVES, ADVERBS, NOUNS, NUMBERS, PEOPLE, PREPOSITIONS,
                                     VERBS, Adjective, Adverb, Noun, Number, Preposition, Verb)


class Sentence(NamedTuple):
    """A generated pair with what it is made of (for held-out splits)."""

    en: tuple[str, ...]
    fr: tuple[str, ...]
    lemmas: frozenset[str]
    combos: frozenset[tuple]
    features: frozenset[str]


CONSTRUCTIONS: tuple[str, ...] = (
    "present", "near_future", "passe_compose", "etre_agreement", "copula",
    "adjective", "possessive", "number", "partitive",
    "relative_subject", "relative_object", "relative_participle_agreement",
    "clitic_direct", "clitic_indirect", "clitic_double", "clitic_participle_agreement",
    "coordination_clause", "coordination_np",
    "negation_pas", "negation_jamais", "negation_plus",
    "question_yes_no", "question_what", "question_who", "question_where",
    "adverb_time", "adverb_frequency", "adverb_manner",
    "pp", "place", "recipient", "verb_preposition",
)

# ---------------------------------------------------------------- closed classes
AVOIR = ("ai", "as", "a", "avons", "avez", "ont")
ETRE = ("suis", "es", "est", "sommes", "êtes", "sont")
ALLER = ("vais", "vas", "va", "allons", "allez", "vont")
BE = ("am", "are", "is", "are", "are", "are")
POSSESSIVES = (("my", "mon", "ma", "mes"), ("your", "ton", "ta", "tes"), ("his", "son", "sa", "ses"),
               ("her", "son", "sa", "ses"), ("our", "notre", "notre", "nos"),
               ("their", "leur", "leur", "leurs"))
NEG_EN = {None: (), "pas": ("not",), "jamais": ("never",), "plus": ("no", "longer")}
# verbs of taste: a bare English plural or mass noun is generic, French le/la/les
# (she likes cats / elle aime les chats), and stays so after a negation (elle n'aime pas le pain)
LIKING = frozenset({"like", "love", "hate", "prefer", "adore", "enjoy", "fear", "admire", "envy",
                    "revere", "idolise"})
MANNER_FRAMES = frozenset({"tr", "intr", "give", "talk"})  # not "she went slowly to the park"
NO_MANNER = frozenset({"emotion", "liking"})  # not "she likes the cat slowly" (*bien aimer* shifts meaning)
PLURAL_MANNER = frozenset({"together"})  # only with a plural subject
SHORT_MANNER = frozenset({"bien", "mal", "mieux"})  # before the participle: elle a bien lavé
# and never after a negation: "ne ... pas mal" is "quite well", "ne ... pas bien" a judgement
# verbs whose à / sur names the topic, not the place: réfléchir à la gare (think about the station)
ABOUT_VERBS = frozenset({"réfléchir", "rêver", "rêvasser", "penser", "songer"})
TENSES = ("present", "future", "past")

_TOKEN = re.compile(r"(?<!\w)(?:qu|jusqu|lorsqu|puisqu|[ljndcmts])'"
                    r"|\w+(?:['-]\w+)*|[^\w\s]")  # the same tokens as embcourse.corpus.tokenize


def _lexicon_strings():
    for n in NOUNS:
        yield from (n.fr, n.fr_pl)
    for a in ADJECTIVES:
        yield from (a.m, a.f, a.m_pl, a.f_pl, a.m_vowel)
    for v in VERBS:
        yield from (v.fr, v.participle, *v.present)
    for x in (*ADVERBS, *PREPOSITIONS, *NUMBERS):
        yield x.fr
    for n in NOUNS:
        yield from (n.at_fr, n.to_fr)


# French lexicon strings that are several tokens (pomme de terre, tous les jours, près de, d'abord):
# split before elision so that "la" + "appareil photo" gives "l' appareil photo".
MULTI = {w: tuple(_TOKEN.findall(w)) for w in set(_lexicon_strings())
         if _TOKEN.findall(w) != [w]}
EN_MULTI = frozenset(w for x in (*NOUNS, *ADJECTIVES, *ADVERBS, *PREPOSITIONS, *NUMBERS)
                     for w in (x.en,) if " " in w) | frozenset(
    w for v in VERBS for w in (v.en, v.en_3sg, v.en_past, v.en_prep) if " " in w) | frozenset(
    n.at_en for n in NOUNS if " " in n.at_en)
# English lexicon words of several tokens that are written as one string until the end
# (realise splits them): their extra tokens, so that lengths are counted right while growing
_EN_EXTRA = {w: len(w.split()) - 1 for w in (
    *(x for n in NOUNS for x in (n.en, n.en_pl)), *(a.en for a in ADJECTIVES),
    *(x for v in VERBS for x in (v.en, v.en_3sg, v.en_past, v.en_prep))) if " " in w}


def en_len(tokens: list[str]) -> int:
    """The number of English tokens, counting multi-word lexicon entries as their words."""
    if not _EN_EXTRA:
        return len(tokens)
    return len(tokens) + sum(_EN_EXTRA.get(t, 0) for t in tokens)


VOWELS = frozenset("aeiouàâäéèêëîïôöùûüœæh")
H_ASPIRE = frozenset({n.fr for n in NOUNS if n.h_aspire} | {n.fr_pl for n in NOUNS if n.h_aspire}
                     | {n.fr.split()[0] for n in NOUNS if n.h_aspire}
                     | {n.fr_pl.split()[0] for n in NOUNS if n.h_aspire}
                     | {"huit", "huitième", "onze", "onzième", "haut", "haute", "hauts", "hautes",
                        "hideux", "hideuse", "honteux", "honteuse", "hardi", "hardie"})
ELISION = {"le": "l'", "la": "l'", "je": "j'", "ne": "n'", "de": "d'", "que": "qu'",
           "me": "m'", "te": "t'", "se": "s'"}
CONTRACTION = {("à", "le"): "au", ("à", "les"): "aux", ("de", "le"): "du", ("de", "les"): "des"}
POSSESSIVE_BEFORE_VOWEL = {"ma": "mon", "ta": "ton", "sa": "son"}


# ---------------------------------------------------------------- French word rules
def starts_with_vowel(word: str) -> bool:
    """True when a French word makes the word before it elide: a vowel or a mute h.

    An aspirated h (*hibou*, flagged in nouns.tsv) and the numbers *huit, onze* do
    not: *le hibou, le huit*.
    """
    return word[0] in VOWELS and word not in H_ASPIRE


def elide_and_contract(tokens: list[str]) -> list[str]:
    """Elision (le -> l', que -> qu'), contraction (à le -> au, de les -> des), mon before a vowel.

    Elision comes first, so *de + le + eau* gives *de l'eau*, not *du eau*.
    """
    out: list[str] = []
    last = len(tokens) - 1
    for i, tok in enumerate(tokens):
        if tok in _ELIDABLE and i < last and starts_with_vowel(tokens[i + 1]):
            tok = ELISION.get(tok) or POSSESSIVE_BEFORE_VOWEL[tok]
        elif (tok == "le" or tok == "les") and out and (out[-1] == "à" or out[-1] == "de"):
            out[-1] = CONTRACTION[(out[-1], tok)]
            continue
        out.append(tok)
    return out


_ELIDABLE = frozenset(ELISION) | frozenset(POSSESSIVE_BEFORE_VOWEL)


def agree(adj: Adjective, gender: str, plural: bool, next_word: str = "") -> str:
    """An adjective's French form for a noun's gender and number (bel, vieil, nouvel before a vowel)."""
    if plural:
        return adj.f_pl if gender == "f" else adj.m_pl
    if gender == "f":
        return adj.f
    return adj.m_vowel if next_word and starts_with_vowel(next_word) else adj.m


def participle(verb: Verb, gender: str, plural: bool) -> str:
    """The past participle with the agreement -e (feminine) and -s (plural, unless it ends in s).

    The caller decides *whether* it agrees: with the subject after *être*, with a
    direct object placed before it after *avoir*; otherwise call it with ("m", False).
    """
    p = verb.participle
    if gender == "f":
        p += "e"
    if plural and not p.endswith("s"):
        p += "s"
    return p


# ---------------------------------------------------------------- the sentence tree
class NP:
    """A noun phrase: determiner, noun, adjectives, perhaps a relative clause or a second NP.

    ``det`` is ``the``, ``a`` (un/une), ``some`` (bare plural -> des, mass noun ->
    du/de la), ``generic`` (bare English, French le/la/les: *she likes cats / elle aime
    les chats*), ``poss`` (with ``poss`` one of :data:`POSSESSIVES`) or ``num`` (with
    ``num`` a :class:`Number`). ``negde`` marks an object of a negated verb: its
    ``a``/``some`` article becomes *de*.
    """

    __slots__ = ("noun", "plural", "det", "poss", "num", "adjs", "rel", "conj", "negde")

    def __init__(self, noun: Noun, plural: bool = False, det: str = "the", poss=None,
                 num: Number | None = None, adjs: tuple = (), negde: bool = False):
        self.noun, self.plural, self.det, self.poss, self.num = noun, plural, det, poss, num
        self.adjs, self.rel, self.conj, self.negde = adjs, None, None, negde

    @property
    def gender(self) -> str:
        """Feminine only when every coordinated noun is feminine (*la fille et la femme ... heureuses*)."""
        if self.conj is not None:
            return "f" if self.noun.gender == "f" and self.conj.gender == "f" else "m"
        return self.noun.gender

    @property
    def is_plural(self) -> bool:
        return self.plural or self.conj is not None

    @property
    def human(self) -> bool:
        return self.noun.cls in PEOPLE


class Pro(NamedTuple):
    """A subject pronoun without antecedent (i/je ... they/ils); also *who/qui*."""

    en: str
    fr: str
    person: int
    gender: str


PRONOUNS = (Pro("i", "je", 0, "m"), Pro("you", "tu", 1, "m"), Pro("he", "il", 2, "m"),
            Pro("she", "elle", 2, "f"), Pro("we", "nous", 3, "m"), Pro("they", "ils", 5, "m"))
PRONOUN_CUM = tuple(accumulate((1, 1, 2, 2, 1, 1)))
WHO = Pro("who", "qui", 2, "m")


class Ref(NamedTuple):
    """A third-person pronoun referring back to a noun phrase of the sentence.

    Its form is read from the antecedent when the sentence is written out: English
    he/she/it/they, him/her/it/them; French il/elle/ils/elles, le/la/les, lui/leur.
    """

    np: NP


class Clause:
    """One clause. ``verb`` None means a copula clause (*be* + ``adj``).

    ``q`` is None or ``yn``/``what``/``who``/``where``; ``rel`` is None, ``subj``
    (the subject is the head noun: *the cat that sleeps*) or ``obj`` (the object is the
    head noun: *the car that she bought*); ``drop`` leaves the subject out (second
    clause sharing the first one's subject: *she buys a car and washes it*).
    ``place`` is (English words, French words, NP); ``pps`` a list of (Preposition, NP).
    """

    __slots__ = ("subj", "verb", "tense", "neg", "q", "obj", "rec", "place", "pps", "freq",
                 "manner", "adj", "rel", "drop")

    def __init__(self, subj, verb: Verb | None, tense: str, neg: str | None = None,
                 q: str | None = None):
        self.subj, self.verb, self.tense, self.neg, self.q = subj, verb, tense, neg, q
        self.obj = self.rec = self.place = self.freq = self.manner = self.adj = None
        self.rel = None
        self.pps = ()
        self.drop = False


def agreement(subj) -> tuple[int, str, bool]:
    """(person 0..5, gender, plural) of a subject: Pro, NP or Ref."""
    if subj.__class__ is Pro:
        return subj.person, subj.gender, subj.person >= 3
    np = subj.np if subj.__class__ is Ref else subj
    plural = np.is_plural
    return (5 if plural else 2), np.gender, plural


# ---------------------------------------------------------------- English
def np_en(np: NP) -> list[str]:
    """English noun phrase: determiner, adjectives, noun, relative clause, coordinated NP."""
    word = np.noun.en_pl if np.plural else np.noun.en
    adjs = np.adjs
    det = np.det
    if det == "the":
        out = ["the"]
    elif det == "a":
        out = [indefinite_en(adjs[0].en if adjs else word)]
    elif det == "poss":
        out = [np.poss[0]]
    elif det == "num":
        out = list(_NUMBER_EN.get(np.num.en, (np.num.en,)))
    else:  # some, generic: bare noun
        out = []
    if adjs:
        out += [a.en for a in adjs]
    out.append(word)
    if np.rel is not None:
        out += clause_en(np.rel)
    if np.conj is not None:
        out.append("and")
        out += np_en(np.conj)
    return out


def indefinite_en(word: str) -> str:
    """*a* or *an*, by the sound of the next word: an apple, an hour, a university, a one-way street."""
    if word.startswith(AN_WORDS):
        return "an"
    if word[0] in "aeiou" and not word.startswith(A_WORDS):
        return "an"
    return "a"


AN_WORDS = ("hour", "honest", "honour", "honor", "heir")
A_WORDS = ("uni", "use", "usu", "uti", "ure", "uro", "eu", "one", "once", "ewe", "uk")
_NUMBER_EN = {"hundred": ("a", "hundred"), "thousand": ("a", "thousand")}  # a hundred cats / cent chats


def _subj_en(subj) -> list[str]:
    if subj.__class__ is Pro:
        return [subj.en]
    if subj.__class__ is Ref:
        np = subj.np
        return ["they" if np.is_plural else ("it" if not np.human else
                                             ("she" if np.gender == "f" else "he"))]
    return np_en(subj)


def _obj_en(obj) -> list[str]:
    if obj.__class__ is Ref:
        np = obj.np
        return ["them" if np.is_plural else ("it" if not np.human else
                                             ("her" if np.gender == "f" else "him"))]
    return np_en(obj)


def verb_group_en(c: Clause, subj: list[str], person: int) -> list[str]:
    """Subject and verb in English: do-support for not and questions, *is going to*, simple past.

    Frequency adverbs stand before the main verb (*she often eats*); *never* and *no
    longer* take its place in the negations *ne ... jamais* / *ne ... plus*.
    """
    v = c.verb
    invert = c.q in ("yn", "what", "where")
    neg = NEG_EN[c.neg]
    freq = c.freq.en.split() if c.freq is not None else []
    if v is None:  # copula
        be = BE[person]
        mid = ["going", "to", "be"] if c.tense == "future" else []
        if invert:
            return [be] + subj + mid + [c.adj.en]
        return subj + [be] + list(neg) + mid + [c.adj.en]
    if c.tense == "future":
        be = BE[person]
        if invert:
            return [be] + subj + ["going", "to", v.en]
        return subj + [be] + list(neg) + ["going", "to", v.en]
    past = c.tense == "past"
    if invert:
        return ["did" if past else ("does" if person == 2 else "do")] + subj + freq + [v.en]
    if c.neg == "pas":
        return subj + ["did" if past else ("does" if person == 2 else "do"), "not", v.en]
    form = v.en_past if past else (v.en_3sg if person == 2 else v.en)
    return subj + list(neg) + freq + [form]


def clause_en(c: Clause) -> list[str]:
    """One English clause (no final punctuation)."""
    q = c.q
    if c.rel == "subj":
        subj = ["who" if c.subj.human else "that"]
    elif c.drop:
        subj = []
    else:
        subj = _subj_en(c.subj)
    person = agreement(c.subj)[0]
    out = ["what"] if q == "what" else (["where"] if q == "where" else [])
    if c.rel == "obj":
        out.append("that")
    out += verb_group_en(c, subj, person)
    v = c.verb
    if v is None:
        return out
    frame = v.frame
    omit_obj = q == "what" or c.rel == "obj"
    if frame == "tr":
        if v.en_prep != "-":
            out.append(v.en_prep)  # stranded in "what does she look at" / "the cat that she looks at"
        if not omit_obj:
            out += _obj_en(c.obj)
    elif frame == "give":
        if not omit_obj:
            out += _obj_en(c.obj)
        out.append("to" if v.en_prep == "-" else v.en_prep)  # buy it from him / le lui acheter
        out += _obj_en(c.rec)
    elif frame == "talk":
        if v.en_prep != "-":
            out.append(v.en_prep)
        out += _obj_en(c.rec)
    if c.manner is not None:
        out += c.manner.en.split()
    if c.place is not None:
        out += c.place[0]
        out += np_en(c.place[2])
    for prep, np in c.pps:
        out += prep.en.split()
        out += np_en(np)
    return out


# ---------------------------------------------------------------- English lengths
# The generator grows a sentence until it is long enough; these count the tokens that
# np_en / clause_en would write, without writing them (tests check they agree).
_NTOK: dict[str, int] = {}


def _ntok(words: str) -> int:
    n = _NTOK.get(words)
    if n is None:
        n = _NTOK[words] = len(words.split())
    return n


_DET_LEN = {"the": 1, "a": 1, "poss": 1, "some": 0, "generic": 0}


def np_len(np: NP) -> int:
    """len(np_en(np))."""
    if _EN_EXTRA:
        return en_len(np_en(np))
    n = 1 + len(np.adjs) + (_DET_LEN[np.det] if np.det != "num"
                            else len(_NUMBER_EN.get(np.num.en, "x")))
    if np.rel is not None:
        n += clause_len(np.rel)
    if np.conj is not None:
        n += 1 + np_len(np.conj)
    return n


def _part_len(x) -> int:
    return np_len(x) if x.__class__ is NP else 1


def clause_len(c: Clause) -> int:
    """len(clause_en(c))."""
    if _EN_EXTRA:
        return en_len(clause_en(c))
    q = c.q
    if c.rel is not None:
        n = 1  # who / that
        if c.rel == "obj":
            n += _part_len(c.subj)
    else:
        n = (q == "what" or q == "where") + (0 if c.drop else _part_len(c.subj))
    v = c.verb
    neg = len(NEG_EN[c.neg]) if q is None else 0
    if v is None:
        return n + 2 + neg + (3 if c.tense == "future" else 0)
    if c.tense == "future":
        n += 4 + neg
    elif c.neg == "pas":
        n += 3
    else:
        n += 1 + neg + (_ntok(c.freq.en) if c.freq is not None else 0) + (q in ("yn", "what", "where"))
    frame = v.frame
    omit_obj = q == "what" or c.rel == "obj"
    if frame == "tr":
        n += (v.en_prep != "-") + (0 if omit_obj else _part_len(c.obj))
    elif frame == "give":
        n += 1 + (0 if omit_obj else _part_len(c.obj)) + _part_len(c.rec)
    elif frame == "talk":
        n += (v.en_prep != "-") + _part_len(c.rec)
    if c.manner is not None:
        n += _ntok(c.manner.en)
    if c.place is not None:
        n += len(c.place[0]) + np_len(c.place[2])
    for prep, np in c.pps:
        n += _ntok(prep.en) + np_len(np)
    return n


# ---------------------------------------------------------------- French
class _Acc:
    """What a sentence is made of, collected while its French is written."""

    __slots__ = ("lemmas", "combos", "features")

    def __init__(self):
        self.lemmas: list[str] = []
        self.combos: list[tuple] = []
        self.features: list[str] = []


def determiner_fr(np: NP, pre_adj: bool) -> list[str]:
    """The French determiner: le/la/les, un/une, des (de before an adjective), du/de la, de after a negation."""
    g = np.noun.gender
    det = np.det
    if det == "the" or det == "generic":
        return ["les" if np.plural else ("la" if g == "f" else "le")]
    if det == "a":
        return ["de"] if np.negde else ["une" if g == "f" else "un"]
    if det == "some":
        if np.negde:
            return ["de"]
        if np.plural:
            return ["de" if pre_adj else "des"]
        return ["de", "la" if g == "f" else "le"]  # partitive: du pain, de la soupe, de l'eau
    if det == "poss":
        return [np.poss[3] if np.plural else (np.poss[2] if g == "f" else np.poss[1])]
    return [np.num.fr]


def np_fr(np: NP, acc: _Acc | None = None) -> list[str]:
    """French noun phrase (before elision): determiner, pre-adjective, noun, post-adjectives, ..."""
    noun = np.noun
    plural = np.plural
    g = noun.gender
    fr_noun = noun.fr_pl if plural else noun.fr
    pre, post = [], []
    for a in np.adjs:
        if a.pre:
            pre.append(agree(a, g, plural, fr_noun))
        else:
            post.append(agree(a, g, plural))
    out = determiner_fr(np, bool(pre)) + pre
    out.append(fr_noun)
    out += post
    if acc is not None:
        acc.lemmas.append("n:" + noun.en)
        for a in np.adjs:
            acc.lemmas.append("a:" + a.en)
            acc.combos.append(("noun_adj", noun.en, a.en))
        if np.adjs:
            acc.features.append("adjective")
        det = np.det
        if det == "poss":
            acc.features.append("possessive")
        elif det == "num":
            acc.features.append("number")
            acc.lemmas.append("num:" + np.num.en)
        elif det == "some" and not plural and not np.negde:
            acc.features.append("partitive")
    if np.rel is not None:
        out += clause_fr(np.rel, acc)
        if acc is not None:
            acc.features.append("relative_subject" if np.rel.rel == "subj" else "relative_object")
    if np.conj is not None:
        out.append("et")
        out += np_fr(np.conj, acc)
        if acc is not None:
            acc.features.append("coordination_np")
    return out


def _subj_fr(subj, acc) -> list[str]:
    if subj.__class__ is Pro:
        return [subj.fr]
    if subj.__class__ is Ref:
        np = subj.np
        f = np.gender == "f"
        return [("elles" if f else "ils") if np.is_plural else ("elle" if f else "il")]
    return np_fr(subj, acc)


def clitics(direct: NP | None, indirect: NP | None) -> list[str]:
    """French object pronouns in their order: le/la/les before lui/leur (*elle le lui donne*).

    ``direct`` and ``indirect`` are the antecedents (or None). The pronouns go
    before the conjugated verb, the infinitive (near future) or the auxiliary
    (passé composé): :func:`verb_group_fr` puts them there.
    """
    out = []
    if direct is not None:
        out.append("les" if direct.is_plural else ("la" if direct.gender == "f" else "le"))
    if indirect is not None:
        out.append("leur" if indirect.is_plural else "lui")
    return out


def verb_group_fr(verb: Verb, tense: str, person: int, cl: list[str] = (), neg: str | None = None,
                  pp_agree: tuple[str, bool] = ("m", False), freq: list[str] = (),
                  manner: list[str] = ()) -> list[str]:
    """The French verb with its object pronouns ``cl``, negation and adverbs, in their places.

    * present: ne + pronouns + verb + pas + adverbs (*elle ne la lave pas souvent*);
    * near future: ne + aller + pas + pronouns + infinitive (*elle ne va pas la laver*);
    * passé composé: ne + pronouns + auxiliary + pas + frequency adverb + participle
      (*elle ne l'a jamais lavée*, *elle l'a souvent lavée*).

    A manner adverb follows the verb that carries the meaning -- the present form,
    the infinitive or the participle (*elle lave lentement la voiture, elle a lavé
    lentement la voiture*) -- except *bien, mal, mieux*, which stand before an
    infinitive or participle (*elle a bien lavé la voiture, elle va bien dormir*).
    Multi-word manner adverbs are put at the end of the clause by the caller.
    ``pp_agree`` is the (gender, plural) the participle agrees with.
    """
    n = [neg] if neg else []
    ne = ["ne"] if neg else []
    short = manner and manner[0] in SHORT_MANNER
    if tense == "present":
        return ne + list(cl) + [verb.present[person]] + n + list(freq) + list(manner)
    if tense == "future":
        if short:
            return ne + [ALLER[person]] + n + list(freq) + list(manner) + list(cl) + [verb.fr]
        return ne + [ALLER[person]] + n + list(freq) + list(cl) + [verb.fr] + list(manner)
    aux = ETRE[person] if verb.aux == "être" else AVOIR[person]
    pp = participle(verb, *pp_agree)
    if short:
        return ne + list(cl) + [aux] + n + list(freq) + list(manner) + [pp]
    return ne + list(cl) + [aux] + n + list(freq) + [pp] + list(manner)


def clause_fr(c: Clause, acc: _Acc | None = None) -> list[str]:
    """One French clause (before elision), collecting lemmas and features into ``acc``."""
    q = c.q
    out = (["est-ce", "que"] if q == "yn" else ["que", "est-ce", "que"] if q == "what"
           else ["où", "est-ce", "que"] if q == "where" else [])
    person, gender, plural = agreement(c.subj)
    if c.rel == "subj":
        out.append("qui")
    else:
        if c.rel == "obj":
            out.append("que")
        if not c.drop:
            out += _subj_fr(c.subj, acc)
    v = c.verb
    feats = acc.features if acc is not None else []
    feats.append("present" if c.tense == "present" else
                 "near_future" if c.tense == "future" else "passe_compose")
    if c.neg:
        feats.append("negation_" + c.neg)
    if q:
        feats.append({"yn": "question_yes_no", "what": "question_what", "who": "question_who",
                      "where": "question_where"}[q])
    if v is None:  # copula: the adjective agrees with the subject
        feats += ("copula", "etre_agreement")
        n = [c.neg] if c.neg else []
        ne = ["ne"] if c.neg else []
        adj = agree(c.adj, gender, plural)
        if acc is not None:
            acc.lemmas.append("a:" + c.adj.en)
            np = c.subj.np if c.subj.__class__ is Ref else c.subj
            if np.__class__ is NP:
                acc.combos.append(("noun_adj", np.noun.en, c.adj.en))
        if c.tense == "future":
            return out + ne + [ALLER[person]] + n + ["être", adj]
        return out + ne + [ETRE[person]] + n + [adj]
    if acc is not None:
        acc.lemmas.append(f"v:{v.en}:{v.frame}")
    obj, rec = c.obj, c.rec
    direct = obj.np if obj.__class__ is Ref else None
    indirect = rec.np if rec.__class__ is Ref else None
    if direct is not None and indirect is not None:
        feats.append("clitic_double")
    elif direct is not None:
        feats.append("clitic_direct")
    elif indirect is not None:
        feats.append("clitic_indirect")
    pp_agree = ("m", False)
    if c.tense == "past":
        if v.aux == "être":
            pp_agree = (gender, plural)
            feats.append("etre_agreement")
        elif direct is not None:
            pp_agree = (direct.gender, direct.is_plural)
            feats.append("clitic_participle_agreement")
        elif c.rel == "obj":
            pp_agree = (obj.gender, obj.is_plural)
            feats.append("relative_participle_agreement")
    freq = manner = end = []
    if c.freq is not None:
        freq = c.freq.fr.split()
        feats.append("adverb_frequency")
        if acc is not None:
            acc.lemmas.append("adv:" + c.freq.en)
        if len(freq) > 1:
            end, freq = freq, []
    if c.manner is not None:
        manner = c.manner.fr.split()
        feats.append("adverb_manner")
        if acc is not None:
            acc.lemmas.append("adv:" + c.manner.en)
        if len(manner) > 1:
            end, manner = end + manner, []
    out += verb_group_fr(v, c.tense, person, clitics(direct, indirect), c.neg, pp_agree,
                         freq, manner)
    frame = v.frame
    if frame in ("tr", "give") and direct is None and q != "what" and c.rel != "obj":
        out += np_fr(obj, acc)
        if acc is not None:
            acc.combos.append(("verb_obj", v.en, obj.noun.en))
            if obj.conj is not None:
                acc.combos.append(("verb_obj", v.en, obj.conj.noun.en))
    elif acc is not None and frame in ("tr", "give"):
        target = direct if direct is not None else (obj if c.rel == "obj" else None)
        if target is not None:  # the pronoun / que stands for this noun: the pair is used
            acc.combos.append(("verb_obj", v.en, target.noun.en))
    if frame == "tr" and v.en_prep != "-":
        feats.append("verb_preposition")
    if frame in ("give", "talk"):
        feats.append("recipient")
        if indirect is None:
            out.append("à")
            out += np_fr(rec, acc)
    if c.place is not None:
        feats.append("place")
        out += c.place[1]
        out += np_fr(c.place[2], acc)
    for prep, np in c.pps:
        feats.append("pp")
        if acc is not None:
            acc.lemmas.append("p:" + prep.en)
        out += prep.fr.split()
        out += np_fr(np, acc)
    return out + end


# ---------------------------------------------------------------- weights and tables
def about_trap(verb: Verb, fr_words: list[str]) -> bool:
    """True when ``verb`` + these French words would name a topic instead of a place.

    *Réfléchir à / sur*, *rêver à* take what one thinks or dreams about: *il réfléchit
    à la gare* is "he thinks about the station", not "he thinks at the station";
    *dans la gare* stays a place.
    """
    return verb.fr in ABOUT_VERBS and len(fr_words) == 1 and fr_words[0] in ("à", "sur")


def place_words(verb: Verb, place: Noun) -> tuple[list[str], list[str]]:
    """The English and French words between a verb and its place, from the verb's frame.

    *go to the park / aller au parc* and *arrive at the station / arriver à la gare*
    use the place's ``to_fr`` (à, dans, sur); *come from / venir de*, *leave (the
    house) / partir de*, *enter (the kitchen) / entrer dans*; *stay*, *fall* and the
    intransitive verbs take the place's ``at_en`` / ``at_fr`` (*near the lake / près
    du lac*).
    """
    frame = verb.frame
    if frame in ("go", "arrive"):
        en = "to" if verb.en != "arrive" else ("on" if place.at_en == "on" else "at")
        return [en], place.to_fr.split()
    if frame == "come":
        return ["from"], ["de"]
    if frame == "leave":
        return [], ["de"]
    if frame == "enter":
        return [], ["dans"]
    return place.at_en.split(), place.at_fr.split()


def lemma_weights(alpha: float = 1.0) -> dict[str, float]:
    """Sampling weight of every lemma key: 10 ** (alpha * zipf), Zipf's law with real English frequencies.

    Numbers have no zipf column: they all get weight 10 ** (alpha * 4.5).
    """
    w = {}
    for n in NOUNS:
        w["n:" + n.en] = 10 ** (alpha * n.zipf)
    for a in ADJECTIVES:
        w["a:" + a.en] = 10 ** (alpha * a.zipf)
    for v in VERBS:
        w[f"v:{v.en}:{v.frame}"] = 10 ** (alpha * v.zipf)
    for a in ADVERBS:
        w["adv:" + a.en] = 10 ** (alpha * a.zipf)
    for p in PREPOSITIONS:
        w["p:" + p.en] = 10 ** (alpha * p.zipf)
    for x in NUMBERS:
        w["num:" + x.en] = 10 ** (alpha * 4.5)
    return w


class _Table:
    """Items with precomputed cumulative weights, for O(log n) weighted choice."""

    __slots__ = ("items", "cum", "total", "last")

    def __init__(self, items: list, weights: list[float]):
        self.items = items
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]
        self.last = len(items) - 1

    def pick(self, rng: random.Random):
        i = bisect_right(self.cum, rng.random() * self.total)
        return self.items[i if i <= self.last else self.last]


def _key(x) -> str:
    if isinstance(x, Noun):
        return "n:" + x.en
    if isinstance(x, Adjective):
        return "a:" + x.en
    if isinstance(x, Verb):
        return f"v:{x.en}:{x.frame}"
    if isinstance(x, Adverb):
        return "adv:" + x.en
    if isinstance(x, Preposition):
        return "p:" + x.en
    return "num:" + x.en


def _fits(noun: Noun, classes: tuple[str, ...]) -> bool:
    return noun.cls in classes or noun.en in classes


_NOUN_INDEX: dict[str, list[int]] = {}  # noun class or English noun -> positions in NOUNS
for _i, _n in enumerate(NOUNS):
    _NOUN_INDEX.setdefault(_n.cls, []).append(_i)
    _NOUN_INDEX.setdefault(_n.en, []).append(_i)


def nouns_of(classes: tuple[str, ...]) -> list[Noun]:
    """The nouns of the given classes (or named by their English), in lexicon order."""
    idx = sorted({i for c in classes for i in _NOUN_INDEX.get(c, ())})
    return [NOUNS[i] for i in idx]


SLACK = 2  # a sentence has at most max(target_len + SLACK, 12) English tokens
MAX_FAILS = 20  # growth stops after this many tries in a row that found nothing to add


FRAME_WEIGHTS = {"tr": 40, "give": 8, "talk": 7, "intr": 12, "go": 6, "come": 3, "arrive": 4,
                 "leave": 3, "enter": 3, "fall": 2, "stay": 4, "copula": 10}
QUESTION_FRAMES = {"what": ("tr",), "where": ("intr", "go", "stay", "arrive"),
                   "who": ("tr", "give", "talk", "intr", "go", "arrive", "stay", "copula"),
                   "yn": tuple(FRAME_WEIGHTS)}
ANIMAL_CLASSES = PEOPLE + ("animal",)


class Generator:
    """Draws sentence pairs; ``weights`` maps lemma keys to sampling weights (0 = never used)."""

    def __init__(self, weights: Mapping[str, float] | None = None):
        w = lemma_weights()
        if weights:
            w.update(weights)
        self.weights = w

        def table(items):
            items = [x for x in items if w.get(_key(x), 0) > 0]
            return _Table(items, [w[_key(x)] for x in items]) if items else None

        self._table = table
        self.subjects = {"p": table([n for n in NOUNS if n.cls in PEOPLE]),
                         "pa": table([n for n in NOUNS if n.cls in ANIMAL_CLASSES])}
        self.people = self.subjects["p"]
        self.by_frame = {}
        for f in FRAME_WEIGHTS:
            t = table([v for v in VERBS if v.frame == f])
            if t is not None:
                self.by_frame[f] = t
        self.objects = {v: table(nouns_of(v.objects)) for v in VERBS if v.frame in ("tr", "give")}
        self.attributive, self.predicative = {}, {}
        for cls in sorted({n.cls for n in NOUNS}):
            self.attributive[cls] = table([a for a in ADJECTIVES if cls in a.goes_with and a.attributive])
            self.predicative[cls] = table([a for a in ADJECTIVES if cls in a.goes_with])
        self.describable = table([n for n in NOUNS if self.predicative.get(n.cls)])  # copula subjects
        places = [n for n in NOUNS if n.is_place]
        self.places = {"any": table(places),
                       "nature": table([n for n in places if n.cls == "nature"]),
                       "indoor": table([n for n in places if n.cls in ("building", "room")])}
        self.adverbs = {k: table([a for a in ADVERBS if a.kind == k])
                        for k in ("past", "present", "future", "frequency", "manner")}
        self.preps = table(PREPOSITIONS)
        self.prep_nouns = {p: table(nouns_of(p.takes)) for p in PREPOSITIONS}
        self.numbers = table(NUMBERS)
        self.rel_subj = {"p": table([v for v in VERBS if v.frame in ("intr", "tr", "go")
                                     and (v.frame != "tr" or self.objects.get(v))]),
                         "pa": table([v for v in VERBS if v.subjects == "pa" and v.frame in
                                      ("intr", "tr", "go") and (v.frame != "tr" or self.objects.get(v))])}
        self._tr_cache: dict = {}
        # "what does she eat?": verbs that can take a thing (not "what does she help?")
        self.what_verbs = table([v for v in VERBS if v.frame == "tr" and self.objects.get(v)
                                 and any(c not in PEOPLE for c in v.objects)])
        self._takers: dict[str, list[Verb]] = {}  # noun class or English noun -> tr verbs taking it
        for v in VERBS:
            if v.frame == "tr" and self.objects.get(v) is not None:
                for c in v.objects:
                    self._takers.setdefault(c, []).append(v)
        taken = {c for v in VERBS if v.frame == "tr" and w.get(_key(v), 0) > 0 and self.objects.get(v)
                 for c in v.objects}
        self.attributive_all = table([a for a in ADJECTIVES if a.attributive])
        self.predicative_all = table(ADJECTIVES)
        self._adj_nouns: dict = {}
        self.objectable = table([n for n in NOUNS if n.cls in taken or n.en in taken])
        frames = [f for f in FRAME_WEIGHTS if f in self.by_frame or f == "copula"]
        self.frames = {q: _Table(fs, [FRAME_WEIGHTS[f] for f in fs])
                       for q, allowed in QUESTION_FRAMES.items()
                       if (fs := [f for f in frames if f in allowed])}
        self.frames[None] = _Table(frames, [FRAME_WEIGHTS[f] for f in frames])
        if self.what_verbs is None:
            self.frames.pop("what", None)

    # ------------------------------------------------------------ choices
    def verbs_taking(self, noun: Noun, animal_subject: bool) -> _Table | None:
        """Weighted table of the tr verbs whose objects include ``noun`` (cached)."""
        key = (noun.en, animal_subject)
        t = self._tr_cache.get(key, 0)
        if t == 0:
            verbs = self._takers.get(noun.cls, []) + self._takers.get(noun.en, [])
            if noun.en in self._takers and noun.cls in self._takers:  # lexicon order, once each
                verbs = [v for v in VERBS if v in set(verbs)]
            t = self._table([v for v in verbs if v.subjects == "pa" or not animal_subject])
            self._tr_cache[key] = t
        return t

    def _adjs(self, rng, noun: Noun, p: float) -> tuple:
        if rng.random() >= p:
            return ()
        t = self.attributive.get(noun.cls)
        if t is None:
            return ()
        a = t.pick(rng)
        if a.pre and rng.random() < 0.15:
            b = t.pick(rng)
            if not b.pre:
                return (a, b)
        return (a,)

    def _det(self, rng, np: NP, r: float) -> None:
        """Give ``np`` a determiner; r < .45 the, < .65 possessive, < .8 number (plural) or a, else some/a."""
        if r < 0.45:
            return
        if r < 0.65:
            np.det, np.poss = "poss", POSSESSIVES[int(rng.random() * 6)]
        elif np.plural and r < 0.8 and self.numbers is not None:
            np.det, np.num = "num", self.numbers.pick(rng)
        elif not np.noun.countable or np.plural:
            np.det = "some"
        else:
            np.det = "a"

    def subject_np(self, rng, kind: str, p_adj: float = 0.15) -> NP | None:
        """A noun subject of kind ``p`` (people) or ``pa`` (people and animals)."""
        t = self.subjects[kind]
        if t is None:
            return None
        noun = t.pick(rng)
        np = NP(noun, noun.countable and rng.random() < 0.25, adjs=self._adjs(rng, noun, p_adj))
        r = rng.random()
        if r >= 0.6:
            if r < 0.85:
                np.det, np.poss = "poss", POSSESSIVES[int(rng.random() * 6)]
            elif np.plural and self.numbers is not None:
                np.det, np.num = "num", self.numbers.pick(rng)
            elif not np.plural and noun.countable:
                np.det = "a"
        return np

    def subject(self, rng, kind: str, p_pronoun: float = 0.3):
        if rng.random() < p_pronoun or self.subjects[kind] is None:
            return PRONOUNS[bisect_right(PRONOUN_CUM, rng.random() * 8)]
        return self.subject_np(rng, kind)

    def object_np(self, rng, verb: Verb, neg: bool, p_adj: float = 0.15, noun: Noun | None = None) -> NP:
        """An object for ``verb`` (``noun`` if given), with its determiner; *de* after a negation."""
        if noun is None:
            noun = self.objects[verb].pick(rng)
        np = NP(noun, noun.countable and rng.random() < 0.3, adjs=self._adjs(rng, noun, p_adj))
        r = rng.random()
        if verb.en in LIKING and r >= 0.45 and (np.plural or not noun.countable):
            np.det = "generic"  # she likes cats / elle aime les chats (no de after a negation)
        else:
            self._det(rng, np, r)
            np.negde = neg and np.det in ("a", "some")
        return np

    def place_np(self, rng, which: str) -> NP | None:
        t = self.places[which]
        return None if t is None else NP(t.pick(rng))

    @staticmethod
    def _kind(subj) -> str | None:
        """``p`` for a person, ``pa`` for an animal (only verbs with subjects pa fit), None for a thing."""
        if subj.__class__ is Pro:
            return "p"
        np = subj.np if subj.__class__ is Ref else subj
        return "p" if np.human else ("pa" if np.noun.cls in ANIMAL_CLASSES else None)

    # ------------------------------------------------------------ clauses
    def complement(self, rng, c: Clause, animal: bool) -> bool:
        """Fill the slots the verb's frame asks for; False when the lexicon has nothing that fits."""
        v = c.verb
        frame = v.frame
        neg = c.neg is not None
        if frame == "tr" or frame == "give":
            if self.objects.get(v) is None:
                return False
            if c.q != "what":
                c.obj = self.object_np(rng, v, neg)
            if frame == "give":
                if self.people is None:
                    return False
                c.rec = self.recipient(rng)
            return True
        if frame == "talk":
            if self.people is None:
                return False
            c.rec = self.recipient(rng)
            return True
        if c.q == "where":
            return True
        if frame == "enter":
            np = self.place_np(rng, "indoor")
        elif frame in ("stay", "go", "arrive", "come", "leave") or \
                (rng.random() < 0.3 and frame in ("intr", "fall")):
            np = self.place_np(rng, "nature" if animal else "any")
            if np is None and frame in ("intr", "fall"):
                return True
        else:
            return True
        if np is None:
            return False
        words = place_words(v, np.noun)
        if about_trap(v, words[1]):
            return True  # not "il réfléchit à la gare" (he thinks about the station)
        c.place = words + (np,)
        return True

    def recipient(self, rng) -> NP:
        noun = self.people.pick(rng)
        np = NP(noun, noun.countable and rng.random() < 0.15)
        if rng.random() < 0.4:
            np.det, np.poss = "poss", POSSESSIVES[int(rng.random() * 6)]
        return np

    def core(self, rng, q: str | None, tense: str, neg: str | None, subject=None) -> Clause | None:
        """A main clause of the given kind, or None when the drawn verb found nothing to fit.

        ``subject`` (a Pro or Ref) is used when the drawn verb accepts it; then no copula.
        """
        frame = self.frames[q].pick(rng) if q in self.frames else None
        if frame is None:
            return None
        if frame == "copula":
            if subject is not None:
                return None
            if tense == "past":
                tense = "present"
            if q == "who":
                subj = WHO
                noun_cls = "person"
            elif rng.random() < 0.25:
                subj = PRONOUNS[bisect_right(PRONOUN_CUM, rng.random() * 8)]
                noun_cls = "person"
            else:
                adj = None
                if self.predicative_all is not None and rng.random() < 0.5:
                    # adjective first, then a noun it describes: adjectives follow their Zipf
                    adj = self.predicative_all.pick(rng)
                    t = self.nouns_for(adj)
                    if t is None:
                        return None
                else:
                    t = self.describable
                noun = t.pick(rng)
                subj = NP(noun, noun.countable and rng.random() < 0.25)
                self._det(rng, subj, rng.random() * 0.65)  # the or a possessive
                if adj is not None:
                    c = Clause(subj, None, tense, neg, q)
                    c.adj = adj
                    return c
                noun_cls = noun.cls
            adjs = self.predicative.get(noun_cls)
            if adjs is None:
                return None
            c = Clause(subj, None, tense, neg, q)
            c.adj = adjs.pick(rng)
            return c
        noun = None
        if frame == "tr" and q is None and self.objectable is not None and rng.random() < 0.5:
            # object first, then a verb that takes it: nouns then follow their own Zipf
            # frequency instead of the number of verbs that take them (few verbs take a violin)
            noun = self.objectable.pick(rng)
            v = self.verbs_taking(noun, False).pick(rng)
        else:
            v = (self.what_verbs if q == "what" else self.by_frame[frame]).pick(rng)
        if q == "who":
            subj = WHO
        elif subject is not None and (self._kind(subject) == "p" or v.subjects == "pa"):
            subj = subject  # a second clause about the same subject
        else:
            subj = self.subject(rng, v.subjects)
        if neg == "plus" and tense == "past":
            neg = "pas"
        c = Clause(subj, v, tense, neg, q)
        if noun is not None:
            c.obj = self.object_np(rng, v, neg is not None, noun=noun)
            return c
        animal = subj.__class__ is NP and not subj.human
        return c if self.complement(rng, c, animal) else None

    def nouns_for(self, adj: Adjective) -> _Table | None:
        """Weighted table of the nouns an adjective may describe (cached)."""
        t = self._adj_nouns.get(adj.en, 0)
        if t == 0:
            t = self._adj_nouns[adj.en] = self._table(nouns_of(adj.goes_with))
        return t

    # ------------------------------------------------------------ relative clauses
    def relative(self, rng, head: NP) -> Clause | None:
        """A relative clause for ``head``: subject (*qui*) when the head can do something, else object (*que*).

        A subject relative's verb must accept the head as its subject (people, or
        animals for verbs with subjects ``pa``); an object relative's verb must list
        the head among its objects.
        """
        tense = TENSES[int(rng.random() * 3)] if rng.random() < 0.5 else "present"
        animate = head.noun.cls in ANIMAL_CLASSES
        objective = self.verbs_taking(head.noun, False)
        if animate and (objective is None or rng.random() < 0.55):
            t = self.rel_subj["p" if head.human else "pa"]
            if t is None:
                return None
            v = t.pick(rng)
            c = Clause(head, v, tense)
            c.rel = "subj"
            if not self.complement(rng, c, not head.human):
                return None
            return c
        if objective is None:
            return None
        v = objective.pick(rng)
        c = Clause(self.subject(rng, v.subjects, 0.5), v, tense)
        c.rel = "obj"
        c.obj = head
        return c

    # ------------------------------------------------------------ the sentence
    def sentence(self, rng: random.Random, target_len: int) -> Sentence:
        """One pair whose English side has ``target_len`` tokens or a few more.

        Length rule: the core clause is drawn (retrying until it fits), then optional
        constructions are added, each only if the English stays within
        ``max(target_len + SLACK, 12)`` tokens (the final "." or "?" included), until the
        English has at least ``target_len`` tokens or MAX_FAILS tries in a row found nothing
        that fits. So the length is never above that bound, and it is below
        ``target_len`` only when the sentence cannot grow (short questions, rarely).
        For targets under 8 a core clause longer than ``target_len + 2`` is usually
        redrawn, so that short targets give short sentences (*she sleeps .*).
        """
        limit = max(target_len + SLACK, 12)
        for _ in range(10_000):
            st = _State(self, rng, limit)
            if st.start(target_len):
                break
        else:
            raise ValueError("the lexicon (with these weights) allows no sentence")
        st.grow(target_len)
        return st.finish()


def _has_relative(np: NP) -> bool:
    return np.rel is not None or (np.conj is not None and _has_relative(np.conj))


def _last_np(c: Clause) -> NP | None:
    """The noun phrase that ends the clause in English (and French), if one does."""
    if c.pps:
        return c.pps[-1][1]
    if c.place is not None:
        return c.place[2]
    if c.verb is None or c.manner is not None:
        return None
    frame = c.verb.frame
    if frame in ("give", "talk"):
        x = c.rec
    elif frame == "tr" and c.q != "what" and c.rel != "obj":
        x = c.obj
    else:
        return None
    return x if x.__class__ is NP else None


def _ends_in_relative(c: Clause) -> bool:
    """True when the clause ends with a relative clause: a time adverb after it would be read with it.

    *elle ne va pas voir la maison que le chat a connue dans deux jours* reads "that
    the cat knew in two days"; the adverb goes to the front instead.
    """
    np = _last_np(c)
    if np is None:
        return False
    while np.conj is not None:
        np = np.conj
    return np.rel is not None


def _ends_clause(c: Clause, np: NP) -> bool:
    """True when ``np`` is (part of) the object or recipient of ``c``."""
    for x in (c.obj, c.rec):
        while x.__class__ is NP:
            if x is np:
                return True
            x = x.conj
    return False


class _State:
    """A sentence while it grows: its clauses, its noun phrases and its English length."""

    __slots__ = ("g", "rng", "limit", "clauses", "conjs", "nps", "n", "q", "time", "time_front")

    def __init__(self, g: Generator, rng: random.Random, limit: int):
        self.g, self.rng, self.limit = g, rng, limit
        self.clauses: list[Clause] = []
        self.conjs: list[str] = []
        self.nps: list[tuple[NP, int]] = []  # noun phrases that may take adjectives, relatives ...
        self.time = None
        self.time_front = False

    def _collect(self, c: Clause, depth: int) -> None:
        """Remember the clause's noun phrases so later steps can expand them."""
        nps = self.nps
        for np in (c.subj, c.obj, c.rec):
            if np.__class__ is NP and (c.rel != "subj" or np is not c.subj) and \
                    (c.rel != "obj" or np is not c.obj):
                nps.append((np, depth))
        if c.place is not None:
            nps.append((c.place[2], depth))

    def start(self, target_len: int) -> bool:
        rng = self.rng
        r = rng.random()
        p_q = 0.3 if target_len <= 10 else (0.15 if target_len <= 20 else 0.05)
        q = None
        if r < p_q:
            r /= p_q
            q = "yn" if r < 0.4 else "what" if r < 0.65 else "who" if r < 0.82 else "where"
        self.q = q
        tense = TENSES[int(rng.random() * 3)]
        neg = None
        if q is None:
            r = rng.random()
            neg = "pas" if r < 0.14 else "jamais" if r < 0.2 else "plus" if r < 0.24 else None
        c = self.g.core(rng, q, tense, neg)
        if c is None:
            return False
        self.n = clause_len(c) + 1
        if self.n > self.limit:
            return False
        if self.n > target_len + 2 and target_len < 8 and rng.random() < 0.85:
            return False  # short targets: prefer short cores (she sleeps .)
        self.clauses.append(c)
        self._collect(c, 0)
        return True

    # ------------------------------------------------------------ growth steps
    def grow(self, target_len: int) -> None:
        rng = self.rng
        fails = 0
        steps = _STEPS
        while self.n < target_len and fails < MAX_FAILS:
            step = steps[bisect_right(_STEP_CUM, rng.random() * _STEP_CUM[-1])]
            added = step(self)
            if added:
                self.n += added
                fails = 0
            else:
                fails += 1

    def _room(self) -> int:
        return self.limit - self.n

    def add_adjective(self) -> int:
        """An adjective on a noun phrase that has none: +1 (rarely +2) tokens."""
        if not self.nps:
            return 0
        g, rng = self.g, self.rng
        if g.attributive_all is not None and rng.random() < 0.5:
            # adjective first, then a noun phrase it fits: adjectives follow their Zipf
            a = g.attributive_all.pick(rng)
            fit = [np for np, _ in self.nps if not np.adjs and np.noun.cls in a.goes_with]
            k = en_len([a.en])
            if not fit or self._room() < k:
                return 0
            fit[int(rng.random() * len(fit))].adjs = (a,)
            return k
        np, _ = self.nps[int(rng.random() * len(self.nps))]
        if np.adjs:
            return 0
        adjs = g._adjs(rng, np.noun, 1.0)
        k = en_len([a.en for a in adjs])
        if not adjs or k > self._room():
            return 0
        np.adjs = adjs
        return k

    def add_relative(self) -> int:
        """A relative clause on a noun phrase (not a coordinated one, not one after a negation)."""
        np, depth = self.nps[int(self.rng.random() * len(self.nps))] if self.nps else (None, 9)
        if depth >= 2 or np.rel is not None or np.conj is not None or np.negde:
            return 0
        for c in self.clauses:  # not "she follows girls who ran easily" (easily: follows)
            if c.manner is not None and _ends_clause(c, np):
                return 0
        rel = self.g.relative(self.rng, np)
        if rel is None:
            return 0
        k = clause_len(rel)
        if k > self._room():
            return 0
        np.rel = rel
        self._collect(rel, depth + 1)
        return k

    def add_pp(self) -> int:
        """A prepositional phrase after a verb: *with her brother*, *near the lake*."""
        g, rng = self.g, self.rng
        if g.preps is None:
            return 0
        c = self.clauses[int(rng.random() * len(self.clauses))]
        if c.verb is None or c.pps:
            return 0
        prep = g.preps.pick(rng)
        t = g.prep_nouns[prep]
        if t is None or about_trap(c.verb, prep.fr.split()):
            return 0  # not "il réfléchit sur la table" (he thinks about the table)
        noun = t.pick(rng)
        if (c.place is not None or c.q == "where") and noun.cls not in ANIMAL_CLASSES:
            return 0  # "she went to the island with her brother", not "... on the door"
        np = NP(noun, noun.countable and rng.random() < 0.2)
        r = rng.random()
        if r < 0.3:
            np.det, np.poss = "poss", POSSESSIVES[int(rng.random() * 6)]
        elif r < 0.45 and prep.fr != "sans" and noun.countable and not np.plural:
            np.det = "a"  # not after sans: *sans voiture* takes no article
        k = _ntok(prep.en) + np_len(np)
        if k > self._room():
            return 0
        c.pps = ((prep, np),)
        self.nps.append((np, 1))
        return k

    def add_time(self) -> int:
        """A time adverb whose kind matches the tense: *yesterday* only with the past."""
        if self.time is not None:
            return 0
        c = self.clauses[0]
        if c.neg in ("jamais", "plus") or (c.tense == "present" and any(x.freq for x in self.clauses)):
            return 0  # not "she never ate bread yesterday", "she often eats bread every day"
        t = self.g.adverbs[c.tense if c.tense != "past" else "past"]
        if t is None:
            return 0
        adv = t.pick(self.rng)
        k = len(adv.en.split())
        if k > self._room():
            return 0
        self.time = adv
        self.time_front = self.q is None and (len(self.clauses) > 1 or self.rng.random() < 0.5)
        return k

    def add_frequency(self) -> int:
        """A frequency adverb (often, always): present or past, not with a negation or a copula."""
        c = self.clauses[int(self.rng.random() * len(self.clauses))]
        t = self.g.adverbs["frequency"]
        if t is None or c.verb is None or c.freq is not None or c.manner is not None or c.neg \
                or c.tense == "future":
            return 0
        adv = t.pick(self.rng)
        k = len(adv.en.split())
        if k > self._room():
            return 0
        if self.time is not None and self.time.kind == "present":
            return 0
        c.freq = adv
        return k

    def add_manner(self) -> int:
        """A manner adverb (slowly, well) on a clause with a verb."""
        c = self.clauses[int(self.rng.random() * len(self.clauses))]
        t = self.g.adverbs["manner"]
        if t is None or c.verb is None or c.manner is not None or c.freq is not None or \
                c.neg in ("jamais", "plus") or c.verb.frame not in MANNER_FRAMES or \
                c.verb.cls in NO_MANNER:
            return 0
        if (c.obj.__class__ is NP and _has_relative(c.obj)) or \
                (c.rec.__class__ is NP and _has_relative(c.rec)):
            return 0  # the English adverb would follow the relative clause
        if c.neg and c.obj.__class__ is NP and c.obj.negde:
            return 0  # not "ne montre pas mal de chevaux" (pas mal de: quite a lot of)
        adv = t.pick(self.rng)
        if adv.en in PLURAL_MANNER and not agreement(c.subj)[2]:
            return 0
        if c.neg and adv.fr in SHORT_MANNER:
            return 0  # "tu ne lis pas mal" is "you read quite well": no bien / mal after a negation
        k = len(adv.en.split())
        if k > self._room():
            return 0
        c.manner = adv
        return k

    def add_np_coordination(self) -> int:
        """*the cat and the dog sleep*: a second subject (same verb fits it), or a second object."""
        g, rng = self.g, self.rng
        c = self.clauses[int(rng.random() * len(self.clauses))]
        if rng.random() < 0.6:
            np = c.subj
            if np.__class__ is not NP or c.rel == "subj" or np.conj is not None or np.rel is not None:
                return 0
            kind = "p" if np.human else "pa"
            if c.verb is None and not g.predicative.get(np.noun.cls):
                return 0
            other = g.subject_np(rng, kind, 0.0)
            if other is None or other.noun is np.noun:
                return 0
            if c.verb is None and not g.predicative[other.noun.cls].items.__contains__(c.adj):
                return 0
        else:
            np = c.obj
            if np.__class__ is not NP or c.rel == "obj" or c.neg or np.conj is not None or \
                    np.rel is not None or np.det == "generic":
                return 0
            other = g.object_np(rng, c.verb, False, 0.0)
            if other.noun is np.noun or other.det == "generic":
                return 0
        k = 1 + np_len(other)
        if k > self._room():
            return 0
        np.conj = other
        self.nps.append((other, 1))
        return k

    def add_clause(self) -> int:
        """A coordinated clause (and / but), often with a pronoun for a noun of the previous clause."""
        g, rng = self.g, self.rng
        if self.q is not None or len(self.clauses) >= 4:
            return 0
        prev = self.clauses[-1]
        tense = prev.tense
        r = rng.random()
        neg = "pas" if r < 0.2 else "jamais" if r < 0.25 else None
        same = rng.random() < 0.75 and g._kind(prev.subj) is not None
        if same:
            s = prev.subj
            subj = s if s.__class__ is not NP else Ref(s)
        else:
            subj = g.subject(rng, "p")
        c = None
        if prev.neg is None and rng.random() < 0.8:
            c = self._pronoun_clause(prev, subj, tense, neg)
        if c is None:
            c = g.core(rng, None, tense, neg, subj if same else None)
            if c is None or c.verb is None:
                return 0
        if c.verb is not None and c.verb.frame == "talk" and c.rec.__class__ is Ref and \
                c.rec.np is (subj.np if subj.__class__ is Ref else subj):
            return 0
        if c.subj is prev.subj or (c.subj.__class__ is Ref and prev.subj.__class__ is Ref and
                                   c.subj.np is prev.subj.np) or \
                (c.subj.__class__ is Ref and c.subj.np is prev.subj):
            c.drop = rng.random() < 0.4
        conj = "but" if (neg is None) != (prev.neg is None) and "but" not in self.conjs else "and"
        k = 1 + clause_len(c)
        if k > self._room():
            return 0
        self.clauses.append(c)
        self.conjs.append(conj)
        self._collect(c, 1)
        return k

    def _pronoun_clause(self, prev: Clause, subj, tense: str, neg: str | None) -> Clause | None:
        """A clause whose object and/or recipient is a pronoun for a noun phrase of ``prev``.

        *she buys a car and she washes it* (direct), *she sees the boy and talks to him*
        (indirect), *she shows the book to the girl and gives it to her* (both).
        """
        g, rng = self.g, self.rng
        subj_np = subj.np if subj.__class__ is Ref else subj
        ants = [x for x in (prev.obj, prev.rec) if x.__class__ is NP]
        ants += [np for _, np in prev.pps]
        if prev.place is not None:
            ants.append(prev.place[2])
        ants = [a for a in ants if a is not subj_np and a.det != "generic"]
        if prev.q == "what" or not ants:
            return None
        animal = g._kind(subj) == "pa"
        people = [a for a in ants if a.human]
        r = rng.random()
        if r < 0.35 and people and not animal:
            give = g.by_frame.get("give")
            if give is not None:
                v = give.pick(rng)
                things = [a for a in ants if a not in people and _fits(a.noun, v.objects)
                          and g.objects.get(v) is not None]
                if things:
                    c = Clause(subj, v, tense, neg)
                    c.obj = Ref(things[int(rng.random() * len(things))])
                    c.rec = Ref(people[int(rng.random() * len(people))])
                    return c
        if r < 0.6 and people and not animal:
            frame = "talk" if rng.random() < 0.6 else "give"
            t = g.by_frame.get(frame)
            if t is not None:
                v = t.pick(rng)
                c = Clause(subj, v, tense, neg)
                if frame == "give":
                    if g.objects.get(v) is None:
                        return None
                    c.obj = g.object_np(rng, v, neg is not None)
                c.rec = Ref(people[int(rng.random() * len(people))])
                return c
        ant = ants[int(rng.random() * len(ants))]
        t = g.verbs_taking(ant.noun, animal)
        if t is None:
            return None
        c = Clause(subj, t.pick(rng), tense, neg)
        c.obj = Ref(ant)
        return c

    # ------------------------------------------------------------ output
    def finish(self) -> Sentence:
        front = self.time_front
        if self.time is not None and not front and self.q is None and \
                _ends_in_relative(self.clauses[-1]):
            front = True  # not "she sees the house that the cat knew tomorrow"
        return realise(self.clauses, self.conjs, self.time, front)


def realise(clauses: list[Clause], conjs: list[str] = (), time: Adverb | None = None,
            time_front: bool = False) -> Sentence:
    """Write out coordinated clauses (``conjs``: "and" / "but" between them) as a :class:`Sentence`.

    The time adverb goes at the start (``time_front``) or at the end of the sentence;
    a question (the first clause's ``q``) ends in "?", anything else in ".". Elision
    and contraction are applied to the whole French sentence at the end.
    """
    acc = _Acc()
    en: list[str] = []
    fr: list[str] = []
    if time is not None:
        acc.features.append("adverb_time")
        acc.lemmas.append("adv:" + time.en)
        if time_front:
            en += time.en.split()
            fr += time.fr.split()
    for i, c in enumerate(clauses):
        if i:
            conj = conjs[i - 1]
            en.append(conj)
            fr.append("et" if conj == "and" else "mais")
            acc.features.append("coordination_clause")
        en += clause_en(c)
        fr += clause_fr(c, acc)
    if time is not None and not time_front:
        en += time.en.split()
        fr += time.fr.split()
    end = "?" if clauses[0].q else "."
    en.append(end)
    fr.append(end)
    if not EN_MULTI.isdisjoint(en):  # multi-word English entries (next to, pick up)
        en = [t for w in en for t in w.split()]
    if not MULTI.keys().isdisjoint(fr):
        fr = [t for w in fr for t in MULTI.get(w, (w,))]
    return Sentence(tuple(en), tuple(elide_and_contract(fr)), frozenset(acc.lemmas),
                    frozenset(acc.combos), frozenset(acc.features))


_STEP_WEIGHTS = ((_State.add_adjective, 4), (_State.add_relative, 3), (_State.add_pp, 2.5),
                 (_State.add_time, 1.5), (_State.add_frequency, 1.2), (_State.add_manner, 1.2),
                 (_State.add_np_coordination, 1.2), (_State.add_clause, 3.5))
_STEPS = tuple(s for s, _ in _STEP_WEIGHTS)
_STEP_CUM = tuple(accumulate(w for _, w in _STEP_WEIGHTS))
