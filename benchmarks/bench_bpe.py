"""Speed of course_lib.bpe's learner against subword-nmt and Hugging Face ``tokenizers``.

Run: ``.venv/bin/python benchmarks/bench_bpe.py``; about a minute, most of it subword-nmt.

All three learn 10,000 merges (min_frequency 2) from the same lines: the training split of the
wiki corpus (about 15k sentences, 383k lower-cased word tokens), words split on spaces, the
end-of-word marker ``</w>`` on the last character. Each time includes counting the words.

- subword-nmt 0.3.8 (pure Python, the reference): its ``learn_bpe`` function, in-process. Its
  merges must equal ours, in order; the script checks that.
- ``tokenizers`` (Rust, optional: skipped when not installed): ``BpeTrainer`` with
  ``end_of_word_suffix="</w>"`` and a vocabulary of (alphabet + 10,000) symbols. It breaks ties
  between equally frequent pairs by its own rule, so only the share of merges it shares with ours
  is printed; its speed ratio is reported as measured (a compiled trainer is expected to win).

Exit status 1 if we are less than 5x faster than subword-nmt or the merges differ.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time

from course_lib.bpe import learn_bpe, word_counts
from course_lib.datasets import load_corpus

NUM_MERGES, MIN_FREQUENCY = 10_000, 2
GOAL_SPEEDUP = 5.0


def ours(lines: list[str], repeats: int = 3) -> tuple[float, list[tuple[str, str]]]:
    """(best time over ``repeats`` runs, merges) of course_lib.bpe."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        merges = learn_bpe(word_counts(lines), NUM_MERGES, MIN_FREQUENCY)
        best = min(best, time.perf_counter() - start)
    return best, merges


def subword_nmt(lines: list[str]) -> tuple[float, list[tuple[str, str]]]:
    """(time, merges) of subword-nmt's learn_bpe on the lines (one run: it is slow)."""
    from subword_nmt.learn_bpe import learn_bpe as reference

    text, codes = io.StringIO("\n".join(lines) + "\n"), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):  # its progress bar
        reference(text, codes, NUM_MERGES, MIN_FREQUENCY)
    elapsed = time.perf_counter() - start
    return elapsed, [tuple(line.split(" ")) for line in codes.getvalue().split("\n")[1:] if line]


def hf_tokenizers(lines: list[str], repeats: int = 3) -> tuple[float, list[tuple[str, str]]]:
    """(best time, merges) of Hugging Face tokenizers' BpeTrainer, or raises ImportError."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    alphabet = {ch for line in lines for ch in line if ch != " "}
    finals = {word[-1] for line in lines for word in line.split(" ") if word}
    best, merges = float("inf"), []
    for _ in range(repeats):
        start = time.perf_counter()
        tokenizer = Tokenizer(models.BPE(end_of_word_suffix="</w>"))
        tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        trainer = trainers.BpeTrainer(
            vocab_size=len(alphabet) + len(finals) + NUM_MERGES, min_frequency=MIN_FREQUENCY,
            end_of_word_suffix="</w>", show_progress=False,
        )
        tokenizer.train_from_iterator(lines, trainer)
        best = min(best, time.perf_counter() - start)
        merges = [tuple(m) for m in _hf_merges(tokenizer)]
    return best, merges


def _hf_merges(tokenizer) -> list:
    """The merges of a trained tokenizers BPE model, as pairs."""
    import json

    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    return [m.split(" ") if isinstance(m, str) else m for m in merges]


def main() -> int:
    split = load_corpus("wiki", quick=False)
    lines = [" ".join(sentence) for sentence in split.train]
    n_tokens = sum(map(len, split.train))
    print(f"corpus: {len(lines)} sentences, {n_tokens} tokens, {len(word_counts(lines))} "
          f"distinct words; learning {NUM_MERGES} merges")

    t_ours, m_ours = ours(lines)
    t_ref, m_ref = subword_nmt(lines)
    same = m_ours == m_ref
    speedup = t_ref / t_ours
    print(f"subword-nmt 0.3.8      : {t_ref:7.2f} s")
    print(f"course_lib.bpe         : {t_ours:7.2f} s   same merges in the same order: {same}")
    print(f"speed-up over subword-nmt: {speedup:.1f}x (goal >= {GOAL_SPEEDUP:.0f}x)")
    try:
        t_hf, m_hf = hf_tokenizers(lines)
    except ImportError:
        print("tokenizers not installed: skipped (pip install tokenizers)")
    else:
        shared = len(set(m_hf) & set(m_ours)) / max(len(m_ours), 1)
        print(f"HF tokenizers (Rust)   : {t_hf:7.2f} s   {len(m_hf)} merges, "
              f"{shared:.1%} of ours among them")
        print(f"ours / tokenizers time ratio: {t_ours / t_hf:.1f}x slower"
              if t_ours > t_hf else f"ours is {t_hf / t_ours:.1f}x faster than tokenizers")
    return 0 if speedup >= GOAL_SPEEDUP and same else 1


if __name__ == "__main__":
    sys.exit(main())
