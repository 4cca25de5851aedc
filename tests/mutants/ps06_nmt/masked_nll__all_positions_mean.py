# WRONG: zeroes the padding but divides by N * T, every position, instead of the real tokens.
# ruff: noqa: F821 (a notebook cell: torch, math come from the set-up cell)
def masked_nll(log_probs, targets, pad_id):
    if log_probs.dim() != 3:
        raise ValueError(f"log_probs must be (N, T, V), got shape {tuple(log_probs.shape)}")
    if tuple(targets.shape) != tuple(log_probs.shape[:2]):
        raise ValueError("targets must have shape (N, T)")
    real = targets != pad_id
    n_tokens = int(real.sum())
    if n_tokens == 0:
        raise ValueError("targets hold no real token")
    picked = log_probs.gather(2, targets.unsqueeze(2)).squeeze(2)
    return -(picked * real).sum() / targets.numel(), n_tokens
