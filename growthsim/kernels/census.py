"""End-of-day census of the members: the daily figures the kernels can count.

Sums run serially over the member list in its stable order, so floating-point
totals are identical whatever the thread count.
"""

import numpy as np
from numba import njit, prange

from growthsim.kernels import layout as L

MAX_TIERS = 21
N_CHUNKS = 64  # fixed slices of the member list summed in parallel
CENSUS_NAMES = (
    "members", "dau", "wau", "mau", "reads", "interactions", "ugc_posts", "shares",
    "shares_private", "shares_video", "shares_notes", "wakeups", "wakeups_success",
    "reward_cost_ladder", "revenue", "buyers", "trust_mean", "trust_low", "fatigue_mean",
    "fatigue_high", "habituation_mean", "silent_7", "silent_30", "weekly_interactions",
    "kocs", "creators", "checkins",
) + tuple(f"tier_{t}" for t in range(MAX_TIERS)) + (
    "members_seed", "members_organic", "members_paid", "members_wom", "members_koc",
)
N_CENSUS = len(CENSUS_NAMES)
_TIER0 = CENSUS_NAMES.index("tier_0")
_CHANNEL0 = CENSUS_NAMES.index("members_seed")
# Census slot (after members_seed) of each acquisition code in layout.ACQ_NAMES order:
# none and seed count as seed, koc and koc_signed both as koc.
ACQ_SLOT = (0, 0, 1, 2, 3, 4, 4)


@njit(inline="always", cache=True)
def _member_state(day, I, F, i, out):
    """Add member i's state to the census (distributions, tiers, silence)."""
    silence = day - I[i, L.I_LAST_ACTIVE]
    if silence < 7:
        out[2] += 1
    if silence < 30:
        out[3] += 1
    t = F[i, L.F_TRUST]
    out[16] += t
    if t < 0.3:
        out[17] += 1
    f = F[i, L.F_FATIGUE]
    out[18] += f
    if f > 0.7:
        out[19] += 1
    out[20] += F[i, L.F_HABITUATION]
    if silence > 7:
        out[21] += 1
    if silence > 30:
        out[22] += 1
    out[23] += F[i, L.F_WEEKLY]
    out[24] += I[i, L.I_KOC]
    if I[i, L.I_POSTS] > 0:
        out[25] += 1
    out[_TIER0 + min(I[i, L.I_TIER], MAX_TIERS - 1)] += 1
    out[_CHANNEL0 + ACQ_SLOT[I[i, L.I_ACQ]]] += 1


@njit(inline="always", cache=True)
def _member_activity(I, F, i, out):
    """Add member i's activity and spending today to the census."""
    out[1] += I[i, L.I_ACTIVE_TODAY]
    out[4] += I[i, L.I_READS_TODAY]
    out[5] += I[i, L.I_INTER_TODAY]
    out[6] += I[i, L.I_POSTED_TODAY]
    ch = I[i, L.I_SHARE_TODAY]
    if ch > 0:
        out[7] += 1
        out[7 + ch] += 1
    push = I[i, L.I_PUSH_TODAY]
    if push > 0:
        out[11] += 1
        if push == 2:
            out[12] += 1
    out[13] += F[i, L.F_REWARD_TODAY]
    rev = F[i, L.F_REVENUE_TODAY]
    out[14] += rev
    if rev > 0.0:
        out[15] += 1
    out[26] += I[i, L.I_CHECKIN_TODAY]


@njit(parallel=True, cache=True)
def census(day, members, n_members, pending, n_pending, I, F, out):
    """Fill ``out`` (length N_CENSUS) with today's figures.

    Activity and spending sum over the member list of the day (members who
    churned today included); the state distributions and ``members`` cover
    everyone who is a member at the end of the day: the list's survivors, then
    today's joiners. The list is cut into N_CHUNKS fixed slices summed in
    parallel and combined in slice order, so float totals do not depend on the
    thread count.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> _ = m.run(days=10)
    >>> out = np.zeros(N_CENSUS)
    >>> census(m.day, m.members, m.n_members, np.zeros(0, np.int32), 0, I, F, out)
    >>> int(out[CENSUS_NAMES.index("members")]) == m.n_members
    True
    """
    parts = np.zeros((N_CHUNKS + 1, out.shape[0]))
    for c in prange(N_CHUNKS):
        part = parts[c]
        for k in range(c * n_members // N_CHUNKS, (c + 1) * n_members // N_CHUNKS):
            i = members[k]
            _member_activity(I, F, i, part)
            if I[i, L.I_STAGE] == L.MEMBER:
                part[0] += 1
                _member_state(day, I, F, i, part)
    last = parts[N_CHUNKS]
    for k in range(n_pending):
        last[0] += 1
        _member_state(day, I, F, pending[k], last)
    out[:] = 0.0
    for c in range(N_CHUNKS + 1):
        for x in range(out.shape[0]):
            out[x] += parts[c, x]
    m = out[0]
    if m > 0:
        out[16] /= m
        out[18] /= m
        out[20] /= m
        out[23] /= m
