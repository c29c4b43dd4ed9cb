"""Step 5 - acquisition outside word of mouth: ads, unaided discovery, notes.

* Paid: the day's budget buys impressions = budget / cpm * 1000. Converting
  impressions number K ~ Poisson(impressions * p_ad * conv_mult_d); each lands
  on a person drawn uniformly from the market and converts them if they are
  not a member (churned people with probability rejoin_factor).
* Organic (the Bass innovation term): K ~ Poisson(n * p_discover / 365) people
  drawn uniformly discover the brand and join if not members, so each
  non-member's daily hazard is p_discover / 365.
* Notes: the stock of live notes decays by 2^(-1/half_life) a day and gains
  today's note shares; it brings Poisson(stock * notes_views) visits to people
  drawn uniformly; a visitor on the notes platform converts with the
  conversion probability of step 4 (notes multiplier, no tie, no sharer).
"""

import numpy as np
from numba import njit

from growthsim.kernels import layout as L
from growthsim.kernels import rng
from growthsim.kernels.membership import join


@njit(inline="always", cache=True)
def _rejoin_ok(P, I, j, seed, day, purpose, k):
    if I[j, L.I_STAGE] == L.MEMBER:
        return False
    if I[j, L.I_STAGE] == L.CHURNED:
        return rng.uniform(seed, day, k, purpose, 1) < P[L.P_REJOIN]
    return True


@njit(cache=True)
def acquisition_step(day, P, D, SEG, I, F, notes_stock, notes_today, pending, n_pending, out):
    """Paid, organic and notes joins today.

    ``out`` receives [new_paid, new_organic, new_notes, notes_stock_after]. Returns the new
    pending count.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> D = np.zeros(L.N_D)
    >>> D[L.D_CONV_MULT], D[L.D_IMPRESSIONS] = 1.0, 1e6    # a million ad impressions today
    >>> pending, out = np.zeros(m.n, np.int32), np.zeros(4)
    >>> n_new = acquisition_step(0, m.P, D, m.SEG, I, F, 0.0, 0.0, pending, 0, out)
    >>> joined = pending[:n_new]
    >>> n_new > 0, bool(n_new == out[0] + out[1]), bool((I[joined, L.I_STAGE] == L.MEMBER).all())
    (True, True, True)
    """
    seed = np.uint64(P[L.P_SEED])
    n = I.shape[0]
    new_paid = 0
    k_ads = rng.poisson(D[L.D_IMPRESSIONS] * P[L.P_P_AD] * D[L.D_CONV_MULT], seed, day, 0,
                        rng.AD_N, 0)
    for k in range(k_ads):
        j = int(rng.uniform(seed, day, k, rng.AD, 0) * n)
        if _rejoin_ok(P, I, j, seed, day, rng.AD, k):
            n_pending = join(P, I, F, j, day, L.ACQ_PAID, L.ADS, -1, pending, n_pending)
            new_paid += 1
    new_organic = 0
    k_org = rng.poisson(n * P[L.P_P_DISCOVER_DAY], seed, day, 0, rng.ORGANIC_N, 0)
    for k in range(k_org):
        j = int(rng.uniform(seed, day, k, rng.ORGANIC, 0) * n)
        if _rejoin_ok(P, I, j, seed, day, rng.ORGANIC, k):
            n_pending = join(P, I, F, j, day, L.ACQ_ORGANIC, L.PRIVATE, -1, pending, n_pending)
            new_organic += 1
    stock = notes_stock * P[L.P_NOTES_KEEP] + notes_today
    new_notes = 0
    k_notes = rng.poisson(stock * P[L.P_NOTES_VIEWS], seed, day, 0, rng.NOTE_N, 0)
    tw = P[L.P_TRUST_WEIGHT]
    for k in range(k_notes):
        j = int(rng.uniform(seed, day, k, rng.NOTE, 0) * n)
        if I[j, L.I_STAGE] == L.MEMBER or not (I[j, L.I_PLATFORMS] & 4):
            continue
        q = P[L.P_P_CONVERT] * D[L.D_CONV_MULT] * P[L.P_CONV_NOTES]
        q *= SEG[I[j, L.I_SEGMENT], L.SEG_CONVERSION] * (1.0 - tw + 2.0 * tw * F[j, L.F_TRUST])
        if I[j, L.I_STAGE] == L.CHURNED:
            q *= P[L.P_REJOIN]
        if rng.uniform(seed, day, k, rng.NOTE, 1) < q:
            n_pending = join(P, I, F, j, day, L.ACQ_ORGANIC, L.NOTES, -1, pending, n_pending)
            new_notes += 1
    out[0] = new_paid
    out[1] = new_organic + new_notes
    out[2] = new_notes
    out[3] = stock
    return n_pending
