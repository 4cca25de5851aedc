# FORBIDDEN: correct, but asks sacrebleu (no tokenisation, no smoothing) on space-joined tokens.
# ruff: noqa: F821 (a notebook cell: torch, math come from the set-up cell)
from sacrebleu.metrics import BLEU


def corpus_bleu(hypotheses, references, max_n=4):
    if len(hypotheses) != len(references) or len(hypotheses) == 0 or max_n < 1:
        raise ValueError("need as many references as hypotheses, and max_n >= 1")
    if sum(map(len, hypotheses)) == 0:
        return 0.0
    bleu = BLEU(tokenize="none", smooth_method="none", max_ngram_order=max_n, force=True)
    return bleu.corpus_score([" ".join(h) for h in hypotheses],
                             [[" ".join(r) for r in references]]).score
