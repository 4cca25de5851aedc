# FORBIDDEN: correct, but copies the weights into course_lib.attention.AdditiveAttention.
# ruff: noqa: F821 (a notebook cell: torch, math come from the set-up cell)
from course_lib.attention import AdditiveAttention


def decoder_step(y_prev, h_prev, enc_outputs, src_mask, dec):
    N, S, K = enc_outputs.shape
    if tuple(src_mask.shape) != (N, S):
        raise ValueError("src_mask must have shape (N, S)")
    if not bool(src_mask.any(dim=1).all()):
        raise ValueError("every sentence needs at least one real source position")
    attention = AdditiveAttention(dec.W2.in_features, K, dec.W1.out_features).double()
    attention.W1, attention.W2, attention.v = dec.W1, dec.W2, dec.v
    context, weights = attention(h_prev, enc_outputs, src_mask)
    h = dec.cell(torch.cat([dec.embedding(y_prev), context], dim=1), h_prev)
    log_probs = torch.log_softmax(dec.out(torch.cat([h, context], dim=1)), dim=1)
    return log_probs, h, weights
