"""Labelled sequences for the attention lecture: real names and sentences, and a controlled task.

- ``load_name_origins``: first name -> country of origin, from the per-country frequency columns
  of ``nam_dict.txt`` (course_lib.datasets.load_names). A name's label is the one country where it
  is most frequent (names with a tie at the top are left out); the ``n_classes`` countries with
  most such names are kept. Character level, many classes.
- ``load_sentence_topics``: English Wikipedia sentence -> the article it comes from, for the
  ``n_classes`` articles with most sentences of gensim's bundled sample (course_lib.datasets'
  cleaning and sentence splitting). Word level.
- ``make_key_token_task``: random token sequences holding exactly one "key" token; the label is
  which key token it is. The deciding position is known, so attention weights can be scored
  against it (``attention_hit_rate``).

References: the PyTorch tutorial "Classifying names with a character-level RNN" (names -> 18
languages); Yang et al. (2016) for attention heatmaps over the words of documents.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import numpy as np
import torch

from course_lib.checks import check_positive_int, check_seed
from course_lib.datasets import (
    Split,
    cached_lines,
    clean_paragraphs,
    is_clean_sentence,
    load_names,
    quick_subset,
    resolve_quick,
    split,
    split_sentences,
    wiki_articles,
)
from course_lib.text import SPECIALS

NAME_ORIGIN_QUICK = 6000  # names kept in quick mode
SENTENCE_TOPIC_QUICK = 2500  # sentences kept in quick mode
WIKI_TITLED_CACHE = "wiki_titled_sentences_v1.txt"  # "title<TAB>sentence" lines


def _top_classes(labels: list[str], n_classes: int) -> tuple[str, ...]:
    """The n_classes most frequent labels (ties: alphabetical), most frequent first."""
    check_positive_int("n_classes", n_classes)
    counts = Counter(labels)
    if not 2 <= n_classes <= len(counts):
        raise ValueError(f"n_classes must lie in [2, {len(counts)}], got {n_classes}")
    return tuple(sorted(counts, key=lambda c: (-counts[c], c))[:n_classes])


class LabelledSplit(NamedTuple):
    """A split of (text, label) pairs and the class names (label k is classes[k])."""

    data: Split
    classes: tuple[str, ...]


def name_origin_pairs() -> list[tuple[str, str]]:
    """(name, country) for every name with one country where it is most frequent.

    E.g. a name with frequencies {Italy: 6, Spain: 3} -> "Italy"; {Italy: 5, Spain: 5} is left
    out. 29,948 of the 33,415 names qualify (gender-guesser 0.4.0).
    """
    pairs = []
    for record in load_names():
        if not record.countries:
            continue
        top = max(record.countries.values())
        best = [c for c, f in record.countries.items() if f == top]
        if len(best) == 1:
            pairs.append((record.name, best[0]))
    return pairs


def load_name_origins(n_classes: int = 18, quick: bool | None = None,
                      seed: int = 0) -> LabelledSplit:
    """First names labelled by country of origin, split 80/10/10.

    Inputs:
    - n_classes: keep the names of the n_classes countries with most names (18: U.S.A., Italy,
      the Netherlands, Arabia/Persia, Japan, India/Sri Lanka, ... Estonia; 21,275 names).
    - quick: keep a seeded random subset of NAME_ORIGIN_QUICK names; None = config.is_quick().
    - seed: seeds the subset and the split.

    Returns:
    - LabelledSplit(data=Split of (name, label) pairs, classes=country names), label an int in
      [0, n_classes).
    """
    quick = resolve_quick(quick)
    check_seed(seed)
    pairs = name_origin_pairs()
    classes = _top_classes([c for _, c in pairs], n_classes)
    index = {c: k for k, c in enumerate(classes)}
    pairs = [(name, index[c]) for name, c in pairs if c in index]
    if quick:
        pairs = quick_subset(pairs, seed, max_items=NAME_ORIGIN_QUICK)
    return LabelledSplit(split(pairs, seed=seed), classes)


def _build_titled_sentences() -> list[str]:
    lines = []
    for title, text in wiki_articles():
        for paragraph in clean_paragraphs(text):
            lines.extend(f"{title}\t{s}" for s in split_sentences(paragraph)
                         if is_clean_sentence(s))
    return lines


def load_sentence_topics(n_classes: int = 8, quick: bool | None = None,
                         seed: int = 0) -> LabelledSplit:
    """Wikipedia sentences labelled by their article, split 80/10/10.

    Built once from gensim's bundled sample (seconds) and cached in the data directory.

    Inputs:
    - n_classes: the articles with most clean sentences (8: Abraham Lincoln, American
      Revolutionary War, Albania, Amphibian, Apollo, Alabama, Azerbaijan, Alaska; 4,485
      sentences).
    - quick: keep a seeded random subset of SENTENCE_TOPIC_QUICK sentences.
    - seed: seeds the subset and the split.

    Returns:
    - LabelledSplit(data=Split of (sentence, label) pairs, classes=article titles).
    """
    quick = resolve_quick(quick)
    check_seed(seed)
    rows = [line.split("\t", 1) for line in cached_lines(WIKI_TITLED_CACHE,
                                                           _build_titled_sentences)]
    classes = _top_classes([title for title, _ in rows], n_classes)
    index = {c: k for k, c in enumerate(classes)}
    pairs = [(sentence, index[title]) for title, sentence in rows if title in index]
    if quick:
        pairs = quick_subset(pairs, seed, max_items=SENTENCE_TOPIC_QUICK)
    return LabelledSplit(split(pairs, seed=seed), classes)


# --------------------------------------------------------------------------------------------
# A controlled task: the deciding token is known
# --------------------------------------------------------------------------------------------


class KeyTokenTask(NamedTuple):
    """Sequences of ids with one key token each.

    - sequences: S lists of ids.
    - labels: (S,) int64, label k means key token ``key_ids[k]``.
    - key_positions: (S,) int64, where the key token sits.
    - key_ids: the C ids that decide the label.
    - vocab_size: ids lie in [0, vocab_size); ids below len(SPECIALS) (pad, unk, ...) are unused.
    """

    sequences: list[list[int]]
    labels: np.ndarray
    key_positions: np.ndarray
    key_ids: tuple[int, ...]
    vocab_size: int


def make_key_token_task(n: int, n_classes: int = 4, n_distractors: int = 20,
                        min_len: int = 5, max_len: int = 40,
                        rng: np.random.Generator | None = None) -> KeyTokenTask:
    """Random sequences where exactly one position decides the label.

    Each sequence has a length drawn uniformly from [min_len, max_len], is filled with distractor
    ids drawn uniformly, and gets one key id (the label's) at a uniformly drawn position. Key ids
    come first after the specials, distractor ids after them.

    Inputs:
    - n: number of sequences.
    - n_classes: C key ids, one per class.
    - n_distractors: number of distractor ids.
    - min_len, max_len: length range (1 <= min_len <= max_len).
    - rng: numpy Generator (None: seed 0).

    Returns:
    - KeyTokenTask.
    """
    for name, value in (("n", n), ("n_classes", n_classes), ("n_distractors", n_distractors),
                        ("min_len", min_len), ("max_len", max_len)):
        check_positive_int(name, value)
    if min_len > max_len:
        raise ValueError(f"min_len must be <= max_len, got {min_len} > {max_len}")
    rng = np.random.default_rng(0) if rng is None else rng
    first = len(SPECIALS)
    key_ids = tuple(range(first, first + n_classes))
    vocab_size = first + n_classes + n_distractors
    lengths = rng.integers(min_len, max_len + 1, size=n)
    labels = rng.integers(0, n_classes, size=n)
    positions = (rng.random(n) * lengths).astype(np.int64)
    sequences = []
    for length, label, pos in zip(lengths, labels, positions, strict=True):
        seq = rng.integers(first + n_classes, vocab_size, size=length)
        seq[pos] = key_ids[label]
        sequences.append(seq.tolist())
    return KeyTokenTask(sequences, labels.astype(np.int64), positions, key_ids, vocab_size)


def attention_hit_rate(weights: torch.Tensor, positions) -> float:
    """Share of sequences whose largest attention weight sits on the known deciding position.

    Inputs:
    - weights: (B, T) attention weights (0 at padding).
    - positions: (B,) ints, the deciding position of every sequence.

    Returns:
    - hit rate in [0, 1].
    """
    positions = torch.as_tensor(positions)
    if weights.dim() != 2 or positions.shape != (weights.shape[0],):
        raise ValueError(f"weights must be (B, T) and positions (B,), got "
                         f"{tuple(weights.shape)} and {tuple(positions.shape)}")
    return float((weights.argmax(dim=1).cpu() == positions.cpu()).float().mean())
