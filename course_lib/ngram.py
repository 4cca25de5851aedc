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

Implementation: tokens become integer ids, and the j-grams of the training data are numbered level
by level as (id of the first j-1 tokens, last token) pairs, kept as sorted int64 keys. Every count
is then a numpy bincount and every lookup a searchsorted, so fitting and scoring a million tokens
takes seconds, and prob, probs and perplexity share one vectorised formula.

References: Jurafsky & Martin, "Speech and Language Processing" (3rd ed.), chapter 3;
Chen & Goodman (1998), "An Empirical Study of Smoothing Techniques for Language Modeling";
Kneser & Ney (1995), "Improved backing-off for m-gram language modeling".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from course_lib.sampling import sample_from_logits
from course_lib.text import BOS, EOS, UNK, Vocab

SMOOTHINGS = ("kneser_ney", "add_k", "interpolated", "mle")
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
    out = [_check_tokens(s, f"each of {name}") for s in sentences]
    if not out:
        raise ValueError(f"{name} must hold at least one sentence, got none")
    for s in out:
        if BOS in s or EOS in s:
            raise ValueError(f"{name} must not contain the padding tokens {BOS!r} or {EOS!r}")
    return out


def _shift(prev: np.ndarray, level: int) -> np.ndarray:
    """Context numbers of the level-j grams ending at each position, from the level-(j-1) numbers.

    The context of the j-gram ending at t is the (j-1)-gram ending at t-1: prev shifted right by
    one, with -1 (none) at t = 0. At level 1 the context is the empty gram (0) everywhere.
    """
    if level == 1:
        return np.zeros_like(prev)
    return np.concatenate(([-1], prev[:-1]))


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

    def lookup(self, level: int, parent: np.ndarray, token: np.ndarray) -> np.ndarray:
        """Level numbers of the grams (parent gram, token); -1 where unseen. Shapes (Q,) -> (Q,)."""
        keys = self.keys[level]
        query = np.where(parent >= 0, parent, 0) * self.base + token
        pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
        return np.where((parent >= 0) & (keys[pos] == query), pos, -1)

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

    After ``fit``: ``vocab`` (list of |V| tokens: ``<unk>``, ``</s>``, then the training tokens by
    decreasing frequency, ties alphabetical) and, for "interpolated", ``lambdas`` ((n+1,) array;
    lambdas[0] weighs the uniform distribution and lambdas[j] the order-j MLE).
    """

    def __init__(
        self, order: int, smoothing: str = "kneser_ney", k: float = 1.0, discount: float = 0.75
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
        self.vocab: list[str] | None = None
        self.lambdas: np.ndarray | None = None
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
        sentences = _check_sentences(sentences)
        if not any(sentences):
            raise ValueError("sentences must contain at least one token, all are empty")
        words = Vocab(sentences).itos[4:]  # drops <pad>, <unk>, <s>, </s>
        self.vocab = [UNK, EOS] + words
        self._index = {t: i for i, t in enumerate(self.vocab)}
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
        get, unk, n = self._index.get, self._index[UNK], self.order
        ids: list[int] = []
        for s in sentences:
            ids.extend([self._bos] * (n - 1))
            ids.extend([get(t, unk) for t in s])
            ids.append(self._index[EOS])
        return np.asarray(ids, dtype=np.int64)

    def _set_counts(self, sentences: list[list[str]]) -> None:
        ids = self._encode(sentences)
        self._table = _GramTable(ids, self.order, self._bos + 1, self._bos)
        self._prepare_levels()

    def _prepare_levels(self) -> None:
        """Precompute, per level j, the numerators a_j and the context totals a_j(h), N1+(h .)."""
        table = self._table
        self._numer, self._total, self._types = [None], [None], [None]
        for j in range(1, self.order + 1):
            numer = table.counts[j]
            if self.smoothing == "kneser_ney" and j < self.order:
                seen_longer = table.counts[j + 1] > 0
                numer = np.bincount(table.suffix[j + 1][seen_longer], minlength=len(numer))
            n_contexts = len(table.keys[j - 1])
            parent = table.parent[j]
            self._numer.append(numer.astype(np.float64))
            self._total.append(np.bincount(parent, weights=numer, minlength=n_contexts))
            self._types.append(np.bincount(parent[numer > 0], minlength=n_contexts))

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
        parts = self._components(*self._positions(valid))  # (Q, n+1)
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
        """
        ids = self._encode(sentences)  # (N,)
        grams = self._table.contexts(ids)
        pos = np.flatnonzero(ids != self._bos)  # (Q,)
        before = np.maximum(pos - 1, 0)
        contexts = [np.zeros(len(pos), dtype=np.int64)] + [g[before] for g in grams[1:]]
        return contexts, ids[pos]

    def _level(self, j: int, context: np.ndarray, target: np.ndarray):
        """Numerator a_j(h, w), total a_j(h) and N1+(h .) at level j, each (Q,) float64."""
        gram = self._table.lookup(j, context, target)
        numer = np.where(gram >= 0, self._numer[j][np.maximum(gram, 0)], 0.0)
        safe = np.maximum(context, 0)
        total = np.where(context >= 0, self._total[j][safe], 0.0)
        types = np.where(context >= 0, self._types[j][safe], 0.0)
        return numer, total, types

    def _mle(self, j: int, context: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Order-j MLE c(h, w) / c(h), uniform where c(h) = 0; (Q,)."""
        numer, total, _ = self._level(j, context, target)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, numer / total, 1.0 / len(self.vocab))

    def _components(self, contexts: list[np.ndarray], target: np.ndarray) -> np.ndarray:
        """(Q, n+1) matrix: uniform, then the MLE of orders 1..n (for "interpolated")."""
        parts = [np.full(len(target), 1.0 / len(self.vocab))]
        parts += [self._mle(j, contexts[j - 1], target) for j in range(1, self.order + 1)]
        return np.stack(parts, axis=1)

    def _kneser_ney(self, contexts: list[np.ndarray], target: np.ndarray) -> np.ndarray:
        prob = np.full(len(target), 1.0 / len(self.vocab))  # P_0, (Q,)
        d = self.discount
        for j in range(1, self.order + 1):
            numer, total, types = self._level(j, contexts[j - 1], target)
            with np.errstate(divide="ignore", invalid="ignore"):
                mixed = (np.maximum(numer - d, 0.0) + d * types * prob) / total
            prob = np.where(total > 0, mixed, prob)
        return prob

    def _score(self, contexts: list[np.ndarray], target: np.ndarray) -> np.ndarray:
        """P(target | context) for Q queries at once; (Q,) float64."""
        n = self.order
        if self.smoothing == "kneser_ney":
            return self._kneser_ney(contexts, target)
        if self.smoothing == "interpolated":
            return self._components(contexts, target) @ self.lambdas
        if self.smoothing == "mle":
            return self._mle(n, contexts[n - 1], target)
        numer, total, _ = self._level(n, contexts[n - 1], target)  # add_k
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
        self._check_fitted()
        probs = self._score(*self._positions(_check_sentences(sentences)))
        with np.errstate(divide="ignore"):
            return float(np.exp(-np.mean(np.log(probs))))

    # ------------------------------------------------------------------ sampling
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
        """Sample one sentence, token by token, with course_lib.sampling.sample_from_logits.

        Inputs:
        - seed: int seeding a fresh numpy Generator (same seed, same sentence); or
        - rng: a numpy Generator to draw from (give at most one of seed and rng; with neither,
          the sentence is not reproducible).
        - max_len: int >= 1, the most tokens to generate after the prefix.
        - temperature, top_k, top_p: as in sample_from_logits (temperature 0 = greedy).
        - prefix: tokens the sentence starts with (they are part of the output).

        Returns:
        - tokens: list of str, the prefix and the generated tokens, without ``<s>`` and ``</s>``;
          generation stops when ``</s>`` is drawn or after max_len tokens. ``<unk>`` can be drawn
          (smoothing gives it some probability) and is returned as is.
        """
        self._check_fitted()
        if seed is not None and rng is not None:
            raise ValueError("give at most one of seed and rng, got both")
        if rng is None:
            rng = np.random.default_rng(seed)
        max_len = _check_order(max_len, "max_len")
        out = _check_tokens(prefix, "prefix")
        for _ in range(max_len):
            with np.errstate(divide="ignore"):
                logits = np.log(self.probs(tuple(out)))
            token = self.vocab[sample_from_logits(logits, rng, temperature, top_k, top_p)]
            if token == EOS:
                break
            out.append(token)
        return out

    def __repr__(self) -> str:
        size = "unfitted" if self.vocab is None else f"|V|={len(self.vocab)}"
        return f"NGramLM(order={self.order}, smoothing={self.smoothing!r}, {size})"
