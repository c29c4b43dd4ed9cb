"""Step 4 - conversion: people reached by today's shares may join.

Each share is an exposure of its receivers. A private share reaches each
friend with probability reach_private (on the mean-field complete graph:
Poisson((n - 1) * reach_private) contacts, each drawn uniformly among the other
n - 1 people, with replacement); a video share reaches each follower with
probability reach_followers plus Poisson(video_strangers) people drawn the
same way; a notes share adds to the notes
stock, which brings discoveries in step 5. An exposure of person j by sharer s
along a tie of strength w and multiplicity c converts with probability

    q   = p_convert * conv_mult_d * path_mult * cred_s * seg_conv[seg_j]
          * (1 - trust_weight + 2 * trust_weight * trust_j) * w^tie_exp
          * decay^E_j * (1 + newcomer_boost) * (rejoin_factor if j churned before)
    p_e = 1 - (1 - min(1, q))^c

where E_j counts j's exposures before today (diminishing returns) and cred_s is
the KOC credibility for KOCs and 1 otherwise. Every attempt draws its own
uniform u keyed by (day, j, sharer, path); j joins if any attempt succeeds,
and the referrer is the successful attempt with the smallest u / p_e, which is
uniform among the successes and independent of visiting order.

The attempts are computed in parallel, one sharer per task, into a list laid
out in member-list order (receivers' state is only read while doing so); a
serial pass then merges them in that order into the receivers' day counters,
so the result is exactly that of visiting sharers one by one.
"""

import numpy as np
from numba import njit, prange

from growthsim.kernels import layout as L
from growthsim.kernels import rng
from growthsim.kernels.membership import join

INF = np.inf


@njit(inline="always", cache=True)
def other(u, s, n):
    """A person drawn uniformly among the n - 1 people other than s (u uniform).

    Examples
    --------
    >>> [other(u, 2, 5) for u in (0.0, 0.3, 0.6, 0.99)]    # never person 2
    [0, 1, 3, 4]
    """
    j = int(u * (n - 1))
    return j + 1 if j >= s else j


@njit(inline="always", cache=True)
def exposure_score(P, D, SEG, I, F, day, seed, s, j, w, c, counter, path_mult):
    """Outcome of one exposure of person j by sharer s (numba).

    -1 when j is a member (no exposure); u / p_e in [0, 1) when it converts;
    2 when it does not.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> D = np.zeros(L.N_D)
    >>> D[L.D_CONV_MULT] = 1.0
    >>> outsider = int(np.flatnonzero(I[:, L.I_STAGE] != L.MEMBER)[0])
    >>> exposure_score(m.P, D, m.SEG, I, F, 0, np.uint64(1), i, i, 1.0, 1, 0, 1.0)  # a member
    -1.0
    >>> P = m.P.copy()
    >>> P[L.P_P_CONVERT] = 1.0                         # certain conversion: a score in [0, 1)
    >>> 0.0 <= exposure_score(P, D, m.SEG, I, F, 0, np.uint64(1), i, outsider, 1.0, 1, 0, 1.0) < 1
    True
    >>> P[L.P_P_CONVERT] = 0.0                         # impossible conversion
    >>> exposure_score(P, D, m.SEG, I, F, 0, np.uint64(1), i, outsider, 1.0, 1, 0, 1.0)
    2.0
    """
    if I[j, L.I_STAGE] == L.MEMBER:
        return -1.0
    q = P[L.P_P_CONVERT] * D[L.D_CONV_MULT] * path_mult * SEG[I[j, L.I_SEGMENT], L.SEG_CONVERSION]
    tw = P[L.P_TRUST_WEIGHT]
    q *= 1.0 - tw + 2.0 * tw * F[j, L.F_TRUST]
    if P[L.P_TIE_EXP] != 0.0:
        q *= w ** P[L.P_TIE_EXP]
    e = I[j, L.I_EXPOSURES]
    if e > 0 and P[L.P_EXPOSURE_DECAY] < 1.0:
        q *= P[L.P_EXPOSURE_DECAY] ** e
    if I[s, L.I_KOC]:
        q *= P[L.P_KOC_CRED]
    q *= 1.0 + P[L.P_NEWCOMER_BOOST]
    if I[j, L.I_STAGE] == L.CHURNED:
        q *= P[L.P_REJOIN]
    q = min(1.0, max(0.0, q))
    pe = q if c == 1 else 1.0 - (1.0 - q) ** c
    if pe > 0.0:
        u = rng.uniform(seed, day, j, rng.CONVERT, counter)
        if u < pe:
            return u / pe
    return 2.0


@njit(inline="always", cache=True)
def _n_contacts(P, I, day, seed, s, n, indptr, f_indptr, has_follow):
    """How many people sharer s's share today may reach (the attempt slots it needs)."""
    ch = I[s, L.I_SHARE_TODAY] - 1
    if ch == L.PRIVATE:
        if P[L.P_COMPLETE] > 0.0:
            return rng.poisson(P[L.P_REACH_PRIVATE] * (n - 1), seed, day, s, rng.STRANGER_N, 0)
        return indptr[s + 1] - indptr[s]
    if ch == L.VIDEO:
        m = rng.poisson(P[L.P_VIDEO_STRANGERS], seed, day, s, rng.STRANGER_N, 1)
        if has_follow:
            m += f_indptr[s + 1] - f_indptr[s]
        return m
    return 0


@njit(parallel=True, cache=True)
def _count_contacts(day, members, n_members, P, I, indptr, f_indptr, counts):
    seed = np.uint64(P[L.P_SEED])
    n = I.shape[0]
    has_follow = f_indptr.shape[0] > 0
    for k in prange(n_members):
        counts[k] = _n_contacts(P, I, day, seed, members[k], n, indptr, f_indptr, has_follow)


@njit(parallel=True, cache=True)
def _score_contacts(day, members, n_members, P, D, SEG, I, F, indptr, indices, weight, mult,
                    f_indptr, f_indices, offsets, rec_j, rec_score, rec_path):
    """Fill each sharer's slots with (receiver, outcome, path); receiver -1 = not reached."""
    seed = np.uint64(P[L.P_SEED])
    n = I.shape[0]
    has_mult = mult.shape[0] > 0
    has_follow = f_indptr.shape[0] > 0
    reach_p = P[L.P_REACH_PRIVATE]
    reach_f = P[L.P_REACH_FOLLOWERS]
    for k in prange(n_members):
        o = offsets[k]
        if offsets[k + 1] == o:
            continue
        s = members[k]
        ch = I[s, L.I_SHARE_TODAY] - 1
        base = np.int64(s) << np.int64(24)
        if ch == L.PRIVATE:
            rec_path[o:offsets[k + 1]] = L.PRIVATE
            if P[L.P_COMPLETE] > 0.0:
                for r in range(offsets[k + 1] - o):
                    j = other(rng.uniform(seed, day, s, rng.STRANGER, r), s, n)
                    rec_j[o + r] = j
                    rec_score[o + r] = exposure_score(P, D, SEG, I, F, day, seed, s, j, 1.0, 1,
                                                      (base + r) * 4, P[L.P_CONV_PRIVATE])
            else:
                for e in range(indptr[s], indptr[s + 1]):
                    j = indices[e]
                    slot = o + e - indptr[s]
                    if reach_p < 1.0 and rng.uniform(seed, day, j, rng.REACH, s) >= reach_p:
                        rec_j[slot] = -1
                        continue
                    rec_j[slot] = j
                    c = mult[e] if has_mult else 1
                    rec_score[slot] = exposure_score(P, D, SEG, I, F, day, seed, s, j, weight[e],
                                                     c, base * 4, P[L.P_CONV_PRIVATE])
        else:
            rec_path[o:offsets[k + 1]] = L.VIDEO
            slot = o
            if has_follow:
                for e in range(f_indptr[s], f_indptr[s + 1]):
                    j = f_indices[e]
                    if reach_f < 1.0 and rng.uniform(seed, day, j, rng.FOLLOW, s) >= reach_f:
                        rec_j[slot] = -1
                    else:
                        rec_j[slot] = j
                        rec_score[slot] = exposure_score(P, D, SEG, I, F, day, seed, s, j, 1.0,
                                                         1, base * 4 + 1, P[L.P_CONV_VIDEO])
                    slot += 1
            r = 0
            while slot < offsets[k + 1]:
                j = other(rng.uniform(seed, day, s, rng.STRANGER, r + 1_000_000), s, n)
                rec_j[slot] = j
                rec_score[slot] = exposure_score(P, D, SEG, I, F, day, seed, s, j, 1.0, 1,
                                                 (base + r) * 4 + 2, P[L.P_CONV_VIDEO])
                slot += 1
                r += 1


@njit(cache=True)
def conversion_step(day, members, n_members, P, D, SEG, I, F, indptr, indices, weight, mult,
                    f_indptr, f_indices, touched, pending, n_pending, out):
    """Expose receivers of today's shares and convert them.

    ``out`` receives [new_wom, new_koc, exposures, notes_shares, referral_lag_sum,
    reached, exposures_koc]. Returns the new pending count.

    Examples
    --------
    >>> import numpy as np
    >>> import growthsim as gs
    >>> m = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                 "seeding.initial_members": 20}), seed=1)
    >>> I, F, i = m.population.I, m.population.F, int(m.members[0])
    >>> members = m.members[:m.n_members]
    >>> I[:, L.I_SHARE_TODAY] = 0
    >>> I[members, L.I_SHARE_TODAY] = L.PRIVATE + 1     # every member shares in private groups
    >>> D = np.zeros(L.N_D)
    >>> D[L.D_CONV_MULT] = 1.0
    >>> pending, out = np.zeros(m.n, np.int32), np.zeros(7)
    >>> n_new = conversion_step(0, m.members, m.n_members, m.P, D, m.SEG, I, F, *m._graph_arrays,
    ...                         *m._follow, np.zeros(m.n, np.int32), pending, 0, out)
    >>> bool(out[2] > 0), bool(n_new == out[0] + out[1])  # exposures; joins = wom + koc
    (True, True)
    """
    counts = np.zeros(n_members, dtype=np.int64)
    _count_contacts(day, members, n_members, P, I, indptr, f_indptr, counts)
    offsets = np.zeros(n_members + 1, dtype=np.int64)
    notes = 0
    for k in range(n_members):
        offsets[k + 1] = offsets[k] + counts[k]
        if I[members[k], L.I_SHARE_TODAY] - 1 == L.NOTES:
            notes += 1
    total = offsets[n_members]
    rec_j = np.empty(total, dtype=np.int32)
    rec_score = np.empty(total, dtype=np.float64)
    rec_path = np.empty(total, dtype=np.int8)
    _score_contacts(day, members, n_members, P, D, SEG, I, F, indptr, indices, weight, mult,
                    f_indptr, f_indices, offsets, rec_j, rec_score, rec_path)
    n_touched = 0
    exposures_koc = 0
    for k in range(n_members):
        s = members[k]
        koc = I[s, L.I_KOC]
        for r in range(offsets[k], offsets[k + 1]):
            j = rec_j[r]
            if j < 0:
                continue
            sc = rec_score[r]
            if sc < 0.0:
                continue
            exposures_koc += koc
            if I[j, L.I_EXP_TODAY] == 0:
                touched[n_touched] = j
                n_touched += 1
                F[j, L.F_BEST_SCORE] = INF
            I[j, L.I_EXP_TODAY] += 1
            if sc < 1.0 and sc < F[j, L.F_BEST_SCORE]:
                F[j, L.F_BEST_SCORE] = sc
                I[j, L.I_BEST_REF] = s
                I[j, L.I_BEST_PATH] = rec_path[r]
    new_wom = 0
    new_koc = 0
    exposures = 0
    lag = 0
    for t in range(n_touched):
        j = touched[t]
        x = I[j, L.I_EXP_TODAY]
        exposures += x
        I[j, L.I_EXPOSURES] += x
        I[j, L.I_EXP_TODAY] = 0
        if I[j, L.I_STAGE] == L.UNAWARE:
            I[j, L.I_STAGE] = L.AWARE
        if F[j, L.F_BEST_SCORE] < INF:
            ref = I[j, L.I_BEST_REF]
            acq = L.ACQ_KOC if I[ref, L.I_KOC] else L.ACQ_WOM
            n_pending = join(P, I, F, j, day, acq, I[j, L.I_BEST_PATH], ref, pending, n_pending)
            I[ref, L.I_REFERRALS] += 1
            lag += day - I[ref, L.I_JOINED]
            if acq == L.ACQ_KOC:
                new_koc += 1
            else:
                new_wom += 1
    out[0] = new_wom
    out[1] = new_koc
    out[2] = exposures
    out[3] = notes
    out[4] = lag
    out[5] = n_touched
    out[6] = exposures_koc
    return n_pending
