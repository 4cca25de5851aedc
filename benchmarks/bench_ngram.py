"""Speed of course_lib.ngram's Kneser-Ney trigram model against nltk.lm, on the same data.

Run: ``.venv/bin/python benchmarks/bench_ngram.py`` (or ``make bench``); about half a minute, almost
all of it nltk.

What is compared, and why the perplexities should be close but not identical:

- both models get exactly our n-grams: each sentence padded with two ``<s>`` and one ``</s>``,
  every 1..3-gram that ends in a predicted token (nltk's own pipeline would pad with two ``</s>``
  and count ``<s>`` as a word), and the same discount D = 0.75;
- above the unigram level the two definitions are the same (counts at the highest order,
  continuation counts below, back-off weight D N1+(h .) / c(h));
- at the bottom nltk stops at the continuation unigram N1+(. w) / N1+(. .), while we discount it
  once more and interpolate with the uniform distribution. So we evaluate on test sentences
  without unknown words (nltk gives those probability 0) and expect perplexities within 1 %.

nltk rescans its n-gram tables for every continuation count, so it is timed on a slice of the
corpus; our model is also timed on about a million tokens (the training split repeated).
Exit status 1 if we are less than 50x faster or the perplexities disagree.
"""

from __future__ import annotations

import math
import sys
import time

from course_lib.ngram import NGramLM, pad
from course_lib.text import BOS, EOS, word_tokenize

ORDER, DISCOUNT = 3, 0.75
NLTK_TRAIN_SENTENCES, NLTK_TEST_SENTENCES = 2000, 20
TARGET_TOKENS = 1_000_000
GOAL_SPEEDUP, PERPLEXITY_TOLERANCE = 50.0, 0.01


def load_sentences() -> tuple[list[list[str]], list[list[str]]]:
    """(train, test) token lists: the wiki corpus, or gensim's Lee corpus as a fallback."""
    try:
        from course_lib.datasets import load_corpus
    except ImportError:
        from gensim.test.utils import datapath

        with open(datapath("lee_background.cor"), encoding="utf-8") as f:
            docs = [word_tokenize(line) for line in f if line.strip()]
        return docs[:270], docs[270:]
    split = load_corpus("wiki", quick=False)
    return split.train, split.test


def ours(train: list[list[str]], test: list[list[str]], repeats: int = 3) -> tuple[float, float]:
    """(best time of fit + perplexity over ``repeats`` runs, perplexity)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        perplexity = NGramLM(ORDER, "kneser_ney", discount=DISCOUNT).fit(train).perplexity(test)
        best = min(best, time.perf_counter() - start)
    return best, perplexity


def nltk_reference(train: list[list[str]], test: list[list[str]]) -> tuple[float, float]:
    """(time of fit + perplexity, perplexity) of nltk.lm.KneserNeyInterpolated on our n-grams."""
    from nltk.lm import KneserNeyInterpolated, Vocabulary
    from nltk.util import everygrams

    start = time.perf_counter()
    vocab = Vocabulary([t for s in train for t in s] + [EOS])
    model = KneserNeyInterpolated(ORDER, discount=DISCOUNT, vocabulary=vocab)
    grams = [everygrams(pad(s, ORDER), max_len=ORDER) for s in train]
    model.fit([[g for g in sentence if g[-1] != BOS] for sentence in grams])
    logprobs = []
    for sentence in test:
        padded = pad(sentence, ORDER)
        for t in range(ORDER - 1, len(padded)):
            logprobs.append(math.log(model.score(padded[t], padded[t - ORDER + 1 : t])))
    perplexity = math.exp(-sum(logprobs) / len(logprobs))
    return time.perf_counter() - start, perplexity


def main() -> int:
    train, test = load_sentences()
    small = train[:NLTK_TRAIN_SENTENCES]
    known = {t for s in small for t in s}
    small_test = [s for s in test if all(t in known for t in s)][:NLTK_TEST_SENTENCES]
    n_train, n_test = sum(map(len, small)), sum(len(s) + 1 for s in small_test)
    print(f"slice: {len(small)} sentences ({n_train} tokens) to fit, {n_test} tokens to score")

    t_nltk, ppl_nltk = nltk_reference(small, small_test)
    t_ours, ppl_ours = ours(small, small_test)
    speedup = t_nltk / t_ours
    gap = abs(ppl_ours - ppl_nltk) / ppl_nltk
    print(f"nltk KneserNeyInterpolated: {t_nltk:8.3f} s   perplexity {ppl_nltk:.3f}")
    print(f"course_lib NGramLM        : {t_ours:8.3f} s   perplexity {ppl_ours:.3f}")
    print(f"speed-up: {speedup:.0f}x (goal >= {GOAL_SPEEDUP:.0f}x); perplexity gap {gap:.2e}")

    copies = max(1, round(TARGET_TOKENS / sum(map(len, train))))
    big = train * copies
    t_big, ppl_big = ours(big, test, repeats=1)
    n_big = sum(len(s) + 1 for s in big)
    print(f"course_lib on {n_big} training tokens ({copies} copies of the training split): "
          f"fit + perplexity of {sum(len(s) + 1 for s in test)} test tokens in {t_big:.2f} s "
          f"(perplexity {ppl_big:.1f})")
    return 0 if speedup >= GOAL_SPEEDUP and gap <= PERPLEXITY_TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
