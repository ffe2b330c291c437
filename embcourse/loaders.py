"""Readers for real data files: sentence pairs, word vectors, plain text (chapters 3, 4 and 6).

Each reader checks every line. A bad line raises :class:`DataFormatError`
naming the file, the line number and what was expected. With
``on_error="skip"`` bad lines are skipped instead, counted in a warning and,
when a ``report`` dict is given, listed there as ``(line_number, message)``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch import Tensor

from embcourse.corpus import tokenize

PathLike = str | os.PathLike


class DataFormatError(ValueError):
    """A data file does not have the expected format; the message names file and line."""


class _Lines:
    """Decoded lines of a file with their numbers; bad lines raise or are recorded."""

    def __init__(self, path: PathLike, on_error: str, report: dict | None, expected: str):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or a Path, got {type(path).__name__}")
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        self.path, self.on_error, self.expected = Path(path), on_error, expected
        self.report = report if report is not None else {}
        self.report.update(lines=0, skipped=[])
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: no such file")

    def error(self, lineno: int, message: str) -> None:
        """Raise, or record the bad line when skipping."""
        if self.on_error == "raise":
            raise DataFormatError(f"{self.path}: line {lineno}: {message}")
        self.report["skipped"].append((lineno, message))

    def __iter__(self) -> Iterator[tuple[int, str]]:
        with open(self.path, "rb") as f:
            for lineno, raw in enumerate(f, start=1):
                self.report["lines"] = lineno
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    self.error(lineno, f"expected UTF-8 text, got the byte 0x{raw[e.start]:02x} "
                                       f"at column {e.start + 1}")
                    continue
                if lineno == 1:
                    text = text.lstrip("\ufeff")
                yield lineno, text.rstrip("\r\n")

    def finish(self, num_items: int) -> None:
        """Fail on a file with nothing usable; warn about skipped lines."""
        skipped = self.report["skipped"]
        if self.report["lines"] == 0:
            raise DataFormatError(f"{self.path}: line 1: expected {self.expected}, got an empty file")
        if num_items == 0:
            where = skipped[0][0] if skipped else self.report["lines"]
            raise DataFormatError(f"{self.path}: line {where}: expected {self.expected}, "
                                  f"got no usable line in {self.report['lines']}")
        if skipped:
            first = skipped[0]
            warnings.warn(f"{self.path.name}: skipped {len(skipped)} bad line(s) of {self.report['lines']} "
                          f"(first: line {first[0]}: {first[1]})", stacklevel=3)


def read_tatoeba(path: PathLike, on_error: str = "raise", tokenized: bool = True,
                 report: dict | None = None) -> list[tuple[str, str]]:
    """Read english<TAB>french[<TAB>attribution] lines, as in Tatoeba/Anki files (chapter 6)."""
    lines = _Lines(path, on_error, report, "lines 'english<TAB>french[<TAB>attribution]'")
    pairs = []
    for lineno, text in lines:
        cols = text.split("\t")
        if len(cols) not in (2, 3):
            lines.error(lineno, f"expected 2 or 3 tab-separated columns (english, french[, attribution]), "
                                f"got {len(cols)}")
            continue
        en, fr = cols[0].strip(), cols[1].strip()
        if not en or not fr:
            lines.error(lineno, f"expected non-empty english and french columns, got {en!r} and {fr!r}")
            continue
        pairs.append((" ".join(tokenize(en)), " ".join(tokenize(fr))) if tokenized else (en, fr))
    lines.finish(len(pairs))
    return pairs


def _parse_vector(lines: _Lines, lineno: int, parts: list[str], dim: int | None) -> np.ndarray | None:
    """The numbers after the word, or None after reporting what is wrong."""
    if len(parts) < 2:
        lines.error(lineno, f"expected a word followed by {dim or 'its'} numbers, got {len(parts)} field(s)")
        return None
    if dim is not None and len(parts) - 1 != dim:
        lines.error(lineno, f"expected {dim} numbers after the word {parts[0]!r}, got {len(parts) - 1}")
        return None
    try:
        vec = np.array(parts[1:], dtype=np.float32)
    except ValueError:
        col = next(i for i, v in enumerate(parts[1:], start=2) if not _is_number(v))
        lines.error(lineno, f"expected a number in column {col}, got {parts[col - 1]!r}")
        return None
    if not np.isfinite(vec).all():
        lines.error(lineno, f"expected finite numbers, got nan or inf after the word {parts[0]!r}")
        return None
    return vec


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _read_vectors(lines: _Lines, rows: Iterator[tuple[int, str]], dim: int | None
                  ) -> tuple[list[str], list[np.ndarray]]:
    itos, vecs, seen = [], [], set()
    for lineno, text in rows:
        parts = text.split()
        vec = _parse_vector(lines, lineno, parts, dim)
        if vec is None:
            continue
        if parts[0] in seen:
            lines.error(lineno, f"expected each word once, got {parts[0]!r} again")
            continue
        dim = len(vec)
        seen.add(parts[0])
        itos.append(parts[0])
        vecs.append(vec)
    return itos, vecs


def read_glove(path: PathLike, on_error: str = "raise",
               report: dict | None = None) -> tuple[list[str], Tensor]:
    """Read GloVe text vectors ('word v1 ... vD' per line) into (itos, (V, D) tensor) (chapter 4)."""
    lines = _Lines(path, on_error, report, "lines 'word v1 ... vD'")
    rows = iter(lines)
    first = next(rows, None)
    if first is not None:
        parts = first[1].split()
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            raise DataFormatError(f"{lines.path}: line 1: expected 'word v1 ... vD', got the header "
                                  f"{first[1]!r} of a word2vec file: use read_word2vec_text")
        rows = _chain(first, rows)
    itos, vecs = _read_vectors(lines, rows, None)
    lines.finish(len(itos))
    return itos, torch.from_numpy(np.stack(vecs))  # (V, D)


def _chain(first, rest):
    yield first
    yield from rest


def read_word2vec_text(path: PathLike, on_error: str = "raise",
                       report: dict | None = None) -> tuple[list[str], Tensor]:
    """Read the word2vec text format (header 'count dim', then 'word v1 ... vD') (chapter 3)."""
    lines = _Lines(path, on_error, report, "a header 'count dim' then lines 'word v1 ... vD'")
    rows = iter(lines)
    first = next(rows, None)
    if first is None:
        lines.finish(0)
    header = first[1].split()
    if len(header) != 2 or not all(h.isdigit() and int(h) > 0 for h in header):
        raise DataFormatError(f"{lines.path}: line 1: expected a header 'count dim' of two positive "
                              f"integers, got {first[1][:60]!r}")
    count, dim = int(header[0]), int(header[1])
    itos, vecs = _read_vectors(lines, rows, dim)
    lines.finish(len(itos))
    total = len(itos) + len(lines.report["skipped"])
    if total != count:
        raise DataFormatError(f"{lines.path}: line {lines.report['lines'] + (total < count)}: the header "
                              f"announces {count} vectors, the file has {total}")
    return itos, torch.from_numpy(np.stack(vecs))  # (V, D)


def write_word2vec_text(path: PathLike, itos: list[str], vectors: Tensor) -> None:
    """Write vectors in the word2vec text format, atomically (temp file, then rename) (chapter 3)."""
    if not isinstance(vectors, Tensor) or vectors.dim() != 2:
        raise TypeError(f"vectors must be a 2-D tensor (V, D), got {type(vectors).__name__}"
                        f"{' of shape ' + str(tuple(vectors.shape)) if isinstance(vectors, Tensor) else ''}")
    if len(itos) != vectors.shape[0]:
        raise ValueError(f"itos has {len(itos)} words but vectors has {vectors.shape[0]} rows")
    bad = [w for w in itos if not w or any(c.isspace() for c in w)]
    if bad:
        raise ValueError(f"words must be non-empty and hold no whitespace, got {bad[:3]}")
    path = Path(path)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    values = vectors.detach().cpu().float().numpy()  # (V, D)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{values.shape[0]} {values.shape[1]}\n")
        for word, row in zip(itos, values):
            f.write(word + " " + " ".join(f"{x:.9g}" for x in row.tolist()) + "\n")
    os.replace(tmp, path)


def read_text_corpus(path: PathLike, on_error: str = "raise",
                     report: dict | None = None) -> list[list[str]]:
    """Read a plain UTF-8 text file, one tokenized sentence per non-blank line (chapter 3)."""
    lines = _Lines(path, on_error, report, "UTF-8 text, one sentence per line")
    sentences = [tokens for _, text in lines if (tokens := tokenize(text))]
    lines.finish(len(sentences))
    return sentences
