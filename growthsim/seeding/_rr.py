"""numba kernels for reverse-reachable (RR) sets and greedy maximum coverage (IMM's two halves).

RR set ``s`` (Borgs et al. 2014) is the set of people who reach a uniformly drawn root in one
random live-edge world. Its root is ``uniform(seed, s, 0, ROOT, 0)``; the live edges of reverse
row ``v`` follow the rule of :mod:`._cascade` with set ``s`` in place of the world (geometric
gaps ``uniform(seed, s, v, RR_GEO, j)`` when the row's probabilities agree, as they do under
uniform p and under the weighted cascade, else a coin ``uniform(seed, s, e, RR, 0)`` per
edge). Each set is a pure function of ``(seed, s)``, so sets can be generated in parallel
chunks and concatenated in id order with the same result for any thread count.
"""

import numpy as np
from numba import njit, prange

from growthsim.kernels.rng import uniform

from ._kernels import skip

ROOT = 102  # rng purposes (see _cascade)
RR = 103
RR_GEO = 105


@njit(parallel=True, cache=True)
def rr_fill(t_indptr, t_indices, t_prob, t_q, seed, first_id, n_sets, n_chunks, cap, flat, lens,
            used, overflow):
    """Generate RR sets ``first_id .. first_id + n_sets - 1``.

    Chunk ``c`` writes its sets back to back into ``flat[c * cap:(c + 1) * cap]`` (the set is
    its own BFS queue), their sizes into ``lens`` and its total into ``used[c]``; a chunk that
    runs out of room sets ``overflow[c]`` and stops (the caller retries with a larger ``cap``).
    """
    n = len(t_indptr) - 1
    for c in prange(n_chunks):
        mark = np.zeros(n, np.int64)
        base = c * cap
        end = base + cap
        pos = base
        for s in range(c * n_sets // n_chunks, (c + 1) * n_sets // n_chunks):
            sid = first_id + s
            if pos >= end:
                overflow[c] = 1
                break
            root = min(int(uniform(seed, sid, 0, ROOT, 0) * n), n - 1)
            start = pos
            flat[pos] = root
            pos += 1
            mark[root] = s + 1
            head = start
            full = False
            while head < pos and not full:
                v = flat[head]
                head += 1
                lo, hi = t_indptr[v], t_indptr[v + 1]
                q = t_q[v]
                if q < 0.0:
                    for e in range(lo, hi):
                        u = t_indices[e]
                        if mark[u] != s + 1 and uniform(seed, sid, e, RR, 0) < t_prob[e]:
                            if pos >= end:
                                full = True
                                break
                            mark[u] = s + 1
                            flat[pos] = u
                            pos += 1
                elif q > 0.0:
                    lq = np.log1p(-q)
                    e = lo
                    j = 0
                    while True:
                        gap = skip(uniform(seed, sid, v, RR_GEO, j), lq)
                        j += 1
                        if gap >= hi - e:
                            break
                        e += int(gap)
                        u = t_indices[e]
                        e += 1
                        if mark[u] == s + 1:
                            continue
                        if pos >= end:
                            full = True
                            break
                        mark[u] = s + 1
                        flat[pos] = u
                        pos += 1
            if full:
                overflow[c] = 1
                break
            lens[s] = pos - start
        used[c] = pos - base


@njit(parallel=True, cache=True)
def rr_compact(flat, cap, used, offsets, n_sets, n_chunks, out):
    """Copy each chunk's sets to ``out`` at their offsets (sets stay in id order)."""
    for c in prange(n_chunks):
        lo = c * n_sets // n_chunks
        dst = offsets[lo]
        src = c * cap
        for j in range(used[c]):
            out[dst + j] = flat[src + j]


@njit(cache=True)
def _sift_down(heap, size, i):
    while True:
        left = 2 * i + 1
        if left >= size:
            return
        big = left
        if left + 1 < size and heap[left + 1] > heap[left]:
            big = left + 1
        if heap[big] <= heap[i]:
            return
        heap[i], heap[big] = heap[big], heap[i]
        i = big


@njit(cache=True)
def max_coverage(flat, offsets, n, k):
    """Greedy maximum coverage: k people, each covering the most RR sets not yet covered.

    Lazy evaluation (Minoux 1978) on a max-heap of ``count * n + (n - 1 - v)``: counts only
    fall, so a popped entry whose count is current is the best, ties to the lower id. Returns
    the people in choice order and the number of sets they cover.
    """
    n_sets = len(offsets) - 1
    inv_ptr = np.zeros(n + 1, np.int64)
    for j in range(len(flat)):
        inv_ptr[flat[j] + 1] += 1
    for v in range(n):
        inv_ptr[v + 1] += inv_ptr[v]
    fill = inv_ptr[:-1].copy()
    inv = np.empty(len(flat), np.int64)
    for s in range(n_sets):
        for j in range(offsets[s], offsets[s + 1]):
            v = flat[j]
            inv[fill[v]] = s
            fill[v] += 1
    count = np.diff(inv_ptr)
    heap = np.empty(n, np.int64)
    for v in range(n):
        heap[v] = count[v] * n + (n - 1 - v)
    heap = np.sort(heap)[::-1].copy()  # sorted descending is already a max-heap
    size = n
    done = np.zeros(n_sets, np.bool_)
    chosen = np.empty(k, np.int64)
    covered = 0
    for i in range(k):
        while True:
            top = heap[0]
            v = n - 1 - top % n
            if top // n == count[v]:
                break
            heap[0] = count[v] * n + (n - 1 - v)
            _sift_down(heap, size, 0)
        chosen[i] = v
        heap[0] = heap[size - 1]
        size -= 1
        _sift_down(heap, size, 0)
        covered += count[v]
        for j in range(inv_ptr[v], inv_ptr[v + 1]):
            s = inv[j]
            if not done[s]:
                done[s] = True
                for q in range(offsets[s], offsets[s + 1]):
                    count[flat[q]] -= 1
    return chosen, covered
