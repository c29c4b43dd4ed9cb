"""numba kernels for seeding: edge probabilities, the transpose, PageRank, cores, circles.

Only numpy and numba are imported here; the public wrappers in :mod:`growthsim.seeding`
validate input and choose the kernels.
"""

import numpy as np
from numba import njit, prange


# -- the cascade's edge probabilities and the reverse graph -------------------------------------
@njit(cache=True)
def edge_probs(indptr, indices, mult, p, weighted_cascade):
    """Per stored edge, the chance a share crosses it in an independent cascade.

    ``mult`` is the multiplicity array or empty (every edge simple). Under the weighted cascade
    each of the ``in_deg(v)`` edges into ``v`` (parallel edges counted) carries ``1/in_deg(v)``;
    ``m`` parallel edges combine as ``1 - (1 - q)^m``.
    """
    n = len(indptr) - 1
    m = len(indices)
    has_mult = len(mult) == m and m > 0
    q = np.full(n, p)
    if weighted_cascade:
        indeg = np.zeros(n, np.float64)
        for e in range(m):
            indeg[indices[e]] += mult[e] if has_mult else 1
        for v in range(n):
            q[v] = 1.0 / indeg[v] if indeg[v] > 0 else 0.0
    out = np.empty(m, np.float64)
    for e in range(m):
        qe = q[indices[e]]
        c = mult[e] if has_mult else 1
        # c == 1 kept exact: 1 - (1 - q) differs from q in the last bits
        out[e] = qe if c == 1 else 1.0 - (1.0 - qe) ** c
    return out


@njit(cache=True)
def row_constant(indptr, prob):
    """Per row, the probability all its edges share, or -1 if they differ.

    Uniform p gives constant rows (forward and reverse) and the weighted cascade constant
    reverse rows; there the cascade kernels draw geometric gaps between live edges instead of
    one coin per edge (:func:`skip`).
    """
    n = len(indptr) - 1
    out = np.empty(n, np.float64)
    for u in range(n):
        lo, hi = indptr[u], indptr[u + 1]
        q = prob[lo] if hi > lo else 0.0
        for e in range(lo + 1, hi):
            if prob[e] != q:
                q = -1.0
                break
        out[u] = q
    return out


@njit(inline="always", cache=True)
def skip(u, log1mq):
    """Failed Bernoulli(q) trials before the next success, from one uniform ``u`` in [0, 1)
    and ``log1mq = log(1 - q)`` (inversion of the geometric law; 0 when q = 1)."""
    return np.floor(np.log1p(-u) / log1mq)


@njit(cache=True)
def transpose(indptr, indices, values):
    """The reverse CSR: row ``v`` lists the ``u`` with ``u -> v`` (sorted), with their values."""
    n = len(indptr) - 1
    m = len(indices)
    t_indptr = np.zeros(n + 1, np.int64)
    for e in range(m):
        t_indptr[indices[e] + 1] += 1
    for v in range(n):
        t_indptr[v + 1] += t_indptr[v]
    pos = t_indptr[:-1].copy()
    t_indices = np.empty(m, np.int32)
    t_values = np.empty(m, values.dtype)
    for u in range(n):
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            j = pos[v]
            t_indices[j] = u
            t_values[j] = values[e]
            pos[v] = j + 1
    return t_indptr, t_indices, t_values


# -- PageRank ------------------------------------------------------------------------------------
@njit(inline="always", cache=True)
def _pulled(indptr, indices, weight, out_w, pr, y):
    """Rank flowing into y in one sweep (its terms summed in row order)."""
    s = 0.0
    for e in range(indptr[y], indptr[y + 1]):
        x = indices[e]
        s += pr[x] * weight[e] / out_w[x]
    return s


@njit(cache=True)
def _pull(indptr, indices, weight, out_w, pr, base, alpha, new):
    for y in range(len(indptr) - 1):
        new[y] = base + alpha * _pulled(indptr, indices, weight, out_w, pr, y)


@njit(parallel=True, cache=True)
def _pull_parallel(indptr, indices, weight, out_w, pr, base, alpha, new):
    # As _pull; each row sums its own terms in a fixed order, so the result is thread-count
    # independent. Only worth a parallel launch per sweep on large graphs.
    for y in prange(len(indptr) - 1):
        new[y] = base + alpha * _pulled(indptr, indices, weight, out_w, pr, y)


@njit(cache=True)
def pagerank(indptr, indices, weight, alpha, tol, max_iter, parallel):
    """PageRank of the walk that goes from ``x`` to ``y`` wherever row ``y`` holds ``x``.

    On an undirected graph that is the ordinary walk; on a directed graph it walks against the
    share direction (from a receiver to who reaches them), so rank gathers at the people whose
    shares reach well-ranked people. A step leaves ``x`` along one of its walk edges with
    probability proportional to the tie strength; dangling people jump uniformly. Stops when the
    L1 change is below ``n * tol`` (networkx's rule) or after ``max_iter`` sweeps.
    """
    n = len(indptr) - 1
    out_w = np.zeros(n, np.float64)
    for e in range(len(indices)):
        out_w[indices[e]] += weight[e]
    pr = np.full(n, 1.0 / n)
    new = np.empty(n, np.float64)
    for _ in range(max_iter):
        dangling = 0.0
        for x in range(n):
            if out_w[x] == 0.0:
                dangling += pr[x]
        base = (1.0 - alpha + alpha * dangling) / n
        if parallel:
            _pull_parallel(indptr, indices, weight, out_w, pr, base, alpha, new)
        else:
            _pull(indptr, indices, weight, out_w, pr, base, alpha, new)
        err = 0.0
        for x in range(n):  # serial sums keep the stopping sweep thread-count independent
            err += abs(new[x] - pr[x])
        pr, new = new, pr
        if err < n * tol:
            break
    return pr


# -- k-core (Batagelj & Zaversnik 2003) ----------------------------------------------------------
@njit(cache=True)
def core_numbers(indptr, indices, t_indptr, t_indices, directed):
    """Core number of every person by bucket peeling in O(n + m).

    Undirected graphs use each row once; directed graphs count in- plus out-neighbours (a
    reciprocal pair twice), the convention of ``networkx.core_number``.
    """
    n = len(indptr) - 1
    deg = np.diff(indptr).astype(np.int64)
    if directed:
        deg += np.diff(t_indptr)
    md = 0
    for v in range(n):
        md = max(md, deg[v])
    bins = np.zeros(md + 1, np.int64)
    for v in range(n):
        bins[deg[v]] += 1
    start = 0
    for d in range(md + 1):
        c = bins[d]
        bins[d] = start
        start += c
    pos = np.empty(n, np.int64)
    vert = np.empty(n, np.int64)
    for v in range(n):
        pos[v] = bins[deg[v]]
        vert[pos[v]] = v
        bins[deg[v]] += 1
    for d in range(md, 0, -1):
        bins[d] = bins[d - 1]
    bins[0] = 0
    for i in range(n):
        v = vert[i]
        for side in range(2 if directed else 1):
            ptr, idx = (indptr, indices) if side == 0 else (t_indptr, t_indices)
            for e in range(ptr[v], ptr[v + 1]):
                u = idx[e]
                if deg[u] > deg[v]:
                    du = deg[u]
                    pu = pos[u]
                    pw = bins[du]
                    w = vert[pw]
                    if u != w:
                        pos[u] = pw
                        vert[pu] = w
                        pos[w] = pu
                        vert[pw] = u
                    bins[du] += 1
                    deg[u] -= 1
    return deg


# -- circles when the graph has none: label propagation (Raghavan, Albert & Kumara 2007) ---------
@njit(cache=True)
def label_propagation(indptr, indices, t_indptr, t_indices, directed, order, max_sweeps):
    """Asynchronous label propagation over the undirected view, people visited in ``order``.

    A person takes the label most frequent among its neighbours, keeping its own label when
    that is among the most frequent and otherwise taking the smallest; sweeps stop when nothing
    changes or after ``max_sweeps``. Returns labels renumbered 0, 1, ... by first appearance.
    """
    n = len(indptr) - 1
    labels = np.arange(n)
    count = np.zeros(n, np.int64)
    touched = np.empty(n, np.int64)
    for _ in range(max_sweeps):
        changed = 0
        for v in order:
            nt = 0
            for side in range(2 if directed else 1):
                ptr, idx = (indptr, indices) if side == 0 else (t_indptr, t_indices)
                for e in range(ptr[v], ptr[v + 1]):
                    lab = labels[idx[e]]
                    if count[lab] == 0:
                        touched[nt] = lab
                        nt += 1
                    count[lab] += 1
            if nt == 0:
                continue
            c_max = 0
            for j in range(nt):
                c_max = max(c_max, count[touched[j]])
            best = labels[v]
            if count[best] < c_max:
                best = n
                for j in range(nt):
                    if count[touched[j]] == c_max and touched[j] < best:
                        best = touched[j]
            for j in range(nt):
                count[touched[j]] = 0
            if best != labels[v]:
                labels[v] = best
                changed += 1
        if changed == 0:
            break
    remap = np.full(n, -1, np.int64)
    nxt = 0
    out = np.empty(n, np.int32)
    for v in range(n):
        lab = labels[v]
        if remap[lab] < 0:
            remap[lab] = nxt
            nxt += 1
        out[v] = remap[lab]
    return out


# -- DegreeDiscountIC (Chen, Wang & Yang 2009) ---------------------------------------------------
@njit(cache=True)
def degree_discount(indptr, indices, k, p):
    """k people by discounted degree; ties to the lower id.

    ``dd_v = d_v - 2 t_v - (d_v - t_v) t_v p`` where ``t_v`` counts the chosen people whose row
    holds ``v`` (for undirected graphs: v's chosen neighbours).
    """
    n = len(indptr) - 1
    d = np.diff(indptr).astype(np.float64)
    dd = d.copy()
    t = np.zeros(n, np.float64)
    chosen = np.zeros(n, np.bool_)
    out = np.empty(k, np.int64)
    for i in range(k):
        best = -1
        best_dd = -np.inf
        for v in range(n):
            if not chosen[v] and dd[v] > best_dd:
                best, best_dd = v, dd[v]
        out[i] = best
        chosen[best] = True
        for e in range(indptr[best], indptr[best + 1]):
            v = indices[e]
            if not chosen[v]:
                t[v] += 1.0
                dd[v] = d[v] - 2.0 * t[v] - (d[v] - t[v]) * t[v] * p
    return out
