"""The seeding strategies: Python drivers around the numba kernels (input already validated)."""

import heapq
import math

import numba
import numpy as np

from . import _cascade, _kernels, _rr

_EMPTY_I32 = np.zeros(0, np.int32)
# Below these sizes a serial kernel beats a parallel launch (a few µs idle, milliseconds when
# other processes keep the cores busy).
_PARALLEL_EDGES = 1 << 20  # edges per PageRank sweep
_PARALLEL_WORK = 2e6       # people visited plus edges scanned by one CELF call (estimate)
_MAX_RR_BYTES = 6e9        # IMM refuses to store more RR sets than this (the machine's RAM)


def _chunks(units):
    """Work chunks for a parallel kernel: results never depend on this, only speed does."""
    return max(1, min(int(units), 4 * numba.get_num_threads()))


def edge_probs(graph, p):
    """Per stored edge, the independent-cascade probability (p=None: weighted cascade)."""
    mult = graph.multiplicity if graph.multiplicity is not None else _EMPTY_I32
    return _kernels.edge_probs(graph.indptr, graph.indices, mult,
                               0.0 if p is None else float(p), p is None)


def _transpose(graph, values=None):
    vals = np.zeros(len(graph.indices), np.float64) if values is None else values
    return _kernels.transpose(graph.indptr, graph.indices, vals)


# -- centralities ----------------------------------------------------------------------------------
def pagerank(graph, alpha=0.85, tol=1e-10, max_iter=1000):
    """PageRank scores (see :func:`growthsim.seeding.pagerank`)."""
    return _kernels.pagerank(graph.indptr, graph.indices, graph.weight.astype(np.float64),
                             float(alpha), float(tol), int(max_iter),
                             len(graph.indices) >= _PARALLEL_EDGES)


def core_number(graph):
    """Core numbers (see :func:`growthsim.seeding.core_number`)."""
    t_indptr, t_indices, _ = (_transpose(graph) if graph.directed
                              else (graph.indptr, graph.indices, None))
    return _kernels.core_numbers(graph.indptr, graph.indices, t_indptr, t_indices,
                                 graph.directed)


def by_pagerank(graph, k):
    return np.argsort(-pagerank(graph), kind="stable")[:k]


def by_kcore(graph, k):
    core = core_number(graph)
    return np.lexsort((np.arange(graph.n), -graph.degree(), -core))[:k]


def by_degree_discount(graph, k, p):
    if p is None:
        prob = edge_probs(graph, None)
        p = float(prob.mean()) if len(prob) else 0.0
    return _kernels.degree_discount(graph.indptr, graph.indices, int(k), float(p))


# -- community spread ------------------------------------------------------------------------------
def circles_of(graph, seed):
    """Interest circles, or label-propagation communities when the graph has none."""
    if graph.group is not None and (graph.group >= 0).any():
        return graph.group
    t_indptr, t_indices, _ = (_transpose(graph) if graph.directed
                              else (graph.indptr, graph.indices, None))
    order = np.random.default_rng(seed).permutation(graph.n)
    return _kernels.label_propagation(graph.indptr, graph.indices, t_indptr, t_indices,
                                      graph.directed, order, 50)


def allocate(sizes, k):
    """Split k over circles in proportion to size, by largest remainder (ties: larger circle,
    then earlier circle). Never gives a circle more than its size when k <= sum(sizes)."""
    sizes = np.asarray(sizes, np.int64)
    total = int(sizes.sum())
    quota = k * sizes // total
    rem = k * sizes - quota * total
    left = k - int(quota.sum())
    order = np.lexsort((np.arange(len(sizes)), -sizes, -rem))
    quota[order[:left]] += 1
    return quota


def by_community(graph, k, seed):
    labels = np.asarray(circles_of(graph, seed), np.int64)
    deg = graph.degree()
    ids = np.flatnonzero(labels >= 0)
    _, inverse, sizes = np.unique(labels[ids], return_inverse=True, return_counts=True)
    kk = min(k, len(ids))
    quota = allocate(sizes, kk)
    # rank of each grouped person inside its circle, by degree then id
    order = np.lexsort((ids, -deg[ids], inverse))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(len(ids), np.int64)
    rank[order] = np.arange(len(ids)) - starts[inverse[order]]
    pick = rank < quota[inverse]
    chosen, chosen_rank = ids[pick], rank[pick]
    out = chosen[np.lexsort((chosen, -deg[chosen], chosen_rank))]
    if k > kk:  # more KOCs than people in circles: the rest by degree
        rest = np.flatnonzero(labels < 0)
        out = np.concatenate((out, rest[np.argsort(-deg[rest], kind="stable")][:k - kk]))
    return out.astype(np.int64)


# -- Monte-Carlo spread and CELF -------------------------------------------------------------------
def sizes(graph, seeds, p, n_sims, seed):
    """Cascade size in each of n_sims live-edge worlds."""
    prob = edge_probs(graph, p)
    row_q = _kernels.row_constant(graph.indptr, prob)
    return _cascade.mc_sizes(graph.indptr, graph.indices, prob, row_q,
                             np.asarray(seeds, np.int64), int(n_sims), int(seed),
                             _chunks(n_sims))


def celf(graph, k, p, n_sims, seed):
    """Lazy greedy (Leskovec et al. 2007) on the mean spread over n_sims live-edge worlds.

    Returns the people in choice order and their estimated spread. The worlds are those of
    :func:`sizes` with the same seed, so the estimate equals ``sizes(...).mean()`` exactly.
    """
    prob = edge_probs(graph, p)
    ip, ix, n = graph.indptr, graph.indices, graph.n
    rq = _kernels.row_constant(ip, prob)
    totals = _cascade.single_totals(ip, ix, prob, rq, int(n_sims), int(seed), _chunks(n))
    # an evaluation visits at most v's own cascades: totals[v] people, each scanning its row
    work = totals * (1.0 + graph.mean_degree) + n_sims
    covered = np.zeros((n_sims, (n + 7) // 8), np.uint8)
    chunks = _chunks(n_sims)
    heap = [(-int(t), v, 0) for v, t in enumerate(totals)]
    heapq.heapify(heap)
    chosen, total = [], 0
    for i in range(k):
        batch = numba.get_num_threads()
        while heap[0][2] != i:
            # Re-evaluate the stale top entries, a growing batch per call (a parallel launch
            # can cost milliseconds on a busy machine). Refreshing extra entries only tightens
            # upper bounds, so the pick is the same whatever the batch size.
            stale = []
            while heap and heap[0][2] != i and len(stale) < batch:
                stale.append(heapq.heappop(heap)[1])
            cands = np.asarray(stale, np.int64)
            fn = (_cascade.marginal_totals if work[cands].sum() > _PARALLEL_WORK
                  else _cascade.marginal_totals_serial)
            for v, g in zip(stale, fn(ip, ix, prob, rq, covered, cands, int(seed))):
                heapq.heappush(heap, (-int(g), v, i))
            batch = min(2 * batch, 256)
        _, v, _ = heapq.heappop(heap)
        if work[v] > _PARALLEL_WORK:
            total += _cascade.commit(ip, ix, prob, rq, covered, v, int(seed), chunks)
        else:
            total += _cascade.commit_serial(ip, ix, prob, rq, covered, v, int(seed))
        chosen.append(v)
    return np.asarray(chosen, np.int64), total / n_sims


# -- IMM -------------------------------------------------------------------------------------------
def reverse_graph(graph, p):
    """The reverse CSR with its edge probabilities and per-row common probability."""
    t_indptr, t_indices, t_prob = _transpose(graph, edge_probs(graph, p))
    return t_indptr, t_indices, t_prob, _kernels.row_constant(t_indptr, t_prob)


class RRSets:
    """A growing collection of RR sets stored as CSR (``flat`` ids, ``offsets``)."""

    def __init__(self, graph, p, seed, first_id=0, reverse=None):
        if reverse is None:
            reverse = reverse_graph(graph, p)
        self.reverse = reverse
        self.t_indptr, self.t_indices, self.t_prob, self.t_q = reverse
        self.n, self.seed, self.next_id = graph.n, int(seed), int(first_id)
        self._flats, self._lens = [], []
        self.count, self.entries = 0, 0

    def extend_to(self, target):
        """Generate sets until there are ``target`` of them."""
        need = int(target) - self.count
        if need <= 0:
            return
        chunks = _chunks(need)
        per_chunk = -(-need // chunks)
        mean = self.entries / self.count if self.count else 4.0
        cap = int(per_chunk * mean * 1.25) + 64
        while True:
            flat = np.empty(chunks * cap, np.int32)
            lens = np.zeros(need, np.int64)
            used = np.zeros(chunks, np.int64)
            overflow = np.zeros(chunks, np.int8)
            _rr.rr_fill(self.t_indptr, self.t_indices, self.t_prob, self.t_q, self.seed,
                        self.next_id, need, chunks, cap, flat, lens, used, overflow)
            if not overflow.any():
                break
            cap *= 2  # rare: a chunk drew unusually large sets
        offsets = np.concatenate(([0], np.cumsum(lens)))
        out = np.empty(int(offsets[-1]), np.int32)
        _rr.rr_compact(flat, cap, used, offsets, need, chunks, out)
        self._flats.append(out)
        self._lens.append(lens)
        self.count += need
        self.entries += len(out)
        self.next_id += need

    def arrays(self):
        """``(flat, offsets)`` of every set so far."""
        if len(self._flats) > 1:
            self._flats = [np.concatenate(self._flats)]
            self._lens = [np.concatenate(self._lens)]
        lens = self._lens[0] if self._lens else np.zeros(0, np.int64)
        flat = self._flats[0] if self._flats else np.zeros(0, np.int32)
        return flat, np.concatenate(([0], np.cumsum(lens)))

    def max_coverage(self, k):
        """Greedy k people and the fraction of the sets they cover."""
        flat, offsets = self.arrays()
        assert self.count * self.n < 2**62, "heap keys count * n would overflow int64"
        chosen, covered = _rr.max_coverage(flat, offsets, self.n, int(k))
        return chosen, covered / max(self.count, 1)


def _log_binom(n, k):
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def imm_theta(n, k, epsilon, ell):
    """IMM's constants: (ell adjusted, epsilon', lambda', lambda*) of Tang, Shi & Xiao (2015)."""
    ell = ell * (1 + math.log(2) / math.log(n))
    eps_p = math.sqrt(2) * epsilon
    lnk = _log_binom(n, k)
    lam_p = ((2 + 2 / 3 * eps_p) * (lnk + ell * math.log(n) + math.log(math.log2(n)))
             * n / eps_p ** 2)
    e1 = 1 - 1 / math.e
    alpha = math.sqrt(ell * math.log(n) + math.log(2))
    beta = math.sqrt(e1 * (lnk + ell * math.log(n) + math.log(2)))
    lam_star = 2 * n * (e1 * alpha + beta) ** 2 / epsilon ** 2
    return ell, eps_p, lam_p, lam_star


def imm(graph, k, p, seed, epsilon, ell):
    """IMM (Tang, Shi & Xiao 2015): people in choice order, estimated spread, RR sets used.

    Sampling doubles the guess x = n/2, n/4, ... until the greedy cover of lambda'/x sets shows
    OPT >= x, giving the lower bound LB; node selection then runs greedy maximum coverage on
    theta = lambda*/LB sets. As Chen (2018) points out, reusing the search phase's sets there
    breaks the martingale argument, so the final sets are fresh (ids after the search's).
    """
    n = graph.n
    if n == 1:
        return np.zeros(1, np.int64), 1.0, 0
    _, eps_p, lam_p, lam_star = imm_theta(n, k, epsilon, ell)
    search = RRSets(graph, p, seed)
    lb = 1.0
    for i in range(1, max(1, math.ceil(math.log2(n)))):
        x = n / 2 ** i
        search.extend_to(math.ceil(lam_p / x))
        _, frac = search.max_coverage(k)
        if n * frac >= (1 + eps_p) * x:
            lb = n * frac / (1 + eps_p)
            break
    theta = math.ceil(lam_star / lb)
    need = theta * (12 + 4 * search.entries / max(search.count, 1))
    if need > _MAX_RR_BYTES:
        raise MemoryError(f"IMM would need {theta:,} RR sets (~{need / 1e9:.1f} GB) for "
                          f"n={n:,}, k={k}, epsilon={epsilon:g}: the optimum looks small "
                          f"against n; raise epsilon or use degree_discount")
    final = RRSets(graph, p, seed, first_id=search.next_id, reverse=search.reverse)
    del search
    final.extend_to(theta)
    chosen, frac = final.max_coverage(k)
    return chosen, n * frac, final.count
