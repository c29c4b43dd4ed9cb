"""Step 6 - rewards and tiers.

Habituation first recovers, h *= 1 - recovery. Then, with the programme on:

- per-share cash: a member who shared today is paid per_share_cash;
- per-referral cash: a member is paid per_referral_cash for each friend who
  joined through them since the last payment (two-sided and "invite to
  unlock" programmes);
- the ladder: while the ladder count (shares or referrals, less demotions)
  reaches the next level's threshold the member is promoted and paid the
  level's cost (varied rewards: cost * (0.5 + u), mean unchanged), which also
  starts the post-reward pause.

Every reward raises habituation, h += (1 - h) * rate * k * v, where k is the
reward kind's habituation factor (cash for per-share and per-referral cash,
the level's kind for promotions: cash and coupons habituate faster than
badges, status and partner rights) and v = varied_factor for varied rewards,
1 for fixed ones. With loss aversion on, a ranked member who has been silent
for a multiple of demote_after days drops one tier and must earn it back.
"""

import numpy as np
from numba import njit, prange

from growthsim.kernels import layout as L
from growthsim.kernels import rng
from growthsim.kernels.sharing import ladder_count


@njit(inline="always", cache=True)
def rewards_member(day, i, seed, P, LEV, I, F):
    """Step 6 for member i (numba).

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> I[i, L.I_SHARES], I[i, L.I_OFFSET], I[i, L.I_TIER] = 3, 0, 0
    >>> rewards_member(1, i, np.uint64(1), m.P, m.LEV, I, F)   # 3 shares: levels 1 and 3 reached
    >>> int(I[i, L.I_TIER]), float(F[i, L.F_REWARD_TODAY])     # coupons costing 10 + 30
    (2, 40.0)
    """
    vf = P[L.P_VARIED_FACTOR] if P[L.P_VARIED] > 0.0 else 1.0
    rate = P[L.P_HAB_RATE] * vf
    n_lev = LEV.shape[0]
    h = F[i, L.F_HABITUATION] * (1.0 - P[L.P_HAB_RECOVERY])
    reward = 0.0
    if P[L.P_REWARDS_ON] > 0.0:
        cash_rate = min(1.0, rate * P[L.P_HAB_CASH])
        if I[i, L.I_SHARE_TODAY] > 0 and P[L.P_PER_SHARE_CASH] > 0.0:
            reward += P[L.P_PER_SHARE_CASH]
            h += (1.0 - h) * cash_rate
        new_refs = I[i, L.I_REFERRALS] - I[i, L.I_REF_PAID]
        if new_refs > 0 and P[L.P_PER_REF_CASH] > 0.0:
            reward += new_refs * P[L.P_PER_REF_CASH]
            for _ in range(new_refs):
                h += (1.0 - h) * cash_rate
        I[i, L.I_REF_PAID] = I[i, L.I_REFERRALS]
        count = ladder_count(P, I, i)
        tier = I[i, L.I_TIER]
        while tier < n_lev and count >= LEV[tier, L.LEV_THRESHOLD]:
            cost = LEV[tier, L.LEV_COST]
            if P[L.P_VARIED] > 0.0:
                cost *= 0.5 + rng.uniform(seed, day, i, rng.VARIED, tier)
            reward += cost
            h += (1.0 - h) * min(1.0, rate * LEV[tier, L.LEV_HAB])
            tier += 1
            I[i, L.I_LAST_REWARD] = day
        if P[L.P_LOSS_AVERSION] > 0.0 and tier > 0:
            silence = day - I[i, L.I_LAST_ACTIVE]
            every = int(P[L.P_DEMOTE_AFTER])
            if silence >= every and silence % every == 0:
                tier -= 1
                target = int(LEV[tier - 1, L.LEV_THRESHOLD]) if tier > 0 else 0
                I[i, L.I_OFFSET] += count - target
        I[i, L.I_TIER] = tier
    F[i, L.F_HABITUATION] = h
    F[i, L.F_REWARD_TODAY] = reward


@njit(parallel=True, cache=True)
def rewards_step(day, members, n_members, P, LEV, I, F):
    """Promotions, demotions, reward payments and habituation of every member.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> members = m.members[:m.n_members]
    >>> I[members, L.I_SHARES], I[members, L.I_OFFSET], I[members, L.I_TIER] = 1, 0, 0
    >>> rewards_step(1, m.members, m.n_members, m.P, m.LEV, I, F)
    >>> sorted(set(I[members, L.I_TIER].tolist())), float(F[members, L.F_REWARD_TODAY].sum())
    ([1], 200.0)
    """
    seed = np.uint64(P[L.P_SEED])
    for k in prange(n_members):
        rewards_member(day, members[k], seed, P, LEV, I, F)
