"""Step 8 - churn and negative word of mouth.

For a member who joined before today, with silence s = min(day - last_active,
silence_cap) and weekly interaction average x:

    log h = silence_w * s / 30 + fatigue_w * fatigue + trust_w * (0.5 - trust)
            - tier_w * tier + low_act_w * max(0, 3 - x)
    h     = base_hazard * exp(log h) * (creator_factor if posts > 0)
            * (high_activity_factor if x > 5)
            * (referrer_bond if the member's referrer is still a member)
    churn with probability 1 - exp(-h).

The referrer bond is social enrichment (Schmitt, Skiera & Van den Bulte 2011):
a member brought by a friend or a KOC has someone in the community they know,
and leaves less readily while that person stays. The referrer's stage is read
before any of today's churners leave (step 8's decisions all come first).

A churner emits negative word of mouth with probability nwom_prob * nwom_mult_d:
each friend j (on the complete graph: Poisson((n - 1) * reach_private) of the
other people, drawn with replacement) loses trust_j *= 1 - min(1, nwom_hit * w),
members and non-members alike, whether or not content.trust_dynamics is on. Churners are visited in
member-list order, so the result does not depend on threads.
"""

import math

import numpy as np
from numba import njit, prange

from growthsim.kernels import layout as L
from growthsim.kernels import rng
from growthsim.kernels.conversion import other


@njit(inline="always", cache=True)
def hazard(P, I, F, i, day):
    """Daily churn hazard of member i (numba).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> fresh = hazard(m.P, I, F, i, 0)
    >>> silent = hazard(m.P, I, F, i, 90)             # the same member after 90 silent days
    >>> bool(0.0 < fresh < silent)
    True
    """
    s = min(day - I[i, L.I_LAST_ACTIVE], P[L.P_SILENCE_CAP])
    x = F[i, L.F_WEEKLY]
    logh = P[L.P_SILENCE_W] * s / 30.0 + P[L.P_FATIGUE_W] * F[i, L.F_FATIGUE]
    logh += P[L.P_TRUST_W] * (0.5 - F[i, L.F_TRUST]) - P[L.P_TIER_W] * I[i, L.I_TIER]
    logh += P[L.P_LOW_ACT_W] * max(0.0, 3.0 - x)
    h = P[L.P_BASE_HAZARD] * math.exp(logh)
    if I[i, L.I_POSTS] > 0:
        h *= P[L.P_CREATOR_FACTOR]
    if x > 5.0:
        h *= P[L.P_HIGH_ACT_FACTOR]
    r = I[i, L.I_REFERRER]
    if r >= 0 and I[r, L.I_STAGE] == L.MEMBER:
        h *= P[L.P_REFERRER_BOND]
    return h


@njit(inline="always", cache=True)
def churn_member(day, i, seed, P, I, F):
    """Step 8's decision for member i (numba): CHURN_TODAY = 1 to leave.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> P = m.P.copy()
    >>> P[L.P_BASE_HAZARD] = 1.0                       # a hazard that makes leaving certain
    >>> churn_member(30, i, np.uint64(1), P, I, F)
    >>> int(I[i, L.I_CHURN_TODAY])
    1
    >>> P[L.P_CHURN_ON] = 0.0
    >>> churn_member(30, i, np.uint64(1), P, I, F)
    >>> int(I[i, L.I_CHURN_TODAY])
    0
    """
    I[i, L.I_CHURN_TODAY] = 0
    if P[L.P_CHURN_ON] > 0.0 and I[i, L.I_JOINED] < day:
        p = 1.0 - math.exp(-hazard(P, I, F, i, day))
        if rng.uniform(seed, day, i, rng.CHURN, 0) < p:
            I[i, L.I_CHURN_TODAY] = 1


@njit(parallel=True, cache=True)
def churn_decide(day, members, n_members, P, I, F):
    """Mark today's churners (CHURN_TODAY = 1).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> members = m.members[:m.n_members]
    >>> P = m.P.copy()
    >>> P[L.P_BASE_HAZARD] = 1.0
    >>> churn_decide(30, m.members, m.n_members, P, I, F)
    >>> bool((I[members, L.I_CHURN_TODAY] == 1).all())
    True
    """
    seed = np.uint64(P[L.P_SEED])
    for k in prange(n_members):
        churn_member(day, members[k], seed, P, I, F)


@njit(cache=True)
def churn_apply(day, members, n_members, P, D, I, F, indptr, indices, weight):
    """Turn today's churners into former members and spread their negative WOM.

    Returns (churned, negative WOM emitters).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> members = m.members[:m.n_members]
    >>> I[:, L.I_CHURN_TODAY] = 0
    >>> I[members[:5], L.I_CHURN_TODAY] = 1              # five members decided to leave
    >>> D = np.zeros(L.N_D)
    >>> D[L.D_NWOM_MULT] = 1.0
    >>> indptr, indices, weight, _ = m._graph_arrays
    >>> churned, emitters = churn_apply(3, m.members, m.n_members, m.P, D, I, F,
    ...                                 indptr, indices, weight)
    >>> churned, int((I[:, L.I_STAGE] == L.CHURNED).sum()), 0 <= emitters <= 5
    (5, 5, True)
    """
    seed = np.uint64(P[L.P_SEED])
    n = I.shape[0]
    complete = P[L.P_COMPLETE] > 0.0
    p_nwom = P[L.P_NWOM_PROB] * D[L.D_NWOM_MULT]
    hit = P[L.P_NWOM_HIT]
    churned = 0
    emitters = 0
    for k in range(n_members):
        i = members[k]
        if I[i, L.I_CHURN_TODAY] == 0:
            continue
        churned += 1
        I[i, L.I_STAGE] = L.CHURNED
        I[i, L.I_CHURN_DAY] = day
        I[i, L.I_TIER] = 0
        if p_nwom <= 0.0 or rng.uniform(seed, day, i, rng.NWOM, 0) >= p_nwom:
            continue
        emitters += 1
        if complete:
            m = rng.poisson(P[L.P_REACH_PRIVATE] * (n - 1), seed, day, i, rng.NWOM_N, 0)
            for r in range(m):
                j = other(rng.uniform(seed, day, i, rng.NWOM, r + 2), i, n)
                F[j, L.F_TRUST] *= 1.0 - min(1.0, hit)
        else:
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                F[j, L.F_TRUST] *= 1.0 - min(1.0, hit * weight[e])
    return churned, emitters
