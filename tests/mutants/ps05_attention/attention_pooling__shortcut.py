# FORBIDDEN: correct, but subclasses course_lib.attention.AttentionPooling (same parameters).
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
from course_lib import attention


class AttentionPooling(attention.AttentionPooling):
    def forward(self, states, lengths):
        N, T, _ = states.shape
        lengths = torch.as_tensor(lengths)
        if lengths.shape != (N,) or lengths.min() < 1 or lengths.max() > T:
            raise ValueError("lengths must be (N,) with every length in [1, T]")
        return super().forward(states, attention.lengths_to_mask(lengths, T))
