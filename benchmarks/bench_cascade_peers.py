"""(b) Independent cascades: growthsim vs cynetdiff vs NDlib on the same graphs and seed sets.

Graphs: SNAP ego-Facebook (undirected), SNAP soc-Epinions1 (directed, as in the file) and a
100k-person Barabási–Albert graph (m = 5, growthsim's generator, seed 1). The same CSR graph
is handed to every tool (networkx copies built from it for the peers). Seeds: the 50 people of
highest (out-)degree, ties broken by index, the same set for every tool and every cascade.
p = 0.01 and 0.05 on every graph, one probability for every edge.

growthsim is measured three ways, each honestly labelled:

* ``api``      - ``GrowthModel(scenario, seed=s).run()`` and the final ``metrics["members"]``:
                 what a user of the public API pays per cascade (model construction with O(n)
                 per-person state, the daily ticks, the pandas metrics table).
* ``steps``    - ``GrowthModel(scenario, seed=s)`` then ``step()`` until ``running`` is False,
                 reading ``n_members``: the public API without building the metrics DataFrame.
* ``kernels``  - only the time spent inside the numba kernels during ``steps`` (the sum over
                 kernel calls, instrumented): what the simulation itself costs, without model
                 construction or per-day Python. Not a usable API path; an upper bound on what
                 removing the Python overhead could give.

cynetdiff: ``reset_model()`` + ``advance_until_completion()`` per cascade (model built once).
NDlib: ``reset(seeds)`` then ``iteration()`` until nobody is infected (model built once, every
edge given its probability). NDlib is slow, so it runs fewer cascades per batch (printed).

Every tool runs a batch of cascades per repeat; the tools take turns batch by batch; the
figure is the median over repeats of (batch seconds / cascades). Ratios are same-run ratios
of those medians (peer time / growthsim time: > 1 means growthsim is faster).

A profile of where growthsim's per-cascade time goes is printed for every configuration
(construction split, per-day Python, each kernel, metrics table), plus a cProfile listing
saved to benchmarks/results/cascade_profile_t<threads>.txt.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

PS = (0.01, 0.05)
N_SEEDS = 50


def load_graphs(quick):
    from dataclasses import replace

    from growthsim.graphs import barabasi_albert, read_edgelist

    out = {}
    g = read_edgelist(C.GRAPHS / "facebook_combined.txt.gz")
    out["ego-Facebook"] = replace(g, node_ids=None)
    g = read_edgelist(C.GRAPHS / "soc-Epinions1.txt.gz", directed=True)
    out["soc-Epinions1"] = replace(g, node_ids=None)
    out["BA 100k m=5"] = barabasi_albert(100_000, 5, seed=1)
    return out


def top_degree(g, k=N_SEEDS):
    import numpy as np

    return [int(i) for i in np.argsort(-g.degree(), kind="stable")[:k]]


# -- the three tools ---------------------------------------------------------------------------
class Growthsim:
    def __init__(self, g, p, seeds):
        from growthsim import presets

        self.sc = presets.independent_cascade(g, p, seeds)
        self.next_seed = 1
        self.sizes = []
        self.kernel_s = []   # per repeat: kernel seconds per cascade
        self.parts = []      # per repeat: dict of part -> seconds per cascade

    def _seed(self):
        self.next_seed += 1
        return self.next_seed

    def api(self, k):
        import growthsim as gs

        for _ in range(k):
            df = gs.GrowthModel(self.sc, seed=self._seed()).run()
            self.sizes.append(int(df["members"].iloc[-1]))
        return k

    def steps(self, k):
        import growthsim as gs

        for _ in range(k):
            m = gs.GrowthModel(self.sc, seed=self._seed())
            while m.running:
                m.step()
            self.sizes.append(m.n_members)
        return k

    def steps_instrumented(self, k):
        """``steps`` with kernel timers and a split of the time (not used for the ratios)."""
        import time

        import growthsim as gs

        parts = {"construct": 0.0, "step (Python + kernels)": 0.0, "metrics frame": 0.0}
        days = 0
        with C.KernelTimer() as kt, ConstructTimer() as ct:
            for _ in range(k):
                t0 = time.perf_counter()
                m = gs.GrowthModel(self.sc, seed=self._seed())
                t1 = time.perf_counter()
                while m.running:
                    m.step()
                t2 = time.perf_counter()
                _ = m.metrics
                t3 = time.perf_counter()
                parts["construct"] += t1 - t0
                parts["step (Python + kernels)"] += t2 - t1
                parts["metrics frame"] += t3 - t2
                days += m.day
        self.kernel_s.append(kt.total / k)
        per = {kname: s / k for kname, s in kt.seconds.items()}
        self.parts.append({"parts": {a: b / k for a, b in parts.items()}, "kernels": per,
                           "construct_split": {a: b / k for a, b in ct.seconds.items()},
                           "days_per_cascade": days / k,
                           "kernel_calls_per_cascade": sum(kt.calls.values()) / k})
        return k


class ConstructTimer:
    """Splits GrowthModel construction: scenario copy for the seed, mesa.Model.__init__,
    Population (per-person state, O(n)), the rest."""

    def __init__(self):
        self.seconds = {}

    def _wrap(self, owner, attr, label):
        import time

        f = getattr(owner, attr)
        self._undo.append((owner, attr, f))

        def w(*a, **kw):
            t0 = time.perf_counter()
            r = f(*a, **kw)
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t0
            return r

        setattr(owner, attr, w)

    def __enter__(self):
        import mesa

        from growthsim import model as MD
        from growthsim.scenario import Scenario

        self._undo = []
        self._wrap(Scenario, "with_overrides", "Scenario.with_overrides(run.seed)")
        self._wrap(mesa.Model, "__init__", "mesa.Model.__init__")
        self._wrap(MD, "Population", "Population (init_people, O(n))")
        self._wrap(MD, "pack_params", "pack_params")
        self._wrap(MD.GrowthModel, "_seed_members", "_seed_members")
        return self

    def __exit__(self, *exc):
        for owner, attr, f in reversed(self._undo):
            setattr(owner, attr, f)
        return False


class Cynetdiff:
    def __init__(self, G, p, seeds):
        from cynetdiff.utils import networkx_to_ic_model

        self.model, node_map = networkx_to_ic_model(G, activation_prob=p)
        self.model.set_seeds([int(node_map[s]) for s in seeds])  # Python ints (pitfall)
        self.model.set_rng(12345)
        self.sizes = []

    def run(self, k):
        m = self.model
        for _ in range(k):
            m.reset_model()
            m.advance_until_completion()
            self.sizes.append(m.get_num_activated_nodes())
        return k


class Ndlib:
    def __init__(self, G, p, seeds):
        import ndlib.models.epidemics as ep
        import ndlib.models.ModelConfig as mc

        self.model = ep.IndependentCascadesModel(G, seed=12345)
        cfg = mc.Configuration()
        for e in G.edges():  # every edge, or NDlib silently uses 1/degree (pitfall)
            cfg.add_edge_configuration("threshold", e, p)
        cfg.add_model_initial_configuration("Infected", list(seeds))
        self.model.set_initial_status(cfg)
        self.seeds = list(seeds)
        self.n = G.number_of_nodes()
        self.sizes = []

    def run(self, k):
        m = self.model
        for _ in range(k):
            m.reset(self.seeds)
            m.iteration(node_status=False)  # the first one only reports the initial state
            while True:
                it = m.iteration(node_status=False)
                if it["node_count"].get(1, 0) == 0:
                    break
            self.sizes.append(self.n - it["node_count"].get(0, 0))
        return k


def mean_sem(xs):
    import statistics

    if not xs:
        return None, None
    m = statistics.fmean(xs)
    s = statistics.stdev(xs) / len(xs) ** 0.5 if len(xs) > 1 else 0.0
    return m, s


def fmt_size(ms):
    m, s = ms
    return "-" if m is None else f"{m:,.1f} ± {s:.1f}"


def cprofile_growthsim(sc, k, path):
    """cProfile of ``k`` API cascades; the top of the listing by own time goes to ``path``."""
    import cProfile
    import io
    import pstats

    import growthsim as gs

    pr = cProfile.Profile()
    pr.enable()
    for s in range(k):
        gs.GrowthModel(sc, seed=10_000 + s).run()
    pr.disable()
    buf = io.StringIO()
    st = pstats.Stats(pr, stream=buf)
    st.sort_stats("tottime").print_stats(25)
    st.sort_stats("cumulative").print_stats(25)
    with open(path, "a") as f:
        f.write(buf.getvalue())


def main(argv=None):
    p = C.parser(__doc__.splitlines()[0])
    p.add_argument("--graphs", default="all",
                   help="comma-separated subset: facebook, epinions, ba (default all)")
    p.add_argument("--no-ndlib", action="store_true", help="skip NDlib")
    args = C.parse(p, argv)

    import networkx  # noqa: F401

    info = C.machine()
    C.header("bench_cascade_peers", info, args)
    try:
        import cynetdiff  # noqa: F401
        have_cyn = True
    except ImportError:
        have_cyn = False
        print("# cynetdiff not installed (pip install -r requirements/bench.txt): skipped")
    try:
        import ndlib  # noqa: F401
        have_nd = not args.no_ndlib
        if args.no_ndlib:
            print("# NDlib skipped (--no-ndlib)")
    except ImportError:
        have_nd = False
        print("# NDlib not installed (needs `six` too): skipped")

    graphs = load_graphs(args.quick)
    pick = {"facebook": "ego-Facebook", "epinions": "soc-Epinions1", "ba": "BA 100k m=5"}
    if args.graphs != "all":
        keep = {pick[x.strip()] for x in args.graphs.split(",")}
        graphs = {k: v for k, v in graphs.items() if k in keep}

    k_gs = 10 if args.quick else 20
    k_cy = 50 if args.quick else 200
    rows, prof_rows, results = [], [], []
    if args.no_save:
        import tempfile

        prof_path = Path(tempfile.mkdtemp()) / "cascade_profile.txt"
    else:
        C.RESULTS.mkdir(parents=True, exist_ok=True)
        prof_path = C.RESULTS / (f"cascade_profile{'_quick' if args.quick else ''}"
                                 f"_t{info.get('numba_threads', 0)}.txt")
    prof_path.write_text(f"cProfile of growthsim API cascades ({info['date']})\n")

    # warm-up: compile (or load) every kernel once on a small graph
    from growthsim import presets
    from growthsim.graphs import barabasi_albert

    import growthsim as gs

    gw = barabasi_albert(2_000, 3, seed=2)
    gs.GrowthModel(presets.independent_cascade(gw, 0.05, range(10)), seed=1).run()

    for gname, g in graphs.items():
        seeds = top_degree(g)
        G = g.to_networkx() if (have_cyn or have_nd) else None
        k_nd = 5 if g.n < 10_000 else 2
        if args.quick:
            k_nd = max(1, k_nd // 2)
        print(f"\n## {gname}: {g!r}; seeds: top {N_SEEDS} by {'out-' if g.directed else ''}degree",
              flush=True)
        for p_ in PS:
            tool_gs = Growthsim(g, p_, seeds)
            tasks = {"growthsim api": lambda: tool_gs.api(k_gs),
                     "growthsim steps": lambda: tool_gs.steps(k_gs),
                     "growthsim instrumented": lambda: tool_gs.steps_instrumented(k_gs)}
            if have_cyn:
                tool_cy = Cynetdiff(G, p_, seeds)
                tasks["cynetdiff"] = lambda: tool_cy.run(k_cy)
            if have_nd:
                tool_nd = Ndlib(G, p_, seeds)
                tasks["NDlib"] = lambda: tool_nd.run(k_nd)
            res = C.take_turns(tasks, repeats=args.repeats, warmup=1)
            kern = C.stats(tool_gs.kernel_s[1:] or tool_gs.kernel_s)  # drop the warm-up batch
            t_api = res["growthsim api"]["median"]
            t_steps = res["growthsim steps"]["median"]
            t_k = kern["median"]
            t_cy = res["cynetdiff"]["median"] if have_cyn else None
            t_nd = res["NDlib"]["median"] if have_nd else None
            sz = {"growthsim": mean_sem(tool_gs.sizes),
                  "cynetdiff": mean_sem(tool_cy.sizes) if have_cyn else (None, None),
                  "NDlib": mean_sem(tool_nd.sizes) if have_nd else (None, None)}
            r = lambda a, b: (a / b) if (a and b) else None
            rows.append([gname, p_,
                         f"{fmt_size(sz['growthsim'])} / {fmt_size(sz['cynetdiff'])} / "
                         f"{fmt_size(sz['NDlib'])}",
                         C.fmt_s(t_api), C.fmt_s(t_steps), C.fmt_s(t_k),
                         C.fmt_s(t_cy), C.fmt_s(t_nd),
                         f"{C.fmt_x(r(t_cy, t_api))} / {C.fmt_x(r(t_cy, t_steps))} / "
                         f"{C.fmt_x(r(t_cy, t_k))}",
                         f"{C.fmt_x(r(t_nd, t_api))} / {C.fmt_x(r(t_nd, t_steps))} / "
                         f"{C.fmt_x(r(t_nd, t_k))}"])
            # where growthsim's time goes (median repeat of the instrumented batches)
            parts = tool_gs.parts[1:] or tool_gs.parts
            mid = sorted(parts, key=lambda d: sum(d["parts"].values()))[len(parts) // 2]
            step_py = mid["parts"]["step (Python + kernels)"] - sum(mid["kernels"].values())
            top = sorted(mid["kernels"].items(), key=lambda kv: -kv[1])[:3]
            tot = sum(mid["parts"].values())
            prof_rows.append([gname, p_, f"{mid['days_per_cascade']:.1f}", C.fmt_s(tot),
                              f"{C.fmt_s(mid['parts']['construct'])} "
                              f"({100 * mid['parts']['construct'] / tot:.0f}%)",
                              f"{C.fmt_s(step_py)} ({100 * step_py / tot:.0f}%)",
                              f"{C.fmt_s(sum(mid['kernels'].values()))} "
                              f"({100 * sum(mid['kernels'].values()) / tot:.0f}%)",
                              f"{C.fmt_s(mid['parts']['metrics frame'])} "
                              f"({100 * mid['parts']['metrics frame'] / tot:.0f}%)",
                              ", ".join(f"{k} {C.fmt_s(v)}" for k, v in top),
                              ", ".join(f"{k.split(' ')[0]} {C.fmt_s(v)}" for k, v in
                                        sorted(mid["construct_split"].items(),
                                               key=lambda kv: -kv[1])[:3])])
            results.append({"graph": gname, "n": g.n, "edges": g.n_edges, "directed": g.directed,
                            "p": p_, "seeds": seeds, "cascades_per_batch":
                                {"growthsim": k_gs, "cynetdiff": k_cy, "NDlib": k_nd},
                            "sizes": {k: {"mean": v[0], "sem": v[1]} for k, v in sz.items()},
                            "timing": {k: {a: b for a, b in v.items() if a != "values"}
                                       for k, v in res.items()},
                            "growthsim_kernels_only": kern,
                            "growthsim_breakdown": mid})
            print(f"  p={p_}: growthsim api {C.fmt_med(res['growthsim api'])}, steps "
                  f"{C.fmt_med(res['growthsim steps'])}, kernels {C.fmt_med(kern)}"
                  + (f"; cynetdiff {C.fmt_med(res['cynetdiff'])}" if have_cyn else "")
                  + (f"; NDlib {C.fmt_med(res['NDlib'])}" if have_nd else ""), flush=True)
            with open(prof_path, "a") as f:
                f.write(f"\n\n===== {gname}, p = {p_} =====\n")
            cprofile_growthsim(tool_gs.sc, max(3, k_gs // 2), prof_path)

    tables = []
    tables.append(C.table(rows, ["graph", "p", "mean cascade size gs / cyn / NDlib (± sem)",
                                 "gs api", "gs steps", "gs kernels", "cynetdiff", "NDlib",
                                 "cyn/gs (api/steps/kernels)", "NDlib/gs (api/steps/kernels)"],
                          title=f"Seconds per cascade (median of {args.repeats} batches; "
                                f"batches of {k_gs} gs / {k_cy} cynetdiff / NDlib 5 on "
                                f"ego-Facebook, 2 on the 75k-100k graphs"
                                f"{' (halved, min 1, in quick mode)' if args.quick else ''}); "
                                f"ratio > 1 = growthsim faster. Targets: cyn/gs >= 1.5, "
                                f"NDlib/gs >= 500."))
    tables.append(C.table(prof_rows, ["graph", "p", "days/cascade", "gs per cascade",
                                      "construct", "per-day Python", "kernels",
                                      "metrics frame", "top kernels", "construct split"],
                          title="Where growthsim's time per cascade goes (instrumented "
                                "step loop + metrics frame; median batch)"))
    print(f"(cProfile listings: {prof_path})")
    C.save("bench_cascade_peers", info, args, results, tables)


if __name__ == "__main__":
    main()
