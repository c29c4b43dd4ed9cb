"""Step 7 - interventions: a wake-up push on the n-th silent day.

A member whose silence (day - last_active) equals wakeup_after receives one
push (cost wakeup_cost); with probability wakeup_success they come back, which
resets their silence (last_active = day).
"""

import numpy as np
from numba import njit, prange

from growthsim.kernels import layout as L
from growthsim.kernels import rng


@njit(inline="always", cache=True)
def interventions_member(day, i, seed, P, I):
    """Step 7 for member i (numba).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> P = m.P.copy()
    >>> P[L.P_WAKEUP_SUCCESS] = 1.0                    # every push wakes its member
    >>> I[i, L.I_LAST_ACTIVE] = 0
    >>> day = int(P[L.P_WAKEUP_AFTER])                 # silent for exactly wakeup_after days
    >>> interventions_member(day, i, np.uint64(1), P, I)
    >>> int(I[i, L.I_PUSH_TODAY]), int(I[i, L.I_LAST_ACTIVE]) == day
    (2, True)
    """
    I[i, L.I_PUSH_TODAY] = 0
    if P[L.P_WAKEUP_ON] > 0.0 and day - I[i, L.I_LAST_ACTIVE] == int(P[L.P_WAKEUP_AFTER]):
        I[i, L.I_PUSH_TODAY] = 1
        if rng.uniform(seed, day, i, rng.WAKEUP, 0) < P[L.P_WAKEUP_SUCCESS]:
            I[i, L.I_PUSH_TODAY] = 2
            I[i, L.I_LAST_ACTIVE] = day


@njit(parallel=True, cache=True)
def interventions_step(day, members, n_members, P, I):
    """Send today's wake-up pushes; PUSH_TODAY = 1 (sent) or 2 (sent and woke).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> members = m.members[:m.n_members]
    >>> I[members, L.I_LAST_ACTIVE] = 0
    >>> interventions_step(7, m.members, m.n_members, m.P, I)     # 7 silent days: a push each
    >>> sorted(set(I[members, L.I_PUSH_TODAY].tolist())) in ([1], [1, 2], [2])
    True
    >>> interventions_step(8, m.members, m.n_members, m.P, I)     # not on other days
    >>> int(I[members, L.I_PUSH_TODAY].max())
    0
    """
    seed = np.uint64(P[L.P_SEED])
    for k in prange(n_members):
        interventions_member(day, members[k], seed, P, I)
