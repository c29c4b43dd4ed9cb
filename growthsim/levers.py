"""Named lever designs strategists compare: reward ladders, KOC plans and content cadences.

Each design is a dict of dotted scenario overrides with a description and the
FACTS.md ids it reflects. Apply designs to any scenario with :func:`apply`; the
scenario library in ``scenarios/`` holds the same designs as TOML files that
extend ``scenarios/baseline.toml`` (``python -m growthsim.levers scenarios``
writes them; a test checks they agree).
"""

# -- reward ladders ---------------------------------------------------------------------------
def _level(threshold, kind, value, cost, share_boost):
    return dict(threshold=threshold, kind=kind, value=value, cost=cost, share_boost=share_boost)


R1_LADDER = [
    _level(1, "coupon", 10.0, 10.0, 0.2),    # 1 share: base reward
    _level(3, "coupon", 30.0, 30.0, 0.4),    # 3 shares: upgraded reward
    _level(10, "status", 300.0, 200.0, 1.0),  # 10 shares: ambassador, annual gift
]

LADDERS = {
    "none": dict(
        description="No reward programme: members share on their own.",
        facts="R2 (self-initiated sharing), W2",
        overrides={"rewards.enabled": False}),
    "fixed_cash": dict(
        description="Fixed cash back for every share (2 yuan), no ladder.",
        facts="R2 (-85% referred joins from month 1 to month 2)",
        overrides={"rewards.levels": [], "rewards.per_share_cash": 2.0,
                   "rewards.per_share_boost": 30.0}),
    "ladder_1_3_10": dict(
        description="1 / 3 / 10 shares: base coupon, upgraded coupon, word-of-mouth "
                    "ambassador with an annual gift.",
        facts="R1",
        overrides={"rewards.levels": R1_LADDER}),
    "badges_only": dict(
        description="Honour only: a sharing badge at 1 share, an expert badge at 3, the "
                    "ambassador title at 10; almost no cost.",
        facts="R1 (honour incentives), R5 (badge: share rate +35%)",
        overrides={"rewards.levels": [_level(1, "badge", 0.0, 0.5, 0.35),
                                      _level(3, "badge", 0.0, 0.5, 0.5),
                                      _level(10, "status", 0.0, 2.0, 1.0)]}),
    "partner": dict(
        description="Growth incentives: members who bring friends become partners with "
                    "agency rights and training, and earn a commission per referral.",
        facts="R1 (partner programme, agency rights, training), R2 (honour + growth "
              "incentives kept word of mouth at 30%)",
        overrides={"rewards.metric": "referrals",
                   "rewards.levels": [_level(1, "badge", 0.0, 0.5, 0.35),
                                      _level(3, "status", 0.0, 5.0, 0.6),
                                      _level(10, "partner", 500.0, 300.0, 2.0)],
                   "rewards.per_referral_cash": 10.0, "rewards.per_referral_boost": 0.3}),
    "invite_3_unlock": dict(
        description="Invite 3 friends to join to unlock a perk (a 60-yuan coupon).",
        facts="R3 (cut acquisition cost by 50%; the standard group mechanic)",
        overrides={"rewards.metric": "referrals",
                   "rewards.levels": [_level(3, "coupon", 60.0, 40.0, 0.3)]}),
    "two_sided": dict(
        description="Referrer and newcomer both get 20 yuan for every friend who joins.",
        facts="R3, R4; two-sided referral programmes",
        overrides={"rewards.levels": [], "rewards.per_referral_cash": 20.0,
                   "rewards.per_referral_boost": 1.0, "rewards.newcomer_reward": 20.0,
                   "rewards.newcomer_boost": 0.5}),
    "surprise": dict(
        description="The 1 / 3 / 10 ladder with varied, surprise rewards of the same mean "
                    "cost.",
        facts="R2 (62% said the fixed reward lacked surprise)",
        overrides={"rewards.levels": R1_LADDER, "rewards.varied": True}),
}

# -- KOC plans --------------------------------------------------------------------------------
def _koc_plan(strategy, count=100):
    return {"koc.count": count, "koc.strategy": strategy, "koc.signed_day": 0,
            "koc.fee": 1_000.0}


KOC_PLANS = {
    "none": dict(description="No KOCs signed.", facts="",
                 overrides={"koc.count": 0}),
    "random_100": dict(description="100 KOCs chosen at random, signed on day 0 for "
                                   "1,000 yuan per 30 days each.",
                       facts="W1 (KOC referrals convert 6x ads), W3 (reach)",
                       overrides=_koc_plan("random")),
    "degree_100": dict(description="The 100 best-connected people as KOCs.",
                       facts="W1, W3", overrides=_koc_plan("degree")),
    "imm_100": dict(description="100 KOCs chosen by influence maximisation (IMM, with the "
                                "(1 - 1/e - epsilon) guarantee).",
                    facts="W1, W3; Tang, Shi & Xiao 2015", overrides=_koc_plan("imm")),
}

# -- content cadences -------------------------------------------------------------------------
MIX_721 = {"content.mix_value": 0.7, "content.mix_interaction": 0.2, "content.mix_promo": 0.1}

# Spring Festival (lunar new year) dates; the other festivals have fixed Gregorian dates.
SPRING_FESTIVAL = {
    2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13),
    2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31), 2034: (2, 19), 2035: (2, 8),
    2036: (1, 28), 2037: (2, 15), 2038: (2, 4), 2039: (1, 24), 2040: (2, 12),
}

#: Festival campaigns of one year: (name, first day, last day, content, share, conversion
#: multipliers). Days are (month, day), or an offset from the Spring Festival. The
#: multipliers are modelling choices: a campaign posts more, gives members a reason to
#: share and lowers the price of joining.
FESTIVALS = (
    ("spring_festival", -14, 6, 1.5, 1.5, 1.3),          # New-Year shopping, then the holiday
    ("618", (6, 1), (6, 18), 1.5, 1.3, 1.5),              # JD's 18 June sales
    ("double_11", (10, 21), (11, 11), 1.8, 1.5, 1.6),      # presales, then Singles' Day
    ("double_12", (12, 1), (12, 12), 1.3, 1.2, 1.3),
)
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def festival_calendar(years=5, start="2026-01-01", anniversary="09-01", days=None):
    """Campaign events for the festivals of every year of a run.

    Spring Festival (from two weeks before the lunar new year to its sixth day),
    618 (1-18 June), Double 11 (21 October - 11 November), Double 12 (1-12
    December) and the brand's anniversary (the week ending on it, where
    members celebrate and share most). Windows are cut to the run.

    Parameters
    ----------
    years : int
        Years the run lasts (from ``start``).
    start : str or datetime.date
        Calendar date of day 0 (ISO ``YYYY-MM-DD``); Spring Festival dates are
        known for 2024-2040.
    anniversary : str
        The brand's anniversary as ``MM-DD``.
    days : int, optional
        Length of the run in days (default ``round(365.25 * years)``).

    Returns
    -------
    list of dict
        Events of kind "campaign" (scenario ``events`` entries), sorted by day.

    Examples
    --------
    >>> ev = festival_calendar(years=1, start="2026-01-01")
    >>> [(e["day"], e["duration"]) for e in ev]
    [(33, 21), (151, 18), (237, 7), (293, 22), (334, 12)]
    >>> start_weekday("2026-01-01")
    'thu'
    """
    import datetime as dt

    day0 = _date(start)
    days = round(365.25 * years) if days is None else int(days)
    month, mday = (int(x) for x in anniversary.split("-"))
    events = []
    for year in range(day0.year, (day0 + dt.timedelta(days=days)).year + 1):
        windows = []
        for name, first, last, content, share, conv in FESTIVALS:
            if name == "spring_festival":
                if year not in SPRING_FESTIVAL:
                    raise ValueError(f"no Spring Festival date known for {year} (have "
                                     f"{min(SPRING_FESTIVAL)}-{max(SPRING_FESTIVAL)})")
                new_year = dt.date(year, *SPRING_FESTIVAL[year])
                a, b = new_year + dt.timedelta(days=first), new_year + dt.timedelta(days=last)
            else:
                a, b = dt.date(year, *first), dt.date(year, *last)
            windows.append((a, b, content, share, conv))
        anniv = dt.date(year, month, mday)
        windows.append((anniv - dt.timedelta(days=6), anniv, 1.5, 2.0, 1.2))
        for a, b, content, share, conv in windows:
            first_day, last_day = max(0, (a - day0).days), min(days - 1, (b - day0).days)
            if first_day <= last_day:
                events.append({"kind": "campaign", "day": first_day,
                               "duration": last_day - first_day + 1, "content_mult": content,
                               "share_mult": share, "conversion_mult": conv})
    return sorted(events, key=lambda e: e["day"])


def start_weekday(start):
    """The ``run.start_weekday`` of a calendar date (``"mon"`` ... ``"sun"``).

    Examples
    --------
    >>> start_weekday("2026-01-01")
    'thu'
    """
    return WEEKDAY_NAMES[_date(start).weekday()]


def _date(value):
    import datetime as dt

    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


CADENCES = {
    "721": dict(
        description="The 721 rule: 70% member-value posts, 20% interaction, 10% brand and "
                    "promotion (19 posts a week: 3 on weekdays, 2 on weekend days).",
        facts="C1",
        overrides=dict(MIX_721)),
    "promo_heavy": dict(
        description="70% promotions and product pushes, 20% value, 10% interaction.",
        facts="C2 (aesthetic fatigue: churn about doubles, as high as 35%)",
        overrides={"content.mix_value": 0.2, "content.mix_interaction": 0.1,
                   "content.mix_promo": 0.7}),
    "weekend": dict(
        description="Key posts on weekends: 2 daytime posts each weekday, 4.5 on Saturday "
                    "and Sunday (19 a week).",
        facts="C5 (interaction drops on weekends)",
        overrides={"content.posts": [2.0, 2.0, 2.0, 2.0, 2.0, 4.5, 4.5],
                   "content.evening_share": 0.0}),
    "weekday_evening": dict(
        description="The weekend design's 9 key posts moved to weekday evenings: 2 daytime "
                    "and 1.8 evening posts each weekday, none on weekends (19 a week).",
        facts="C5 (key content on weekday evenings: interaction +23%)",
        overrides={"content.posts": [3.8, 3.8, 3.8, 3.8, 3.8, 0.0, 0.0],
                   "content.evening_share": 1.8 / 3.8}),
    "daily_checkin": dict(
        description="The 721 mix plus a daily check-in task (each completed check-in is an "
                    "interaction and costs 0.2 yuan).",
        facts="C1, C6 (check-in completion under 15%), E1",
        overrides={**MIX_721, "content.checkin": True}),
    "campaign_calendar": dict(
        description="The 721 mix plus festival campaigns every year from 1 January 2026: "
                    "Spring Festival, 618, Double 11, Double 12 and the brand's anniversary "
                    "(1 September).",
        facts="none (festival dates are the calendar's; campaign sizes are modelling "
              "choices)",
        overrides={**MIX_721, "run.start_weekday": start_weekday("2026-01-01"),
                   "events": festival_calendar(years=5, start="2026-01-01")}),
}

KINDS = {"ladder": LADDERS, "koc": KOC_PLANS, "cadence": CADENCES}
FOLDERS = {"ladder": "ladders", "koc": "koc", "cadence": "cadence"}


def design(kind, name):
    """The design ``name`` of ``kind`` ('ladder', 'koc' or 'cadence') as a dict.

    Examples
    --------
    >>> from growthsim import levers
    >>> levers.design("ladder", "fixed_cash")["overrides"]["rewards.per_share_cash"]
    2.0
    """
    if kind not in KINDS:
        raise ValueError(f"unknown lever kind {kind!r}; expected one of {sorted(KINDS)}")
    table = KINDS[kind]
    if name not in table:
        raise ValueError(f"unknown {kind} design {name!r}; expected one of {sorted(table)}")
    return table[name]


def apply(scenario, *, ladder=None, koc=None, cadence=None, name=None):
    """The scenario with the named designs applied (validated like a scenario file).

    Parameters
    ----------
    scenario : Scenario
        The starting point, e.g. ``load_scenario("scenarios/baseline.toml")``.
    ladder, koc, cadence : str, optional
        Names in :data:`LADDERS`, :data:`KOC_PLANS` and :data:`CADENCES`.
    name : str, optional
        Name of the result (default: the design names joined with '+').

    Examples
    --------
    >>> import growthsim as gs
    >>> from growthsim import levers
    >>> sc = levers.apply(gs.Scenario(), ladder="two_sided", koc="imm_100")
    >>> sc.name, sc.rewards.per_referral_cash, sc.koc.strategy
    ('two_sided+imm_100', 20.0, 'imm')
    """
    overrides, names = {}, []
    for kind, chosen in (("ladder", ladder), ("koc", koc), ("cadence", cadence)):
        if chosen is not None:
            overrides.update(design(kind, chosen)["overrides"])
            names.append(chosen)
    overrides["name"] = name or "+".join(names) or scenario.name
    return scenario.with_overrides(overrides)


def scenario_toml(kind, name):
    """The text of the scenario-library file of one design (extends ../baseline.toml).

    Examples
    --------
    >>> text = scenario_toml("ladder", "badges_only")
    >>> print(text.splitlines()[2])
    extends = "../baseline.toml"
    >>> import tomllib
    >>> tomllib.loads(text)["rewards"]["levels"][0]["kind"]
    'badge'
    """
    import tomli_w

    d = design(kind, name)
    nested = {}
    for key, value in d["overrides"].items():
        *path, leaf = key.split(".")
        node = nested
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = value
    head = {"extends": "../baseline.toml", "name": f"{FOLDERS[kind]}/{name}",
            "description": d["description"]}
    body = tomli_w.dumps({**head, **nested}, multiline_strings=False)
    facts = f" Facts: {d['facts']}." if d["facts"] else ""
    return (f"# {kind} design '{name}': {d['description']}{facts}\n"
            f"# Generated from growthsim.levers.{_TABLE_NAMES[kind]}['{name}'] by "
            f"`python -m growthsim.levers scenarios`; edit it there.\n" + body)


_TABLE_NAMES = {"ladder": "LADDERS", "koc": "KOC_PLANS", "cadence": "CADENCES"}


def write_library(folder, check=False):
    """Write (or with ``check``, compare) every design's file under ``folder``.

    Returns the paths that were out of date.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> written = write_library(folder)
    >>> len(written) == sum(len(t) for t in KINDS.values()), write_library(folder, check=True)
    (True, [])
    """
    from pathlib import Path

    stale = []
    for kind, table in KINDS.items():
        for name in table:
            path = Path(folder) / FOLDERS[kind] / f"{name}.toml"
            text = scenario_toml(kind, name)
            if not path.exists() or path.read_text() != text:
                stale.append(path)
                if not check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text)
    return stale


if __name__ == "__main__":
    import sys

    args = [a for a in sys.argv[1:] if a != "--check"]
    folder = args[0] if args else "scenarios"
    out = write_library(folder, check="--check" in sys.argv)
    for p in out:
        print(("out of date: " if "--check" in sys.argv else "wrote ") + str(p))
    sys.exit(1 if out and "--check" in sys.argv else 0)
