# WRONG: ranks the extensions of each hypothesis separately (each keeps its own best token after
# the first step) instead of taking the K best of all B x V candidates: K greedy searches.
# ruff: noqa: F821 (a notebook cell: torch, math come from the set-up cell)
def beam_search(step_fn, start_state, bos_id, eos_id, beam_size, max_len, alpha=0.0):
    if beam_size < 1 or max_len < 1:
        raise ValueError("beam_size and max_len must be >= 1")
    live, live_scores = [[]], torch.zeros(1, dtype=torch.float64)
    last, state, finished = torch.tensor([bos_id]), start_state, []
    for t in range(1, max_len + 1):
        log_probs, state = step_fn(last, state)
        B, V = log_probs.shape
        per_hyp = beam_size if t == 1 else 1  # each hypothesis keeps its own top tokens
        top_lp, top_tok = log_probs.double().topk(min(per_hyp, V), dim=1)  # (B, k)
        new_live, new_scores, parents, tokens = [], [], [], []
        for b in range(B):
            for lp, tok in zip(top_lp[b], top_tok[b]):
                score = float(live_scores[b] + lp)
                if int(tok) == eos_id:
                    finished.append((live[b], score, t))
                else:
                    new_live.append(live[b] + [int(tok)])
                    new_scores.append(score)
                    parents.append(b)
                    tokens.append(int(tok))
        if not new_live:
            break
        live, live_scores = new_live, torch.tensor(new_scores, dtype=torch.float64)
        state, last = state[torch.tensor(parents)], torch.tensor(tokens)
    else:
        finished += [(tokens, float(score), max_len) for tokens, score in zip(live, live_scores)]
    tokens, log_prob, length = max(finished, key=lambda f: f[1] / f[2] ** alpha)
    return tokens, log_prob / length**alpha
