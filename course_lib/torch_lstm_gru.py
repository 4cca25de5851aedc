"""LSTM and GRU layers written from plain torch operations, drop-in replacements for torch.nn's.

``course_lib.lstm`` and ``course_lib.gru`` derive the gradients by hand in numpy; here the point
is the *layer*: several layers stacked, two directions, padded batches, and the same call
signature, parameter names and shapes as ``torch.nn.LSTM`` / ``torch.nn.GRU`` (so state dicts
load in both directions and the tests can demand equal numbers).

Cell equations (PyTorch's gate order; W_i* are the rows of ``weight_ih``, W_h* of ``weight_hh``):

    LSTM, blocks (i, f, g, o):                 GRU, blocks (r, z, n):
    i = sig(W_ii x + W_hi h + b_i)             r = sig(W_ir x + b_ir + W_hr h + b_hr)
    f = sig(W_if x + W_hf h + b_f)             z = sig(W_iz x + b_iz + W_hz h + b_hz)
    g = tanh(W_ig x + W_hg h + b_g)            n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    o = sig(W_io x + W_ho h + b_o)             h' = (1 - z) * n + z * h
    c' = f * c + i * g,   h' = o * tanh(c')

(b = bias_ih + bias_hh for the LSTM.) With ``peephole=True`` the LSTM gates also read the cell
(Greff et al. 2017): ``p_i * c`` and ``p_f * c`` are added inside i and f, ``p_o * c'`` inside o;
the three vectors are the rows of ``weight_peephole_l{k}``, shape (3, H).

Layers, directions, padded batches (``lengths``) and PackedSequence inputs come from
course_lib.torch_rnn.RecurrentLayer, which the course's RNN shares: a subclass only writes one
direction's time loop. The input projections of all T steps are one matrix product before the
loop; each step then does one (B, H) x (H, G*H) product plus element-wise gates, and autograd
does the backward pass (the LSTM's is derived by hand, in numpy, in course_lib.lstm).
benchmarks/bench_lstm_gru.py times both layers against torch.nn's.

References: Hochreiter & Schmidhuber (1997); Gers et al. (2000); Greff et al. (2017);
Cho et al. (2014); the torch.nn.LSTM and torch.nn.GRU documentation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.torch_rnn import RNN, RecurrentLayer


class LSTM(RecurrentLayer):
    """Multi-layer, optionally bidirectional LSTM with torch.nn.LSTM's interface.

    Inputs (constructor):
    - input_size: D, features per input step.
    - hidden_size: H.
    - num_layers: stacked layers.
    - bias: learn bias_ih and bias_hh.
    - batch_first: x and out are (B, T, .) if True (the default here), (T, B, .) if False.
    - dropout: dropout probability on the outputs of every layer but the last (training only).
    - bidirectional: add a second direction reading the sequences backwards.
    - peephole: add peephole weights ``weight_peephole_l{k}[_reverse]`` (3, H): rows p_i, p_f, p_o.

    Parameters per layer k and direction: ``weight_ih_l{k}`` (4H, D_k), ``weight_hh_l{k}``
    (4H, H), ``bias_ih_l{k}`` (4H,), ``bias_hh_l{k}`` (4H,), suffix ``_reverse`` for the second
    direction, exactly as in torch.nn.LSTM. See RecurrentLayer.forward for the call.
    """

    gates = 4
    state_size = 2
    torch_class = nn.LSTM

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=True,
                 dropout=0.0, bidirectional=False, peephole=False):
        self.peephole = bool(peephole)
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)

    def _extra_parameters(self, suffix: str) -> None:
        if self.peephole:
            weight = nn.Parameter(torch.empty(3, self.hidden_size))
            self.register_parameter(f"weight_peephole{suffix}", weight)

    def _state_parts(self, state):
        if state is None:
            return None
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise TypeError("state must be None or a tuple (h0, c0) for an LSTM")
        return state

    @staticmethod
    def _pack_state(finals):
        return finals[0], finals[1]

    def _run_direction(self, x, state, mask, suffix):
        """One direction of one layer.

        Inputs:
        - x: (B, T, D_k).
        - state: [h0, c0], each (B, H).
        - mask: None or (T, B, 1) bool, True at real steps (padded rows keep their state).
        - suffix: parameter-name suffix of this layer and direction.

        Returns (out (B, T, H), [h_T, c_T] each (B, H)).
        """
        w_ih, w_hh, b_ih, b_hh = self._direction_params(suffix)
        bias = None if b_ih is None else b_ih + b_hh
        xw = F.linear(x.transpose(0, 1), w_ih, bias)  # (T, B, 4H): all steps at once
        w_hh_t = w_hh.t()  # (H, 4H)
        peep = getattr(self, f"weight_peephole{suffix}", None)  # None or (3, H): p_i, p_f, p_o
        h, c = state
        outs = []
        for t, xw_t in enumerate(xw.unbind(0)):
            a_i, a_f, a_g, a_o = torch.addmm(xw_t, h, w_hh_t).chunk(4, dim=1)  # (B, H) each
            if peep is not None:
                a_i, a_f = a_i + peep[0] * c, a_f + peep[1] * c
            i, f, g = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g)
            c_new = f * c + i * g
            o = torch.sigmoid(a_o if peep is None else a_o + peep[2] * c_new)
            h_new = o * torch.tanh(c_new)
            if mask is not None:
                h_new, c_new = torch.where(mask[t], h_new, h), torch.where(mask[t], c_new, c)
            h, c = h_new, c_new
            outs.append(h)
        return torch.stack(outs, dim=1), [h, c]

    def extra_repr(self) -> str:
        return super().extra_repr() + (", peephole=True" if self.peephole else "")


class GRU(RecurrentLayer):
    """Multi-layer, optionally bidirectional GRU with torch.nn.GRU's interface.

    Inputs (constructor): as for LSTM, without peephole. Parameters per layer k and direction:
    ``weight_ih_l{k}`` (3H, D_k), ``weight_hh_l{k}`` (3H, H), ``bias_ih_l{k}`` (3H,),
    ``bias_hh_l{k}`` (3H,), blocks (r, z, n), suffix ``_reverse`` for the second direction.
    The state is a single tensor h0 / h_n of shape (num_layers * num_directions, B, H).
    """

    gates = 3
    state_size = 1
    torch_class = nn.GRU

    def _run_direction(self, x, state, mask, suffix):
        """One direction of one layer: x (B, T, D_k), state [h0 (B, H)], mask None or (T, B, 1).

        Returns (out (B, T, H), [h_T (B, H)]).
        """
        w_ih, w_hh, b_ih, b_hh = self._direction_params(suffix)
        xw = F.linear(x.transpose(0, 1), w_ih, b_ih)  # (T, B, 3H)
        w_hh_t = w_hh.t()  # (H, 3H)
        (h,) = state
        outs = []
        for t, xw_t in enumerate(xw.unbind(0)):
            hw = h.mm(w_hh_t) if b_hh is None else torch.addmm(b_hh, h, w_hh_t)  # (B, 3H)
            x_r, x_z, x_n = xw_t.chunk(3, dim=1)
            h_r, h_z, h_n = hw.chunk(3, dim=1)
            r = torch.sigmoid(x_r + h_r)
            z = torch.sigmoid(x_z + h_z)
            n = torch.tanh(x_n + r * h_n)
            h_new = n + z * (h - n)  # (1 - z) * n + z * h
            h = h_new if mask is None else torch.where(mask[t], h_new, h)
            outs.append(h)
        return torch.stack(outs, dim=1), [h]


# name -> class of every recurrent layer the course's models accept (course_lib.lm.RecurrentLM,
# course_lib.classify.SequenceClassifier): torch's fused layers, and the course's own with the
# same maths and interface ("scratch_": course_lib.torch_rnn.RNN and the LSTM / GRU above).
LAYERS = {
    "rnn": nn.RNN,
    "lstm": nn.LSTM,
    "gru": nn.GRU,
    "scratch_rnn": RNN,
    "scratch_lstm": LSTM,
    "scratch_gru": GRU,
}


def make_layer(name: str, input_size: int, hidden_size: int, num_layers: int = 1,
               dropout: float = 0.0, bidirectional: bool = False) -> nn.Module:
    """A batch-first recurrent layer by name (a key of LAYERS).

    Inputs:
    - name: "rnn", "lstm", "gru" (torch.nn's) or "scratch_rnn", "scratch_lstm", "scratch_gru".
    - input_size, hidden_size, num_layers, bidirectional: as for torch.nn.LSTM.
    - dropout: between stacked layers only (ignored with one layer, as torch.nn requires).

    Returns:
    - the layer, called as layer(x (B, T, input_size), state) -> (out, final state).
    """
    if name not in LAYERS:
        raise ValueError(f"cell must be one of {sorted(LAYERS)}, got {name!r}")
    return LAYERS[name](input_size, hidden_size, num_layers, batch_first=True,
                        dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)
