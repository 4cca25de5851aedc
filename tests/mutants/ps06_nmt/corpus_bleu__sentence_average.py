# WRONG: the mean of the sentences' BLEU scores, instead of one BLEU from the corpus's counts.
# ruff: noqa: F821 (a notebook cell: torch, math come from the set-up cell)
from collections import Counter


def corpus_bleu(hypotheses, references, max_n=4):
    if len(hypotheses) != len(references) or len(hypotheses) == 0 or max_n < 1:
        raise ValueError("need as many references as hypotheses, and max_n >= 1")

    def sentence_bleu(hyp, ref):
        logs = []
        for n in range(1, max_n + 1):
            h = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
            g = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
            if sum((h & g).values()) == 0:
                return 0.0
            logs.append(math.log(sum((h & g).values()) / sum(h.values())))
        brevity = 1.0 if len(hyp) >= len(ref) else math.exp(1 - len(ref) / len(hyp))
        return 100 * brevity * math.exp(sum(logs) / max_n)

    return sum(sentence_bleu(h, r) for h, r in zip(hypotheses, references)) / len(hypotheses)
