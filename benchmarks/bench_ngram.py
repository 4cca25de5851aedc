"""Scoring speed of course_lib.ngram against KenLM's Python binding, on the same ARPA model.

Run: ``python benchmarks/bench_ngram.py`` (or ``make bench``); under a minute.

What is compared: a Kneser-Ney model of order ORDER is fitted on the training split of the wiki
corpus (gensim's Lee corpus where that is missing) and written as ARPA (``save_arpa``); KenLM
(``kenlm.Model``, the dev extra) loads that file. Both then score every test sentence, ``</s>``
included:

- agreement: the largest difference of a per-token log10 probability (goal <= 1e-4) and the two
  perplexities;
- throughput: tokens per second of ``NGramLM.perplexity`` over the whole test split (one
  vectorised call) against ``kenlm.Model.score`` called once per sentence (the binding's usual
  use); goal: ours at least half KenLM's tokens/s.

Timing and report follow benchmarks/timing.py. Exit status 1 if a goal is missed.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

import kenlm
import numpy as np
from timing import best_times, check_goal, report

from course_lib.ngram import NGramLM
from course_lib.text import word_tokenize

ORDER = 4
GOAL_THROUGHPUT, GOAL_LOG10_GAP = 0.5, 1e-4


def load_sentences() -> tuple[list[list[str]], list[list[str]]]:
    """(train, test) token lists: the wiki corpus, or gensim's Lee corpus as a fallback."""
    try:
        from course_lib.datasets import load_corpus

        split = load_corpus("wiki", quick=False)
        return split.train, split.test
    except (ImportError, OSError, ValueError):
        from gensim.test.utils import datapath

        with open(datapath("lee_background.cor"), encoding="utf-8") as f:
            docs = [word_tokenize(line) for line in f if line.strip()]
        return docs[:270], docs[270:]


def main() -> int:
    train, test = load_sentences()
    n_tokens = sum(len(s) + 1 for s in test)
    print(f"order {ORDER} Kneser-Ney, {sum(map(len, train))} training tokens, "
          f"{len(test)} test sentences = {n_tokens} scored tokens")
    start = time.perf_counter()
    lm = NGramLM(ORDER, "kneser_ney").fit(train)
    fitted = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.arpa"
        lm.save_arpa(path)
        written = time.perf_counter()
        model = kenlm.Model(str(path))
    print(f"fit {fitted - start:.2f} s, save_arpa {written - fitted:.2f} s")

    texts = [" ".join(s) for s in test]
    ours_log10 = lm.token_logprobs(test) / math.log(10)
    theirs_log10 = np.array([w[0] for t in texts for w in model.full_scores(t)])
    gap = float(np.abs(ours_log10 - theirs_log10).max())
    ppl_ours = lm.perplexity(test)
    ppl_kenlm = 10 ** (-sum(model.score(t) for t in texts) / n_tokens)
    print(f"perplexity: course_lib {ppl_ours:.4f}, KenLM {ppl_kenlm:.4f}")

    seconds = best_times({
        "kenlm.Model.score per sentence": lambda: sum(model.score(t) for t in texts),
        "course_lib NGramLM.perplexity": lambda: lm.perplexity(test),
    })
    report(seconds, "kenlm.Model.score per sentence", work=n_tokens)
    ratio = seconds["kenlm.Model.score per sentence"] / seconds["course_lib NGramLM.perplexity"]
    ok = check_goal("largest |log10 P ours - log10 P KenLM|", gap, GOAL_LOG10_GAP, False)
    ok &= check_goal("our tokens/s over KenLM's", ratio, GOAL_THROUGHPUT)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
