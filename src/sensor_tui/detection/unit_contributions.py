"""Which tags moved a unit's statistic, and by how much: reconstruction-based contributions.

For each tag, the contribution is how much the squared distance would drop if that tag's values
(its current one and its lagged ones) were replaced by the values that best fit the other tags:
d' M Ξ (Ξ' M Ξ)⁻¹ Ξ' M d for the metric M and the tag's columns Ξ. Unlike the plain split of
d' M d into per-variable terms (which can be negative and smears a fault over correlated tags),
it is never negative and is largest for the tag whose reconstruction explains the fault, which
is what an operator reads a contribution chart for. The shares are normalised to sum to 1.
"""

from __future__ import annotations

import numpy as np


def block_inverses(whitening: np.ndarray, tags: int) -> np.ndarray:
    """(Ξ' M Ξ)⁻¹ for every tag (M = W'W), laid out (lags+1, lags+1, tags)."""
    lags = whitening.shape[1] // tags - 1
    columns = whitening.reshape(whitening.shape[0], lags + 1, tags)
    blocks = np.einsum("rlt,rmt->tlm", columns, columns)
    return np.ascontiguousarray(np.linalg.pinv(blocks).transpose(1, 2, 0))


def contributions(whitening: np.ndarray, scores: np.ndarray, inverses: np.ndarray) -> np.ndarray:
    """Each tag's reconstruction-based contribution to the distance with these `scores` (W d)."""
    gradient = (scores @ whitening).reshape(inverses.shape[0], -1)
    return ((inverses * gradient).sum(axis=1) * gradient).sum(axis=0)


def shares(tags: tuple[str, ...], values: np.ndarray) -> dict[str, float]:
    """Shares per tag summing to 1 (equal shares when nothing contributes); `values` are
    contributions, never negative but for rounding, which the clip removes."""
    total = float(np.add.reduce(values))
    if not total > 0.0 or not np.isfinite(total):
        return dict.fromkeys(tags, 1.0 / len(tags))
    fractions = np.maximum(values, 0.0) / total
    return dict(zip(tags, fractions.tolist(), strict=True))
