"""N-gram language models: counting, smoothing, perplexity and sampling.

A language model gives a sentence w_1..w_m the probability (chain rule, exact)

    P(w_1..w_m) = prod_t P(w_t | w_1..w_{t-1}),

and an n-gram model makes the Markov assumption that only the last n-1 tokens matter:
P(w_t | w_1..w_{t-1}) ~= P(w_t | w_{t-n+1}..w_{t-1}). Below h is such a context of n-1 tokens and
c(.) counts occurrences in the padded training data.

Conventions (the same for every smoothing):

- each sentence is padded with n-1 ``<s>`` on the left and one ``</s>`` on the right, so the first
  word has a full context and the model learns where sentences end;
- ``<s>`` is never predicted (it is not in the vocabulary and its probability is 0); ``</s>`` is;
- the vocabulary V is the training tokens plus ``</s>`` and ``<unk>`` (not ``<s>``); a test token
  outside it is read as ``<unk>`` (so is a training token ``<pad>``, reserved for batching);
- c(h) = sum_w c(h, w) (the number of times h is followed by a predicted token);
- perplexity = exp(mean over every predicted token, ``</s>`` included, of -ln P(w_t | h_t)).

Smoothings (how probability mass moves to n-grams never seen in training):

- "mle": P(w | h) = c(h, w) / c(h). An unseen n-gram gets probability 0, so a test set holding one
  has perplexity inf. An unseen context h has no MLE distribution; we then return the uniform
  1/|V| (the limit of add-k as k -> 0), so that probabilities always sum to 1.
- "add_k" (Lidstone; k = 1 is Laplace): P(w | h) = (c(h, w) + k) / (c(h) + k |V|).
- "interpolated" (Jelinek-Mercer): P(w | h) = lambda_0 / |V| + sum_{j=1..n} lambda_j P_mle_j(w | h),
  where P_mle_j uses the last j-1 tokens of h (uniform if that context is unseen) and the lambdas
  (>= 0, summing to 1) maximise the likelihood of held-out sentences, found by EM.
- "kneser_ney" (interpolated Kneser-Ney, one absolute discount 0 < D < 1 at every order):

      P_j(w | h) = max(a_j(h, w) - D, 0) / a_j(h) + D N1+(h .) / a_j(h) * P_{j-1}(w | h'),

  where h' is h without its first token, a_j(h) = sum_w a_j(h, w), and N1+(h .) is the number of
  words w with a_j(h, w) > 0. At the highest order a_n is the count c; at every lower order it is
  the continuation count a_j(h, w) = N1+(. h w), the number of distinct tokens that precede h w in
  the padded training data ("in how many contexts does w appear", which is what matters when the
  longer context was not seen). A context with a_j(h) = 0 falls through: P_j = P_{j-1}. The
  recursion ends in P_0(w) = 1/|V|, so every token gets some probability.
- "modified_kneser_ney" (Chen & Goodman): the same recursion, but the discount depends on the
  count, D(a) = D_1, D_2 or D_3+ for a = 1, 2 or >= 3, and the back-off weight becomes
  (D_1 N_1(h .) + D_2 N_2(h .) + D_3+ N_3+(h .)) / a_j(h), N_c(h .) counting the words w with
  a_j(h, w) = c (or >= 3). Each order estimates its three discounts from its count-of-counts
  n_c (the number of j-grams with a_j = c): Y = n_1 / (n_1 + 2 n_2) and
  D_c = c - (c + 1) Y n_{c+1} / n_c.
  Plain Kneser-Ney is the special case D_1 = D_2 = D_3+ = D.

Every Kneser-Ney model is also a back-off model: P(w | h) = alpha(h, w) for the n-grams listed in
an ARPA file and gamma(h) P(w | h') otherwise, which is how ``save_arpa`` writes it (log10
probabilities plus back-off weights, course_lib.arpa) and ``load_arpa`` reads it back; KenLM reads
the same files and gives the same log-probabilities (tests/test_arpa.py).

Implementation: tokens become integer ids, and the j-grams of the training data are numbered level
by level as (id of the first j-1 tokens, last token) pairs, kept as sorted int64 keys. Every count
is then a numpy bincount and every lookup a searchsorted, so fitting and scoring a million tokens
takes seconds, and prob, probs and perplexity share one vectorised formula.

References: Jurafsky & Martin, "Speech and Language Processing" (3rd ed.), chapter 3;
Chen & Goodman (1998), "An Empirical Study of Smoothing Techniques for Language Modeling";
Kneser & Ney (1995), "Improved backing-off for m-gram language modeling".
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from itertools import chain

import numpy as np
import torch

from course_lib import arpa
from course_lib.decoding import sample_decode
from course_lib.text import BOS, EOS, UNK, Vocab

SMOOTHINGS = ("kneser_ney", "modified_kneser_ney", "add_k", "interpolated", "mle")
KNESER_NEY = ("kneser_ney", "modified_kneser_ney")
BACKOFF = "backoff"  # the smoothing of a model read from an ARPA file (load_arpa)
_EM_MAX_ITER = 200
_EM_TOL = 1e-8
_HOLDOUT_EVERY = 10  # without valid sentences, sentences 9, 19, 29, ... tune the lambdas


def _check_order(order, name: str = "order") -> int:
    if not isinstance(order, int | np.integer) or isinstance(order, bool) or order < 1:
        raise ValueError(f"{name} must be an int >= 1, got {order!r}")
    return int(order)


def _check_tokens(tokens, name: str = "tokens") -> list:
    if isinstance(tokens, str):
        raise TypeError(f"{name} must be a list of tokens, got a str (tokenize it first)")
    return list(tokens)


def pad(tokens: Sequence[str], order: int) -> list[str]:
    """Pad one sentence for an n-gram model of the given order.

    Inputs:
    - tokens: list of tokens (words or characters), length m.
    - order: n >= 1.

    Returns:
    - padded: list of length m + n: n-1 ``<s>``, the tokens, one ``</s>``.
    """
    tokens = _check_tokens(tokens)
    return [BOS] * (_check_order(order) - 1) + tokens + [EOS]


def ngrams(tokens: Sequence[str], n: int) -> list[tuple]:
    """The n-grams of a sequence, left to right (no padding is added).

    Inputs:
    - tokens: list of tokens, length m.
    - n: int >= 1.

    Returns:
    - grams: list of max(m - n + 1, 0) tuples of n tokens.
    """
    tokens = _check_tokens(tokens)
    n = _check_order(n, "n")
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def _check_sentences(sentences, name: str = "sentences") -> list[list[str]]:
    """Materialise an iterable of token lists; reject a str, an empty corpus and padding tokens."""
    if isinstance(sentences, str):
        raise TypeError(f"{name} must be an iterable of token lists, got a str")
    if not isinstance(sentences, Iterable):
        kind = type(sentences).__name__
        raise TypeError(f"{name} must be an iterable of token lists, got {kind}")
    out = [s if type(s) is list else _check_tokens(s, f"each of {name}") for s in sentences]
    if not out:
        raise ValueError(f"{name} must hold at least one sentence, got none")
    for s in out:
        if BOS in s or EOS in s:
            raise ValueError(f"{name} must not contain the padding tokens {BOS!r} or {EOS!r}")
    return out


def _check_discounts(discounts) -> np.ndarray:
    """(D_1, D_2, D_3+) as a (3,) float64 array with 0 < D_c < c, else ValueError."""
    d = np.asarray(discounts, dtype=np.float64) if not isinstance(discounts, str) else None
    if d is None or d.shape != (3,) or not np.all((d > 0) & (d < np.array([1.0, 2.0, 3.0]))):
        raise ValueError(
            f"discounts must be three numbers (D_1, D_2, D_3+) with 0 < D_c < c, got {discounts!r}"
        )
    return d


def estimate_discounts(counts: np.ndarray, what: str = "counts") -> np.ndarray:
    """Chen & Goodman's estimates of the modified Kneser-Ney discounts from count-of-counts.

    With n_c the number of n-grams seen exactly c times and Y = n_1 / (n_1 + 2 n_2),
    D_c = c - (c + 1) Y n_{c+1} / n_c for c = 1, 2, 3 (the last one is used for every count >= 3).

    Inputs:
    - counts: (G,) counts (or continuation counts) of the n-grams of one order; zeros are ignored.
    - what: names the counts in the error message.

    Returns:
    - discounts: (3,) float64, D_1, D_2, D_3+.

    Raises ValueError if some n_c (c = 1..4) is 0 or an estimate falls outside 0 < D_c < c:
    too little data for three discounts (give them with ``discounts=``).
    """
    n = np.bincount(np.asarray(counts, dtype=np.int64), minlength=5)[1:5].astype(np.float64)
    if np.any(n == 0):
        raise ValueError(
            f"modified Kneser-Ney: too little data to estimate the discounts of {what} (count-of-"
            f"counts n_1..n_4 = {n.astype(int).tolist()}); pass discounts=(D_1, D_2, D_3)"
        )
    y = n[0] / (n[0] + 2 * n[1])
    c = np.arange(1.0, 4.0)
    d = c - (c + 1) * y * n[1:] / n[:-1]
    if not np.all((d > 0) & (d < c)):
        raise ValueError(
            f"modified Kneser-Ney: the estimated discounts of {what} {d.round(3).tolist()} are "
            f"outside 0 < D_c < c; pass discounts=(D_1, D_2, D_3)"
        )
    return d


def _shift(prev: np.ndarray, level: int) -> np.ndarray:
    """Context numbers of the level-j grams ending at each position, from the level-(j-1) numbers.

    The context of the j-gram ending at t is the (j-1)-gram ending at t-1: prev shifted right by
    one, with -1 (none) at t = 0. At level 1 the context is the empty gram (0) everywhere.
    """
    if level == 1:
        return np.zeros_like(prev)
    return np.concatenate(([-1], prev[:-1]))


class _TokenIds(dict):
    """token -> id of a vocabulary whose first token is ``<unk>``; any other token reads as 0."""

    def __init__(self, vocab: list[str]):
        super().__init__((t, i) for i, t in enumerate(vocab))

    def __missing__(self, token: str) -> int:
        return 0


class _HashIndex:
    """Position of int64 keys in a sorted array, by open addressing (linear probing), vectorised.

    A binary search (np.searchsorted) costs ~log2(G) scattered memory reads per query; hashing
    costs about one. Slots hold -1 when empty; the table is at most a quarter full.
    """

    _MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Knuth's multiplicative hashing (2^64 / phi)

    def __init__(self, keys: np.ndarray):
        self.bits = max(int(4 * len(keys) - 1).bit_length(), 1)
        self.mask = (1 << self.bits) - 1
        self.slot_keys = np.full(1 << self.bits, -1, dtype=np.int64)
        self.slot_values = np.zeros(1 << self.bits, dtype=np.int64)
        pending = np.arange(len(keys), dtype=np.int64)
        slot = self._hash(keys)
        while len(pending):
            free = self.slot_keys[slot] < 0
            # of the keys that want the same free slot, the first one takes it
            _, first = np.unique(slot[free], return_index=True)
            winners = np.flatnonzero(free)[first]
            self.slot_keys[slot[winners]] = keys[pending[winners]]
            self.slot_values[slot[winners]] = pending[winners]
            waiting = np.ones(len(pending), dtype=bool)
            waiting[winners] = False
            pending, slot = pending[waiting], (slot[waiting] + 1) & self.mask

    def _hash(self, keys: np.ndarray) -> np.ndarray:
        mixed = keys.astype(np.uint64) * self._MULTIPLIER
        return (mixed >> np.uint64(64 - self.bits)).astype(np.int64) & self.mask

    def find(self, query: np.ndarray) -> np.ndarray:
        """Positions of the (Q,) non-negative int64 ``query`` keys; -1 where absent."""
        out = np.full(len(query), -1, dtype=np.int64)
        todo = np.arange(len(query))
        slot = self._hash(query)
        while len(todo):
            held = self.slot_keys[slot]
            hit = held == query[todo]
            out[todo[hit]] = self.slot_values[slot[hit]]
            going = ~hit & (held >= 0)  # occupied by another key: probe the next slot
            todo, slot = todo[going], (slot[going] + 1) & self.mask
        return out


class _GramTable:
    """The j-grams (j = 1..n) of some id sequences, numbered level by level.

    Level j holds the distinct j-grams as sorted keys parent * base + last, where parent is the
    level-(j-1) number of the first j-1 tokens (level 0 is the empty gram, number 0), plus:
    - counts[j]: (G_j,) int64, occurrences ending at a predicted (non-``<s>``) position;
    - parent[j]: (G_j,) int64, level-(j-1) number of each gram's context;
    - suffix[j]: (G_j,) int64, level-(j-1) number of each gram without its first token.
    """

    def __init__(self, ids: np.ndarray, order: int, base: int, bos_id: int):
        self.order, self.base = order, base
        self.keys: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self.counts: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self.parent: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self.suffix: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        predicted = ids != bos_id  # (N,)
        prev = np.zeros_like(ids)  # level j-1 number of the gram ending at each position, (N,)
        for level in range(1, order + 1):
            parent = _shift(prev, level)
            valid = parent >= 0
            keys, inverse = np.unique(parent[valid] * base + ids[valid], return_inverse=True)
            cur = np.full_like(ids, -1)
            cur[valid] = inverse
            suffix = np.zeros(len(keys), dtype=np.int64)
            suffix[cur[valid]] = prev[valid]  # the same gram always has the same suffix
            self.keys.append(keys)
            self.counts.append(np.bincount(cur[predicted & valid], minlength=len(keys)))
            self.parent.append(keys // base)
            self.suffix.append(suffix)
            prev = cur

    @classmethod
    def from_keys(cls, keys: list[np.ndarray], order: int, base: int) -> _GramTable:
        """A table that only looks grams up (no counts): keys[j] are the sorted level-j keys."""
        table = cls.__new__(cls)
        table.order, table.base = order, base
        table.keys = [np.zeros(1, dtype=np.int64)] + list(keys)
        table.parent = [np.zeros(1, dtype=np.int64)] + [k // base for k in keys]
        return table

    def token_ids(self) -> list[np.ndarray]:
        """The tokens of every gram: ids[j] is (G_j, j) int64 (ids[0] is (1, 0), the empty gram)."""
        ids = [np.zeros((1, 0), dtype=np.int64)]
        for level in range(1, self.order + 1):
            keys = self.keys[level]
            ids.append(np.column_stack([ids[-1][keys // self.base], keys % self.base]))
        return ids

    def lookup(self, level: int, parent: np.ndarray, token: np.ndarray) -> np.ndarray:
        """Level numbers of the grams (parent gram, token); -1 where unseen. Shapes (Q,) -> (Q,)."""
        if not hasattr(self, "_index"):
            self._index = {}
        if level not in self._index:
            self._index[level] = _HashIndex(self.keys[level])
        query = np.where(parent >= 0, parent, 0) * self.base + token
        return np.where(parent >= 0, self._index[level].find(query), -1)

    def contexts(self, ids: np.ndarray) -> list[np.ndarray]:
        """Level numbers of the grams that end at each position of ``ids``.

        Inputs:
        - ids: (N,) int64 token ids (padded sentences, one after the other).

        Returns:
        - grams: list of n arrays; grams[j] is (N,), the level-j number of ids[t-j+1..t] at each
          position t (-1 if unseen or too close to the start); grams[0] is all zeros.
        """
        grams = [np.zeros_like(ids)]
        for level in range(1, self.order):
            parent = _shift(grams[-1], level)
            grams.append(self.lookup(level, parent, ids))
        return grams


class NGramLM:
    """An n-gram language model over words or characters (conventions in the module docstring).

    Inputs:
    - order: n >= 1 (1 = unigram, 2 = bigram, ...).
    - smoothing: "kneser_ney" (default), "add_k", "interpolated" or "mle".
    - k: add-k pseudo-count, > 0 (used by "add_k").
    - discount: Kneser-Ney discount D, 0 < D < 1 (used by "kneser_ney").
    - discounts: the three discounts (D_1, D_2, D_3+) of "modified_kneser_ney", used at every
      order, with 0 < D_c < c; None (default) estimates them per order from count-of-counts.

    After ``fit``: ``vocab`` (list of |V| tokens: ``<unk>``, ``</s>``, then the training tokens by
    decreasing frequency, ties alphabetical); for "interpolated", ``lambdas`` ((n+1,) array;
    lambdas[0] weighs the uniform distribution and lambdas[j] the order-j MLE); for both
    Kneser-Ney smoothings, ``discounts`` ((n, 3) array; row j-1 holds D_1, D_2, D_3+ of order j).

    ``save_arpa(path)`` writes a Kneser-Ney model as an ARPA file, ``NGramLM.load_arpa(path)``
    reads one (smoothing "backoff": the probabilities and back-off weights of the file).
    """

    def __init__(
        self,
        order: int,
        smoothing: str = "kneser_ney",
        k: float = 1.0,
        discount: float = 0.75,
        discounts: Sequence[float] | None = None,
    ):
        self.order = _check_order(order)
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"smoothing must be one of {SMOOTHINGS}, got {smoothing!r}")
        if not isinstance(k, int | float | np.number) or not k > 0:
            raise ValueError(f"k must be a number > 0, got {k!r}")
        if not isinstance(discount, int | float | np.number) or not 0 < discount < 1:
            raise ValueError(f"discount must be a number with 0 < discount < 1, got {discount!r}")
        self.smoothing = smoothing
        self.k = float(k)
        self.discount = float(discount)
        self._fixed_discounts = None if discounts is None else _check_discounts(discounts)
        self.vocab: list[str] | None = None
        self.lambdas: np.ndarray | None = None
        self.discounts: np.ndarray | None = None
        self._table: _GramTable | None = None

    # ------------------------------------------------------------------ fitting
    def fit(self, sentences: Iterable[Sequence[str]], valid=None) -> NGramLM:
        """Count the n-grams of the training sentences (and tune the lambdas of "interpolated").

        Inputs:
        - sentences: iterable of token lists, e.g. [["the", "cat"], ["a", "dog"]]; at least one
          sentence and one token; must not contain ``<s>`` or ``</s>``.
        - valid: held-out token lists, used only by "interpolated" to tune the lambdas. If None,
          every tenth training sentence (indices 9, 19, ...; the last one if there are fewer
          than ten) is held out: the lambdas are tuned on those with counts from the others,
          then the counts are redone on all training sentences.

        Returns:
        - self.
        """
        if self.smoothing == BACKOFF:
            raise ValueError("a model read from ARPA cannot be refitted: make a new NGramLM")
        sentences = _check_sentences(sentences)
        if not any(sentences):
            raise ValueError("sentences must contain at least one token, all are empty")
        words = Vocab(sentences).itos[4:]  # drops <pad>, <unk>, <s>, </s>
        self.vocab = [UNK, EOS] + words
        self._index = _TokenIds(self.vocab)
        self._bos = len(self.vocab)  # the id of <s>: one past the vocabulary
        if self.smoothing != "interpolated":
            self._set_counts(sentences)
            return self
        if valid is None:
            rest, valid = self._split_holdout(sentences)
            self._set_counts(rest)
            self.lambdas = self._tune_lambdas(valid)
            self._set_counts(sentences)
        else:
            valid = _check_sentences(valid, "valid")
            self._set_counts(sentences)
            self.lambdas = self._tune_lambdas(valid)
        return self

    def _encode(self, sentences: list[list[str]]) -> np.ndarray:
        """Padded sentences, one after the other, as (N,) int64 ids (unknown tokens -> <unk>)."""
        n = self.order
        lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
        flat = np.fromiter(  # every token's id, sentence after sentence, in one C-level loop
            map(self._index.__getitem__, chain.from_iterable(sentences)),
            dtype=np.int64, count=int(lengths.sum()))
        ends = np.cumsum(lengths + n)  # one past the </s> of each padded sentence
        ids = np.full(int(ends[-1]), self._bos, dtype=np.int64)
        before = np.cumsum(lengths) - lengths  # tokens of the sentences before this one
        ids[np.arange(len(flat)) + np.repeat(ends - lengths - 1 - before, lengths)] = flat
        ids[ends - 1] = self._index[EOS]
        return ids

    def _set_counts(self, sentences: list[list[str]]) -> None:
        ids = self._encode(sentences)
        self._table = _GramTable(ids, self.order, self._bos + 1, self._bos)
        self._prepare_levels()

    def _prepare_levels(self) -> None:
        """Precompute, per level j, the numerators a_j, the context totals a_j(h) and, for
        Kneser-Ney, the discounts and the discounted mass sum_w D(a_j(h, w)) of each context."""
        table = self._table
        kneser_ney = self.smoothing in KNESER_NEY
        self._numer, self._total, self._discount, self._mass = [None], [None], [None], [None]
        for j in range(1, self.order + 1):
            numer = table.counts[j]
            if kneser_ney and j < self.order:
                seen_longer = table.counts[j + 1] > 0
                numer = np.bincount(table.suffix[j + 1][seen_longer], minlength=len(numer))
            n_contexts = len(table.keys[j - 1])
            parent = table.parent[j]
            self._numer.append(numer.astype(np.float64))
            self._total.append(np.bincount(parent, weights=numer, minlength=n_contexts))
            if kneser_ney:
                by_count = np.concatenate(([0.0], self._order_discounts(j, numer)))  # (4,)
                taken = by_count[np.minimum(numer, 3)]  # D(a_j(h, w)) of every gram
                self._discount.append(by_count)
                self._mass.append(np.bincount(parent, weights=taken, minlength=n_contexts))
        if kneser_ney:
            self.discounts = np.stack(self._discount[1:])[:, 1:]  # (n, 3)

    def _order_discounts(self, j: int, numer: np.ndarray) -> np.ndarray:
        """(D_1, D_2, D_3+) of order j: D at every count for "kneser_ney"; for
        "modified_kneser_ney" the fixed ``discounts`` or Chen & Goodman's estimates."""
        if self.smoothing == "kneser_ney":
            return np.full(3, self.discount)
        if self._fixed_discounts is not None:
            return self._fixed_discounts
        return estimate_discounts(numer, f"order {j}")

    @staticmethod
    def _split_holdout(sentences: list[list[str]]):
        """(rest, held): every tenth sentence is held out, or the last one if there are < 10."""
        held = [i for i in range(len(sentences)) if i % _HOLDOUT_EVERY == _HOLDOUT_EVERY - 1]
        held = held or [len(sentences) - 1]
        if len(held) == len(sentences):
            raise ValueError("valid is needed: one training sentence cannot also tune the lambdas")
        held_set = set(held)
        rest = [s for i, s in enumerate(sentences) if i not in held_set]
        return rest, [sentences[i] for i in held]

    def _tune_lambdas(self, valid: list[list[str]]) -> np.ndarray:
        """EM for the Jelinek-Mercer weights on held-out sentences, with the current counts.

        Each held-out token is explained by one of the n+1 components; the E-step computes the
        posterior of each component per token, the M-step sets lambda to their means. Every
        step increases the held-out likelihood; we stop when no lambda moves by 1e-8.

        Returns:
        - lambdas: (n+1,) nonnegative, summing to 1.
        """
        contexts, target, _ = self._positions(valid)
        parts = self._components(contexts, target)  # (Q, n+1)
        lambdas = np.full(self.order + 1, 1.0 / (self.order + 1))
        for _ in range(_EM_MAX_ITER):
            resp = parts * lambdas  # (Q, n+1) joint of token and component
            resp /= resp.sum(axis=1, keepdims=True)
            new = resp.mean(axis=0)
            done = np.abs(new - lambdas).max() < _EM_TOL
            lambdas = new
            if done:
                break
        return lambdas

    # ------------------------------------------------------------------ scoring
    def _check_fitted(self) -> None:
        if self._table is None:
            raise ValueError("this NGramLM is not fitted yet: call fit(sentences) first")

    def _positions(self, sentences: list[list[str]]):
        """Contexts and targets of every predicted token of the given sentences.

        Returns:
        - contexts: list of n arrays of shape (Q,); contexts[j-1] is the level-(j-1) number of
          the last j-1 tokens before each target.
        - targets: (Q,) int64 ids of the predicted tokens.
        - known: list of n-1 arrays of shape (Q,) (known[0] is None); known[j] is the level-j
          number of the j-gram that ends with each target (-1 if unseen), found on the way.
        """
        ids = self._encode(sentences)  # (N,)
        grams = self._table.contexts(ids)
        pos = np.flatnonzero(ids != self._bos)  # (Q,)
        before = np.maximum(pos - 1, 0)
        contexts = [np.zeros(len(pos), dtype=np.int64)] + [g[before] for g in grams[1:]]
        return contexts, ids[pos], [None] + [g[pos] for g in grams[1:]]

    def _gram(self, j: int, context: np.ndarray, target: np.ndarray, known=None) -> np.ndarray:
        """Level-j numbers of the grams (context, target), from ``known`` if it has level j."""
        if known is not None and j < len(known):
            return known[j]
        return self._table.lookup(j, context, target)

    def _level(self, j: int, context: np.ndarray, target: np.ndarray, known=None):
        """Numerator a_j(h, w) and total a_j(h) at level j, each (Q,) float64."""
        gram = self._gram(j, context, target, known)
        numer = np.where(gram >= 0, self._numer[j][np.maximum(gram, 0)], 0.0)
        total = np.where(context >= 0, self._total[j][np.maximum(context, 0)], 0.0)
        return numer, total

    def _mle(self, j: int, context: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Order-j MLE c(h, w) / c(h), uniform where c(h) = 0; (Q,)."""
        numer, total = self._level(j, context, target)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, numer / total, 1.0 / len(self.vocab))

    def _components(self, contexts: list[np.ndarray], target: np.ndarray) -> np.ndarray:
        """(Q, n+1) matrix: uniform, then the MLE of orders 1..n (for "interpolated")."""
        parts = [np.full(len(target), 1.0 / len(self.vocab))]
        parts += [self._mle(j, contexts[j - 1], target) for j in range(1, self.order + 1)]
        return np.stack(parts, axis=1)

    def _kneser_ney(self, contexts: list[np.ndarray], target: np.ndarray, known=None,
                    top: int | None = None):
        """P_top(target | context) of (modified) Kneser-Ney, levels 1..top (default n); (Q,)."""
        prob = np.full(len(target), 1.0 / len(self.vocab))  # P_0, (Q,)
        for j in range(1, (top or self.order) + 1):
            context = contexts[j - 1]
            numer, total = self._level(j, context, target, known)
            taken = self._discount[j][np.minimum(numer, 3).astype(np.int64)]  # D(a_j(h, w))
            mass = np.where(context >= 0, self._mass[j][np.maximum(context, 0)], 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                mixed = (numer - taken + mass * prob) / total
            prob = np.where(total > 0, mixed, prob)
        return prob

    def _backoff(self, contexts: list[np.ndarray], target: np.ndarray, known=None):
        """P(target | context) from ARPA probabilities and back-off weights; (Q,).

        Level by level: the probability of the gram (context, target) if the file lists it,
        else the back-off weight of the context (1 if unlisted) times the shorter answer.
        """
        gram = self._gram(1, contexts[0], target, known)
        prob = np.where(gram >= 0, self._prob[1][np.maximum(gram, 0)], 0.0)
        for j in range(2, self.order + 1):
            context = contexts[j - 1]
            gram = self._gram(j, context, target, known)
            weight = np.where(context >= 0, self._weight[j - 1][np.maximum(context, 0)], 1.0)
            prob = np.where(gram >= 0, self._prob[j][np.maximum(gram, 0)], weight * prob)
        return prob

    def _score(self, contexts: list[np.ndarray], target: np.ndarray, known=None) -> np.ndarray:
        """P(target | context) for Q queries at once; (Q,) float64 (``known`` as _positions)."""
        n = self.order
        if self.smoothing in KNESER_NEY:
            return self._kneser_ney(contexts, target, known)
        if self.smoothing == BACKOFF:
            return self._backoff(contexts, target, known)
        if self.smoothing == "interpolated":
            return self._components(contexts, target) @ self.lambdas
        if self.smoothing == "mle":
            return self._mle(n, contexts[n - 1], target)
        numer, total = self._level(n, contexts[n - 1], target)  # add_k
        return (numer + self.k) / (total + self.k * len(self.vocab))

    def _context_ids(self, context) -> list[np.ndarray]:
        """Level numbers of the last 0..n-1 tokens of a context, each of shape (1,).

        A context shorter than n-1 tokens is the start of a sentence: ``<s>`` fills it on the left.
        """
        if isinstance(context, str):
            raise TypeError("context must be a tuple of tokens, got a str")
        context = list(context)[-(self.order - 1) :] if self.order > 1 else []
        tokens = [BOS] * (self.order - 1 - len(context)) + context
        unk = self._index[UNK]
        ids = np.array([self._bos if t == BOS else self._index.get(t, unk) for t in tokens])
        grams = self._table.contexts(ids.astype(np.int64))
        last = len(ids) - 1
        return [np.zeros(1, dtype=np.int64)] + [g[last : last + 1] for g in grams[1:]]

    def probs(self, context: Sequence[str] = ()) -> np.ndarray:
        """Next-token distribution after a context.

        Inputs:
        - context: tuple of previous tokens; only the last n-1 are used, a shorter one is padded
          with ``<s>`` on the left (the start of a sentence); unknown tokens count as ``<unk>``.

        Returns:
        - probs: (|V|,) float64 over ``self.vocab``, summing to 1.
        """
        self._check_fitted()
        contexts = [np.repeat(c, len(self.vocab)) for c in self._context_ids(context)]
        return self._score(contexts, np.arange(len(self.vocab), dtype=np.int64))

    def prob(self, word: str, context: Sequence[str] = ()) -> float:
        """P(word | context), with ``context`` as in ``probs``; a word outside the vocabulary
        gets the probability of ``<unk>``, and ``<s>`` gets 0 (it is never predicted)."""
        self._check_fitted()
        if word == BOS:
            return 0.0
        target = np.array([self._index.get(word, self._index[UNK])], dtype=np.int64)
        return float(self._score(self._context_ids(context), target)[0])

    def logprob(self, word: str, context: Sequence[str] = ()) -> float:
        """Natural log of ``prob(word, context)``; -inf when the probability is 0."""
        p = self.prob(word, context)
        return math.log(p) if p > 0 else -math.inf

    def perplexity(self, sentences: Iterable[Sequence[str]]) -> float:
        """exp of the mean negative log-probability of every predicted token (``</s>`` included).

        Inputs:
        - sentences: iterable of token lists (at least one sentence).

        Returns:
        - perplexity: float >= 1, or inf if some token has probability 0 (only "mle").
        """
        return float(np.exp(-np.mean(self.token_logprobs(sentences))))

    def token_logprobs(self, sentences: Iterable[Sequence[str]]) -> np.ndarray:
        """ln P(w_t | context) of every predicted token, sentence after sentence.

        Inputs:
        - sentences: iterable of token lists (at least one sentence).

        Returns:
        - logprobs: (Q,) float64, Q = sum of (len(sentence) + 1) (``</s>`` is predicted too);
          -inf where the probability is 0 (only "mle").
        """
        self._check_fitted()
        probs = self._score(*self._positions(_check_sentences(sentences)))
        with np.errstate(divide="ignore"):
            return np.log(probs)

    # ------------------------------------------------------------------ ARPA files
    def save_arpa(self, path) -> None:
        """Write the model as an ARPA file (log10 probabilities and back-off weights).

        Interpolated Kneser-Ney is a back-off model: with gamma_j(h) = sum_w D(a_j(h, w)) / a_j(h)
        (1 where a_j(h) = 0), P_j(w | h) = P_j(w | h) for the j-grams with a_j(h, w) > 0, which are
        listed, and gamma_j(h) P_{j-1}(w | h') for all others, so b(h) = gamma_{j}(h). Our n-1
        ``<s>`` of padding become the single ``<s>`` of ARPA readers: an n-gram ``<s> u w`` gets
        the probability P_n(w | <s> .. <s> u) and ``<s> u`` the product of the gammas that a
        reader skips when it backs off from there.

        Inputs:
        - path: file name (str or os.PathLike).

        Raises ValueError for smoothings other than the Kneser-Ney ones (and "backoff": a model
        read from ARPA is written back as it was read), and for tokens holding whitespace.
        """
        self._check_fitted()
        if self.smoothing == BACKOFF:
            levels = self._loaded_levels()
        elif self.smoothing in KNESER_NEY:
            levels = self._kneser_ney_levels()
        else:
            raise ValueError(
                f"save_arpa writes Kneser-Ney models, this one is smoothed with {self.smoothing!r}"
            )
        names = np.array(self.vocab + [BOS], dtype=object)
        listed = []
        for ids, p, b in levels:
            grams = names[ids[:, 0]]
            for column in ids.T[1:]:
                grams = grams + " " + names[column]  # object arrays: str + str per element
            listed.append((grams, arpa.log10(p), None if b is None else arpa.log10(b)))
        arpa.write(path, listed)

    @classmethod
    def load_arpa(cls, path) -> NGramLM:
        """Read an ARPA file (ours or any toolkit's) into a model with smoothing "backoff".

        The model scores like an ARPA reader (see course_lib.arpa): sentences are padded as
        usual, contexts made only of ``<s>`` simply are not listed. ``vocab`` is ``<unk>``,
        ``</s>``, then the other 1-grams in file order (``<s>`` excluded).

        Inputs:
        - path: file name (str or os.PathLike).

        Returns:
        - model: a fitted NGramLM of the file's order (prob, probs, perplexity, generate, and
          save_arpa, which writes the same numbers back).

        Raises ValueError if the file is not ARPA, lacks ``<unk>`` or ``</s>``, or lists an n-gram
        whose first n-1 tokens are not listed.
        """
        levels = arpa.read(path)
        unigrams = [g[0] for g in levels[0][0]]
        for special in (UNK, EOS, BOS):
            if special not in unigrams:
                raise ValueError(f"{path}: the ARPA file must list {special!r} as a 1-gram")
        lm = cls(len(levels))
        lm.smoothing = BACKOFF
        lm.vocab = [UNK, EOS] + [t for t in unigrams if t not in (UNK, EOS, BOS)]
        lm._index = _TokenIds(lm.vocab)
        lm._bos = len(lm.vocab)
        index = {**lm._index, BOS: lm._bos}
        base = lm._bos + 1
        keys, lm._prob, lm._weight = [], [None], [None]
        table = _GramTable.from_keys([], 0, base)
        for k, (grams, logp, logb) in enumerate(levels, start=1):
            try:
                ids = np.array([[index[t] for t in g] for g in grams], dtype=np.int64)
            except KeyError as missing:
                raise ValueError(f"{path}: a {k}-gram holds {missing}, no 1-gram") from None
            ids = ids.reshape(-1, k)
            parent = np.zeros(len(ids), dtype=np.int64)
            for j in range(1, k):  # the level-(k-1) number of the first k-1 tokens
                parent = table.lookup(j, parent, ids[:, j - 1])
            if np.any(parent < 0):
                first = grams[int(np.argmax(parent < 0))]
                raise ValueError(f"{path}: the {k}-gram {' '.join(first)!r} has no listed prefix")
            key = parent * base + ids[:, k - 1]
            order = np.argsort(key, kind="stable")
            keys.append(key[order])
            table = _GramTable.from_keys(keys, k, base)
            lm._prob.append(arpa.prob(logp[order]))
            lm._weight.append(np.power(10.0, logb[order]))
        lm._table = table
        return lm

    def _loaded_levels(self):
        """The numbers read by load_arpa, per order k: (token ids, probabilities, weights)."""
        ids = self._table.token_ids()
        n = self.order
        return [(ids[k], self._prob[k], self._weight[k] if k < n else None)
                for k in range(1, n + 1)]

    def _chain(self, level: int, grams: np.ndarray):
        """Contexts (level numbers of the last 0..level-1 tokens before the target) and targets of
        some level-``level`` grams, as ``_score`` takes them; each (G,)."""
        table = self._table
        contexts = [None] * level
        contexts[level - 1] = table.parent[level][grams]
        for j in range(level - 1, 0, -1):
            contexts[j - 1] = table.suffix[j][contexts[j]]
        return contexts, table.keys[level][grams] % table.base

    def _kneser_ney_levels(self):
        """Per order k: (token ids (G_k, k), probabilities (G_k,), back-off weights or None)."""
        table, n = self._table, self.order
        ids = table.token_ids()
        leading_bos = [np.cumprod(g == self._bos, axis=1).sum(axis=1) for g in ids]
        with np.errstate(divide="ignore", invalid="ignore"):
            gamma = [None] + [np.where(t > 0, m / t, 1.0) for t, m in zip(
                self._total[1:], self._mass[1:], strict=True)]  # gamma[j]: per level-(j-1) gram
        weight = [None] + [gamma[k + 1].copy() for k in range(1, n)]  # per level-k gram
        prob = [None] + [np.full(len(table.keys[k]), np.nan) for k in range(1, n + 1)]
        for k in range(2, n + 1):  # P_k of the grams that do not start with <s>
            plain = np.flatnonzero((self._numer[k] > 0) & (leading_bos[k] == 0))
            prob[k][plain] = self._kneser_ney(*self._chain(k, plain), top=k)
        # an n-gram <s>^m u w is listed as <s> u w, a gram of order n-m+1, with its P_n
        start = np.flatnonzero((self._numer[n] > 0) & (leading_bos[n] > 0))
        p_start = self._kneser_ney(*self._chain(n, start))
        for m in np.unique(leading_bos[n][start]):
            grams, level = start[leading_bos[n][start] == m], n
            for _ in range(m - 1):
                grams, level = table.suffix[level][grams], level - 1
            prob[level][grams] = p_start[leading_bos[n][start] == m]
        # the context <s>^m u (order n-1) is listed as <s> u; its weight multiplies the gammas
        if n > 1:
            start = np.flatnonzero(leading_bos[n - 1] > 0)
            for m in np.unique(leading_bos[n - 1][start]):
                grams, level = start[leading_bos[n - 1][start] == m], n - 1
                product = gamma[n][grams]
                for _ in range(m - 1):
                    grams, level = table.suffix[level][grams], level - 1
                    product = product * gamma[level + 1][grams]
                weight[level][grams] = product
        # 1-grams: every vocabulary token (unseen ones too, e.g. <unk>), then <s>
        vocab_ids = np.arange(len(self.vocab) + 1, dtype=np.int64)
        p1 = self._kneser_ney([np.zeros(len(self.vocab), dtype=np.int64)], vocab_ids[:-1], top=1)
        number = table.lookup(1, np.zeros_like(vocab_ids), vocab_ids)
        levels = [(vocab_ids[:, None], np.append(p1, 0.0),
                   np.where(number >= 0, weight[1][number], 1.0) if n > 1 else None)]
        for k in range(2, n + 1):
            listed = np.flatnonzero(~np.isnan(prob[k]))
            levels.append((ids[k][listed], prob[k][listed], weight[k][listed] if k < n else None))
        return levels

    def generate(
        self,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        max_len: int = 50,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        prefix: Sequence[str] = (),
    ) -> list[str]:
        """Sample one sentence: generate_many with n = 1 (same arguments, without n).

        Returns: tokens, a list of str, the prefix and the generated tokens, without ``<s>`` and
        ``</s>``.
        """
        return self.generate_many(1, seed, rng, max_len, temperature, top_k, top_p, prefix)[0]

    def generate_many(
        self,
        n: int,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        max_len: int = 50,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        prefix: Sequence[str] = (),
    ) -> list[list[str]]:
        """Sample n sentences token by token, with course_lib.decoding.sample_decode (the sampler
        of the neural models too; each step scores the n contexts and draws n tokens).

        Inputs:
        - n: int >= 1, how many sentences.
        - seed: int seeding a fresh numpy Generator (same seed, same sentences); or
        - rng: a numpy Generator to draw from (give at most one of seed and rng; with neither,
          the sentences are not reproducible).
        - max_len: int >= 1, the most tokens to generate after the prefix.
        - temperature, top_k, top_p: as in course_lib.sampling.sample_rows (temperature 0 =
          greedy).
        - prefix: tokens every sentence starts with (they are part of the output).

        Returns:
        - n token lists: the prefix and the generated tokens, without ``<s>`` and ``</s>``;
          generation stops when ``</s>`` is drawn or after max_len tokens. ``<unk>`` can be drawn
          (smoothing gives it some probability) and is returned as is.
        """
        self._check_fitted()
        if seed is not None and rng is not None:
            raise ValueError("give at most one of seed and rng, got both")
        if rng is None:
            rng = np.random.default_rng(seed)
        n = _check_order(n, "n")
        max_len = _check_order(max_len, "max_len")
        prefix = _check_tokens(prefix, "prefix")
        start = len(self.vocab)  # a token id outside the vocabulary: "nothing drawn yet"

        def step(tokens: torch.Tensor, history: list[list[str]]):
            if int(tokens[0]) != start:
                history = [h + [self.vocab[int(t)]] for h, t in zip(history, tokens, strict=True)]
            with np.errstate(divide="ignore"):
                log_probs = np.log(np.stack([self.probs(tuple(h)) for h in history]))  # (n, V)
            return torch.from_numpy(log_probs), history

        hyps = sample_decode(step, [list(prefix) for _ in range(n)], n, start, self._index[EOS],
                             max_len, rng, temperature, top_k, top_p)
        return [prefix + [self.vocab[i] for i in h.tokens] for h in hyps]

    def __repr__(self) -> str:
        size = "unfitted" if self.vocab is None else f"|V|={len(self.vocab)}"
        return f"NGramLM(order={self.order}, smoothing={self.smoothing!r}, {size})"


KN_DISCOUNT_GRID = (0.6, 0.7, 0.8, 0.9, 0.95)


def tune_kneser_ney(
    train: Iterable[Sequence[str]],
    valid: Iterable[Sequence[str]],
    orders: Sequence[int] = (2, 3, 4, 5),
    discounts: Sequence[float] = KN_DISCOUNT_GRID,
) -> tuple[NGramLM, list[dict]]:
    """Choose the order and the discounts of Kneser-Ney on validation sentences.

    At every order, plain Kneser-Ney is tried with every D of ``discounts`` and modified
    Kneser-Ney with its estimated three discounts (skipped where too little data makes them
    undefined); the n-grams are counted once per order.

    Inputs:
    - train, valid: iterables of token lists.
    - orders: the orders n to try; discounts: the values of D to try, each 0 < D < 1.

    Returns:
    - best: the fitted NGramLM with the lowest validation perplexity.
    - trials: one dict per model tried: "order", "smoothing", "discount" (D, or None for the
      estimated discounts of modified Kneser-Ney) and "valid perplexity".
    """
    train, valid = _check_sentences(train), _check_sentences(valid, "valid")
    best, best_ppl, trials = None, math.inf, []
    for n in orders:
        counted = NGramLM(n, "kneser_ney", discount=discounts[0]).fit(train)
        candidates = [("kneser_ney", d) for d in discounts] + [("modified_kneser_ney", None)]
        for smoothing, d in candidates:
            lm = copy.copy(counted)  # shares the counts; _prepare_levels makes new arrays
            lm.smoothing, lm.discount = smoothing, counted.discount if d is None else float(d)
            if not 0 < lm.discount < 1:
                raise ValueError(f"discounts must hold numbers 0 < D < 1, got {d!r}")
            try:
                lm._prepare_levels()
            except ValueError:  # modified Kneser-Ney: too little data for three discounts
                continue
            ppl = lm.perplexity(valid)
            trials.append({"order": n, "smoothing": smoothing, "discount": d,
                           "valid perplexity": ppl})
            if ppl < best_ppl:
                best, best_ppl = lm, ppl
    return best, trials
