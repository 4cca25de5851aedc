"""Element-wise activation functions shared by the numpy implementations (one home for each).

References: the logistic sigmoid of the LSTM (Hochreiter & Schmidhuber 1997) and GRU (Cho et al.
2014) gates; the stable form avoids exp overflow, as in scipy.special.expit.
"""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-a)), element-wise, without overflow for large |a|.

    Inputs:
    - a: array of any shape.

    Returns:
    - s: array of the same shape, in (0, 1) (exactly 0 or 1 only where exp under/overflows).
    """
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
