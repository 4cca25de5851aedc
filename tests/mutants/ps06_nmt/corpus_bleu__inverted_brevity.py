# WRONG: the brevity penalty's ratio is upside down, exp(1 - c / r): a bonus for short output.
# ruff: noqa: F821 (a notebook cell: torch, math come from the set-up cell)
from collections import Counter


def corpus_bleu(hypotheses, references, max_n=4):
    if len(hypotheses) != len(references) or len(hypotheses) == 0 or max_n < 1:
        raise ValueError("need as many references as hypotheses, and max_n >= 1")
    correct, total = [0] * max_n, [0] * max_n
    c, r = sum(map(len, hypotheses)), sum(map(len, references))
    for hyp, ref in zip(hypotheses, references):
        for n in range(1, max_n + 1):
            h = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
            g = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
            correct[n - 1] += sum((h & g).values())
            total[n - 1] += sum(h.values())
    if min(correct) == 0:
        return 0.0
    brevity = 1.0 if c >= r else math.exp(1 - c / r)
    return 100 * brevity * math.exp(sum(math.log(k / m) for k, m in zip(correct, total)) / max_n)
