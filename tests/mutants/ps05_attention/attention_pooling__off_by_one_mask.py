# WRONG: off by one: the mask arange(T) <= length lets the first padded position in.
# ruff: noqa: F821 (a notebook cell: np, math, torch, nn, F come from the set-up cell)
class AttentionPooling(nn.Module):
    def __init__(self, input_dim, attention_dim):
        super().__init__()
        self.proj = nn.Linear(input_dim, attention_dim)
        self.query = nn.Parameter(torch.randn(attention_dim) / math.sqrt(attention_dim))

    def forward(self, states, lengths):
        N, T, _ = states.shape
        lengths = torch.as_tensor(lengths)
        if lengths.shape != (N,) or lengths.min() < 1 or lengths.max() > T:
            raise ValueError("lengths must be (N,) with every length in [1, T]")
        mask = torch.arange(T)[None, :] <= lengths[:, None]
        scores = torch.tanh(self.proj(states)) @ self.query
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        return (weights[:, :, None] * states).sum(dim=1), weights
