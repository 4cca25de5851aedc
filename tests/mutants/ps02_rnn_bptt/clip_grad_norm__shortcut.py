# FORBIDDEN: correct, but only calls course_lib.clipping (the module imported at the top).
# ruff: noqa: F821 (a notebook cell: np, math, numerical_gradient come from the set-up cell)
from course_lib import clipping


def clip_grad_norm(grads, max_norm):
    return clipping.clip_grad_norm(grads, max_norm)
