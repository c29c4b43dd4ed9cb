"""Fused passes: consecutive per-member steps in one sweep over the member list.

Steps 1-3 (content, activity, sharing decision) read and write only the
member's own row, and so do steps 6-8's decisions (rewards, interventions,
churn decision); running them member by member in one parallel loop gives
exactly the state the separate step kernels give one after another, while
reading each member's row from memory once instead of three times.
"""

import numpy as np
from numba import njit, prange

from growthsim.kernels import layout as L
from growthsim.kernels.activity import activity_member
from growthsim.kernels.churn import churn_member
from growthsim.kernels.content import content_member
from growthsim.kernels.interventions import interventions_member
from growthsim.kernels.rewards import rewards_member
from growthsim.kernels.sharing import sharing_member


@njit(parallel=True, cache=True)
def morning(day, members, n_members, P, D, SEG, LEV, I, F):
    """Steps 1-3 for every member: content, activity, sharing decision.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> members = m.members[:m.n_members]
    >>> D = np.zeros(L.N_D)
    >>> D[L.D_SLOT], D[L.D_READ_LOAD], D[L.D_INT_LOAD], D[L.D_SHARE_MULT] = 1.0, 3.0, 1.0, 1.0
    >>> morning(0, m.members, m.n_members, m.P, D, m.SEG, m.LEV, I, F)
    >>> bool((I[members, L.I_ACTIVE_TODAY] == (I[members, L.I_READS_TODAY]
    ...                                        + I[members, L.I_INTER_TODAY] > 0)).all())
    True
    """
    seed = np.uint64(P[L.P_SEED])
    for k in prange(n_members):
        i = members[k]
        content_member(day, i, seed, P, D, SEG, I, F)
        activity_member(day, i, I, F)
        sharing_member(day, i, seed, P, D, SEG, LEV, I, F)


@njit(parallel=True, cache=True)
def evening(day, members, n_members, P, LEV, I, F):
    """Steps 6-8's decisions for every member: rewards, wake-ups, churn decision.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> members = m.members[:m.n_members]
    >>> P = m.P.copy()
    >>> P[L.P_BASE_HAZARD] = 1.0                       # everyone decides to leave tonight
    >>> evening(30, m.members, m.n_members, P, m.LEV, I, F)
    >>> bool((I[members, L.I_CHURN_TODAY] == 1).all())
    True
    """
    seed = np.uint64(P[L.P_SEED])
    for k in prange(n_members):
        i = members[k]
        rewards_member(day, i, seed, P, LEV, I, F)
        interventions_member(day, i, seed, P, I)
        churn_member(day, i, seed, P, I, F)
