# FORBIDDEN: correct, but calls course_lib.attention's split_heads and merge_heads.
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
import course_lib.attention as attention


def split_heads(x, num_heads):
    if x.ndim != 3:
        raise ValueError(f"x must be 3-D (N, T, E), got shape {tuple(x.shape)}")
    return attention.split_heads(x, num_heads)


def merge_heads(x):
    if x.ndim != 4:
        raise ValueError(f"x must be 4-D (N, h, T, d), got shape {tuple(x.shape)}")
    return attention.merge_heads(x)
