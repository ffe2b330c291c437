"""The course's offline corpora: English-French pairs and an English corpus (chapters 3 to 7).

Everything is generated from :mod:`embcourse.lexicon` by :mod:`embcourse.grammar`
with an explicit ``random.Random(seed)``: the same seed gives the same corpus,
byte for byte, and nothing is downloaded. See the book's data page.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

from embcourse.grammar import (ADJECTIVES, NOUNS, OBJECTS, PLACES, PREDICATIVE, PRONOUNS,
                               VERBS, Sentence, sentence)
from embcourse.lexicon import GENDERED_PAIRS, NUMBERS, PERSON_CLASSES

_TOKEN = re.compile(r"(?<!\w)(?:qu|jusqu|lorsqu|puisqu|[ljndcmts])'"
                    r"|\w+(?:['-]\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Lower-case and split into words, elided forms (l', j', qu') and punctuation (ch. 3).

    The text is first put in Unicode NFC, so an accent typed as a separate
    combining mark (``e`` + U+0301) gives the same token as the composed ``é``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'")
    return _TOKEN.findall(text.lower())


SENTENCE_END = frozenset(".!?\u2026")  # tokens that end a sentence: . ! ? and the ellipsis
_CLOSERS = frozenset("\"')]\u00bb\u201d")  # closing quotes and brackets may follow them


def normalise(text: str) -> str:
    """Text as a person types it -> the tokenized form the translation models see (chapters 6 and 7).

    The one normaliser of the translation chapters, used when the data are
    built (:meth:`embcourse.seq2seq.TranslationData.build`) and on every
    sentence given to ``translate``: Unicode NFC, lower case, words, elided forms
    and punctuation split apart by :func:`tokenize`, tokens joined by single
    spaces. A sentence that does not end with ``.``, ``!``, ``?`` or ``…``
    (possibly followed by a closing quote or bracket) gets a final ``.``:
    every training sentence ends with punctuation, and a model never shown a
    sentence without it does not know where the sentence stops. The training
    text is a fixed point: ``normalise(s) == s``. Empty text gives ``""``.
    """
    tokens = tokenize(text)
    end = len(tokens)
    while end > 0 and tokens[end - 1] in _CLOSERS:
        end -= 1
    if tokens and (end == 0 or tokens[end - 1] not in SENTENCE_END):
        tokens.append(".")
    return " ".join(tokens)


def _generate(num_pairs: int, seed: int) -> list[Sentence]:
    """num_pairs sentences with distinct English sides (so distinct pairs)."""
    if not isinstance(num_pairs, int) or isinstance(num_pairs, bool) or num_pairs < 1:
        raise ValueError(f"num_pairs must be a positive int, got {num_pairs!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[Sentence] = []
    for _ in range(30 * num_pairs + 1000):
        s = sentence(rng)
        key = " ".join(s.en)
        if key not in seen:
            seen.add(key)
            out.append(s)
            if len(out) == num_pairs:
                return out
    raise ValueError(f"could not generate {num_pairs} distinct pairs; ask for fewer")


def translation_pairs(num_pairs: int = 50_000, seed: int = 0) -> list[tuple[str, str]]:
    """Distinct (english, french) pairs, tokenized, tokens joined by spaces (chapter 6)."""
    return [(" ".join(s.en), " ".join(s.fr)) for s in _generate(num_pairs, seed)]


@dataclass
class Splits:
    """Train/valid/test pairs, plus test_combos: pairs built on held-out combinations."""

    train: list[tuple[str, str]]
    valid: list[tuple[str, str]]
    test: list[tuple[str, str]]
    test_combos: list[tuple[str, str]]
    held_out: str
    held_combos: frozenset = field(default_factory=frozenset, repr=False)


def held_out_combos(seed: int = 0, fraction: float = 0.05) -> frozenset:
    """The noun-adjective and verb-object combinations kept out of train and valid (ch. 6)."""
    rng = random.Random(f"held-out-{seed}")
    candidates = [("noun_adj", n.en, a.en) for n in NOUNS for a in PREDICATIVE[n.en]]
    candidates += [("verb_obj", v, n.en) for v, nouns in OBJECTS.items() for n in nouns]
    return frozenset(c for c in candidates if rng.random() < fraction)


def translation_splits(num_pairs: int = 50_000, seed: int = 0) -> Splits:
    """Split the pairs 90/5/5 at random, after moving held-out combinations to test_combos (ch. 6)."""
    held = held_out_combos(seed)
    pairs, combos = [], []
    for s in _generate(num_pairs, seed):
        pair = (" ".join(s.en), " ".join(s.fr))
        (combos if held.intersection(s.combos) else pairs).append(pair)
    random.Random(seed + 1).shuffle(pairs)
    n_eval = len(pairs) // 20
    kinds = {k: sorted(c[1:] for c in held if c[0] == k) for k in ("noun_adj", "verb_obj")}
    na, vo = kinds["noun_adj"], kinds["verb_obj"]
    text = (f"{len(na)} noun-adjective pairs (e.g. {', '.join(' + '.join(c) for c in na[:3])}) and "
            f"{len(vo)} verb-object pairs (e.g. {', '.join(' + '.join(c) for c in vo[:3])}) never occur "
            f"in train or valid; test_combos holds the {len(combos)} sentences that use one of them.")
    return Splits(pairs[2 * n_eval:], pairs[:n_eval], pairs[n_eval:2 * n_eval], combos, text, held)


# ------------------------------------------------------------ English corpus
# Words each gendered pair shares (its "role"), used by the English corpus.
ROLE_CONTEXT = {
    "man": ("street", "newspaper", "office", "phone"),
    "boy": ("school", "toy", "ball", "park"),
    "father": ("baby", "house", "car", "garden"),
    "brother": ("bike", "guitar", "cinema", "mountain"),
    "son": ("letter", "pen", "beach", "book"),
    "uncle": ("village", "farm", "tractor", "boat"),
    "grandfather": ("chair", "clock", "church", "lamp"),
    "husband": ("hotel", "wine", "gift", "sea"),
    "nephew": ("zoo", "cake", "island", "cookie"),
    "king": ("palace", "crown", "lake", "horse"),
    "prince": ("castle", "sword", "forest", "hat"),
    "waiter": ("restaurant", "plate", "glass", "coffee"),
    "actor": ("theatre", "picture", "coat", "umbrella"),
    "policeman": ("bank", "airport", "bus", "truck"),
    "bull": ("farm", "tractor", "goat", "pig"),
    "rooster": ("egg", "garden", "duck", "bread"),
    "lion": ("zoo", "meat", "forest", "tiger"),
    "horse": ("river", "carrot", "mountain", "donkey"),
}
PRESENT_ADVERBS = (("every", "day"), ("often",), ("now",))
PAST_ADVERBS = (("yesterday",), ("last", "week"))
FUTURE_ADVERBS = (("tomorrow",), ("next", "week"))
_CHILD_ROLES = frozenset({"boy", "son", "nephew", "prince"})


def _gender_sentence(rng: random.Random) -> list[str]:
    """A sentence putting a gendered word next to its role words and its gender cues."""
    pair = GENDERED_PAIRS[rng.randrange(len(GENDERED_PAIRS))]
    noun = pair[rng.randrange(2)]
    role = ROLE_CONTEXT[pair[0].en]
    ctx = role[rng.randrange(4)]
    fem = noun.gender == "f"
    he, his = ("she", "her") if fem else ("he", "his")
    kind = rng.randrange(5)
    if pair[0].cls == "animal":
        base = "female" if fem else "male"
        return [[he, "is", _a(noun.en), noun.en, "."], ["the", noun.en, "is", base, "."],
                ["the", noun.en, "likes", "the", ctx, "."],
                ["the", noun.en, "is", "near", "the", ctx, "."],
                ["the", base, noun.en, "sees", "the", ctx, "."]][kind]
    base = ("girl" if fem else "boy") if pair[0].en in _CHILD_ROLES else ("woman" if fem else "man")
    return [[he, "is", _a(noun.en), noun.en, "."], ["the", noun.en, "is", "a", base, "."],
            ["the", noun.en, "likes", his, ctx, "."],
            ["the", noun.en, "and", his, ctx, "."],
            ["the", noun.en, "sees", his, ctx, "."]][kind]


def _signature(noun_en: str) -> tuple[str, str]:
    """A fixed favourite adjective and place for each noun: its own contexts."""
    r = random.Random("signature-" + noun_en)
    adjs = [a.en for a in PREDICATIVE[noun_en]] or ["here"]
    return adjs[r.randrange(len(adjs))], PLACES[r.randrange(len(PLACES))].en


_COUNTABLE = [n for n in NOUNS if n.en_pl != "-"]


def _a(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _number_sentence(rng: random.Random) -> list[str]:
    """The same noun in singular and plural contexts (is/are, a/two, it/they)."""
    noun = _COUNTABLE[rng.randrange(len(_COUNTABLE))]
    adj, place = _signature(noun.en)
    person = noun.cls in PERSON_CLASSES
    it = ("she" if noun.gender == "f" else "he") if person else "it"
    kind = rng.randrange(3)
    if rng.random() < 0.5:
        return [["the", noun.en, "is", adj, "."], [_a(noun.en), noun.en, "is", "in", "the", place, "."],
                ["the", noun.en, "is", adj, "and", it, "is", "in", "the", place, "."]][kind]
    num = NUMBERS[rng.randrange(len(NUMBERS))][0]
    return [["the", noun.en_pl, "are", adj, "."], [num, noun.en_pl, "are", "in", "the", place, "."],
            ["the", noun.en_pl, "are", adj, "and", "they", "are", "in", "the", place, "."]][kind]


def _grammar_sentence(rng: random.Random) -> list[str]:
    """The English side of a translation sentence, often with a time adverb."""
    s = sentence(rng)
    if rng.random() < 0.5 and s.en[-1] == ".":
        options = {"present": PRESENT_ADVERBS, "past": PAST_ADVERBS, "future": FUTURE_ADVERBS}[s.tense]
        return list(options[rng.randrange(len(options))]) + s.en
    return s.en


_TENSE_VERBS = [v for v in VERBS if v.en in OBJECTS and v.frame == "tr"]


def _tense_sentence(rng: random.Random) -> list[str]:
    """A verb in the present with "every day" or in the past with "yesterday"."""
    verb = _TENSE_VERBS[rng.randrange(len(_TENSE_VERBS))]
    objects = OBJECTS[verb.en]
    obj = objects[rng.randrange(len(objects))].en
    subj = ["the", _COUNTABLE[rng.randrange(len(_COUNTABLE))].en]
    if rng.random() < 0.5:
        return subj + [verb.en_3sg, "the", obj, "every", "day", "."]
    return ["yesterday"] + subj + [verb.en_past, "the", obj, "."]


def english_corpus(num_tokens: int = 1_000_000, seed: int = 0) -> list[list[str]]:
    """Tokenized English sentences from the translation world, at least num_tokens tokens (ch. 3)."""
    if not isinstance(num_tokens, int) or isinstance(num_tokens, bool) or num_tokens < 1:
        raise ValueError(f"num_tokens must be a positive int, got {num_tokens!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    rng = random.Random(seed)
    makers = [_grammar_sentence] * 10 + [_gender_sentence] * 4 + [_number_sentence] * 4 + [_tense_sentence] * 2
    sentences, total = [], 0
    while total < num_tokens:
        sent = makers[rng.randrange(len(makers))](rng)
        sentences.append(sent)
        total += len(sent)
    return sentences


# ------------------------------------------------ what embeddings should find
_ADJ_GROUPS = {"colour": "colour", "mood": "person_quality", "character": "person_quality",
               "taste": "food_quality", "temperature": "food_quality"}


def _word_classes() -> dict[str, str]:
    classes: dict[str, str] = {}
    for n in NOUNS:
        for w in (n.en, n.en_pl):
            if w != "-":
                classes[w] = n.cls
    classes.update({p.en: "place" for p in PLACES})
    classes.update({a.en: _ADJ_GROUPS.get(a.cls, "thing_quality") for a in ADJECTIVES
                    if a.en not in classes})
    for v in VERBS:
        for w in (v.en, v.en_3sg, v.en_past):
            classes.setdefault(w, "verb_" + v.cls)
    classes.update({en: "number" for en, _ in NUMBERS})
    classes.update({p: "pronoun" for p in PRONOUNS})
    return dict(sorted(classes.items()))


def _analogies() -> dict[str, list[tuple[str, str, str, str]]]:
    people = [p for p in GENDERED_PAIRS if p[0].cls != "animal"]
    animals = [p for p in GENDERED_PAIRS if p[0].cls == "animal"]
    gender = [(a[0].en, a[1].en, b[0].en, b[1].en) for i, a in enumerate(people)
              for b in (people[(i + 1) % len(people)], people[(i + 4) % len(people)])]
    gender += [(a[0].en, a[1].en, b[0].en, b[1].en) for i, a in enumerate(animals) for b in animals[i + 1:]]
    gender += [("man", "woman", "king", "queen"), ("king", "queen", "prince", "princess"),
               ("he", "she", "his", "her"), ("he", "she", "man", "woman"), ("he", "she", "king", "queen")]
    gender = list(dict.fromkeys(gender))
    nouns = [n for n in NOUNS if n.en_pl != "-" and n.cls in ("animal", "food", "vehicle", "object")]
    plural = [(a.en, a.en_pl, b.en, b.en_pl) for a, b in zip(nouns[::2], nouns[1::2]) if a.cls == b.cls]
    plural += [(p[0].en, p[0].en_pl, p[1].en, p[1].en_pl) for p in people]
    verbs = [v for v in VERBS if v.frame in ("tr", "give", "intr")]
    tense = [(a.en_3sg, a.en_past, b.en_3sg, b.en_past) for a, b in zip(verbs[::2], verbs[1::2])]
    return {"gender": gender, "plural": plural, "past_tense": tense}


WORD_CLASSES: dict[str, str] = _word_classes()
ANALOGY_RELATIONS: dict[str, list[tuple[str, str, str, str]]] = _analogies()
ANALOGIES: list[tuple[str, str, str, str]] = [a for rel in ANALOGY_RELATIONS.values() for a in rel]
