"""BLEU: how many n-grams of a translation appear in its reference(s), corpus-level (part 6).

For hypotheses (system translations) h_1..h_N, each with references r_i1, r_i2, ..., and
n = 1..4, every hypothesis n-gram counts as correct at most as often as it occurs in the
reference that has it most often ("clipping": "the the the the" against "the cat" earns 1, not 4):

    correct_n = sum_i sum_{g n-gram of h_i} min(count(g, h_i), max_j count(g, r_ij))
    total_n   = sum_i max(0, |h_i| - n + 1)
    p_n       = correct_n / total_n                              (modified n-gram precision)

Precision alone rewards short outputs, so a brevity penalty compares the total hypothesis length
c = sum_i |h_i| with the reference length r = sum_i |r_i*|, where r_i* is the reference of
sentence i whose length is closest to |h_i| (the shorter one on a tie):

    BP = 1 if c >= r, exp(1 - r / c) if 0 < c < r, 0 if c = 0
    BLEU = 100 * BP * exp((1/4) sum_{n=1..4} log p_n)

A single p_n = 0 makes BLEU 0. Smoothing (Chen & Cherry 2014) decides what to do then:

- ``"none"``: nothing (BLEU = 0), the standard corpus-level BLEU;
- ``"floor"`` (their method 1): a zero count becomes ``smooth_value`` eps (default 0.1),
  p_n = eps / total_n;
- ``"add-k"`` (method 2): for n >= 2, p_n = (correct_n + k) / (total_n + k), k default 1;
- ``"exp"`` (method 3, NIST's mteval): the k-th zero precision becomes 1 / (2^k total_n).

Orders with total_n = 0 (every hypothesis shorter than n tokens) end the product there; the
mean is still taken over max_order terms, unless ``effective_order`` is set.

The numbers equal sacrebleu's ``corpus_bleu(..., tokenize="none")`` on the same space-joined
tokens, including its corner cases (tests/test_metrics.py checks this to 1e-9).

References: Papineni et al. (2002), "BLEU: a method for automatic evaluation of machine
translation"; Chen & Cherry (2014), "A systematic comparison of smoothing techniques for
sentence-level BLEU"; Post (2018), "A call for clarity in reporting BLEU scores" (sacrebleu).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

SMOOTHING = {"none": None, "floor": 0.1, "add-k": 1.0, "exp": None}


def ngram_counts(tokens: Sequence[str], n: int) -> Counter:
    """Counts of the n-grams (tuples of n tokens) of one token list."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def clipped_matches(hypothesis: Sequence[str], references: Sequence[Sequence[str]],
                    n: int) -> tuple[int, int]:
    """(correct, total) n-grams of one hypothesis: each n-gram credited at most max_j count(g, r_j).

    Inputs:
    - hypothesis: list of tokens.
    - references: list of token lists (at least one).
    - n: the n-gram order, >= 1.

    Returns:
    - correct: clipped count of hypothesis n-grams found in the references.
    - total: number of hypothesis n-grams, max(0, len(hypothesis) - n + 1).
    """
    hyp = ngram_counts(hypothesis, n)
    best: Counter = Counter()
    for ref in references:
        best |= ngram_counts(ref, n)  # element-wise max of counts
    correct = sum(min(count, best[g]) for g, count in hyp.items())
    return correct, sum(hyp.values())


def closest_reference_length(hyp_len: int, ref_lens: Sequence[int]) -> int:
    """The reference length closest to hyp_len; the shorter one on a tie."""
    return min(ref_lens, key=lambda r: (abs(r - hyp_len), r))


def brevity_penalty(hyp_len: int, ref_len: int) -> float:
    """1 if hyp_len >= ref_len, exp(1 - ref_len / hyp_len) if 0 < hyp_len < ref_len, else 0."""
    if hyp_len >= ref_len:
        return 1.0
    return math.exp(1 - ref_len / hyp_len) if hyp_len > 0 else 0.0


@dataclass(frozen=True)
class BleuResult:
    """Corpus BLEU and its parts.

    - score: BLEU in [0, 100].
    - precisions: the max_order modified precisions p_n in percent (after smoothing).
    - brevity_penalty: BP in [0, 1].
    - hyp_len, ref_len: c and r of the module docstring.
    - correct, total: the n-gram counts per order (before smoothing).
    """

    score: float
    precisions: tuple[float, ...]
    brevity_penalty: float
    hyp_len: int
    ref_len: int
    correct: tuple[int, ...]
    total: tuple[int, ...]

    def __str__(self) -> str:
        precisions = "/".join(f"{p:.1f}" for p in self.precisions)
        return (f"BLEU = {self.score:.2f} {precisions} (BP = {self.brevity_penalty:.3f} "
                f"ratio = {self.hyp_len / max(self.ref_len, 1):.3f} hyp_len = {self.hyp_len} "
                f"ref_len = {self.ref_len})")


def _as_reference_list(refs, i: int) -> list[list[str]]:
    """One sentence's references: a token list, or a list of token lists."""
    if isinstance(refs, str) or not isinstance(refs, Sequence):
        raise TypeError(f"references[{i}] must be a token list or a list of token lists, "
                        f"got {type(refs).__name__}")
    if len(refs) == 0 or all(isinstance(t, str) for t in refs):
        return [list(refs)]
    if any(isinstance(r, str) or not isinstance(r, Sequence) for r in refs):
        raise TypeError(f"references[{i}] must be a token list or a list of token lists")
    return [list(r) for r in refs]


def _smoothed_precisions(correct, total, smooth: str, value: float | None,
                         max_order: int, effective_order: bool) -> tuple[list[float], int]:
    """Precisions in percent (0 where undefined) and the number of orders to average over."""
    correct, total = list(correct), [float(t) for t in total]
    precisions = [0.0] * max_order
    order = max_order
    halvings = 1.0
    for n in range(1, max_order + 1):
        if smooth == "add-k" and n > 1:
            correct[n - 1] += value
            total[n - 1] += value
        if total[n - 1] == 0:
            break
        if effective_order:
            order = n
        if correct[n - 1] > 0:
            precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1]
        elif smooth == "exp":
            halvings *= 2
            precisions[n - 1] = 100.0 / (halvings * total[n - 1])
        elif smooth == "floor":
            precisions[n - 1] = 100.0 * value / total[n - 1]
    return precisions, order


def corpus_bleu(
    hypotheses: Sequence[Sequence[str]],
    references: Sequence,
    max_order: int = 4,
    smooth: str = "none",
    smooth_value: float | None = None,
    effective_order: bool = False,
) -> BleuResult:
    """Corpus-level BLEU of tokenised hypotheses against tokenised references.

    Inputs:
    - hypotheses: N token lists (an empty list is an empty translation).
    - references: N items, each a token list (one reference) or a list of token lists (several).
    - max_order: the largest n-gram order, >= 1 (4 is standard).
    - smooth: "none", "floor", "add-k" or "exp" (see the module docstring).
    - smooth_value: epsilon of "floor" (default 0.1) or k of "add-k" (default 1).
    - effective_order: average only over the orders that have n-grams (for single sentences).

    Returns:
    - BleuResult (score in [0, 100]).
    """
    if smooth not in SMOOTHING:
        raise ValueError(f"smooth must be one of {sorted(SMOOTHING)}, got {smooth!r}")
    if not isinstance(max_order, int) or max_order < 1:
        raise ValueError(f"max_order must be an int >= 1, got {max_order!r}")
    if isinstance(hypotheses, str) or len(hypotheses) != len(references):
        raise ValueError(f"hypotheses and references must be lists of the same length, got "
                         f"{len(hypotheses)} and {len(references)}")
    if len(hypotheses) == 0:
        raise ValueError("hypotheses must hold at least one sentence")
    value = SMOOTHING[smooth] if smooth_value is None else float(smooth_value)
    correct, total = [0] * max_order, [0] * max_order
    hyp_len = ref_len = 0
    for i, (hyp, refs) in enumerate(zip(hypotheses, references, strict=True)):
        if isinstance(hyp, str):
            raise TypeError(f"hypotheses[{i}] must be a token list, got a str (split it first)")
        refs = _as_reference_list(refs, i)
        hyp_len += len(hyp)
        ref_len += closest_reference_length(len(hyp), [len(r) for r in refs])
        for n in range(1, max_order + 1):
            c, t = clipped_matches(hyp, refs, n)
            correct[n - 1] += c
            total[n - 1] += t
    bp = brevity_penalty(hyp_len, ref_len)
    if not any(correct):
        precisions, score = [0.0] * max_order, 0.0
    else:
        precisions, order = _smoothed_precisions(correct, total, smooth, value, max_order,
                                                 effective_order)
        logs = [math.log(p) if p > 0 else -math.inf for p in precisions[:order]]
        score = bp * math.exp(sum(logs) / order)
    return BleuResult(score, tuple(precisions), bp, hyp_len, ref_len, tuple(correct),
                      tuple(total))
