"""growthsim.graphs: the shared graph files, generators, readers/writers and the CSR builder.

The real graphs come from ../shared/data/graphs (the `shared_graphs` fixture in conftest.py);
their expected counts are those verified in its PROVENANCE.md.
"""

import ast
import gzip
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import growthsim.graphs as G
from growthsim.graphs import GraphFormatError, SocialGraph

ARRAYS = ("indptr", "indices", "weight", "multiplicity", "follow_indptr", "follow_indices",
          "group", "segment", "node_ids")


def assert_same_graph(a, b):
    assert (a.n, a.directed, a.complete) == (b.n, b.directed, b.complete)
    for k in ARRAYS:
        x, y = getattr(a, k), getattr(b, k)
        assert (x is None) == (y is None), k
        if x is not None:
            assert x.dtype == y.dtype and np.array_equal(x, y), k


def edge_lines(g):
    """Non-loop edge lines the graph stands for: parallel edges counted, undirected ties once."""
    if g.multiplicity is None:
        return g.n_edges
    total = int(g.multiplicity.sum())
    return total if g.directed else total // 2


# -- the shared data files (counts from PROVENANCE.md) --------------------------------------
# (file, directed, people, distinct edges, edge lines). Self-loops are dropped, so counts that
# PROVENANCE gives "including self-loops" appear here minus the loops.
FILES = [
    ("facebook_combined.txt.gz", False, 4_039, 88_234, 88_234),
    # 14,496 undirected edges incl. 12 self-loops, each non-loop edge listed both ways
    ("CA-GrQc.txt", False, 5_242, 14_496 - 12, 14_496 - 12),
    # 25,571 directed edges incl. 642 self-loops
    ("email-Eu-core.txt", True, 1_005, 25_571 - 642, 25_571 - 642),
    # as undirected: 16,064 edges without loops; reciprocated pairs become double edges
    ("email-Eu-core.txt", False, 1_005, 16_064, 25_571 - 642),
    ("lastfm_asia_edges.csv", False, 7_624, 27_806, 27_806),
    ("soc-Epinions1.txt.gz", True, 75_879, 508_837, 508_837),
    ("soc-Epinions1.txt.gz", False, 75_879, 405_740, 508_837),
    # multigraph: 58,891 lines incl. 39 self-loop lines; 31,398 distinct undirected pairs incl.
    # 22 self-loops; 32,235 distinct ordered pairs incl. 22 self-loops
    ("NetHEPT_multigraph_wc.txt.gz", False, 15_233, 31_398 - 22, 58_891 - 39),
    ("NetHEPT_multigraph_wc.txt.gz", True, 15_233, 32_235 - 22, 58_891 - 39),
    # the 32,235 distinct ordered pairs of the multigraph (22 of them self-loops)
    ("NetHEPT_dedup_wc.txt.gz", True, 15_233, 32_235 - 22, 32_235 - 22),
]


@pytest.mark.parametrize("file, directed, n, edges, lines", FILES)
def test_shared_file_matches_provenance(shared_graphs, file, directed, n, edges, lines):
    g = G.read_edgelist(shared_graphs / file, directed=directed).validate()
    assert (g.n, g.n_edges, edge_lines(g), g.directed) == (n, edges, lines, directed)
    assert g.name == file.split(".")[0]


def test_every_shared_edge_file_is_covered(shared_graphs):
    labels = {"email-Eu-core-department-labels.txt", "lastfm_asia_target.csv"}
    files = {p.name for p in shared_graphs.iterdir() if p.name != "PROVENANCE.md"} - labels
    assert files == {f[0] for f in FILES}


def test_facebook_repr_and_degrees(shared_graphs):
    g = G.read_edgelist(shared_graphs / "facebook_combined.txt.gz", name="ego-Facebook")
    assert repr(g) == ("SocialGraph('ego-Facebook', n=4,039, edges=88,234, undirected, "
                       "mean degree 43.7)")
    assert g.node_ids is None and not g.has_multiedges
    assert int(g.degree().max()) == 1045 and int(g.degree().argmax()) == 107


def test_ca_grqc_is_detected_as_a_symmetric_listing(shared_graphs):
    g = G.read_edgelist(shared_graphs / "CA-GrQc.txt")
    assert g.multiplicity is None  # each edge listed both ways is one edge, not two
    assert g.node_ids[0] == 13 and g.node_ids[-1] == 26196  # ids relabelled in sorted order


def test_nethept_weights_are_weighted_cascade(shared_graphs):
    """Third column = 1/indeg(v): checks weights stay aligned with their edges."""
    g = G.read_edgelist(shared_graphs / "NetHEPT_multigraph_wc.txt.gz", directed=True)
    indeg = np.bincount(g.indices, weights=g.multiplicity, minlength=g.n)
    # nodes with self-loop lines have one more in-edge in the file than in the graph
    assert np.isclose(g.weight, 1 / indeg[g.indices], atol=1e-6).mean() > 0.995
    assert g.multiplicity.max() > 1 and 0 < g.weight.min() and g.weight.max() <= 1


@pytest.mark.parametrize("edges, labels, directed, classes", [
    ("email-Eu-core.txt", "email-Eu-core-department-labels.txt", True, 42),
    ("lastfm_asia_edges.csv", "lastfm_asia_target.csv", False, 18),
])
def test_shared_label_files(shared_graphs, edges, labels, directed, classes):
    g = G.read_edgelist(shared_graphs / edges, directed=directed)
    lab = G.read_node_labels(shared_graphs / labels, g)
    assert lab.dtype == np.int32 and len(lab) == g.n
    assert lab.min() >= 0 and len(np.unique(lab)) == classes
    assert g.with_labels(group=lab).validate().group is not None


# -- generators -----------------------------------------------------------------------------
GENERATORS = {
    "barabasi_albert": lambda seed: G.barabasi_albert(2000, 3, seed=seed),
    "watts_strogatz": lambda seed: G.watts_strogatz(2000, 6, 0.2, seed=seed),
    "erdos_renyi": lambda seed: G.erdos_renyi(2000, 8.0, seed=seed),
    "circles": lambda seed: G.circles(2000, 20, 8.0, mixing=0.2, seed=seed),
    "circles_heavy": lambda seed: G.circles(2000, 20, 6.0, group_size_exponent=2.5, seed=seed),
    "configuration_model": lambda seed: G.configuration_model(2000, 2.5, 6, seed=seed),
}


@pytest.mark.parametrize("kind", GENERATORS)
def test_generator_invariants_and_seeds(kind):
    make = GENERATORS[kind]
    g = make(1).validate()  # sorted rows, symmetric, no self-loops or duplicates
    assert not g.directed and not g.has_multiedges
    assert int(g.degree().sum()) == 2 * g.n_edges == len(g.indices)
    assert np.all(g.weight == 1)
    assert_same_graph(g, make(1))
    other = make(2)
    assert len(other.indices) != len(g.indices) or not np.array_equal(other.indices, g.indices)
    rng = np.random.default_rng(7)  # a Generator is accepted as seed, and advanced
    assert not np.array_equal(make(rng).indices, make(rng).indices)


def test_barabasi_albert_heavy_tail():
    n, m = 20_000, 3
    g = G.barabasi_albert(n, m, seed=3)
    deg = g.degree()
    assert g.n_edges == m * (n - m) and deg.min() == m
    # P(K >= k) = m(m+1)/(k(k+1)) for BA: 2% at k = 8m, where Poisson(2m) has ~1e-7
    assert 0.012 < np.mean(deg >= 8 * m) < 0.03
    k = np.array([2 * m, 4 * m, 8 * m, 16 * m])
    ccdf = np.array([np.mean(deg >= x) for x in k])
    slope = np.polyfit(np.log(k), np.log(ccdf), 1)[0]
    assert -2.4 < slope < -1.6
    assert deg.max() > 40 * m


def test_erdos_renyi_mean_degree_and_poisson_degrees():
    n, c = 20_000, 8.0
    g = G.erdos_renyi(n, c, seed=5)
    p = c / (n - 1)
    pairs = n * (n - 1) / 2
    assert abs(g.n_edges - pairs * p) < 5 * np.sqrt(pairs * p * (1 - p))
    assert abs(g.mean_degree - c) < 0.15
    assert abs(g.degree().var() / c - 1) < 0.1  # Poisson: variance = mean
    assert G.erdos_renyi(50, 0.0, seed=1).n_edges == 0
    assert G.erdos_renyi(6, 5.0, seed=1).n_edges == 15  # p = 1


def test_watts_strogatz_p0_is_ring_and_rewires_fraction_p():
    assert_same_graph(G.watts_strogatz(500, 6, 0.0, seed=1), G.ring(500, 6))
    n, k, p = 5000, 6, 0.2
    g = G.watts_strogatz(n, k, p, seed=2)
    assert g.n_edges == n * k // 2
    src = np.repeat(np.arange(n), np.diff(g.indptr))
    gap = np.abs(src - g.indices)
    off_lattice = np.minimum(gap, n - gap) > k // 2
    assert abs(off_lattice.mean() - p) < 0.02
    dense = G.watts_strogatz(7, 6, 1.0, seed=1)  # everyone knows everyone: nothing to rewire
    assert dense.n_edges == 21


def test_ring_neighbours():
    g = G.ring(10, 4)
    assert g.neighbors(0).tolist() == [1, 2, 8, 9]
    assert np.all(g.degree() == 4) and np.shares_memory(g.neighbors(3), g.indices)


def test_circles_groups_and_mixing():
    n, groups, c, mixing = 20_000, 40, 10.0, 0.15
    g = G.circles(n, groups, c, mixing=mixing, seed=4)
    assert g.group.dtype == np.int32 and np.array_equal(np.bincount(g.group), [500] * groups)
    src = np.repeat(np.arange(n), np.diff(g.indptr))
    assert abs(np.mean(g.group[src] != g.group[g.indices]) - mixing) < 0.01
    assert abs(g.mean_degree - c) < 0.15
    heavy = G.circles(n, groups, c, group_size_exponent=2.0, seed=4)
    sizes = np.bincount(heavy.group, minlength=groups)
    assert sizes.min() >= 1 and sizes.sum() == n and sizes.max() > 4 * np.median(sizes)
    assert np.all(G.circles(1000, 1, 4.0, mixing=0.0, seed=1).group == 0)


def test_configuration_model_degrees():
    g = G.configuration_model(50_000, exponent=2.5, mean_degree=8, max_degree=500, seed=6)
    deg = g.degree()
    assert not g.has_multiedges and deg.max() <= 500
    assert 7.6 < g.mean_degree <= 8.05  # loops and repeats removed: a little below the target
    assert deg.max() > 20 * np.median(deg)
    k = np.array([10, 20, 40, 80])
    slope = np.polyfit(np.log(k), np.log([np.mean(deg >= x) for x in k]), 1)[0]
    assert -1.9 < slope < -1.1  # CCDF ~ k^-(exponent-1)


def test_complete_graph_is_mean_field_in_o_n_memory():
    g = G.complete(10**6).validate()
    assert g.nbytes <= 8 * (10**6 + 1) + 1024
    assert g.n_edges == 10**6 * (10**6 - 1) // 2 and isinstance(g.n_edges, int)
    assert g.mean_degree == 10**6 - 1 and g.degree()[0] == 10**6 - 1
    with pytest.raises(ValueError, match=r"refusing .* n=2,001 > 2,000"):
        G.complete(2001).to_networkx()
    small = G.complete(5)
    assert sorted(small.to_networkx().edges()) == sorted(nx.complete_graph(5).edges())
    assert small.neighbors(2).tolist() == [0, 1, 3, 4]
    with pytest.raises(ValueError, match="no edge list"):
        G.write_edgelist(small, "never-written.txt")


@pytest.mark.parametrize("call, message", [
    (lambda: G.barabasi_albert(10, 0),
     "barabasi_albert: m must be an integer in [1, n-1]; got 0"),
    (lambda: G.barabasi_albert(10, 10),
     "barabasi_albert: m must be an integer in [1, n-1]; got 10"),
    (lambda: G.barabasi_albert(10, 2.0),
     "barabasi_albert: m must be an integer in [1, n-1]; got 2.0"),
    (lambda: G.watts_strogatz(10, 3, 0.1),
     "watts_strogatz: k must be an even integer in [2, n-1]; got 3"),
    (lambda: G.watts_strogatz(10, 4, 1.5),
     "watts_strogatz: p must be a number in [0, 1]; got 1.5"),
    (lambda: G.ring(2, 2),
     "ring: n must be an integer in [3, 1073741823]; got 2"),
    (lambda: G.erdos_renyi(10, -1),
     "erdos_renyi: mean_degree must be a number in [0, n-1]; got -1.0"),
    (lambda: G.circles(100, 0, 5.0),
     "circles: n_groups must be an integer in [1, n]; got 0"),
    (lambda: G.circles(100, 5, 5.0, mixing=2),
     "circles: mixing must be a number in [0, 1]; got 2.0"),
    (lambda: G.circles(100, 1, 5.0),
     "circles: mixing must be 0 when there is a single circle; got 0.1"),
    (lambda: G.configuration_model(100, exponent=2),
     "configuration_model: exponent must be a number > 2; got 2.0"),
    (lambda: G.configuration_model(100, mean_degree=0.5),
     "configuration_model: mean_degree must be a number in [1, n-1]; got 0.5"),
    (lambda: G.complete(0),
     "complete: n must be an integer in [1, 1073741823]; got 0"),
])
def test_generator_argument_errors(call, message):
    with pytest.raises(ValueError) as exc:
        call()
    assert str(exc.value) == message


def test_circles_rejects_unreachable_mean_degree():
    with pytest.raises(ValueError, match="mean_degree=50 cannot be reached"):
        G.circles(1000, 100, 50.0, mixing=0.0)


# -- from_edges -----------------------------------------------------------------------------
def naive_from_edges(n, src, dst, weight, directed, symmetric):
    """Plain-Python twin: {(u, v): (multiplicity, mean weight)} for every stored entry."""
    lines = Counter()
    wsum = Counter()
    for u, v, w in zip(src, dst, weight):
        if u != v:
            lines[u, v] += 1
            wsum[u, v] += w
    out = {}
    for (u, v), c in lines.items():
        if directed:
            out[u, v] = (c, wsum[u, v] / c)
        else:
            back = lines.get((v, u), 0)
            mult = max(c, back) if symmetric else c + back
            mean = (wsum[u, v] + wsum.get((v, u), 0.0)) / (c + back)
            out[u, v] = out[v, u] = (mult, mean)
    return out


def stored(g):
    out = {}
    for u in range(g.n):
        for j in range(g.indptr[u], g.indptr[u + 1]):
            m = 1 if g.multiplicity is None else int(g.multiplicity[j])
            out[u, int(g.indices[j])] = (m, float(g.weight[j]))
    return out


edge_lists = st.integers(1, 7).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                                   st.sampled_from([0.25, 0.5, 1.0, 0.1])), max_size=30)))


@settings(max_examples=150, deadline=None)
@given(edge_lists, st.booleans(), st.sampled_from(["auto", True, False]))
def test_from_edges_matches_naive_twin_and_networkx(case, directed, listing):
    n, edges = case
    src, dst, w = (list(x) for x in zip(*edges)) if edges else ([], [], [])
    g = G.from_edges(n, np.array(src, np.int64), np.array(dst, np.int64), np.array(w),
                     directed=directed, symmetric_listing=listing).validate()
    pairs = Counter((u, v) for u, v in zip(src, dst) if u != v)
    balanced = all(pairs[u, v] == pairs.get((v, u), 0) for u, v in pairs)
    symmetric = listing is True or (listing == "auto" and balanced)
    want = naive_from_edges(n, src, dst, w, directed, symmetric)
    got = stored(g)
    assert got.keys() == want.keys()
    for key, (m, mean) in want.items():
        assert got[key][0] == m and got[key][1] == pytest.approx(mean, rel=1e-6)
    if not symmetric:  # a non-symmetric listing is a multigraph: compare with networkx
        M = (nx.MultiDiGraph if directed else nx.MultiGraph)()
        M.add_nodes_from(range(n))
        M.add_edges_from((u, v) for u, v in zip(src, dst) if u != v)
        for (u, v), (m, _) in got.items():
            assert M.number_of_edges(u, v) == m


def test_from_edges_symmetric_listing_rules():
    # NetHEPT-like multigraph: every line is one co-authorship
    g = G.from_edges(3, [0, 0, 1], [1, 1, 0])
    assert g.multiplicity.tolist() == [3, 3]
    # SNAP-like: each edge listed both ways -> counted once
    g = G.from_edges(3, [0, 1, 1, 2], [1, 0, 2, 1])
    assert g.multiplicity is None and g.n_edges == 2
    forced = G.from_edges(2, [0, 1], [1, 0], symmetric_listing=False)
    assert forced.multiplicity.tolist() == [2, 2]
    forced = G.from_edges(2, [0, 0, 1], [1, 1, 0], symmetric_listing=True)  # max(2, 1)
    assert forced.multiplicity.tolist() == [2, 2]


def test_from_edges_merged_weights_are_identical_in_both_rows():
    rng = np.random.default_rng(0)
    src, dst = rng.integers(0, 30, 2000), rng.integers(0, 30, 2000)
    w = rng.uniform(1e-6, 1, 2000).astype(np.float32)
    G.from_edges(30, src, dst, w).validate()  # validate demands exact equality


@pytest.mark.parametrize("args, kwargs, message", [
    ((3, [0, 3], [1, 1]), {},
     "from_edges: src must hold ids in [0, n-1] = [0, 2]; got values in [0, 3]"),
    ((3, [0, 1], [1]), {}, "from_edges: src and dst differ in length (2 != 1)"),
    ((3, [0.5], [1]), {}, "from_edges: src must be a 1-D array of integers"),
    ((3, [0, 1], [1, 2], [0.5, 0.0]), {},
     "from_edges: weights must lie in (0, 1]; got 0.0 on edge (1, 2)"),
    ((2**30, [], []), {}, "from_edges: n must be an integer in [0, 1073741823]; got 1073741824"),
    ((3, [], []), {"symmetric_listing": "yes"},
     "from_edges: symmetric_listing must be 'auto', True or False; got 'yes'"),
])
def test_from_edges_errors(args, kwargs, message):
    with pytest.raises(ValueError) as exc:
        G.from_edges(*args, **kwargs)
    assert str(exc.value) == message


def test_from_edges_empty_and_directed():
    assert G.from_edges(0, [], []).validate().n == 0
    g = G.from_edges(4, [3, 0, 0, 2], [0, 3, 3, 2], directed=True).validate()
    assert g.neighbors(0).tolist() == [3] and g.multiplicity.tolist() == [2, 1]
    assert g.degree().tolist() == [1, 0, 0, 1] and g.n_edges == 2


# -- SocialGraph ----------------------------------------------------------------------------
def test_labels_and_follows():
    g = G.ring(6, 2)
    h = g.with_labels(group=[0, 0, 1, 1, -1, 2], segment=[1, 0, 0, 0, 0, 3])
    assert h.group.dtype == np.int32 and h.segment.dtype == np.int8 and g.group is None
    assert h.with_labels(segment=[0] * 6).group is h.group
    with pytest.raises(ValueError, match="group must hold"):
        g.with_labels(group=[-2, 0, 0, 0, 0, 0])
    f = h.with_follows([0, 0, 0, 5], [3, 4, 0, 0]).validate()  # 0 -> 0 self-follow dropped
    assert f.follow_indices[f.follow_indptr[0]:f.follow_indptr[1]].tolist() == [3, 4]
    f2 = f.with_follows([0], [2])  # follows accumulate
    assert f2.follow_indices[f2.follow_indptr[0]:f2.follow_indptr[1]].tolist() == [2, 3, 4]
    assert f2.group is h.group and "follows" in repr(f2)


def test_validate_catches_broken_graphs():
    ok = dict(indptr=[0, 1, 2], indices=[1, 0])
    SocialGraph(**ok).validate()
    cases = [
        (dict(indptr=[0, 1, 1], indices=[1]), "missing its reverse"),
        (dict(indptr=[0, 1, 1], indices=[0]), "self-loop"),
        (dict(indptr=[0, 2, 2, 2], indices=[2, 1], directed=True), "not strictly sorted"),
        (dict(indptr=[0, 1, 1], indices=[5], directed=True), "out of range"),
        ({**ok, "weight": [0.5, 0.0]}, "weights must lie in"),
        ({**ok, "weight": [0.5, 0.4]}, "different weight"),
        ({**ok, "multiplicity": [1, 1]}, "None when every edge is simple"),
        ({**ok, "node_ids": [5, 5]}, "strictly increasing"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            SocialGraph(**kwargs).validate()
    with pytest.raises(ValueError, match="indices must be 1-D of length 2"):
        SocialGraph(indptr=[0, 1, 2], indices=[1])


# -- networkx -------------------------------------------------------------------------------
def test_networkx_round_trips():
    rng = np.random.default_rng(1)
    H = nx.gnm_random_graph(60, 150, seed=1)
    H = nx.relabel_nodes(H, {i: 3 * i + 7 for i in H})  # integer labels with gaps
    for u, v in H.edges:
        H.edges[u, v]["weight"] = float(np.float32(rng.uniform(0.01, 1)))
    g = G.from_networkx(H).validate()
    assert g.node_ids.tolist() == sorted(H) and g.n_edges == 150
    back = g.to_networkx()
    assert set(back.nodes) == set(H.nodes)
    assert ({(min(u, v), max(u, v), w) for u, v, w in back.edges(data="weight")}
            == {(min(u, v), max(u, v), w) for u, v, w in H.edges(data="weight")})
    assert_same_graph(G.from_networkx(back), g)

    for g in (G.from_edges(5, [0, 0, 1, 3], [1, 1, 2, 4], [0.5, 0.25, 1.0, 0.75]),
              G.from_edges(5, [0, 0, 1, 3, 4], [1, 1, 2, 4, 3], directed=True),
              G.barabasi_albert(300, 2, seed=1)):
        assert_same_graph(G.from_networkx(g.to_networkx()), g.validate())
    assert isinstance(G.from_edges(3, [0, 0], [1, 1]).to_networkx(), nx.MultiGraph)


def test_from_networkx_labels_and_weights():
    g = G.from_networkx(nx.path_graph(["x", "y", "z"]))
    assert g.node_ids is None and g.neighbors(1).tolist() == [0, 2]
    d = G.from_networkx(nx.DiGraph([(2, 1), (1, 1), (0, 2)]))  # labels 0..n-1: identity
    assert d.directed and d.node_ids is None and d.neighbors(2).tolist() == [1]
    assert d.neighbors(1).size == 0 and d.n_edges == 2
    K = nx.karate_club_graph()  # integer 'weight' attributes 1..7 are not tie strengths
    with pytest.raises(ValueError, match=r"edge attribute 'weight' must be a tie strength in "
                                         r"\(0, 1\]; got \d+ on edge"):
        G.from_networkx(K)
    assert G.from_networkx(K, weight=None).n_edges == 78


# -- readers and writers --------------------------------------------------------------------
def write(path, text, gz=False):
    data = text.encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def test_reader_formats(tmp_path):
    text = ("% matrix-market style comment\r\n# another\r\n\r\n3 4\r\n"  # header: 2 vs 3 fields
            "10\t20\t0.5\r\n20\t30\t1\r\n  30 ,10, 0.25 , extra\r\n10 10 0.5\r\n40 40 1\r\n")
    for gz in (False, True):
        g = G.read_edgelist(write(tmp_path / f"f.txt{'.gz' * gz}", text, gz)).validate()
        assert g.name == "f" and g.n == 4 and g.n_edges == 3  # 40 is kept, isolated
        assert g.node_ids.tolist() == [10, 20, 30, 40]
        assert g.neighbors(0).tolist() == [1, 2] and g.weight[:2].tolist() == [0.5, 0.25]
        assert g.degree()[3] == 0
    csv = write(tmp_path / "e.csv", "node_1,node_2\n0,1\n1,2\n")
    assert G.read_edgelist(csv, name="x").name == "x"
    assert G.read_edgelist(csv).weight.tolist() == [1.0] * 4
    one = G.read_edgelist(write(tmp_path / "one.txt", "5 7"), directed=True)  # no final newline
    assert one.n_edges == 1 and one.node_ids.tolist() == [5, 7]
    big = G.read_edgelist(write(tmp_path / "big.txt", "1 123456789012\n"))
    assert big.node_ids.tolist() == [1, 123456789012]
    sci = G.read_edgelist(write(tmp_path / "sci.txt", "0 1 5e-1\n1 2 1.0E0\n2 0 .125\n"))
    assert sorted(sci.weight.tolist()) == [0.125, 0.125, 0.5, 0.5, 1.0, 1.0]


BAD_ID = "expected 'u v [w]' with integer node ids; got "
BAD_W = "tie strength (third column) must be a number in (0, 1]; got "


@pytest.mark.parametrize("text, line, message", [
    ("1 2\n3 4\nfoo bar\n", 3, BAD_ID + "'foo bar'"),
    ("1 2\n3\n4 5\n", 2, BAD_ID + "'3'"),
    ("# c\n1 2\n-3 4\n", 3, BAD_ID + "'-3 4'"),
    ("1 2\n3 4.0\n", 2, BAD_ID + "'3 4.0'"),
    ("1,2\n3,,4\n", 2, BAD_ID + "'3,,4'"),
    ("1 2 0.5\r\n2 3 0\r\n", 2, BAD_W + "'2 3 0'"),
    ("1 2 0.5\n2 3 1.5\n", 2, BAD_W + "'2 3 1.5'"),
    ("1 2 0.5\n2 3 nan\n", 2, BAD_W + "'2 3 nan'"),
    ("1 2 0.5\n2 3 1e-50\n", 2, BAD_W + "'2 3 1e-50'"),
])
@pytest.mark.parametrize("gz", [False, True])
def test_reader_bad_lines(tmp_path, text, line, message, gz):
    path = write(tmp_path / ("bad.txt.gz" if gz else "bad.txt"), text, gz)
    with pytest.raises(GraphFormatError) as exc:
        G.read_edgelist(path)
    assert str(exc.value) == f"{path}:{line}: {message}"


def test_reader_empty_and_missing(tmp_path):
    for text in ("", "# only a comment\n\n", "node_1,node_2\n"):
        path = write(tmp_path / "empty.txt", text)
        with pytest.raises(GraphFormatError) as exc:
            G.read_edgelist(path)
        assert str(exc.value) == (f"{path}: no 'u v [w]' lines found (the file is empty or "
                                  "holds only comments and a header)")
    missing = tmp_path / "missing.txt"
    with pytest.raises(GraphFormatError) as exc:
        G.read_edgelist(missing)
    assert str(exc.value) == f"{missing}: no such file"
    broken = write(tmp_path / "broken.gz", "")
    broken.write_bytes(gzip.compress(b"1 2\n" * 100)[:-12])
    with pytest.raises(GraphFormatError, match="not a valid gzip file"):
        G.read_edgelist(broken)


def test_node_labels(tmp_path):
    g = G.read_edgelist(write(tmp_path / "g.txt", "10 20\n20 30\n"))
    path = write(tmp_path / "lab.csv", "id,label\n30,2\n10,0\n")
    assert G.read_node_labels(path, g).tolist() == [0, -1, 2]
    for text, message in [("10 1\n99 2\n", "2: node 99 is not in the graph"),
                          ("10 1\n10 1\n20 1\n10 2\n",
                           "4: node 10 is given a second, different label"),
                          ("10 1\n20 x\n", "2: expected 'node label' with integer node ids; "
                                           "got '20 x'")]:
        with pytest.raises(GraphFormatError) as exc:
            G.read_node_labels(write(tmp_path / "l.txt", text), g)
        assert str(exc.value) == f"{tmp_path / 'l.txt'}:{message}"


@pytest.mark.parametrize("suffix", [".txt", ".txt.gz"])
def test_write_read_round_trip(tmp_path, suffix):
    w = np.float32([0.1, 0.2, 1 / 3, 1.0, 0.7])
    graphs = [
        G.from_edges(6, [0, 0, 1, 2, 4], [1, 1, 2, 0, 2], w),  # multigraph, isolated 3 and 5
        G.from_edges(5, [0, 0, 1, 4, 3], [1, 1, 2, 3, 4], w, directed=True),
        G.watts_strogatz(300, 4, 0.3, seed=1),
    ]
    graphs.append(SocialGraph(**{**graphs[0]._arrays(), "node_ids": [3, 8, 9, 11, 40, 41]}))
    for i, g in enumerate(graphs):
        path = tmp_path / f"g{i}{suffix}"
        G.write_edgelist(g, path)
        back = G.read_edgelist(path, directed=g.directed)
        assert_same_graph(back, replace_name(g, back))


def replace_name(g, like):
    return SocialGraph(**{**g._arrays(), "directed": g.directed, "name": like.name})


# -- contracts ------------------------------------------------------------------------------
def test_graph_modules_import_only_numpy_numba_and_stdlib():
    allowed = {"numpy", "numba", "__future__", "dataclasses", "math", "gzip", "zlib", "pathlib"}
    for path in Path(G.__file__).parent.glob("*.py"):
        for node in ast.parse(path.read_text()).body:  # top level only: lazy imports are fine
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = {node.module.split(".")[0]}
            else:
                continue
            assert names <= allowed, f"{path.name} imports {names - allowed} at top level"
