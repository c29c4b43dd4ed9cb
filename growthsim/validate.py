"""Classical-model checks: the ordinary kernels, set up as textbook models, against theory.

Each check runs a :mod:`growthsim.presets` scenario (Bass diffusion, the
independent cascade on Erdős–Rényi graphs and on a ring) with fixed seeds and
compares one simulated quantity with its analytic prediction. ``growthsim
validate`` prints the table; tests/test_classical.py holds the same checks,
plus comparisons with an independent implementation, as tests.
"""

import numpy as np
import pandas as pd

#: Columns of :func:`checks`.
CHECK_COLUMNS = ("model", "quantity", "predicted", "simulated", "tolerance", "ok")

# Sizes and tolerances: full (as tests/test_classical.py) and quick (a few seconds). The
# tolerances cover sampling noise at these sizes (a few standard errors), not model error.
_SETTINGS = {
    False: dict(bass_n=20_000, bass_runs=2, bass_years=6, bass_tol=0.01, innov_tol=0.01,
                er_n=20_000, er_outbreaks=20, er_tries=40, er_tol=0.015,
                er_cases=((4.0, 0.5), (3.0, 0.6), (8.0, 0.25)), sub_runs=10),
    True: dict(bass_n=10_000, bass_runs=1, bass_years=3, bass_tol=0.02, innov_tol=0.015,
               er_n=5_000, er_outbreaks=6, er_tries=15, er_tol=0.03,
               er_cases=((4.0, 0.5),), sub_runs=4),
}


def checks(quick=False):
    """Run the classical-model checks and tabulate predicted vs simulated.

    Parameters
    ----------
    quick : bool
        Smaller populations and fewer runs (seconds instead of minutes), with
        tolerances widened to match.

    Returns
    -------
    pandas.DataFrame
        One row per check with the columns of :data:`CHECK_COLUMNS`; ``ok`` is
        ``|simulated - predicted| <= tolerance``.

    Examples
    --------
    >>> t = ring_check()
    >>> t[["model", "predicted", "simulated", "ok"]].values.tolist()
    [['independent cascade, ring, p = 1', 1.0, 1.0, True]]
    """
    s = _SETTINGS[bool(quick)]
    parts = [bass_check(s["bass_n"], 0.03, 0.38, s["bass_years"], s["bass_runs"], s["bass_tol"]),
             bass_check(s["bass_n"], 0.2, 0.0, 2, 1, s["innov_tol"], years=[2]),
             *[erdos_renyi_check(s["er_n"], c, T, s["er_outbreaks"], s["er_tries"], s["er_tol"])
               for c, T in s["er_cases"]],
             subcritical_check(s["er_n"], 2.0, 0.4, s["sub_runs"]),
             ring_check()]
    return pd.concat(parts, ignore_index=True)


def _rows(model, items, tolerance):
    out = pd.DataFrame([{"model": model, "quantity": q, "predicted": float(p),
                         "simulated": float(v), "tolerance": float(tolerance)}
                        for q, p, v in items])
    out["ok"] = (out["simulated"] - out["predicted"]).abs() <= out["tolerance"] + 1e-12
    return out[list(CHECK_COLUMNS)]


def bass_check(n, p, q, horizon, runs, tolerance, years=None):
    """Bass diffusion: mean adoption share at the end of each year vs F(t).

    ``horizon`` years are simulated ``runs`` times (seeds 1, 2, ...);
    ``years`` (default every year) are compared.

    Examples
    --------
    >>> t = bass_check(n=2_000, p=0.2, q=0.0, horizon=1, runs=1, tolerance=0.05)
    >>> t[["quantity", "ok"]].values.tolist()
    [['adoption share at year 1', True]]
    """
    import growthsim as gs
    from growthsim import presets

    sc = presets.bass(n, p, q, round(365 * horizon))
    curves = [gs.GrowthModel(sc, seed=s).run()["members"].to_numpy() / n
              for s in range(1, runs + 1)]
    mean = np.mean(curves, axis=0)
    years = range(1, horizon + 1) if years is None else years
    label = f"Bass, p = {p}, q = {q}, n = {n:,}" + (f", {runs} runs" if runs > 1 else "")
    return _rows(label, [(f"adoption share at year {y}", presets.bass_adoption(y, p, q),
                          mean[365 * y - 1]) for y in years], tolerance)


def erdos_renyi_check(n, c, T, outbreaks, tries, tolerance):
    """Independent cascade on G(n, c/n): mean size of large outbreaks vs ``final_size(c, T)``.

    Seeds 0, 1, ... until ``outbreaks`` outbreaks above 5% of n (at most
    ``tries`` seeds); fails if fewer than half of them were found.

    Examples
    --------
    >>> t = erdos_renyi_check(n=2_000, c=4.0, T=0.5, outbreaks=3, tries=10, tolerance=0.06)
    >>> t.columns.tolist()
    ['model', 'quantity', 'predicted', 'simulated', 'tolerance', 'ok']
    >>> bool(t["ok"].all())
    True
    """
    import growthsim as gs
    from growthsim import presets

    big = []
    for s in range(tries):
        sc = presets.erdos_renyi_cascade(n, c, T, seed=s)
        share = gs.GrowthModel(sc, seed=s).run()["members"].iloc[-1] / n
        if share > 0.05:
            big.append(share)
        if len(big) == outbreaks:
            break
    simulated = np.mean(big) if len(big) * 2 >= outbreaks else np.nan
    label = f"independent cascade, Erdos-Renyi, c = {c}, T = {T}, n = {n:,}"
    return _rows(label, [(f"final share of large outbreaks ({len(big)} of {s + 1} runs)",
                          presets.final_size(c, T), simulated)], tolerance)


def subcritical_check(n, c, T, runs):
    """Below c T = 1 there is no large outbreak: the largest of ``runs`` cascades stays under 1%.

    Examples
    --------
    >>> t = subcritical_check(n=5_000, c=2.0, T=0.4, runs=2)
    >>> bool(t["ok"].all()), float(t["predicted"].iloc[0])
    (True, 0.0)
    """
    import growthsim as gs
    from growthsim import presets

    sizes = [gs.GrowthModel(presets.erdos_renyi_cascade(n, c, T, seed=s), seed=s)
             .run()["members"].iloc[-1] / n for s in range(runs)]
    label = f"independent cascade, Erdos-Renyi, c = {c}, T = {T}, n = {n:,}"
    return _rows(label, [(f"largest final share of {runs} runs (c T < 1)",
                          presets.final_size(c, T), max(sizes))], 0.01)


def ring_check(n=60):
    """Independent cascade with p = 1 on a ring reaches everyone (share 1, exactly).

    Examples
    --------
    >>> ring_check(n=30)[["predicted", "simulated", "ok"]].values.tolist()
    [[1.0, 1.0, True]]
    """
    import growthsim as gs
    from growthsim import presets
    from growthsim.graphs import ring

    sc = presets.independent_cascade(ring(n, 2), p=1.0, seeds=[0])
    share = gs.GrowthModel(sc, seed=1).run()["members"].iloc[-1] / n
    return _rows("independent cascade, ring, p = 1", [("final share", 1.0, share)], 0.0)
