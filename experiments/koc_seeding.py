"""Which KOCs to sign, and are they worth their fee? Seeding strategies compared over five years.

Signs 100 KOCs on day 0, chosen by each strategy of growthsim.seeding (random, degree,
PageRank, k-core, community spread, degree discount, IMM), against no KOCs, with common random
numbers; reports members, KOC-referred joins, fees and the fee per extra member.

    python experiments/koc_seeding.py [--reps 8] [--n 200000] [--workers 2]
"""

import matplotlib

matplotlib.use("Agg")

from _common import base_scenario, ci_table, overview, parse, run, save, totals  # noqa: E402
from growthsim import levers  # noqa: E402

STRATEGIES = ("random", "degree", "pagerank", "kcore", "community", "degree_discount", "imm")
METRICS = {"members_end": "{:,.0f}", "koc_joins": "{:,.0f}", "referred": "{:,.0f}",
           "wom_share": "{:.1%}", "koc_cost": "{:,.0f}", "cac": "{:,.1f}",
           "ltv_cac_end": "{:.2f}"}


def main():
    args = parse(__doc__)
    base = base_scenario(args)
    scenarios = {"none": levers.apply(base, koc="none", name="none")}
    for s in STRATEGIES:
        plan = f"{s}_100"
        if plan in levers.KOC_PLANS:
            scenarios[plan] = levers.apply(base, koc=plan, name=plan)
        else:
            scenarios[plan] = levers.apply(base, koc="random_100", name=plan) \
                .with_overrides({"koc.strategy": s})
    names = list(scenarios)
    cmp = run(scenarios, args)
    tot = totals(cmp)
    none = tot[tot["scenario"] == "none"].set_index("rep")["members_end"]
    tot["extra_members"] = tot["members_end"] - tot["rep"].map(none)
    tot["fee_per_extra_member"] = tot["koc_cost"] / tot["extra_members"].where(
        tot["extra_members"] > 0)
    metrics = {**METRICS, "extra_members": "{:,.0f}", "fee_per_extra_member": "{:,.1f}"}
    table, summary = ci_table(tot, list(metrics), metrics, order=names)
    save(table, summary, args)
    cmp.differences(baseline="none", metrics=["members_end", "joins", "wom_share"]) \
        .to_csv(args.out / "differences_vs_none.csv")

    panels = [("koc_joins", "joins referred by KOCs"),
              ("extra_members", "members at the end vs no KOCs")]
    overview(cmp, summary, args, names, panels, "koc_seeding")


if __name__ == "__main__":
    main()
