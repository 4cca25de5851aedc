"""torch.nn reference layers holding the weights of the course's numpy implementations.

course_lib's numpy code stores weights in the row convention (x @ Wx, Wx of shape (D, G*H));
torch keeps the transposes (weight_ih of shape (G*H, D)); course_lib.weights copies them across.
"""

import numpy as np

from course_lib.weights import load_numpy_weights


def torch_reference(cls, Wx: np.ndarray, Wh: np.ndarray, bx: np.ndarray, bh=None):
    """A float64, batch-first ``cls`` (torch.nn.RNN, LSTM or GRU) with our weights.

    Inputs:
    - cls: torch.nn.RNN, torch.nn.LSTM or torch.nn.GRU.
    - Wx: (D, G*H) input weights; Wh: (H, G*H) recurrent weights (G = 1, 4 or 3 gates).
    - bx: (G*H,) bias, copied to bias_ih; bh: (G*H,) copied to bias_hh, or None for zeros.
    """
    net = cls(Wx.shape[0], Wh.shape[0], batch_first=True).double()
    load_numpy_weights(net, Wx, Wh, bx, np.zeros_like(bx) if bh is None else bh)
    return net
