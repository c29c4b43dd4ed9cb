"""Step 3 - sharing: which members share today, and on which platform.

Eligible members depend on the share mode: active members ('active'), every
member ('daily', the Bass mean field) or members on their first day after
joining ('on_join', the independent cascade). An eligible member i shares
with probability

    p_i = min(1, p_share * share_mult_d * seg_share[seg_i] * koc_mult_i * incentive_i)
    incentive_i = 1 + (boost(tier_i) + per_share_boost + per_referral_boost
                       + goal_gradient * progress_i^2) * (1 - habituation_i)
                  then * (1 - crowding_out * habituation_i) (rewards crowd out
                  members' own motivation as they habituate),
                  then * relax_factor within relax_days after a reward,

where progress_i is the fraction of the way to the next ladder threshold. The
platform is drawn among the platforms the member is on, in proportion to the
scenario's channel weights (private when none applies).
"""

import numpy as np
from numba import njit, prange

from growthsim.kernels import layout as L
from growthsim.kernels import rng


@njit(inline="always", cache=True)
def ladder_count(P, I, i):
    """What the ladder counts for member i (shares or referrals, less demotions).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> I[i, L.I_SHARES], I[i, L.I_OFFSET] = 7, 2      # 7 shares, 2 taken away by a demotion
    >>> int(ladder_count(m.P, I, i))
    5
    """
    base = I[i, L.I_REFERRALS] if P[L.P_METRIC_REFERRALS] > 0.0 else I[i, L.I_SHARES]
    return base - I[i, L.I_OFFSET]


@njit(inline="always", cache=True)
def incentive(P, LEV, tier, count, habituation, days_since_reward):
    """Share-propensity multiplier from the reward programme (numba).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> no_tier = incentive(m.P, m.LEV, 0, 0, 0.0, 1000)
    >>> half_way = incentive(m.P, m.LEV, 1, 2, 0.0, 1000)    # tier 1, 2 of the 3 shares to tier 2
    >>> worn = incentive(m.P, m.LEV, 1, 2, 1.0, 1000)        # fully habituated
    >>> round(no_tier, 3), round(half_way, 3), round(worn, 3)
    (1.0, 1.325, 0.4)
    """
    if P[L.P_REWARDS_ON] <= 0.0:
        return 1.0
    pull = P[L.P_PER_SHARE_BOOST] + P[L.P_PER_REF_BOOST]
    n_lev = LEV.shape[0]
    if tier > 0:
        pull += LEV[tier - 1, L.LEV_BOOST]
    if tier < n_lev:
        prev = LEV[tier - 1, L.LEV_THRESHOLD] if tier > 0 else 0.0
        span = LEV[tier, L.LEV_THRESHOLD] - prev
        prog = min(1.0, max(0.0, (count - prev) / span))
        pull += P[L.P_GOAL_GRADIENT] * prog * prog
    m = (1.0 + pull * (1.0 - habituation)) * (1.0 - P[L.P_CROWDING] * habituation)
    if days_since_reward < P[L.P_RELAX_DAYS]:
        m *= P[L.P_RELAX_FACTOR]
    return m


@njit(inline="always", cache=True)
def pick_platform(P, mask, u):
    """Platform of a share given the member's platform mask and a uniform u.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> [int(pick_platform(m.P, 0b111, u)) for u in (0.1, 0.7, 0.95)]  # weights 0.6, 0.25, 0.15
    [0, 1, 2]
    >>> (L.PRIVATE, L.VIDEO, L.NOTES)
    (0, 1, 2)
    >>> int(pick_platform(m.P, 0b100, 0.1)) == L.NOTES      # only on the notes platform
    True
    """
    w0 = P[L.P_W_PRIVATE] if mask & 1 else 0.0
    w1 = P[L.P_W_VIDEO] if mask & 2 else 0.0
    w2 = P[L.P_W_NOTES] if mask & 4 else 0.0
    tot = w0 + w1 + w2
    if tot <= 0.0:
        return L.PRIVATE
    x = u * tot
    if x < w0:
        return L.PRIVATE
    if x < w0 + w1:
        return L.VIDEO
    return L.NOTES


@njit(inline="always", cache=True)
def sharing_member(day, i, seed, P, D, SEG, LEV, I, F):
    """Step 3 for member i (numba).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> P = m.P.copy()
    >>> P[L.P_P_SHARE] = 1.0
    >>> D = np.zeros(L.N_D)
    >>> D[L.D_SHARE_MULT] = 1.0
    >>> I[i, L.I_ACTIVE_TODAY] = 1
    >>> sharing_member(0, i, np.uint64(1), P, D, m.SEG, m.LEV, I, F)
    >>> int(I[i, L.I_SHARE_TODAY]) - 1 in (L.PRIVATE, L.VIDEO, L.NOTES)
    True
    >>> I[i, L.I_ACTIVE_TODAY] = 0                     # inactive members do not share
    >>> sharing_member(1, i, np.uint64(1), P, D, m.SEG, m.LEV, I, F)
    >>> int(I[i, L.I_SHARE_TODAY])
    0
    """
    mode = int(P[L.P_SHARE_WHEN])
    I[i, L.I_SHARE_TODAY] = 0
    if mode == L.SHARE_ACTIVE:
        eligible = I[i, L.I_ACTIVE_TODAY] == 1
    elif mode == L.SHARE_DAILY:
        eligible = True
    else:
        eligible = I[i, L.I_FRESH] == 1
    I[i, L.I_FRESH] = 0
    if not eligible:
        return
    tier = I[i, L.I_TIER]
    p = P[L.P_P_SHARE] * D[L.D_SHARE_MULT] * SEG[I[i, L.I_SEGMENT], L.SEG_SHARE]
    p *= incentive(P, LEV, tier, ladder_count(P, I, i), F[i, L.F_HABITUATION],
                   day - I[i, L.I_LAST_REWARD])
    if I[i, L.I_KOC]:
        p *= P[L.P_KOC_SHARE_MULT]
    if p >= 1.0 or rng.uniform(seed, day, i, rng.SHARE, 0) < p:
        u = rng.uniform(seed, day, i, rng.CHANNEL, 0)
        I[i, L.I_SHARE_TODAY] = pick_platform(P, I[i, L.I_PLATFORMS], u) + 1
        I[i, L.I_SHARES] += 1


@njit(parallel=True, cache=True)
def sharing_step(day, members, n_members, P, D, SEG, LEV, I, F):
    """Decide who shares today: ``I[i, SHARE_TODAY]`` = platform + 1, or 0.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> members = m.members[:m.n_members]
    >>> D = np.zeros(L.N_D)
    >>> D[L.D_SHARE_MULT] = 1.0
    >>> I[members, L.I_ACTIVE_TODAY] = 0
    >>> sharing_step(0, m.members, m.n_members, m.P, D, m.SEG, m.LEV, I, F)
    >>> int(I[members, L.I_SHARE_TODAY].max())        # nobody active, nobody shares
    0
    """
    seed = np.uint64(P[L.P_SEED])
    for k in prange(n_members):
        sharing_member(day, members[k], seed, P, D, SEG, LEV, I, F)
