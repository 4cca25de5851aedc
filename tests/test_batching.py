"""course_lib.batching: padding and lengths, LM framing, in-order/shuffled/bucketed batches,
source/target pair batches."""

import numpy as np
import pytest
import torch

from course_lib.batching import (
    Batch,
    batch_indices,
    bucket_batches,
    bucket_indices,
    lm_batch,
    lm_pairs,
    make_batch,
    pad_batch,
    pad_with_lengths,
    training_batches,
)
from course_lib.text import Vocab

SEQUENCES = [[5, 6, 7], [8], [], [9, 10]]


def random_ids(rng, n, low, high, vocab):
    return [list(rng.integers(4, vocab, rng.integers(low, high + 1))) for _ in range(n)]


def real_rows(tokens, lengths):
    """The unpadded rows of a (B, T) batch, as tuples."""
    return [tuple(row[:n]) for row, n in zip(tokens.tolist(), lengths, strict=True)]


def flat(batches):
    return [int(i) for b in batches for i in b]


# ----------------------------------------------------------------------------- padding
def test_pad_batch_values_and_padding():
    batch = pad_batch(SEQUENCES, pad_id=-1)
    assert batch.dtype == np.int64 and batch.shape == (4, 3)
    assert batch.tolist() == [[5, 6, 7], [8, -1, -1], [-1, -1, -1], [9, 10, -1]]
    assert pad_batch([[5, 6, 7], [8]]).tolist() == [[5, 6, 7], [8, 0, 0]]  # <pad> is id 0


def test_pad_with_lengths_padding_positions_equal_pad_id_and_lengths_are_right():
    rng = np.random.default_rng(0)
    sequences = random_ids(rng, 20, 1, 9, 30)
    tokens, lengths = pad_with_lengths(sequences, pad_id=Vocab.pad_id)
    assert tokens.dtype == lengths.dtype == torch.int64
    assert tokens.shape == (20, max(len(s) for s in sequences))
    assert lengths.tolist() == [len(s) for s in sequences]
    padding = torch.arange(tokens.shape[1])[None, :] >= lengths[:, None]  # (B, T)
    assert torch.all(tokens[padding] == Vocab.pad_id) and torch.all(tokens[~padding] >= 4)
    assert real_rows(tokens, lengths.tolist()) == [tuple(s) for s in sequences]


def test_lm_pairs_and_lm_batch():
    assert lm_pairs([5, 6]) == ([2, 5, 6], [5, 6, 3])
    assert lm_pairs([]) == ([2], [3])
    inputs, targets = lm_batch([[5, 6, 7], [8]], pad_id=0)
    assert inputs.dtype == targets.dtype == torch.int64
    assert inputs.tolist() == [[2, 5, 6, 7], [2, 8, 0, 0]]
    assert targets.tolist() == [[5, 6, 7, 3], [8, 3, 0, 0]]


def test_padding_errors():
    with pytest.raises(ValueError, match="sequences must hold at least one"):
        pad_batch([])
    with pytest.raises(TypeError, match="sequences must be id lists"):
        pad_batch(["abc"])
    with pytest.raises(TypeError, match="sequences must be id lists"):
        pad_with_lengths("abc")
    with pytest.raises(TypeError, match="ids must be an id list"):
        lm_pairs("abc")
    with pytest.raises(ValueError, match="sentences_ids must hold at least one"):
        lm_batch([])


# ----------------------------------------------------------------------------- batch order
def test_batch_indices_in_order_and_shuffled():
    in_order = batch_indices(7, 3)
    assert [b.tolist() for b in in_order] == [[0, 1, 2], [3, 4, 5], [6]]
    shuffled = batch_indices(50, 8, np.random.default_rng(1))
    assert [len(b) for b in shuffled] == [8] * 6 + [2]
    assert sorted(flat(shuffled)) == list(range(50)) and flat(shuffled) != list(range(50))
    again = batch_indices(50, 8, np.random.default_rng(1))
    assert all(np.array_equal(a, b) for a, b in zip(shuffled, again, strict=True))
    assert batch_indices(0, 4) == []


def test_bucketing_keeps_every_item_once_and_sorts_within_a_bucket():
    rng = np.random.default_rng(0)
    lengths = list(rng.integers(1, 12, 101))
    batches = bucket_indices(lengths, 8, np.random.default_rng(1))
    assert len(batches) == 13 and sorted(len(b) for b in batches) == [5] + [8] * 12
    assert sorted(flat(batches)) == list(range(101))  # every item exactly once
    spans = []
    for b in batches:
        keys = [lengths[i] for i in b]
        assert keys == sorted(keys)  # sorted by length within a bucket
        spans.append((min(keys), max(keys)))
    spans.sort()
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))  # no overlap
    firsts = [lengths[b[0]] for b in batches]
    assert firsts != sorted(firsts)  # the batch order is shuffled


def test_bucketing_same_seed_same_batches_other_seed_other_batches():
    lengths = [3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2]
    first = bucket_indices(lengths, 3, np.random.default_rng(5))
    again = bucket_indices(lengths, 3, np.random.default_rng(5))
    assert [b.tolist() for b in first] == [b.tolist() for b in again]
    others = {tuple(map(tuple, bucket_indices(lengths, 3, np.random.default_rng(s))))
              for s in range(8)}
    assert len(others) > 1  # the rng really shuffles (ties within a length, and batch order)


def test_bucketing_without_rng_is_a_stable_sort_and_takes_tuple_keys():
    lengths = [3, 1, 2, 1, 3]
    assert [b.tolist() for b in bucket_indices(lengths, 2)] == [[1, 3], [2, 0], [4]]
    keys = [(2, 5), (2, 1), (1, 9)]
    assert flat(bucket_indices(keys, 2)) == [2, 1, 0]


def test_batch_order_errors():
    with pytest.raises(ValueError, match="n must be an int >= 0"):
        batch_indices(-1, 2)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        batch_indices(5, 0)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        bucket_indices([1, 2], 1.5)
    with pytest.raises(TypeError, match="rng must be None or a numpy Generator"):
        batch_indices(5, 2, rng=0)
    with pytest.raises(TypeError, match="rng must be None or a numpy Generator"):
        bucket_indices([1, 2], 2, rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match="lengths must be a sequence"):
        bucket_indices("abc", 2)


# ----------------------------------------------------------------------------- source/target pairs
def test_make_batch_fields():
    batch = make_batch([[4, 5, 6], [7]], [[8, 9], []])
    assert isinstance(batch, Batch)
    assert all(t.dtype == torch.int64 for t in batch)
    assert batch.src.tolist() == [[4, 5, 6], [7, 0, 0]]
    assert batch.src_len.tolist() == [3, 1]
    assert batch.tgt_in.tolist() == [[Vocab.bos_id, 8, 9], [Vocab.bos_id, 0, 0]]
    assert batch.tgt_out.tolist() == [[8, 9, Vocab.eos_id], [Vocab.eos_id, 0, 0]]


def test_bucket_batches_keep_every_pair_once_sorted_within_a_bucket():
    rng = np.random.default_rng(0)
    src, tgt = random_ids(rng, 50, 1, 9, 11), random_ids(rng, 50, 1, 9, 9)
    batches = bucket_batches(src, tgt, 8, np.random.default_rng(1))
    assert len(batches) == 7
    pairs, spans = [], []
    for b in batches:
        src_len = b.src_len.tolist()
        tgt_len = (b.tgt_out != Vocab.pad_id).sum(1).tolist()  # real targets incl. </s>
        keys = list(zip(tgt_len, src_len, strict=True))
        assert keys == sorted(keys)  # sorted by (target, source) length within a bucket
        assert torch.all(b.tgt_out[torch.arange(len(src_len)), torch.tensor(tgt_len) - 1]
                         == Vocab.eos_id)
        pairs += zip(real_rows(b.src, src_len),
                     [row[:-1] for row in real_rows(b.tgt_out, tgt_len)], strict=True)
        spans.append((min(tgt_len), max(tgt_len)))
    assert sorted(pairs) == sorted(zip(map(tuple, src), map(tuple, tgt), strict=True))  # once
    spans.sort()
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))  # length buckets
    assert [b.tgt_out.shape for b in batches] != [b.tgt_out.shape for b in sorted(
        batches, key=lambda b: b.tgt_out.shape[1])]  # the batch order is shuffled


def test_training_batches_same_seed_same_batches():
    rng = np.random.default_rng(2)
    src, tgt = random_ids(rng, 30, 1, 6, 11), random_ids(rng, 30, 1, 6, 9)
    batches_fn = training_batches(src, tgt, 4)
    first, again = batches_fn(np.random.default_rng(3)), batches_fn(np.random.default_rng(3))
    expected = bucket_batches(src, tgt, 4, np.random.default_rng(3))
    assert all(type(b) is tuple and len(b) == 4 for b in first)
    for a, b, c in zip(first, again, expected, strict=True):
        assert all(torch.equal(x, y) and torch.equal(x, z) for x, y, z in zip(a, b, c,
                                                                              strict=True))


def test_pair_errors():
    with pytest.raises(ValueError, match="every source sentence"):
        make_batch([[]], [[4]])
    with pytest.raises(ValueError, match="src_ids and tgt_ids must be non-empty and of one"):
        make_batch([[4]], [[4], [5]])
    with pytest.raises(ValueError, match="src_ids and tgt_ids must be non-empty"):
        make_batch([], [])
    with pytest.raises(ValueError, match="src_ids and tgt_ids"):
        bucket_batches([[4], [5]], [[4]], 2)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        bucket_batches([[4]], [[4]], 0)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        training_batches([[4]], [[4]], 0)
    with pytest.raises(TypeError, match="rng must be None or a numpy Generator"):
        bucket_batches([[4]], [[4]], 1, rng=1)
