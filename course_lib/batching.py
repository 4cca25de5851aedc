"""Batching shared by every neural model of the course: padding, lengths, bucketing, LM framing,
source/target pairs.

A batch holds B sequences of different lengths L_1..L_B as one rectangle, right-padded with
``<pad>`` (id 0) to T = max_b L_b; the lengths say which positions are real:

    tokens[b, t] = x_b,t   for t < L_b,   pad_id   for L_b <= t < T          (B, T) int64
    lengths[b]   = L_b                                                          (B,)  int64

Models mask the padding out (of losses, attention and recurrent summaries), so a sequence gets
the same result alone and in a batch. Padding still costs time: a batch of one 5-token and one
50-token sentence computes 100 positions for 55 real ones. *Bucketing by length* shuffles the
items, sorts them (stably) by length, cuts the sorted list into batches and shuffles the batch
order: each batch holds items of about one length, yet every epoch sees new batches in a new
order. All shuffling goes through a numpy Generator, so the same seed gives the same batches.

Next-token framing (language models, and the decoder of a translation model): a sentence
w_1..w_n becomes

    inputs  = <s> w_1 .. w_n          targets = w_1 .. w_n </s>            (n + 1 each)

so at every position the model sees the tokens so far and predicts the next one.

A translation batch (``Batch``) of B (source, target) pairs:

    src      (B, S) int64   source ids, right-padded
    src_len  (B,)   int64   source lengths (>= 1)
    tgt_in   (B, T) int64   decoder inputs <s> y_1 .. y_n, padded      (T = longest target + 1)
    tgt_out  (B, T) int64   targets        y_1 .. y_n </s>, padded

References: Sutskever, Vinyals & Le (2014), "Sequence to sequence learning with neural networks"
(sec. 3.4: minibatches of sentences of about one length, a 2x speed-up); Khomenko et al. (2016),
"Accelerating recurrent neural network training using sequence bucketing and multi-GPU data
parallelization"; the torch.nn.utils.rnn.pad_sequence documentation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch

from course_lib.checks import check_positive_int
from course_lib.text import Vocab

Tensor = torch.Tensor


# --------------------------------------------------------------------------------------------
# Padding and framing
# --------------------------------------------------------------------------------------------


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int = Vocab.pad_id) -> np.ndarray:
    """Stack id sequences of different lengths into one right-padded int64 array.

    Inputs:
    - sequences: B >= 1 sequences of ints, lengths L_1..L_B (each >= 0).
    - pad_id: the filler id.

    Returns:
    - batch: (B, T) int64 array, T = max L_b; batch[b, t] = pad_id for t >= L_b.
    """
    if isinstance(sequences, str) or any(isinstance(s, str) for s in sequences):
        raise TypeError("sequences must be id lists (use Vocab.encode), got strings")
    if len(sequences) == 0:
        raise ValueError("sequences must hold at least one sequence")
    batch = np.full((len(sequences), max(len(s) for s in sequences)), pad_id, dtype=np.int64)
    for row, seq in enumerate(sequences):
        batch[row, : len(seq)] = seq
    return batch


def pad_with_lengths(sequences: Sequence[Sequence[int]],
                     pad_id: int = Vocab.pad_id) -> tuple[Tensor, Tensor]:
    """Padded ids and the lengths that say which positions are real, as torch tensors.

    Inputs:
    - sequences: B >= 1 sequences of ints, lengths L_1..L_B.
    - pad_id: the filler id.

    Returns a tuple of:
    - tokens: (B, T) int64 tensor, T = max L_b, right-padded with pad_id (see pad_batch).
    - lengths: (B,) int64 tensor of L_1..L_B.
    """
    tokens = torch.from_numpy(pad_batch(sequences, pad_id))
    return tokens, torch.tensor([len(s) for s in sequences], dtype=torch.long)


def lm_pairs(ids: Sequence[int], bos_id: int = Vocab.bos_id,
             eos_id: int = Vocab.eos_id) -> tuple[list[int], list[int]]:
    """Inputs and targets for next-token prediction of one sentence.

    Inputs:
    - ids: the sentence's n ids, without <s> and </s>.
    - bos_id, eos_id: ids of <s> and </s>.

    Returns a tuple of:
    - inputs: [bos_id, w_1, .., w_n], n + 1 ids.
    - targets: [w_1, .., w_n, eos_id], n + 1 ids.
    """
    if isinstance(ids, str):
        raise TypeError("ids must be an id list (use Vocab.encode), got a str")
    ids = list(ids)
    return [bos_id, *ids], [*ids, eos_id]


def lm_batch(sentences_ids: Sequence[Sequence[int]],
             pad_id: int = Vocab.pad_id) -> tuple[Tensor, Tensor]:
    """Next-token inputs and targets (lm_pairs) of B sentences, right-padded.

    Inputs:
    - sentences_ids: B >= 1 sentences of n_1..n_B ids, without <s> and </s>.
    - pad_id: the filler id.

    Returns a tuple of:
    - inputs: (B, T) int64 tensor, rows <s> w_1 .. w_n then padding, T = max n_b + 1.
    - targets: (B, T) int64 tensor, rows w_1 .. w_n </s> then padding.
    """
    if len(sentences_ids) == 0:
        raise ValueError("sentences_ids must hold at least one sentence")
    inputs, targets = zip(*(lm_pairs(s) for s in sentences_ids), strict=True)
    return (torch.from_numpy(pad_batch(inputs, pad_id)),
            torch.from_numpy(pad_batch(targets, pad_id)))


# --------------------------------------------------------------------------------------------
# Which items go together: in order, shuffled, or bucketed by length
# --------------------------------------------------------------------------------------------


def _check_rng(rng) -> None:
    """Raise TypeError unless ``rng`` is None or a numpy Generator."""
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be None or a numpy Generator, got {type(rng).__name__}")


def _cut(order: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Consecutive slices of ``order`` of ``batch_size`` (the last may be shorter)."""
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def batch_indices(n: int, batch_size: int,
                  rng: np.random.Generator | None = None) -> list[np.ndarray]:
    """The indices 0..n-1 cut into consecutive batches, in input order or shuffled.

    Inputs:
    - n: number of items, an int >= 0.
    - batch_size: items per batch, an int >= 1 (the last batch may be smaller).
    - rng: numpy Generator; when given the order is rng.permutation(n), else 0..n-1.

    Returns:
    - batches: ceil(n / batch_size) int64 arrays of shape (B,), every index exactly once.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    check_positive_int("batch_size", batch_size)
    _check_rng(rng)
    order = np.arange(n) if rng is None else rng.permutation(n)
    return _cut(order, batch_size)


def bucket_indices(lengths: Sequence, batch_size: int,
                   rng: np.random.Generator | None = None) -> list[np.ndarray]:
    """Indices of items of similar length, cut into batches (bucketing by length).

    The items are shuffled (with rng; None keeps the input order), stably sorted by their length
    key and cut into batches of batch_size; then the batch order is shuffled (with rng). Within a
    batch the items are sorted by key; the same seed gives the same batches.

    Inputs:
    - lengths: N sort keys, one per item: an int (its length) or a tuple of ints compared in
      order, e.g. (source length, target length).
    - batch_size: items per batch, an int >= 1 (the last batch of the sorted list may be smaller).
    - rng: numpy Generator, or None for sorted batches in increasing length.

    Returns:
    - batches: ceil(N / batch_size) int64 arrays of shape (B,), every index exactly once.
    """
    if isinstance(lengths, str | bytes):
        raise TypeError("lengths must be a sequence of ints or tuples of ints, got a str")
    check_positive_int("batch_size", batch_size)
    _check_rng(rng)
    n = len(lengths)
    order = np.arange(n) if rng is None else rng.permutation(n)
    order = np.array(sorted(order, key=lambda i: lengths[i]), dtype=np.int64)
    batches = _cut(order, batch_size)
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


# --------------------------------------------------------------------------------------------
# Source/target pairs (sequence-to-sequence)
# --------------------------------------------------------------------------------------------


class Batch(NamedTuple):
    """A padded batch of B sentence pairs (ids).

    - src: (B, S) int64 source ids, right-padded with <pad>.
    - src_len: (B,) int64 source lengths (>= 1).
    - tgt_in: (B, T) decoder inputs <s> y_1 .. y_n, padded.
    - tgt_out: (B, T) targets y_1 .. y_n </s>, padded.
    """

    src: Tensor
    src_len: Tensor
    tgt_in: Tensor
    tgt_out: Tensor


def _check_pairs(src_ids: Sequence[Sequence[int]], tgt_ids: Sequence[Sequence[int]]) -> None:
    """Raise ValueError unless there are as many (>= 1) source as target sentences."""
    if len(src_ids) != len(tgt_ids) or len(src_ids) == 0:
        raise ValueError(f"src_ids and tgt_ids must be non-empty and of one length, got "
                         f"{len(src_ids)} and {len(tgt_ids)}")


def make_batch(src_ids: Sequence[Sequence[int]], tgt_ids: Sequence[Sequence[int]]) -> Batch:
    """Pad B (source ids, target ids) pairs into a Batch.

    Inputs:
    - src_ids: B source sentences, ids without <s>/</s>, each of length >= 1.
    - tgt_ids: B target sentences, ids without <s>/</s> (length >= 0).

    Returns:
    - batch: Batch(src (B, S), src_len (B,), tgt_in (B, T), tgt_out (B, T)), all int64,
      S = longest source, T = longest target + 1.
    """
    _check_pairs(src_ids, tgt_ids)
    if any(len(s) == 0 for s in src_ids):
        raise ValueError("src_ids: every source sentence must have at least one token")
    src, src_len = pad_with_lengths(src_ids)
    return Batch(src, src_len, *lm_batch(tgt_ids))


def bucket_batches(src_ids: Sequence[Sequence[int]], tgt_ids: Sequence[Sequence[int]],
                   batch_size: int, rng: np.random.Generator | None = None) -> list[Batch]:
    """Batches of pairs of similar length (bucket_indices on (target, source) length), in random
    order. Target length comes first: the decoder's steps and output layer, per target token,
    cost most, so the target side is the one kept nearly free of padding.

    Inputs:
    - src_ids, tgt_ids: N source and N target sentences (ids, no <s>/</s>).
    - batch_size: pairs per batch, an int >= 1.
    - rng: numpy Generator; None keeps the pairs sorted by length and the batches in that order.

    Returns:
    - batches: ceil(N / batch_size) Batches (see make_batch), every pair exactly once.
    """
    _check_pairs(src_ids, tgt_ids)
    keys = [(len(t), len(s)) for s, t in zip(src_ids, tgt_ids, strict=True)]
    return [make_batch([src_ids[i] for i in chunk], [tgt_ids[i] for i in chunk])
            for chunk in bucket_indices(keys, batch_size, rng)]


def training_batches(src_ids: Sequence[Sequence[int]], tgt_ids: Sequence[Sequence[int]],
                     batch_size: int) -> Callable[[np.random.Generator], list[tuple]]:
    """``train_batches_fn`` for course_lib.training.train: new bucketed batches every epoch.

    Inputs:
    - src_ids, tgt_ids, batch_size: as bucket_batches.

    Returns:
    - batches: a function rng -> bucket_batches(src_ids, tgt_ids, batch_size, rng), each Batch
      as a 4-tuple (src, src_len, tgt_in, tgt_out).
    """
    _check_pairs(src_ids, tgt_ids)
    check_positive_int("batch_size", batch_size)

    def batches(rng: np.random.Generator) -> list[tuple]:
        return [tuple(b) for b in bucket_batches(src_ids, tgt_ids, batch_size, rng)]

    return batches
