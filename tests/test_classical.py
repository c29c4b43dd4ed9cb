"""The classical diffusion models, run by the ordinary kernels, against theory.

Tolerances are stated per test; seeds are fixed, so each test is a fixed
computation that fails if a kernel drifts from the classical rule.
"""

import dataclasses

import numpy as np
import pytest
from scipy import stats

import growthsim as gs
from growthsim import presets
from growthsim.graphs import barabasi_albert, erdos_renyi, read_edgelist, ring


def cascade_sizes(graph, p, seeds, runs, weighted=False):
    sc = presets.independent_cascade(graph, p, seeds, weighted=weighted)
    return np.array([gs.GrowthModel(sc, seed=s).run()["members"].iloc[-1] for s in range(runs)])


def independent_ic(graph, p, seeds, runs, seed=12345):
    """Textbook independent cascade with NumPy's generator (a separate implementation)."""
    gen = np.random.default_rng(seed)
    indptr, indices = graph.indptr, graph.indices
    mult = graph.multiplicity
    sizes = []
    for _ in range(runs):
        active = np.zeros(graph.n, dtype=bool)
        active[list(seeds)] = True
        frontier = list(seeds)
        while frontier:
            new = []
            for u in frontier:
                lo, hi = indptr[u], indptr[u + 1]
                nbrs = indices[lo:hi]
                c = mult[lo:hi] if mult is not None else 1
                pe = 1.0 - (1.0 - p) ** c
                hit = nbrs[gen.random(hi - lo) < pe]
                for v in hit:
                    if not active[v]:
                        active[v] = True
                        new.append(v)
            frontier = new
        sizes.append(active.sum())
    return np.array(sizes)


def assert_same_distribution(a, b, label):
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    assert abs(a.mean() - b.mean()) <= 4 * se + 1e-9, (label, a.mean(), b.mean(), se)
    ks = stats.ks_2samp(a, b)
    assert ks.pvalue > 1e-3, (label, ks)


def test_ic_deterministic_cases():
    g = ring(40, 2)
    assert cascade_sizes(g, 1.0, [0], 1)[0] == 40
    assert cascade_sizes(g, 0.0, [0, 5], 1)[0] == 2


@pytest.mark.slow
def test_ic_matches_independent_implementation_ba():
    g = barabasi_albert(2_000, 3, seed=4)
    seeds = [0, 10, 100, 1000, 1999]
    ours = cascade_sizes(g, 0.1, seeds, 200)
    ref = independent_ic(g, 0.1, seeds, 200)
    assert_same_distribution(ours, ref, "BA p=0.1")


@pytest.mark.slow
def test_ic_matches_independent_implementation_facebook(shared_graphs):
    g = read_edgelist(shared_graphs / "facebook_combined.txt.gz")
    seeds = [0, 107, 1684]
    ours = cascade_sizes(g, 0.01, seeds, 200)
    ref = independent_ic(g, 0.01, seeds, 200)
    assert_same_distribution(ours, ref, "facebook p=0.01")


@pytest.mark.slow
def test_ic_parallel_edges_combine(shared_graphs):
    """NetHEPT as a multigraph: c parallel edges transmit with 1 - (1 - p)^c."""
    g = read_edgelist(shared_graphs / "NetHEPT_multigraph_wc.txt.gz")
    assert g.multiplicity is not None and g.multiplicity.max() > 1
    seeds = list(np.argsort(-g.degree(), kind="stable")[:20])
    ours = cascade_sizes(g, 0.05, seeds, 200)
    ref = independent_ic(g, 0.05, seeds, 200)
    assert_same_distribution(ours, ref, "NetHEPT multigraph p=0.05")
    # Ignoring multiplicity would give visibly smaller cascades: the test can fail.
    single = independent_ic(dataclasses.replace(g, multiplicity=None), 0.05, seeds, 200)
    assert single.mean() < ours.mean() - 4 * single.std() / np.sqrt(200)


@pytest.mark.slow
def test_bass_curve():
    """Mean adoption share within 0.01 of F(t) at each year (n = 20,000, 2 runs)."""
    p, q, n = 0.03, 0.38, 20_000
    sc = presets.bass(n, p, q, 365 * 6)
    curves = [gs.GrowthModel(sc, seed=s).run()["members"].to_numpy() / n for s in (1, 2)]
    mean = np.mean(curves, axis=0)
    for year in range(1, 7):
        want = presets.bass_adoption(year, p, q)
        assert abs(mean[365 * year - 1] - want) < 0.01, (year, mean[365 * year - 1], want)


def test_bass_innovation_only():
    """q = 0: pure innovation, F(t) = 1 - exp(-p t); checked at 2 years within 0.01."""
    sc = presets.bass(20_000, 0.2, 0.0, 730)
    share = gs.GrowthModel(sc, seed=3).run()["members"].iloc[-1] / 20_000
    assert abs(share - (1 - np.exp(-0.4))) < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("c,T", [(4.0, 0.5), (3.0, 0.6), (8.0, 0.25)])
def test_erdos_renyi_final_size(c, T):
    """Large outbreaks reach S n within 0.015 (n = 20,000, 20 outbreaks)."""
    n = 20_000
    want = presets.final_size(c, T)
    big = []
    for s in range(40):
        sc = presets.erdos_renyi_cascade(n, c, T, seed=s)
        share = gs.GrowthModel(sc, seed=s).run()["members"].iloc[-1] / n
        if share > 0.05:
            big.append(share)
        if len(big) == 20:
            break
    assert len(big) >= 10
    assert abs(np.mean(big) - want) < 0.015, (np.mean(big), want)


def test_erdos_renyi_subcritical():
    """Below c T = 1 there is no large outbreak: every cascade stays under 1% of n."""
    n = 20_000
    for s in range(10):
        sc = presets.erdos_renyi_cascade(n, 2.0, 0.4, seed=s)
        assert gs.GrowthModel(sc, seed=s).run()["members"].iloc[-1] < 0.01 * n
    assert presets.final_size(2.0, 0.4) == 0.0


def test_cascade_is_same_for_any_thread_count_key():
    """The cascade is a pure function of the seed: two runs agree exactly."""
    g = erdos_renyi(2_000, 5.0, seed=1)
    sc = presets.independent_cascade(g, 0.3, [1, 2, 3])
    a = gs.GrowthModel(sc, seed=9).run()
    b = gs.GrowthModel(sc, seed=9).run()
    assert a.equals(b)
    c = gs.GrowthModel(sc, seed=10).run()
    assert not a["members"].equals(c["members"])
