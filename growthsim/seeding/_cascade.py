"""numba kernels for independent cascades as live-edge worlds: Monte-Carlo spread and CELF.

In world ``w`` the live edges of row ``u`` are a fixed function of ``(seed, w, u)``: if the
row's edges share one probability q (``row_q[u]`` >= 0), the gaps between live edges are
geometric, the j-th drawn from ``uniform(seed, w, u, GEO, j)``; otherwise edge ``e`` (its CSR
position) is live iff ``uniform(seed, w, e, LIVE, 0) < prob[e]``. Either way every edge is live
independently with its probability, which is the independent cascade of Kempe, Kleinberg &
Tardos (2003) (each coin flipped once, when its tail first becomes active). Fixing the coins
per world makes every estimate a pure function of the seed, whatever the thread count, and
lets CELF and :func:`mc_sizes` share their worlds (common random numbers).
"""

import numpy as np
from numba import njit, prange

from growthsim.kernels.rng import uniform

from ._kernels import skip

# rng purposes, distinct from the daily kernels' (growthsim.kernels.rng) and from _rr's
LIVE = 101  # one coin per (world, edge) in rows of mixed probabilities
GEO = 104   # j-th geometric gap in row u of world w

_NONE, _AVOID, _AVOID_MARK = 0, 1, 2


@njit(inline="always", cache=True)
def _is_set(row, v):
    return (row[v >> 3] >> (v & 7)) & 1


@njit(cache=True)
def _reach(indptr, indices, prob, row_q, seed, w, sources, mark, stamp, queue, row, mode):
    """People reached in world ``w`` from ``sources``; with ``mode`` >= _AVOID, only through
    people whose bit in ``row`` is clear (and, with _AVOID_MARK, their bits get set)."""
    tail = 0
    for x in sources:
        if mark[x] != stamp and (mode == _NONE or _is_set(row, x) == 0):
            mark[x] = stamp
            queue[tail] = x
            tail += 1
    head = 0
    while head < tail:
        u = queue[head]
        head += 1
        lo, hi = indptr[u], indptr[u + 1]
        q = row_q[u]
        if q < 0.0:  # mixed row: a coin per edge, flipped only if it could matter
            for e in range(lo, hi):
                v = indices[e]
                if mark[v] == stamp or (mode != _NONE and _is_set(row, v) == 1):
                    continue
                if uniform(seed, w, e, LIVE, 0) < prob[e]:
                    mark[v] = stamp
                    queue[tail] = v
                    tail += 1
        elif q > 0.0:  # one draw per live edge (plus one) instead of one per edge
            lq = np.log1p(-q)
            e = lo
            j = 0
            while True:
                gap = skip(uniform(seed, w, u, GEO, j), lq)
                j += 1
                if gap >= hi - e:
                    break
                e += int(gap)
                v = indices[e]
                e += 1
                if mark[v] == stamp or (mode != _NONE and _is_set(row, v) == 1):
                    continue
                mark[v] = stamp
                queue[tail] = v
                tail += 1
    if mode == _AVOID_MARK:
        for j in range(tail):
            x = queue[j]
            row[x >> 3] |= np.uint8(1 << (x & 7))
    return tail


@njit(parallel=True, cache=True)
def mc_sizes(indptr, indices, prob, row_q, sources, n_sims, seed, n_chunks):
    """Cascade size from ``sources`` in each of worlds ``0 .. n_sims - 1``."""
    n = len(indptr) - 1
    sizes = np.empty(n_sims, np.int64)
    dummy = np.zeros(1, np.uint8)
    for c in prange(n_chunks):
        mark = np.zeros(n, np.int64)
        queue = np.empty(n, np.int32)
        for w in range(c * n_sims // n_chunks, (c + 1) * n_sims // n_chunks):
            sizes[w] = _reach(indptr, indices, prob, row_q, seed, w, sources, mark, w + 1,
                              queue, dummy, _NONE)
    return sizes


@njit(parallel=True, cache=True)
def single_totals(indptr, indices, prob, row_q, n_sims, seed, n_chunks):
    """For every person v, the sum over the worlds of v's cascade size (CELF's first pass)."""
    n = len(indptr) - 1
    totals = np.zeros(n, np.int64)
    dummy = np.zeros(1, np.uint8)
    for c in prange(n_chunks):
        mark = np.zeros(n, np.int64)
        queue = np.empty(n, np.int32)
        src = np.empty(1, np.int64)
        stamp = 0
        for v in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            src[0] = v
            t = 0
            for w in range(n_sims):
                stamp += 1
                t += _reach(indptr, indices, prob, row_q, seed, w, src, mark, stamp, queue,
                            dummy, _NONE)
            totals[v] = t
    return totals


@njit(cache=True)
def _over_worlds(indptr, indices, prob, row_q, covered, v, seed, mark, stamp0, queue, w_lo,
                 w_hi, mode):
    """Sum over worlds w_lo..w_hi-1 of what ``v`` newly reaches (stamps stamp0 + w + 1)."""
    src = np.empty(1, np.int64)
    src[0] = v
    t = 0
    for w in range(w_lo, w_hi):
        t += _reach(indptr, indices, prob, row_q, seed, w, src, mark, stamp0 + w + 1, queue,
                    covered[w], mode)
    return t


@njit(parallel=True, cache=True)
def marginal_totals(indptr, indices, prob, row_q, covered, cands, seed):
    """For each candidate, the sum over the worlds of the people it reaches that the chosen set
    does not (``covered[w]``: bitset of the people the chosen set reaches in world ``w``)."""
    n = len(indptr) - 1
    out = np.zeros(len(cands), np.int64)
    for j in prange(len(cands)):
        mark = np.zeros(n, np.int64)
        queue = np.empty(n, np.int32)
        out[j] = _over_worlds(indptr, indices, prob, row_q, covered, cands[j], seed, mark, 0,
                              queue, 0, covered.shape[0], _AVOID)
    return out


@njit(cache=True)
def marginal_totals_serial(indptr, indices, prob, row_q, covered, cands, seed):
    """:func:`marginal_totals` in one thread (small work: a parallel launch costs more)."""
    n = len(indptr) - 1
    n_sims = covered.shape[0]
    out = np.zeros(len(cands), np.int64)
    mark = np.zeros(n, np.int64)
    queue = np.empty(n, np.int32)
    for j in range(len(cands)):
        out[j] = _over_worlds(indptr, indices, prob, row_q, covered, cands[j], seed, mark,
                              j * n_sims, queue, 0, n_sims, _AVOID)
    return out


@njit(parallel=True, cache=True)
def commit(indptr, indices, prob, row_q, covered, v, seed, n_chunks):
    """Add ``v`` to the chosen set: set the bits of the people it newly reaches in every world;
    returns how many (summed over the worlds). ``n_chunks`` = 1 runs in the calling thread."""
    n = len(indptr) - 1
    n_sims = covered.shape[0]
    part = np.zeros(n_chunks, np.int64)
    for c in prange(n_chunks):
        mark = np.zeros(n, np.int64)
        queue = np.empty(n, np.int32)
        part[c] = _over_worlds(indptr, indices, prob, row_q, covered, v, seed, mark, 0, queue,
                               c * n_sims // n_chunks, (c + 1) * n_sims // n_chunks,
                               _AVOID_MARK)
    return part.sum()


@njit(cache=True)
def commit_serial(indptr, indices, prob, row_q, covered, v, seed):
    """:func:`commit` in one thread."""
    n = len(indptr) - 1
    mark = np.zeros(n, np.int64)
    queue = np.empty(n, np.int32)
    return _over_worlds(indptr, indices, prob, row_q, covered, v, seed, mark, 0, queue, 0,
                        covered.shape[0], _AVOID_MARK)
