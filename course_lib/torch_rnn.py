"""A multi-layer, optionally bidirectional tanh RNN written from torch tensor operations.

It computes what torch.nn.RNN computes (same parameter names and shapes, so weights load either
way), but in a dozen readable lines instead of a fused kernel. For layer l, direction d:

    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)          x_t: (B, D_l), h_t: (B, H)

- The input term does not depend on h, so it is computed for all T steps at once with one matrix
  product, (B, T, D_l) @ (D_l, H); only the small (B, H) @ (H, H) product is left in the time loop.
- Two biases b_ih + b_hh are one bias b of the course's formula: torch keeps both, so do we.
- Bidirectional: a second RNN with its own weights (suffix ``_reverse``) reads the sequence from
  t = T-1 down to 0; the outputs of both directions are concatenated, (B, T, 2H).
- Stacked layers: layer l+1 reads the outputs of layer l (so D_{l+1} = H * directions), with
  dropout on those outputs during training (never after the last layer), as in nn.RNN.
- residual=True uses the "unity feedback" step of the slides,

      h_t = h_{t-1} + tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),

  so dh_t/dh_{t-1} = I + (something): the gradient has an identity path back through time. The
  shortcut is in TIME (h_{t-1} to h_t, both of size H), so it puts no condition on input_size.
  (Beware: h is no longer bounded by tanh and can drift; this variant has no nn.RNN counterpart.)

References: Elman (1990); Schuster & Paliwal (1997) for bidirectional RNNs; the torch.nn.RNN
documentation for the parameter layout.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _check_positive_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


class RNN(nn.Module):
    """Drop-in tanh RNN layer with the torch.nn.RNN call signature.

    Inputs (constructor):
    - input_size: D, features per time step of the input.
    - hidden_size: H.
    - num_layers: L >= 1 stacked layers.
    - bidirectional: add a right-to-left RNN per layer; the output then has 2H features.
    - residual: use the unity-feedback step h_t = h_{t-1} + tanh(...) (see module docstring).
    - batch_first: inputs/outputs are (B, T, D) if True (default), else (T, B, D).
    - dropout: probability of dropping outputs between layers (training mode only), in [0, 1).

    Parameters (torch.nn.RNN's names): for layer l and suffix s in {"", "_reverse"}:
    weight_ih_l{l}{s} (H, D_l), weight_hh_l{l}{s} (H, H), bias_ih_l{l}{s} (H,),
    bias_hh_l{l}{s} (H,), all initialised from U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        residual: bool = False,
        batch_first: bool = True,
        dropout: float = 0.0,
    ):
        super().__init__()
        _check_positive_int("input_size", input_size)
        _check_positive_int("hidden_size", hidden_size)
        _check_positive_int("num_layers", num_layers)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bidirectional, self.residual = bool(bidirectional), bool(residual)
        self.batch_first, self.dropout = bool(batch_first), float(dropout)
        self.num_directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            d_in = input_size if layer == 0 else hidden_size * self.num_directions
            for suffix in self._suffixes():
                name = f"l{layer}{suffix}"
                self.register_parameter(f"weight_ih_{name}", nn.Parameter(torch.empty(hidden_size,
                                                                                      d_in)))
                self.register_parameter(f"weight_hh_{name}",
                                        nn.Parameter(torch.empty(hidden_size, hidden_size)))
                self.register_parameter(f"bias_ih_{name}", nn.Parameter(torch.empty(hidden_size)))
                self.register_parameter(f"bias_hh_{name}", nn.Parameter(torch.empty(hidden_size)))
        self.reset_parameters()

    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(H), 1/sqrt(H)), as nn.RNN does."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"bidirectional={self.bidirectional}, residual={self.residual}, "
                f"batch_first={self.batch_first}, dropout={self.dropout}")

    @classmethod
    def from_torch(cls, rnn: nn.RNN) -> RNN:
        """A course RNN with the same configuration and a copy of the weights of a torch.nn.RNN.

        Inputs:
        - rnn: torch.nn.RNN with nonlinearity "tanh", bias=True and no projection (proj_size=0).

        Returns:
        - RNN on the same device and dtype, whose outputs equal rnn's.
        """
        if not isinstance(rnn, nn.RNN):
            raise TypeError(f"rnn must be a torch.nn.RNN, got {type(rnn).__name__}")
        if rnn.nonlinearity != "tanh" or not rnn.bias or rnn.proj_size:
            raise ValueError("rnn must use nonlinearity='tanh', bias=True and proj_size=0")
        ours = cls(rnn.input_size, rnn.hidden_size, rnn.num_layers, rnn.bidirectional,
                   batch_first=rnn.batch_first, dropout=rnn.dropout)
        ref = next(rnn.parameters())
        ours.to(device=ref.device, dtype=ref.dtype)
        ours.load_state_dict(rnn.state_dict())
        return ours

    def _check_inputs(self, x: torch.Tensor, h0: torch.Tensor | None) -> None:
        if not isinstance(x, torch.Tensor) or not torch.is_floating_point(x):
            raise TypeError(f"x must be a floating torch tensor, got "
                            f"{getattr(x, 'dtype', type(x).__name__)}")
        if x.dim() != 3 or x.shape[2] != self.input_size:
            layout = "(B, T, D)" if self.batch_first else "(T, B, D)"
            raise ValueError(f"x must have shape {layout} with D={self.input_size}, "
                             f"got {tuple(x.shape)}")
        if x.shape[1 if self.batch_first else 0] == 0:
            raise ValueError("x must have at least one time step")
        batch = x.shape[0 if self.batch_first else 1]
        expected = (self.num_layers * self.num_directions, batch, self.hidden_size)
        if h0 is not None and tuple(h0.shape) != expected:
            raise ValueError(f"h0 must have shape (layers*directions, B, H) = {expected}, "
                             f"got {tuple(h0.shape)}")

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None):
        """Run every layer and direction over the sequence.

        Inputs:
        - x: (B, T, D) if batch_first else (T, B, D).
        - h0: initial states (L * directions, B, H), ordered layer by layer, forward direction
          first; None means zeros.

        Returns a tuple of:
        - out: last layer's states at every step, (B, T, H * directions) (or (T, B, ...)).
        - h_n: final state of every layer and direction, (L * directions, B, H); for the reverse
          direction "final" means after reading t = 0.
        """
        self._check_inputs(x, h0)
        if not self.batch_first:
            x = x.transpose(0, 1)  # (B, T, D)
        if h0 is None:
            h0 = x.new_zeros(self.num_layers * self.num_directions, x.shape[0], self.hidden_size)
        finals = []
        for layer in range(self.num_layers):
            if layer > 0:
                x = nn.functional.dropout(x, self.dropout, self.training)
            outs = []
            for d, suffix in enumerate(self._suffixes()):
                out, h_last = self._run_direction(x, h0[layer * self.num_directions + d],
                                                  f"l{layer}{suffix}", reverse=d == 1)
                outs.append(out)
                finals.append(h_last)
            x = torch.cat(outs, dim=2)  # (B, T, H * directions)
        out = x if self.batch_first else x.transpose(0, 1)
        return out, torch.stack(finals)

    def _run_direction(self, x: torch.Tensor, h: torch.Tensor, name: str, reverse: bool):
        """One layer, one direction. x (B, T, D_l), h (B, H) -> (out (B, T, H), h_T (B, H))."""
        w_ih, w_hh = getattr(self, f"weight_ih_{name}"), getattr(self, f"weight_hh_{name}")
        bias = getattr(self, f"bias_ih_{name}") + getattr(self, f"bias_hh_{name}")  # (H,)
        x_proj = x @ w_ih.T + bias  # (B, T, H), all steps in one product
        steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
        outs = [None] * x.shape[1]
        for t in steps:
            update = torch.tanh(x_proj[:, t] + h @ w_hh.T)  # (B, H)
            h = h + update if self.residual else update
            outs[t] = h
        return torch.stack(outs, dim=1), h
