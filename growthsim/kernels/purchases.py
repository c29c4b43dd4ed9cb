"""Step 9 - purchases.

A member who joined before today buys with probability

    p = p_purchase * (1 + tier_spend * tier) * (1 + eng_spend * min(1, weekly / 5))

spending basket * seg_spend[seg]; revenue to date accumulates.
"""

import numpy as np
from numba import njit, prange

from growthsim.kernels import layout as L
from growthsim.kernels import rng


@njit(parallel=True, cache=True)
def purchases_step(day, members, n_members, P, SEG, I, F):
    """Today's purchases of every member (REVENUE_TODAY) and revenue to date.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> members = m.members[:m.n_members]
    >>> P = m.P.copy()
    >>> P[L.P_P_PURCHASE] = 1.0                        # everyone buys today
    >>> purchases_step(5, m.members, m.n_members, P, m.SEG, I, F)
    >>> bool((F[members, L.F_REVENUE_TODAY] > 0).all())
    True
    """
    seed = np.uint64(P[L.P_SEED])
    for k in prange(n_members):
        i = members[k]
        F[i, L.F_REVENUE_TODAY] = 0.0
        if I[i, L.I_JOINED] >= day:
            continue
        p = P[L.P_P_PURCHASE] * (1.0 + P[L.P_TIER_SPEND] * I[i, L.I_TIER])
        p *= 1.0 + P[L.P_ENG_SPEND] * min(1.0, F[i, L.F_WEEKLY] / 5.0)
        if rng.uniform(seed, day, i, rng.BUY, 0) < p:
            amount = P[L.P_BASKET] * SEG[I[i, L.I_SEGMENT], L.SEG_SPEND]
            F[i, L.F_REVENUE_TODAY] = amount
            F[i, L.F_REVENUE] += amount
