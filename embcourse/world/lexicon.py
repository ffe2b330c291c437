"""The bigger world's bilingual lexicon: tab-separated files in ``data/``, checked at import.

Each file has a header row naming its columns; blank lines and lines starting with
``#`` are skipped. A cell holding several values separates them with ``|``; ``-``
means "none". Every row is validated when the module is imported, and a bad row
raises :class:`LexiconError` naming the file, the line and what was expected, so a
learner who edits a table is told exactly what is wrong.

Files and columns (see ``book/data.md`` for what the generator does with them):

``nouns.tsv``
    ``en en_pl fr fr_pl gender cls zipf h_aspire pair at_en at_fr to_fr``.
    ``en_pl`` is ``-`` for a mass noun (singular only, partitive in French).
    ``gender`` is ``m`` or ``f``; ``cls`` one of :data:`NOUN_CLASSES`; ``zipf`` the
    English word's Zipf frequency from ``wordfreq`` (log10 of occurrences per
    billion words); ``h_aspire`` 1 when the French word starts with an aspirated h
    (no elision: *le hibou*); ``pair`` the English noun of the other gender
    (*man* -> *woman*) or ``-``; ``at_en at_fr to_fr`` the prepositions of a place
    noun (*in / dans / à*: "in the house", "dans la maison", "à la maison") or ``-``.
``adjectives.tsv``
    ``en m f m_pl f_pl m_vowel pre cls goes_with attributive zipf``: the four French
    forms, the masculine singular before a vowel (*bel*, or ``-`` when it is the
    same), ``pre`` 1 when the adjective comes before the noun, ``goes_with`` the
    noun classes it may describe, ``attributive`` 0 when it is only used after
    *to be* (*prêt*).
``verbs.tsv``
    ``en en_3sg en_past en_pp en_prep fr present participle aux frame subjects objects cls zipf``:
    ``en_prep`` the English preposition that introduces the object or recipient
    (*look* **at** the cat / *regarder le chat*; *talk* **to** the boy / *parler au
    garçon*) or ``-``,
    ``present`` the six present-tense forms (je|tu|il|nous|vous|ils), ``aux``
    ``avoir`` or ``être``, ``frame`` one of :data:`FRAMES`, ``subjects`` ``p``
    (people) or ``pa`` (people and animals), ``objects`` the noun classes (or
    English nouns) the verb takes as its object.
``adverbs.tsv``
    ``en fr kind zipf``: ``kind`` one of :data:`ADVERB_KINDS`; multi-word adverbs
    separate their tokens with spaces (*every day* / *tous les jours*).
``prepositions.tsv``
    ``en fr takes zipf``: a preposition that heads a phrase after the verb, and the
    noun classes it takes (*with a friend* / *avec un ami*). ``fr`` ending in
    `` de`` contracts with the article (*près du lac*).
``numbers.tsv``
    ``en fr value``.
"""

from __future__ import annotations

import csv
from importlib import resources
from typing import NamedTuple

NOUN_CLASSES = (
    # people
    "person", "family", "job",
    # living things
    "animal", "plant",
    # things to eat and drink
    "food", "drink",
    # things
    "clothing", "furniture", "tableware", "tool", "toy", "instrument", "vehicle",
    "document", "object", "device", "container",
    # places
    "building", "room", "nature", "town",
    # things people make or think
    "media", "idea",
)
PEOPLE = ("person", "family", "job")
PLACE_CLASSES = ("building", "room", "nature", "town")
FRAMES = (
    "tr",      # direct object: she sees the cat / elle voit le chat
    "intr",    # no object: she sleeps
    "give",    # object and recipient: she gives the book to her father / ... à son père
    "talk",    # recipient only, French à: she talks to the boy / elle parle au garçon
    "go", "come", "arrive", "leave", "enter", "fall", "stay",  # motion, with a place
)
ADVERB_KINDS = ("past", "present", "future", "frequency", "manner")
PRONOUN_PERSONS = 6


class LexiconError(ValueError):
    """A row of a lexicon file is malformed; the message names the file and line."""


class Noun(NamedTuple):
    en: str
    en_pl: str
    fr: str
    fr_pl: str
    gender: str
    cls: str
    zipf: float
    h_aspire: bool
    pair: str
    at_en: str
    at_fr: str
    to_fr: str

    @property
    def countable(self) -> bool:
        return self.en_pl != "-"

    @property
    def is_place(self) -> bool:
        return self.at_en != "-"


class Adjective(NamedTuple):
    en: str
    m: str
    f: str
    m_pl: str
    f_pl: str
    m_vowel: str
    pre: bool
    cls: str
    goes_with: tuple[str, ...]
    attributive: bool
    zipf: float


class Verb(NamedTuple):
    en: str
    en_3sg: str
    en_past: str
    en_pp: str
    en_prep: str
    fr: str
    present: tuple[str, ...]
    participle: str
    aux: str
    frame: str
    subjects: str
    objects: tuple[str, ...]
    cls: str
    zipf: float


class Adverb(NamedTuple):
    en: str
    fr: str
    kind: str
    zipf: float


class Preposition(NamedTuple):
    en: str
    fr: str
    takes: tuple[str, ...]
    zipf: float


class Number(NamedTuple):
    en: str
    fr: str
    value: int


DATA = resources.files(__package__).joinpath("data")  # where the tables are read from


def _rows(name: str, columns: tuple[str, ...]):
    """Yield (line number, {column: cell}) for each data row of DATA/<name>."""
    path = DATA.joinpath(name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LexiconError(f"{name}: lexicon file missing (looked in {DATA})") from None
    header = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = tuple(cells)
            if header != columns:
                raise LexiconError(f"{name}:{lineno}: header must be {'<TAB>'.join(columns)}, "
                                   f"got {'<TAB>'.join(header)}")
            continue
        if len(cells) != len(columns):
            raise LexiconError(f"{name}:{lineno}: expected {len(columns)} tab-separated "
                               f"cells ({', '.join(columns)}), got {len(cells)}")
        if any(c != c.strip() or not c for c in cells):
            raise LexiconError(f"{name}:{lineno}: empty cell or cell with surrounding spaces")
        yield lineno, dict(zip(columns, cells))
    if header is None:
        raise LexiconError(f"{name}: no header row")


def _check(ok: bool, name: str, lineno: int, what: str) -> None:
    if not ok:
        raise LexiconError(f"{name}:{lineno}: {what}")


def _flag(value: str, name: str, lineno: int, column: str) -> bool:
    _check(value in ("0", "1"), name, lineno, f"{column} must be 0 or 1, got {value!r}")
    return value == "1"


def _zipf(value: str, name: str, lineno: int) -> float:
    try:
        z = float(value)
    except ValueError:
        z = -1.0
    _check(0.0 <= z <= 8.0, name, lineno, f"zipf must be a number in [0, 8], got {value!r}")
    return z


def _classes(value: str, name: str, lineno: int, column: str, nouns: set[str] | None = None,
             allow_none: bool = False) -> tuple[str, ...]:
    if value == "-":
        _check(allow_none, name, lineno, f"{column} must name at least one noun class")
        return ()
    out = tuple(value.split("|"))
    for c in out:
        _check(c in NOUN_CLASSES or (nouns is not None and c in nouns), name, lineno,
               f"{column}: {c!r} is neither a noun class ({', '.join(NOUN_CLASSES)})"
               + (" nor a noun of nouns.tsv" if nouns is not None else ""))
    return out


def _lower(word: str, name: str, lineno: int, column: str) -> str:
    _check(word == word.lower(), name, lineno, f"{column} must be lower case, got {word!r}")
    return word


def _load_nouns() -> list[Noun]:
    name = "nouns.tsv"
    cols = Noun._fields
    out, seen = [], set()
    for n, r in _rows(name, cols):
        for c in ("en", "en_pl", "fr", "fr_pl"):
            _lower(r[c], name, n, c)
        _check(" " not in r["en"] and " " not in r["en_pl"], name, n,
               "English nouns must be one token")
        _check(r["gender"] in ("m", "f"), name, n, f"gender must be m or f, got {r['gender']!r}")
        _check(r["cls"] in NOUN_CLASSES, name, n, f"cls {r['cls']!r} is not one of {NOUN_CLASSES}")
        _check((r["en_pl"] == "-") == (r["fr_pl"] == "-"), name, n,
               "a mass noun has '-' in both en_pl and fr_pl")
        place = tuple(r[c] for c in ("at_en", "at_fr", "to_fr"))
        _check(all(p == "-" for p in place) == (r["cls"] not in PLACE_CLASSES), name, n,
               f"at_en, at_fr and to_fr are given exactly for the place classes {PLACE_CLASSES}")
        _check(r["en"] not in seen, name, n, f"duplicate English noun {r['en']!r}")
        seen.add(r["en"])
        out.append(Noun(r["en"], r["en_pl"], r["fr"], r["fr_pl"], r["gender"], r["cls"],
                        _zipf(r["zipf"], name, n), _flag(r["h_aspire"], name, n, "h_aspire"),
                        r["pair"], *(p.replace("_", " ") for p in place)))
    by_en = {x.en: x for x in out}
    for x in out:
        if x.pair != "-":
            other = by_en.get(x.pair)
            if other is None or other.pair != x.en or other.gender == x.gender:
                raise LexiconError(f"{name}: pair {x.en!r} -> {x.pair!r} must point to a noun of "
                                   "the other gender that points back")
    return out


def _load_adjectives() -> list[Adjective]:
    name = "adjectives.tsv"
    out, seen = [], set()
    for n, r in _rows(name, Adjective._fields):
        for c in ("en", "m", "f", "m_pl", "f_pl", "m_vowel"):
            _lower(r[c], name, n, c)
        _check(r["en"] not in seen, name, n, f"duplicate English adjective {r['en']!r}")
        seen.add(r["en"])
        out.append(Adjective(r["en"], r["m"], r["f"], r["m_pl"], r["f_pl"],
                             r["m"] if r["m_vowel"] == "-" else r["m_vowel"],
                             _flag(r["pre"], name, n, "pre"), r["cls"],
                             _classes(r["goes_with"], name, n, "goes_with"),
                             _flag(r["attributive"], name, n, "attributive"),
                             _zipf(r["zipf"], name, n)))
    return out


def _load_verbs(nouns: set[str]) -> list[Verb]:
    name = "verbs.tsv"
    out, seen = [], set()
    for n, r in _rows(name, Verb._fields):
        present = tuple(r["present"].split("|"))
        _check(len(present) == PRONOUN_PERSONS, name, n,
               f"present must hold 6 forms separated by '|', got {len(present)}")
        _check(r["aux"] in ("avoir", "être"), name, n, f"aux must be avoir or être, got {r['aux']!r}")
        _check(r["frame"] in FRAMES, name, n, f"frame {r['frame']!r} is not one of {FRAMES}")
        _check(r["subjects"] in ("p", "pa"), name, n, "subjects must be p or pa")
        objects = _classes(r["objects"], name, n, "objects", nouns, allow_none=True)
        _check(bool(objects) == (r["frame"] in ("tr", "give")), name, n,
               "objects are given exactly for the frames tr and give")
        key = (r["en"], r["frame"])
        _check(key not in seen, name, n, f"duplicate verb {r['en']!r} with frame {r['frame']!r}")
        seen.add(key)
        out.append(Verb(r["en"], r["en_3sg"], r["en_past"], r["en_pp"], r["en_prep"], r["fr"], present,
                        r["participle"], r["aux"], r["frame"], r["subjects"], objects, r["cls"],
                        _zipf(r["zipf"], name, n)))
    return out


def _load_adverbs() -> list[Adverb]:
    name = "adverbs.tsv"
    out = []
    for n, r in _rows(name, Adverb._fields):
        _check(r["kind"] in ADVERB_KINDS, name, n, f"kind {r['kind']!r} is not one of {ADVERB_KINDS}")
        out.append(Adverb(r["en"], r["fr"], r["kind"], _zipf(r["zipf"], name, n)))
    return out


def _load_prepositions() -> list[Preposition]:
    name = "prepositions.tsv"
    return [Preposition(r["en"], r["fr"], _classes(r["takes"], name, n, "takes"),
                        _zipf(r["zipf"], name, n))
            for n, r in _rows(name, Preposition._fields)]


def _load_numbers() -> list[Number]:
    name = "numbers.tsv"
    out = []
    for n, r in _rows(name, Number._fields):
        _check(r["value"].isdigit(), name, n, f"value must be a whole number, got {r['value']!r}")
        out.append(Number(r["en"], r["fr"], int(r["value"])))
    return out


NOUNS: list[Noun] = _load_nouns()
ADJECTIVES: list[Adjective] = _load_adjectives()
VERBS: list[Verb] = _load_verbs({x.en for x in NOUNS})
ADVERBS: list[Adverb] = _load_adverbs()
PREPOSITIONS: list[Preposition] = _load_prepositions()
NUMBERS: list[Number] = _load_numbers()
