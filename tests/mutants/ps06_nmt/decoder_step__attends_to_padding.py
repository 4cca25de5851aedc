# WRONG: the softmax runs over every source position: padding gets attention weight too.
# ruff: noqa: F821 (a notebook cell: torch, math come from the set-up cell)
def decoder_step(y_prev, h_prev, enc_outputs, src_mask, dec):
    N, S, _ = enc_outputs.shape
    if tuple(src_mask.shape) != (N, S):
        raise ValueError("src_mask must have shape (N, S)")
    if not bool(src_mask.any(dim=1).all()):
        raise ValueError("every sentence needs at least one real source position")
    scores = dec.v(torch.tanh(dec.W1(enc_outputs) + dec.W2(h_prev)[:, None, :])).squeeze(2)
    weights = torch.softmax(scores, dim=1)
    context = torch.bmm(weights[:, None, :], enc_outputs).squeeze(1)
    h = dec.cell(torch.cat([dec.embedding(y_prev), context], dim=1), h_prev)
    log_probs = torch.log_softmax(dec.out(torch.cat([h, context], dim=1)), dim=1)
    return log_probs, h, weights
