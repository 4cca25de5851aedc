# WRONG: merge_heads reshapes (N, h, T, d) to (N, T, h d) without swapping h and T back.
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
def split_heads(x, num_heads):
    if x.ndim != 3:
        raise ValueError(f"x must be 3-D (N, T, E), got shape {tuple(x.shape)}")
    N, T, E = x.shape
    if num_heads < 1 or E % num_heads:
        raise ValueError(f"E = {E} must be divisible by num_heads = {num_heads}")
    return x.reshape(N, T, num_heads, E // num_heads).swapaxes(1, 2)


def merge_heads(x):
    if x.ndim != 4:
        raise ValueError(f"x must be 4-D (N, h, T, d), got shape {tuple(x.shape)}")
    N, h, T, d = x.shape
    return x.reshape(N, T, h * d)
