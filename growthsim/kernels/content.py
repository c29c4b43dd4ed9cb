"""Step 1 - content: members see the day's posts; fatigue and trust respond.

For member i on day d (see docs/model.md, "Content"):

    eng_i   = taste_i * taste[seg] * (1 - fatigue_i) * (0.5 + trust_i) * slot_d
              * (1 + tier_eng * tier_i) * (1 + la_boost * [loss aversion and tier_i > 0])
    reads_i ~ Poisson(eng_i * read_load_d)
    interactions_i ~ Poisson(reads_i * int_load_d / read_load_d)   (0 without reads)
    with check-in tasks on, a completed check-in (probability
    min(1, checkin_completion * eng_i)) adds one interaction
    fatigue_i += (1 - fatigue_i) * min(1, reads_i * fat_per_read_d) - recovery * fatigue_i
    trust_i   += (1 - trust_i) * min(1, g_v * reads_i * value_frac_d + g_i * interactions_i)
                 - trust_i * min(1, l_p * reads_i * promo_frac_d)
    a member with reads + interactions > 0 posts (UGC) with probability
    min(1, ugc_propensity * creator_i)

Interactions happen on posts a member reads, so a day without reads has none
(except a check-in) and whether a member is active is decided by reading.
"""

import numpy as np
from numba import njit, prange

from growthsim.kernels import layout as L
from growthsim.kernels import rng


@njit(inline="always", cache=True)
def engagement(P, D, SEG, seg, taste, fatigue, trust, tier):
    """Engagement multiplier of one member today (numba).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> D = np.zeros(L.N_D)
    >>> D[L.D_SLOT] = 1.0
    >>> fresh = engagement(m.P, D, m.SEG, 0, 1.0, 0.0, 0.5, 0)    # no fatigue, trust 0.5
    >>> tired = engagement(m.P, D, m.SEG, 0, 1.0, 0.5, 0.5, 0)    # half fatigued
    >>> bool(fresh == m.SEG[0, L.SEG_ENGAGEMENT]), bool(tired == fresh / 2)
    (True, True)
    """
    e = taste * SEG[seg, L.SEG_ENGAGEMENT] * (1.0 - fatigue) * (0.5 + trust) * D[L.D_SLOT]
    e *= 1.0 + P[L.P_TIER_ENG] * tier
    if P[L.P_LOSS_AVERSION] > 0.0 and tier > 0:
        e *= 1.0 + P[L.P_LA_BOOST]
    return e


@njit(inline="always", cache=True)
def content_member(day, i, seed, P, D, SEG, I, F):
    """Step 1 for member i (numba).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> D = np.zeros(L.N_D)
    >>> D[L.D_SLOT], D[L.D_READ_LOAD], D[L.D_INT_LOAD] = 1.0, 20.0, 5.0
    >>> content_member(0, i, np.uint64(1), m.P, D, m.SEG, I, F)
    >>> int(I[i, L.I_READS_TODAY]) > 0
    True
    >>> D[L.D_READ_LOAD] = 0.0                         # nothing posted: nothing to read
    >>> content_member(1, i, np.uint64(1), m.P, D, m.SEG, I, F)
    >>> int(I[i, L.I_READS_TODAY])
    0
    """
    f = F[i, L.F_FATIGUE]
    t = F[i, L.F_TRUST]
    e = engagement(P, D, SEG, I[i, L.I_SEGMENT], F[i, L.F_TASTE], f, t, I[i, L.I_TIER])
    r = rng.poisson(e * D[L.D_READ_LOAD], seed, day, i, rng.READ, 0)
    x = 0
    if r > 0:
        x = rng.poisson(r * D[L.D_INT_LOAD] / D[L.D_READ_LOAD], seed, day, i, rng.INTERACT, 0)
    I[i, L.I_CHECKIN_TODAY] = 0
    if P[L.P_CHECKIN_ON] > 0.0:
        if rng.uniform(seed, day, i, rng.CHECKIN, 0) < min(1.0, P[L.P_CHECKIN_P] * e):
            I[i, L.I_CHECKIN_TODAY] = 1
            x += 1
    I[i, L.I_READS_TODAY] = r
    I[i, L.I_INTER_TODAY] = x
    if P[L.P_FATIGUE_ON] > 0.0:
        load = min(1.0, r * D[L.D_FAT_PER_READ])
        f = f + (1.0 - f) * load - P[L.P_FAT_RECOVERY] * f
        F[i, L.F_FATIGUE] = min(1.0, max(0.0, f))
    if P[L.P_TRUST_ON] > 0.0:
        gain = P[L.P_TRUST_GAIN_VALUE] * r * D[L.D_VALUE_READ_FRAC] + \
            P[L.P_TRUST_GAIN_INTER] * x
        loss = P[L.P_TRUST_LOSS_PROMO] * r * D[L.D_PROMO_READ_FRAC]
        t = t + (1.0 - t) * min(1.0, gain) - t * min(1.0, loss)
        F[i, L.F_TRUST] = min(1.0, max(0.0, t))
    I[i, L.I_POSTED_TODAY] = 0
    if r + x > 0:
        p = min(1.0, P[L.P_UGC_PROPENSITY] * F[i, L.F_CREATOR])
        if rng.uniform(seed, day, i, rng.POST, 0) < p:
            I[i, L.I_POSTED_TODAY] = 1
            I[i, L.I_POSTS] += 1


@njit(parallel=True, cache=True)
def content_step(day, members, n_members, P, D, SEG, I, F):
    """Reads, interactions, UGC posts, fatigue and trust of every member today.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> members = m.members[:m.n_members]
    >>> D = np.zeros(L.N_D)
    >>> D[L.D_SLOT], D[L.D_READ_LOAD], D[L.D_INT_LOAD] = 1.0, 3.0, 1.0
    >>> content_step(0, m.members, m.n_members, m.P, D, m.SEG, I, F)
    >>> int(I[members, L.I_READS_TODAY].sum()) > 0
    True
    """
    seed = np.uint64(P[L.P_SEED])
    for k in prange(n_members):
        content_member(day, members[k], seed, P, D, SEG, I, F)
