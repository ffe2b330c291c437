"""Translation models side by side: same data, same CPU time budget, BLEU on the same test split.

Usage: python benchmarks/bench_translation.py [--seconds 120] [--num-pairs 50000]

Each entry of MODELS is a name, a builder (data -> model) and a fit function
(model, data, seconds -> steps done, translate function). To add a model that
follows the course's interface (forward / encode / decode_step, chapter 7's
attention model for instance), append one ModelSpec with ``fit=fit_course``.

The PyTorch tutorial's architecture ("NLP From Scratch: Translation with a
Sequence to Sequence Network and Attention", pytorch/tutorials
intermediate_source/seq2seq_translation_tutorial.py) is rewritten below as that
tutorial has it: EncoderRNN + AttnDecoderRNN with Bahdanau attention,
hidden_size 128, dropout 0.1, batches of 32 sentences padded with zeros to a
fixed MAX_LENGTH, NLLLoss over every position, Adam with lr 0.001, and the
decoder running MAX_LENGTH steps. Two changes, both needed to run it on our
data: MAX_LENGTH is the longest sentence of our corpus plus <eos> (the tutorial
filters its data to 10 words), and a test word never seen in training maps to an
<unk> id (the tutorial's vocabulary covers all its data, so it has none).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

from embcourse.attention import AttnSeq2Seq
from embcourse.bleu import corpus_bleu
from embcourse.corpus import translation_splits
from embcourse.seq2seq import Seq2Seq, TranslationData, train_seq2seq, translate
from embcourse.utils import hardware, set_seed

Translator = Callable[[list[str]], list[str]]


@dataclass
class ModelSpec:
    """One model of the comparison."""

    name: str
    build: Callable[[TranslationData], nn.Module]               # data -> model
    fit: Callable[[nn.Module, TranslationData, float], tuple[int, Translator]]  # -> (steps, translate)


# ---------------------------------------------------------------- the course's models

def build_chapter6(data: TranslationData) -> nn.Module:
    """The chapter 6 model with the notebook's settings."""
    return Seq2Seq(len(data.src_vocab), len(data.tgt_vocab), embed_dim=64, hidden_size=256,
                   src_pad_id=data.src_vocab.pad_id, tgt_pad_id=data.tgt_vocab.pad_id, dropout=0.1)


def fit_course(model: nn.Module, data: TranslationData, seconds: float) -> tuple[int, Translator]:
    """Train with the course's loop (bucketed batches, masked loss) until the time budget is spent."""
    hist = train_seq2seq(model, data, num_steps=10**9, lr=3e-3, eval_every=10**9, num_eval=1,
                         max_seconds=seconds, progress=False)
    return hist.steps[-1], lambda sentences: translate(model, data, sentences)


def build_chapter7(data: TranslationData) -> nn.Module:
    """The chapter 7 model: chapter 6's encoder with additive attention, same sizes."""
    return AttnSeq2Seq(len(data.src_vocab), len(data.tgt_vocab), embed_dim=64, hidden_size=256,
                       src_pad_id=data.src_vocab.pad_id, tgt_pad_id=data.tgt_vocab.pad_id, dropout=0.1)


# ---------------------------------------------------------------- the PyTorch tutorial, rewritten

SOS_token, EOS_token, UNK_token = 0, 1, 2


class Lang:
    """The tutorial's vocabulary: ids in order of first appearance (plus an <unk> id, see the module docstring)."""

    def __init__(self, sentences: list[str]):
        self.word2index: dict[str, int] = {}
        self.index2word = {SOS_token: "SOS", EOS_token: "EOS", UNK_token: "UNK"}
        for s in sentences:
            for w in s.split(" "):
                if w not in self.word2index:
                    self.word2index[w] = len(self.index2word)
                    self.index2word[len(self.index2word)] = w
        self.n_words = len(self.index2word)

    def ids(self, sentence: str) -> list[int]:
        return [self.word2index.get(w, UNK_token) for w in sentence.split(" ")] + [EOS_token]


class EncoderRNN(nn.Module):
    def __init__(self, input_size: int, hidden_size: int, dropout_p: float = 0.1):
        super().__init__()
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input):
        embedded = self.dropout(self.embedding(input))  # (B, L, H)
        return self.gru(embedded)  # (B, L, H), (1, B, H)


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size: int):
        super().__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))  # (B, L, 1)
        weights = F.softmax(scores.squeeze(2).unsqueeze(1), dim=-1)  # (B, 1, L)
        return torch.bmm(weights, keys), weights  # (B, 1, H), (B, 1, L)


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size: int, output_size: int, max_length: int, dropout_p: float = 0.1):
        super().__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)
        self.max_length = max_length

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.full((batch_size, 1), SOS_token, dtype=torch.long)  # (B, 1)
        decoder_hidden, decoder_outputs = encoder_hidden, []
        for i in range(self.max_length):
            decoder_output, decoder_hidden = self.forward_step(decoder_input, decoder_hidden, encoder_outputs)
            decoder_outputs.append(decoder_output)
            if target_tensor is not None:
                decoder_input = target_tensor[:, i].unsqueeze(1)  # teacher forcing
            else:
                decoder_input = decoder_output.topk(1)[1].squeeze(-1).detach()
        return F.log_softmax(torch.cat(decoder_outputs, dim=1), dim=-1), decoder_hidden  # (B, L, V)

    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input))  # (B, 1, H)
        context, _ = self.attention(hidden.permute(1, 0, 2), encoder_outputs)  # (B, 1, H)
        output, hidden = self.gru(torch.cat((embedded, context), dim=2), hidden)
        return self.out(output), hidden  # (B, 1, V)


class TutorialModel(nn.Module):
    """The tutorial's encoder and attention decoder, with their vocabularies."""

    def __init__(self, data: TranslationData, hidden_size: int = 128):
        super().__init__()
        self.input_lang = Lang([en for en, _ in data.train])
        self.output_lang = Lang([fr for _, fr in data.train])
        pairs = data.train + data.valid + data.test + data.test_combos
        self.max_length = max(len(s.split()) for p in pairs for s in p) + 1
        self.encoder = EncoderRNN(self.input_lang.n_words, hidden_size)
        self.decoder = AttnDecoderRNN(hidden_size, self.output_lang.n_words, self.max_length)

    def tensor(self, lang: Lang, sentences: list[str]) -> torch.Tensor:
        ids = torch.zeros(len(sentences), self.max_length, dtype=torch.long)  # zero padding, as the tutorial
        for i, s in enumerate(sentences):
            x = lang.ids(s)[:self.max_length]
            ids[i, :len(x)] = torch.tensor(x)
        return ids  # (N, L)


def build_tutorial(data: TranslationData) -> nn.Module:
    return TutorialModel(data, hidden_size=128)


def fit_tutorial(model: TutorialModel, data: TranslationData, seconds: float) -> tuple[int, Translator]:
    """The tutorial's training: random batches of 32, Adam lr 0.001, NLLLoss over all positions."""
    X = model.tensor(model.input_lang, [en for en, _ in data.train])   # (N, L)
    Y = model.tensor(model.output_lang, [fr for _, fr in data.train])  # (N, L)
    sampler = RandomSampler(range(len(X)), generator=torch.Generator().manual_seed(0))
    loader = DataLoader(TensorDataset(X, Y), sampler=sampler, batch_size=32)
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    criterion, steps, spent = nn.NLLLoss(), 0, 0.0
    model.train()
    while spent < seconds:
        for input_tensor, target_tensor in loader:
            t0 = time.process_time()
            encoder_outputs, encoder_hidden = model.encoder(input_tensor)
            decoder_outputs, _ = model.decoder(encoder_outputs, encoder_hidden, target_tensor)
            loss = criterion(decoder_outputs.view(-1, decoder_outputs.size(-1)), target_tensor.view(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps, spent = steps + 1, spent + time.process_time() - t0
            if spent >= seconds:
                break
    return steps, lambda sentences: translate_tutorial(model, sentences)


@torch.no_grad()
def translate_tutorial(model: TutorialModel, sentences: list[str]) -> list[str]:
    """The tutorial's evaluation: decode MAX_LENGTH steps, keep the words before EOS."""
    model.eval()
    encoder_outputs, encoder_hidden = model.encoder(model.tensor(model.input_lang, sentences))
    decoder_outputs, _ = model.decoder(encoder_outputs, encoder_hidden)
    out = []
    for ids in decoder_outputs.argmax(-1).tolist():  # (B, L)
        words = []
        for i in ids:
            if i == EOS_token:
                break
            words.append(model.output_lang.index2word[i])
        out.append(" ".join(words))
    return out


MODELS = [
    ModelSpec("chapter 6: GRU encoder-decoder (embed 64, hidden 256)", build_chapter6, fit_course),
    ModelSpec("chapter 7: GRU encoder-decoder with additive attention (embed 64, hidden 256)",
              build_chapter7, fit_course),
    ModelSpec("PyTorch tutorial: EncoderRNN + AttnDecoderRNN (hidden 128)", build_tutorial, fit_tutorial),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="training CPU time per model (one thread)")
    parser.add_argument("--num-pairs", type=int, default=50_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(hardware())
    data = TranslationData.build(translation_splits(args.num_pairs, seed=0), batch_size=64)
    refs = [fr for _, fr in data.test]
    print(f"{len(data.train)} training pairs, {len(data.test)} test pairs, budget {args.seconds:.0f} s per model")
    scores, rows = {}, []
    for spec in MODELS:
        set_seed(0)
        model = spec.build(data)
        t0 = time.process_time()
        steps, translate_fn = spec.fit(model, data, args.seconds)
        train_time = time.process_time() - t0  # CPU time of this (one-threaded) process
        hyps = translate_fn([en for en, _ in data.test])
        scores[spec.name] = corpus_bleu(hyps, refs)
        exact = sum(h == r for h, r in zip(hyps, refs)) / len(refs)
        rows.append((spec.name.split(":")[0], steps, train_time, scores[spec.name], exact))
        print(f"{spec.name}: {steps} steps in {train_time:.0f} s of training, test BLEU {scores[spec.name]:.1f}, "
              f"exact match {exact:.3f}", flush=True)
    print(f"\n{'model':18s} {'steps':>7s} {'train s':>8s} {'BLEU':>6s} {'exact':>6s}")
    for name, steps, train_time, bleu, exact in rows:
        print(f"{name:18s} {steps:7d} {train_time:8.0f} {bleu:6.1f} {exact:6.3f}")
    first, *rest = MODELS
    for spec in rest:
        ratio = scores[first.name] / max(scores[spec.name], 1e-9)
        print(f"BLEU ratio {first.name.split(':')[0]} / {spec.name.split(':')[0]}: {ratio:.2f}")
    ch7 = MODELS[1].name
    print(f"BLEU ratio {ch7.split(':')[0]} / {rest[-1].name.split(':')[0]}: "
          f"{scores[ch7] / max(scores[rest[-1].name], 1e-9):.2f}")

if __name__ == "__main__":
    main()
