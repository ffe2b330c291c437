"""Vocab ids are stable and round-trip; padding and the pair collate give the agreed tensors."""

import pytest
import torch
from torch.utils.data import DataLoader

from embcourse.vocab import SPECIALS, PairCollate, Vocab, pad_batch

SENTENCES = [["le", "chat", "dort"], ["le", "chien", "dort"], ["un", "chat"], ["le"]]


def test_build_puts_specials_first_then_by_count_then_alphabetically():
    vocab = Vocab.build(SENTENCES)
    assert vocab.itos == list(SPECIALS) + ["le", "chat", "dort", "chien", "un"]
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    assert len(vocab) == 9 and vocab.counts["le"] == 3


def test_build_is_independent_of_sentence_order():
    assert Vocab.build(SENTENCES).itos == Vocab.build(SENTENCES[::-1]).itos


def test_min_freq_drops_rare_tokens():
    vocab = Vocab.build(SENTENCES, min_freq=2)
    assert vocab.itos[len(SPECIALS):] == ["le", "chat", "dort"]


def test_encode_maps_unknown_tokens_to_unk_and_adds_bos_eos():
    vocab = Vocab.build(SENTENCES)
    ids = vocab.encode(["le", "zèbre"], add_bos=True, add_eos=True)
    assert ids == [vocab.bos_id, vocab.stoi["le"], vocab.unk_id, vocab.eos_id]


def test_decode_strips_specials_and_stops_at_eos():
    vocab = Vocab.build(SENTENCES)
    ids = [vocab.bos_id, vocab.stoi["chat"], vocab.unk_id, vocab.eos_id, vocab.stoi["le"], vocab.pad_id]
    assert vocab.decode(ids) == ["chat", "<unk>"]
    assert vocab.decode(ids, strip_specials=False)[0] == "<bos>"


def test_encode_rejects_a_plain_string_and_decode_an_out_of_range_id():
    vocab = Vocab.build(SENTENCES)
    with pytest.raises(TypeError, match="tokens"):
        vocab.encode("le chat")
    with pytest.raises(IndexError, match="out of range"):
        vocab.decode([len(vocab)])


def test_build_rejects_bad_arguments():
    with pytest.raises(ValueError, match="min_freq"):
        Vocab.build(SENTENCES, min_freq=0)
    with pytest.raises(TypeError, match="list of tokens"):
        Vocab.build(["le chat", "un chien"])


def test_pad_batch_pads_right_and_returns_lengths():
    X, lengths = pad_batch([[5, 6, 7], [8]], pad_id=0)  # (B, T), (B,)
    assert X.tolist() == [[5, 6, 7], [8, 0, 0]] and X.dtype == torch.long
    assert lengths.tolist() == [3, 1] and lengths.dtype == torch.long


def test_pad_batch_rejects_empty_input():
    with pytest.raises(ValueError, match="at least one"):
        pad_batch([], pad_id=0)
    with pytest.raises(ValueError, match="empty"):
        pad_batch([[1], []], pad_id=0)


def test_pair_collate_gives_source_and_target_with_bos_eos():
    pairs = [("the cat sleeps", "le chat dort"), ("a cat", "un chat")]
    src_vocab = Vocab.build(en.split() for en, _ in pairs)
    tgt_vocab = Vocab.build(fr.split() for _, fr in pairs)
    loader = DataLoader(pairs, batch_size=2, collate_fn=PairCollate(src_vocab, tgt_vocab))
    src, src_lengths, tgt, tgt_lengths = next(iter(loader))
    assert src.shape == (2, 3) and src_lengths.tolist() == [3, 2]
    assert tgt.shape == (2, 5) and tgt_lengths.tolist() == [5, 4]
    assert tgt[:, 0].eq(tgt_vocab.bos_id).all() and tgt[1, 3] == tgt_vocab.eos_id
    assert tgt[1, 4] == tgt_vocab.pad_id and src[1, 2] == src_vocab.pad_id
    assert src_vocab.decode(src[0].tolist()) == ["the", "cat", "sleeps"]
