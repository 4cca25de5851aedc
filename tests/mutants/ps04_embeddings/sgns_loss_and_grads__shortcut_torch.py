# FORBIDDEN: correct, but lets torch's autograd compute the gradients.
# ruff: noqa: F821 (a notebook cell: np, Counter, sigmoid come from the set-up cell)
import torch
import torch.nn.functional as F


def sgns_loss_and_grads(center_vec, context_vec, negative_vecs):
    v_c, u_o, U = (np.asarray(a, dtype=float) for a in (center_vec, context_vec, negative_vecs))
    if v_c.ndim != 1 or u_o.shape != v_c.shape or U.ndim != 2 or U.shape[1] != v_c.shape[0]:
        raise ValueError("shapes do not fit")
    v, u, n = (torch.tensor(a, requires_grad=True) for a in (v_c, u_o, U))
    loss = -F.logsigmoid(u @ v) - F.logsigmoid(-(n @ v)).sum()
    loss.backward()
    return loss.item(), v.grad.numpy(), u.grad.numpy(), n.grad.numpy()
