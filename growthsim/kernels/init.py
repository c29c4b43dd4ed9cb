"""Initial state of every person, drawn from the counter-based generator."""

import math

import numpy as np
from numba import njit, prange

from growthsim.kernels import layout as L
from growthsim.kernels import rng


@njit(inline="always", cache=True)
def _lognormal(useed, i, k, sigma):
    """Lognormal with mean 1 and log-sd sigma, Box-Muller from INIT draws k and k + 1."""
    u1 = rng.uniform(useed, -1, i, rng.INIT, k)
    u2 = rng.uniform(useed, -1, i, rng.INIT, k + 1)
    z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
    return math.exp(sigma * z - 0.5 * sigma * sigma)


@njit(parallel=True, cache=True)
def init_people(seed, SEG, seg_cum, platform_p, ugc_sigma, taste_sigma, group, segment_labels,
                I, F):
    """Segments, platforms, trust, creator propensity, taste and blank histories.

    Creator propensity and taste are lognormal with mean 1 and log-sd
    ``ugc_sigma`` and ``taste_sigma`` (Box-Muller from two uniforms each).

    Examples
    --------
    >>> from growthsim.population import pack_segments
    >>> from growthsim.scenario import Scenario
    >>> sc, n = Scenario(), 2_000
    >>> I, F = np.empty((n, L.N_I), np.int32), np.empty((n, L.N_F))
    >>> seg_cum = np.cumsum([s.share for s in sc.population.segments])
    >>> none = np.zeros(0, np.int32)                   # no circles, no segment labels
    >>> init_people(1, pack_segments(sc), seg_cum, np.array([0.9, 0.6, 0.3]), 2.6, 1.1,
    ...             none, none, I, F)
    >>> bool((I[:, L.I_STAGE] == L.UNAWARE).all()), np.bincount(I[:, L.I_SEGMENT]).size
    (True, 4)
    >>> bool(0.0 <= F[:, L.F_TRUST].min() and F[:, L.F_TRUST].max() <= 1.0)
    True
    """
    n = I.shape[0]
    n_seg = SEG.shape[0]
    useed = np.uint64(seed)
    has_group = group.shape[0] > 0
    has_seg = segment_labels.shape[0] > 0
    for i in prange(n):
        if has_seg:
            s = segment_labels[i] % n_seg
        else:
            u = rng.uniform(useed, -1, i, rng.INIT, 0)
            s = 0
            while s < n_seg - 1 and u >= seg_cum[s]:
                s += 1
        mask = 0
        for b in range(3):
            if rng.uniform(useed, -1, i, rng.INIT, 1 + b) < platform_p[b]:
                mask |= 1 << b
        for c in range(I.shape[1]):
            I[i, c] = 0
        for c in range(F.shape[1]):
            F[i, c] = 0.0
        I[i, L.I_STAGE] = L.UNAWARE
        I[i, L.I_SEGMENT] = s
        I[i, L.I_GROUP] = group[i] if has_group else -1
        I[i, L.I_PLATFORMS] = mask
        I[i, L.I_JOINED] = -1
        I[i, L.I_CHURN_DAY] = -1
        I[i, L.I_LAST_ACTIVE] = L.NEVER
        I[i, L.I_LAST_REWARD] = L.NEVER
        I[i, L.I_REFERRER] = -1
        F[i, L.F_TRUST] = SEG[s, L.SEG_TRUST0]
        F[i, L.F_CREATOR] = _lognormal(useed, i, 4, ugc_sigma)
        F[i, L.F_TASTE] = _lognormal(useed, i, 6, taste_sigma)
