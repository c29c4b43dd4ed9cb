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
"""

import numpy as np
from numba import njit

from growthsim.kernels import layout as L
from growthsim.kernels import rng
from growthsim.kernels.membership import join

INF = np.inf


@njit(inline="always", cache=True)
def other(u, s, n):
    """A person drawn uniformly among the n - 1 people other than s (u uniform)."""
    j = int(u * (n - 1))
    return j + 1 if j >= s else j


@njit(inline="always", cache=True)
def attempt(P, D, SEG, I, F, day, seed, s, j, path, w, c, counter, path_mult, touched, n_touched):
    """One exposure of person j by sharer s; returns the touched count."""
    if I[j, L.I_STAGE] == L.MEMBER:
        return n_touched
    if I[j, L.I_EXP_TODAY] == 0:
        touched[n_touched] = j
        n_touched += 1
        F[j, L.F_BEST_SCORE] = INF
    I[j, L.I_EXP_TODAY] += 1
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
            score = u / pe
            if score < F[j, L.F_BEST_SCORE]:
                F[j, L.F_BEST_SCORE] = score
                I[j, L.I_BEST_REF] = s
                I[j, L.I_BEST_PATH] = path
    return n_touched


@njit(cache=True)
def conversion_step(day, members, n_members, P, D, SEG, I, F, indptr, indices, weight, mult,
                    f_indptr, f_indices, touched, pending, n_pending, out):
    """Expose receivers of today's shares and convert them.

    ``out`` receives [new_wom, new_koc, exposures, notes_shares, referral_lag_sum,
    reached]. Returns the new pending count.
    """
    seed = np.uint64(P[L.P_SEED])
    n = I.shape[0]
    complete = P[L.P_COMPLETE] > 0.0
    has_mult = mult.shape[0] > 0
    has_follow = f_indptr.shape[0] > 0
    reach_p = P[L.P_REACH_PRIVATE]
    reach_f = P[L.P_REACH_FOLLOWERS]
    n_touched = 0
    notes = 0
    for k in range(n_members):
        s = members[k]
        ch = I[s, L.I_SHARE_TODAY] - 1
        if ch < 0:
            continue
        base = np.int64(s) << np.int64(24)
        if ch == L.PRIVATE:
            if complete:
                m = rng.poisson(reach_p * (n - 1), seed, day, s, rng.STRANGER_N, 0)
                for r in range(m):
                    j = other(rng.uniform(seed, day, s, rng.STRANGER, r), s, n)
                    n_touched = attempt(P, D, SEG, I, F, day, seed, s, j, L.PRIVATE, 1.0, 1,
                                        (base + r) * 4, P[L.P_CONV_PRIVATE], touched, n_touched)
            else:
                for e in range(indptr[s], indptr[s + 1]):
                    j = indices[e]
                    if reach_p < 1.0 and rng.uniform(seed, day, j, rng.REACH, s) >= reach_p:
                        continue
                    c = mult[e] if has_mult else 1
                    n_touched = attempt(P, D, SEG, I, F, day, seed, s, j, L.PRIVATE, weight[e],
                                        c, base * 4, P[L.P_CONV_PRIVATE], touched, n_touched)
        elif ch == L.VIDEO:
            if has_follow:
                for e in range(f_indptr[s], f_indptr[s + 1]):
                    j = f_indices[e]
                    if reach_f < 1.0 and rng.uniform(seed, day, j, rng.FOLLOW, s) >= reach_f:
                        continue
                    n_touched = attempt(P, D, SEG, I, F, day, seed, s, j, L.VIDEO, 1.0, 1,
                                        base * 4 + 1, P[L.P_CONV_VIDEO], touched, n_touched)
            m = rng.poisson(P[L.P_VIDEO_STRANGERS], seed, day, s, rng.STRANGER_N, 1)
            for r in range(m):
                j = other(rng.uniform(seed, day, s, rng.STRANGER, r + 1_000_000), s, n)
                n_touched = attempt(P, D, SEG, I, F, day, seed, s, j, L.VIDEO, 1.0, 1,
                                    (base + r) * 4 + 2, P[L.P_CONV_VIDEO], touched, n_touched)
        else:
            notes += 1
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
    return n_pending
