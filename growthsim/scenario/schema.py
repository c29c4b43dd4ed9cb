"""The one typed declaration of every scenario parameter.

Each field states its type, allowed range, unit, default and the source of the
default (an id from FACTS.md, a paper, or "modelling choice"). Validation,
error messages, the docs' scenario reference and the dashboard's controls are
all derived from these declarations.
"""

from dataclasses import MISSING, dataclass, field, fields
from typing import get_args, get_origin, get_type_hints


def param(default, lo=None, hi=None, *, unit="", source="", help="", choices=None,
          min_len=None, max_len=None):
    """Declare a scenario field: a dataclass field whose metadata is its contract.

    Parameters
    ----------
    default : object
        Default value; a list or tuple becomes a tuple default (fields stay immutable).
    lo, hi : float, optional
        Inclusive bounds of a number (of each element for a list of numbers).
    unit, source, help : str
        Unit, where the default comes from (a FACTS.md id, a paper or "modelling
        choice") and the meaning; shown in docs/scenarios.md and error messages.
    choices : tuple of str, optional
        The allowed values of a text field.
    min_len, max_len : int, optional
        Allowed length of a list.

    Returns
    -------
    dataclasses.Field

    Examples
    --------
    >>> from dataclasses import dataclass, fields
    >>> @dataclass(frozen=True)
    ... class Demo:
    ...     rate: float = param(0.1, 0.0, 1.0, unit="per day", help="A rate.")
    >>> Demo().rate, fields(Demo)[0].metadata["hi"]
    (0.1, 1.0)
    """
    meta = dict(lo=lo, hi=hi, unit=unit, source=source, help=help, choices=choices,
                min_len=min_len, max_len=max_len)
    if isinstance(default, (list, tuple)):
        return field(default_factory=lambda d=tuple(default): d, metadata=meta)
    return field(default=default, metadata=meta)


def section(cls):
    """A section (sub-table) whose default is its all-defaults instance.

    Examples
    --------
    >>> Scenario().run == Run()
    True
    """
    return field(default_factory=cls, metadata=dict(section=True))


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REWARD_KINDS = ("cash", "coupon", "badge", "status", "partner")
GRAPH_KINDS = ("barabasi_albert", "watts_strogatz", "erdos_renyi", "circles",
               "configuration_model", "ring", "complete", "file")
SHARE_WHEN = ("active", "daily", "on_join")
# growthsim.seeding.STRATEGIES re-exports this tuple (and asserts they agree); kept here so the
# schema does not import numba.
SEED_STRATEGIES = ("random", "degree", "pagerank", "kcore", "community", "degree_discount",
                   "celf", "imm")
EVENT_KINDS = ("campaign", "crisis")


@dataclass(frozen=True)
class Run:
    """Horizon, seed and calendar of a run (``[run]``).

    Examples
    --------
    >>> Run().days, Run().start_weekday
    (1826, 'mon')
    """
    days: int = param(1826, 1, 36_500, unit="days", source="5 years of 365.25 days",
                      help="Simulated horizon; one tick is one day.")
    seed: int = param(1, 0, 2**53, source="modelling choice",
                      help="Seed of the counter-based random numbers (graph and dynamics).")
    start_weekday: str = param("mon", choices=WEEKDAYS, source="modelling choice",
                               help="Weekday of day 0.")
    stop_when_quiet: bool = param(False, source="modelling choice",
                                  help="Stop early once no member is left to share and no "
                                       "outside channel can bring anyone (cascade presets).")


@dataclass(frozen=True)
class Segment:
    """One market segment (an element of ``[[population.segments]]``): its share of the market
    and its multipliers on engagement, sharing, conversion and spending.

    Examples
    --------
    >>> DEFAULT_SEGMENTS[0].name, DEFAULT_SEGMENTS[0].share
    ('gen_z', 0.3)
    """
    name: str = param("everyone", help="Segment label.")
    share: float = param(1.0, 0.0, 1.0, unit="fraction of people",
                         help="Fraction of the market in this segment.")
    engagement: float = param(1.0, 0.0, 5.0, unit="multiplier",
                              help="Taste for the community's content (reads, interactions).")
    share_propensity: float = param(1.0, 0.0, 5.0, unit="multiplier",
                                    help="Readiness to share when active.")
    conversion: float = param(1.0, 0.0, 5.0, unit="multiplier",
                              help="Receptiveness to a friend's recommendation.")
    spend: float = param(1.0, 0.0, 10.0, unit="multiplier", help="Basket size.")
    trust0: float = param(0.5, 0.0, 1.0, unit="trust [0, 1]",
                          help="Initial trust in the brand.")


DEFAULT_SEGMENTS = (
    Segment("gen_z", 0.30, 1.2, 1.3, 0.8, 0.8, 0.40),
    Segment("new_middle_class", 0.30, 1.0, 1.0, 1.1, 1.4, 0.50),
    Segment("silver", 0.15, 0.8, 0.7, 1.2, 1.0, 0.60),
    Segment("lower_tier_cities", 0.25, 1.1, 1.2, 1.0, 0.7, 0.55),
)


@dataclass(frozen=True)
class Population:
    """The addressable market (``[population]``): its size, the social graph and the segments.

    Examples
    --------
    >>> p = Population()
    >>> p.n, p.graph, len(p.segments)
    (1000000, 'circles', 4)
    """
    n: int = param(1_000_000, 2, 100_000_000, unit="people",
                   help="Addressable market: people on the social graph.")
    graph: str = param("circles", choices=GRAPH_KINDS, source="modelling choice",
                       help="Social graph generator, or 'file' for an edge list.")
    mean_degree: float = param(20.0, 1.0, 2_000.0, unit="ties per person",
                               source="modelling choice (WeChat-style close-tie circles)",
                               help="Mean number of ties.")
    rewiring: float = param(0.1, 0.0, 1.0, unit="probability",
                            help="Watts-Strogatz rewiring probability.")
    n_groups: int = param(0, 0, 10_000_000, unit="circles",
                          help="Interest circles for the 'circles' graph; 0 = n / group_size.")
    group_size: float = param(200.0, 2.0, 1e7, unit="people per circle",
                              help="Mean circle size when n_groups = 0.")
    mixing: float = param(0.1, 0.0, 1.0, unit="fraction of ties",
                          help="Share of ties that cross circles ('circles' graph).")
    degree_exponent: float = param(2.5, 2.01, 5.0,
                                   help="Power-law exponent of the configuration model.")
    graph_file: str = param("", help="Edge list (plain or .gz) when graph = 'file'; "
                                     "relative to the scenario file.")
    graph_directed: bool = param(False, help="Read graph_file as directed (u -> v).")
    segments: tuple[Segment, ...] = param(DEFAULT_SEGMENTS, min_len=1, max_len=32,
                                          source="W4 (Gen Z distrust), E5; modelling choice",
                                          help="Market segments and their base multipliers.")


@dataclass(frozen=True)
class Channels:
    """Where people are and how shares travel (``[channels]``): private groups, short video and
    notes; reach and conversion multipliers per channel.

    Examples
    --------
    >>> Channels().reach_private
    0.45
    """
    on_private: float = param(0.9, 0.0, 1.0, unit="fraction of people",
                              help="Share of people in private groups (WeChat-style).")
    on_video: float = param(0.6, 0.0, 1.0, unit="fraction of people",
                            help="Share of people on the short-video platform.")
    on_notes: float = param(0.3, 0.0, 1.0, unit="fraction of people",
                            help="Share of people on the notes platform.")
    weight_private: float = param(0.6, 0.0, 1.0, help="Relative preference to share privately.")
    weight_video: float = param(0.25, 0.0, 1.0, help="Relative preference to share on video.")
    weight_notes: float = param(0.15, 0.0, 1.0, help="Relative preference to share on notes.")
    reach_private: float = param(0.45, 0.0, 1.0, unit="probability per friend",
                                 source="C4 (close ties read more than the 15% average); R2, "
                                        "R4 (WOM 30-40% of joins in the baseline)",
                                 help="Chance a friend sees a private share.")
    reach_followers: float = param(0.1, 0.0, 1.0, unit="probability per follower",
                                   help="Chance a follower sees a video share.")
    video_strangers: float = param(10.0, 0.0, 10_000.0, unit="people per share",
                                   help="Mean strangers a video share reaches.")
    conversion_private: float = param(1.0, 0.0, 5.0, unit="multiplier",
                                      help="Conversion multiplier of private shares.")
    conversion_video: float = param(0.25, 0.0, 5.0, unit="multiplier",
                                    help="Conversion multiplier of video (low intent).")
    conversion_notes: float = param(0.5, 0.0, 5.0, unit="multiplier",
                                    help="Conversion multiplier of notes discoveries.")
    notes_views: float = param(0.5, 0.0, 1_000.0, unit="people per note per day",
                               help="Discoveries a live note brings each day.")
    notes_half_life: float = param(60.0, 1.0, 3_650.0, unit="days",
                                   help="Half-life of a note's discoverability.")


@dataclass(frozen=True)
class Content:
    """The operator's posting cadence and content mix, reads and interactions, member posts
    (UGC), fatigue, trust and the daily check-in (``[content]``).

    Examples
    --------
    >>> c = Content()
    >>> c.mix_value + c.mix_interaction + c.mix_promo
    1.0
    """
    posts: tuple[float, ...] = param((3, 3, 3, 3, 3, 2, 2), 0.0, 100.0, min_len=7, max_len=7,
                                     unit="posts per day, Monday first",
                                     source="C4, modelling choice",
                                     help="Operator posts on each weekday.")
    mix_value: float = param(0.7, 0.0, 1.0, unit="fraction", source="C1 (721 rule)",
                             help="Share of member-value posts.")
    mix_interaction: float = param(0.2, 0.0, 1.0, unit="fraction", source="C1",
                                   help="Share of interaction posts.")
    mix_promo: float = param(0.1, 0.0, 1.0, unit="fraction", source="C1",
                             help="Share of brand and promotion posts.")
    evening_share: float = param(0.3, 0.0, 1.0, unit="fraction of weekday posts",
                                 help="Share of weekday posts sent in the evening slot.")
    evening_boost: float = param(1.4, 0.0, 5.0, unit="multiplier",
                                 source="C5 (key posts moved to weekday evenings: +23% "
                                        "interaction)",
                                 help="Engagement with posts in the weekday-evening slot "
                                      "(calibrated with weekend_factor so that the "
                                      "weekday_evening cadence beats weekend by ~23%).")
    weekend_factor: float = param(0.65, 0.0, 5.0, unit="multiplier",
                                  source="C5 (interaction drops on weekends)",
                                  help="Engagement on weekends.")
    read_value: float = param(0.9, 0.0, 5.0, unit="reads per post",
                              source="C3 (3 reads a day on joining, at 3 posts a day)",
                              help="Reads of a value post by a member at engagement 1.")
    read_interaction: float = param(0.9, 0.0, 5.0, unit="reads per post", source="C3",
                                    help="Reads of an interaction post at engagement 1.")
    read_promo: float = param(0.55, 0.0, 5.0, unit="reads per post",
                              source="C4 (promotions are read less)",
                              help="Reads of a promo post at engagement 1.")
    read_ugc: float = param(0.3, 0.0, 5.0, unit="reads per post",
                            help="Reads of a member's post at engagement 1.")
    interact_value: float = param(0.25, 0.0, 5.0, unit="interactions per post",
                                  source="C3 (interactions ~2/3 of reads), E1",
                                  help="Interactions with a value post at engagement 1 "
                                       "(they happen on posts read).")
    interact_interaction: float = param(1.0, 0.0, 5.0, unit="interactions per post",
                                        source="C3, E1 (weekly interactions around 3-5)",
                                        help="Interactions with an interaction post.")
    interact_promo: float = param(0.05, 0.0, 5.0, unit="interactions per post",
                                  help="Interactions with a promo post.")
    interact_ugc: float = param(0.3, 0.0, 5.0, unit="interactions per post",
                                help="Interactions with a member's post.")
    fatigue: bool = param(True, help="Switch content fatigue on or off.")
    fatigue_base: float = param(0.005, 0.0, 1.0, unit="per read",
                                source="C3 (small: variety itself barely tires)",
                                help="Fatigue per read of perfectly varied content.")
    fatigue_sameness: float = param(0.11, 0.0, 1.0, unit="per read at full sameness",
                                    source="C3 (single-kind content: reads -72% in a week)",
                                    help="Added fatigue per read at sameness 1.")
    fatigue_promo: float = param(0.11, 0.0, 5.0, unit="per read at promo share 1", source="C2",
                                 help="Added fatigue per read, times the promo share of reads.")
    fatigue_recovery: float = param(0.03, 0.0, 1.0, unit="per day",
                                    source="C3 (the fall holds past the first week)",
                                    help="Rest decay of fatigue.")
    trust_dynamics: bool = param(True, help="Switch trust updates on or off.")
    trust_gain_value: float = param(0.001, 0.0, 1.0, unit="per value read",
                                    source="C2 (with trust_loss_promo)",
                                    help="Trust gained per value read, times (1 - trust).")
    trust_gain_interaction: float = param(0.001, 0.0, 1.0, unit="per interaction",
                                          help="Trust gained per interaction, times "
                                               "(1 - trust).")
    trust_loss_promo: float = param(0.003, 0.0, 1.0, unit="per promo read",
                                    source="C2 (70% promo: churn about 2x the 721 mix)",
                                    help="Trust lost per promo read, times trust.")
    ugc_propensity: float = param(0.012, 0.0, 1.0, unit="probability per active member-day",
                                  source="C6 (~20% of members ever post)",
                                  help="Chance an average active member posts "
                                       "(times their creator propensity, capped "
                                       "at one post a day).")
    ugc_concentration: float = param(2.6, 0.0, 5.0, unit="lognormal sigma",
                                     source="C6 (20% of posters make ~80% of posts)",
                                     help="Spread of creator propensity.")
    ugc_audience: float = param(30.0, 0.0, 10_000.0, unit="members per post",
                                help="Members who see one UGC post.")
    engagement_spread: float = param(1.1, 0.0, 3.0, unit="lognormal sigma",
                                     source="E1 (members differ lastingly: some over 5 "
                                            "interactions a week, many under 3)",
                                     help="Spread of individual taste for the content "
                                          "(an engagement multiplier of mean 1 per person).")
    checkin: bool = param(False, source="C6",
                          help="Daily check-in task: a completed check-in is one interaction "
                               "and costs checkin_cost.")
    checkin_completion: float = param(0.25, 0.0, 1.0, unit="probability per member-day at "
                                      "engagement 1",
                                      source="C6 (completion under 15%: ~10% of member-days)",
                                      help="Chance a member completes today's check-in, times "
                                           "their engagement (capped at 1).")
    checkin_cost: float = param(0.2, 0.0, 1e4, unit="yuan per check-in",
                                source="modelling choice (points or a small coupon)",
                                help="Reward paid for each completed check-in (reward_cost).")


@dataclass(frozen=True)
class Sharing:
    """When and how often active members share (``[sharing]``).

    Examples
    --------
    >>> Sharing().p_share
    0.04
    """
    share_when: str = param("active", choices=SHARE_WHEN, source="modelling choice",
                            help="'active': active members may share each day; 'daily': every "
                                 "member may share each day (Bass); 'on_join': one share on "
                                 "the day after joining (independent cascade).")
    p_share: float = param(0.04, 0.0, 1.0, unit="probability per active member-day",
                           source="R2, R5; modelling choice",
                           help="Base chance an active member shares today.")


@dataclass(frozen=True)
class Conversion:
    """How an exposure to a share turns a friend into a member (``[conversion]``).

    Examples
    --------
    >>> Conversion().p_convert
    0.0044
    """
    p_convert: float = param(0.0044, 0.0, 1.0, unit="probability per exposure",
                             source="W2 (realised WOM joins per exposure ~4x ad joins per "
                                    "impression)",
                             help="Base chance one friend's share converts its receiver.")
    tie_strength_exponent: float = param(1.0, 0.0, 5.0,
                                         help="Conversion scales with tie strength to this power.")
    trust_weight: float = param(1.0, 0.0, 2.0,
                                help="0: trust does not matter; 1: conversion is proportional "
                                     "to 2 x receiver trust.")
    exposure_decay: float = param(0.98, 0.0, 1.0, unit="factor per earlier exposure",
                                  source="R2, R4 (WOM stays 30-40% of joins over years)",
                                  help="Diminishing returns: each earlier exposure multiplies "
                                       "the chance by this factor.")
    rejoin_factor: float = param(0.2, 0.0, 1.0, unit="multiplier",
                                 help="Receptiveness of people who churned before.")


@dataclass(frozen=True)
class Organic:
    """People who find the community on their own (``[organic]``), Bass's innovation term.

    Examples
    --------
    >>> Organic().p_discover
    0.01
    """
    p_discover: float = param(0.01, 0.0, 10.0, unit="per year", source="Bass innovation p "
                              "(Sultan, Farley & Lehmann 1990: mean 0.03)",
                              help="Rate at which a non-member discovers the brand unaided.")


@dataclass(frozen=True)
class Ads:
    """Paid acquisition (``[ads]``): daily budget by phase, price and conversion of impressions.

    Examples
    --------
    >>> Ads().daily_budget, Ads().cpm
    ((1000.0,), 40.0)
    """
    daily_budget: tuple[float, ...] = param((1_000.0,), 0.0, 1e9, min_len=1, max_len=50,
                                            unit="yuan per day, one value per year",
                                            help="Ad budget; the last value holds afterwards.")
    revenue_share: tuple[float, ...] = param((0.0,), 0.0, 1.0, min_len=1, max_len=50,
                                             unit="fraction of revenue, one value per year",
                                             source="five-year plan (budget 8-12% of revenue)",
                                             help="Added to daily_budget: this share of the "
                                                  "members' mean daily revenue over the last "
                                                  "30 days; the last value holds afterwards.")
    cpm: float = param(40.0, 0.01, 10_000.0, unit="yuan per 1,000 impressions")
    p_convert: float = param(0.0008, 0.0, 1.0, unit="probability per impression",
                             source="W1, W2 (WOM 4x, KOC 6x better); CAC = cpm / 1000 / "
                                    "p_convert = 50 yuan",
                             help="Chance an ad impression converts.")


@dataclass(frozen=True)
class Level:
    """One rung of the reward ladder (an element of ``[[rewards.levels]]``): the count that
    reaches it, the kind of reward, its face value and cost, and the share propensity it adds.

    Examples
    --------
    >>> [(lv.threshold, lv.kind) for lv in DEFAULT_LEVELS]
    [(1, 'coupon'), (3, 'coupon'), (10, 'status')]
    """
    threshold: int = param(1, 1, 1_000_000, unit="shares or referrals")
    kind: str = param("coupon", choices=REWARD_KINDS, source="R1")
    value: float = param(10.0, 0.0, 1e6, unit="yuan face value")
    cost: float = param(10.0, 0.0, 1e6, unit="yuan")
    share_boost: float = param(0.2, 0.0, 10.0, unit="added share propensity",
                               help="How much holding this tier raises share propensity.")


DEFAULT_LEVELS = (
    Level(1, "coupon", 10.0, 10.0, 0.2),
    Level(3, "coupon", 30.0, 30.0, 0.4),
    Level(10, "status", 300.0, 200.0, 1.0),
)


@dataclass(frozen=True)
class Rewards:
    """The reward programme (``[rewards]``): the ladder, per-share and per-referral rewards,
    habituation by reward kind, crowding out, goal gradient and loss aversion.

    Examples
    --------
    >>> r = Rewards()
    >>> r.enabled, r.metric, len(r.levels)
    (True, 'shares', 3)
    """
    enabled: bool = param(True, help="Switch the reward ladder on or off.")
    metric: str = param("shares", choices=("shares", "referrals"), source="R1",
                        help="What the ladder counts.")
    levels: tuple[Level, ...] = param(DEFAULT_LEVELS, min_len=0, max_len=20, source="R1",
                                      help="Ladder levels in ascending threshold order.")
    per_share_cash: float = param(0.0, 0.0, 1e4, unit="yuan per share", source="R2",
                                  help="Fixed cash back paid for every share.")
    per_share_boost: float = param(0.0, 0.0, 100.0, unit="added share propensity",
                                   help="Pull of the per-share cash back.")
    per_referral_cash: float = param(0.0, 0.0, 1e4, unit="yuan per referred join",
                                     source="R3, R4",
                                     help="Reward to the referrer for every friend who joins "
                                          "(cash kind).")
    per_referral_boost: float = param(0.0, 0.0, 100.0, unit="added share propensity",
                                      help="Pull of the per-referral reward.")
    newcomer_reward: float = param(0.0, 0.0, 1e4, unit="yuan per referred join",
                                   help="Two-sided referral: reward to the newcomer.")
    newcomer_boost: float = param(0.0, 0.0, 10.0, unit="conversion multiplier - 1",
                                  help="Conversion uplift of a two-sided reward.")
    habituation_cash: float = param(5.0, 0.0, 10.0, unit="x habituation_rate",
                                    source="R2 (cash back 'lacked surprise': referred joins "
                                           "-85% from month 1 to month 2; calibrated)",
                                    help="Habituation from a cash reward (per-share and "
                                         "per-referral cash, cash levels).")
    habituation_coupon: float = param(0.8, 0.0, 5.0, unit="x habituation_rate",
                                      source="R1, R2 (material rewards)",
                                      help="Habituation from a coupon level.")
    habituation_badge: float = param(0.3, 0.0, 5.0, unit="x habituation_rate",
                                     source="R2 (honour incentives kept sharing at 50%), R5",
                                     help="Habituation from a badge level.")
    habituation_status: float = param(0.3, 0.0, 5.0, unit="x habituation_rate",
                                      source="R1, R2 (honour incentives)",
                                      help="Habituation from a status level (titles, "
                                           "ambassador).")
    habituation_partner: float = param(0.2, 0.0, 5.0, unit="x habituation_rate",
                                       source="R1, R2 (growth incentives)",
                                       help="Habituation from a partner level (agency rights, "
                                            "training).")
    crowding_out: float = param(0.6, 0.0, 1.0, unit="fraction of intrinsic sharing",
                                source="R2 (self-initiated sharing recovered after cash back "
                                       "ended); Deci, Koestner & Ryan 1999; Gneezy & "
                                       "Rustichini 2000",
                                help="At full habituation, rewards crowd out this fraction "
                                     "of members' own (unrewarded) readiness to share.")
    norm_habituation: float = param(1.0, 0.0, 1.0, unit="fraction of the members' mean",
                                    source="R2 (62% said the reward 'lacked surprise')",
                                    help="Newcomers start at this fraction of the members' "
                                         "mean habituation: a known reward is no surprise.")
    varied: bool = param(False, source="R2 (62% said rewards lacked surprise)",
                         help="Varied (surprise) rewards habituate more slowly.")
    habituation_rate: float = param(0.15, 0.0, 1.0, unit="per reward", source="R2",
                                    help="Habituation gained from each fixed reward.")
    varied_factor: float = param(0.4, 0.0, 1.0, unit="multiplier",
                                 help="Habituation of varied rewards relative to fixed.")
    habituation_recovery: float = param(0.001, 0.0, 1.0, unit="per day",
                                        source="R2 (the cash programme did not recover in "
                                               "month 2; calibrated)",
                                        help="Daily decay of habituation without rewards.")
    goal_gradient: float = param(0.5, 0.0, 10.0, unit="added share propensity at the goal",
                                 help="Members accelerate as they near the next tier.")
    relax_days: int = param(7, 0, 365, unit="days", help="Post-reward pause.")
    relax_factor: float = param(0.5, 0.0, 1.0, unit="multiplier",
                                help="Share propensity during the post-reward pause.")
    loss_aversion: bool = param(False, source="R6", help="Demote inactive members.")
    demote_after: int = param(30, 1, 3_650, unit="silent days", source="E4 (silence <= 30 d)")
    loss_aversion_boost: float = param(0.4, 0.0, 5.0, unit="engagement uplift",
                                       source="R6 (+27% participation; calibrated)",
                                       help="Engagement uplift of ranked members under "
                                            "a demotion rule.")
    tier_engagement: float = param(0.05, 0.0, 5.0, unit="engagement uplift per tier",
                                   source="W5")


@dataclass(frozen=True)
class Koc:
    """Key opinion consumers (``[koc]``): how many are signed, how they are chosen, when, at what
    fee, and how far their shares carry.

    Examples
    --------
    >>> Koc().count, Koc().strategy
    (0, 'degree')
    """
    count: int = param(0, 0, 1_000_000, unit="KOCs", source="modelling choice",
                       help="Key opinion consumers signed (the five-year plan asks for 100+ "
                            "by year 2).")
    strategy: str = param("degree", choices=SEED_STRATEGIES,
                          source="Kempe, Kleinberg & Tardos 2003 (degree baseline)",
                          help="How KOCs are chosen (growthsim.seeding.select).")
    influence_p: float = param(0.0, 0.0, 1.0, unit="probability per tie",
                               source="Kempe, Kleinberg & Tardos 2003; 0 = weighted cascade of "
                                      "Tang, Shi & Xiao 2015",
                               help="Independent-cascade probability the celf, imm and "
                                    "degree_discount strategies assume; 0 means weighted "
                                    "cascade (1 / in-degree of the receiver).")
    epsilon: float = param(0.2, 0.01, 1.0, unit="approximation slack",
                           source="Tang, Shi & Xiao 2015",
                           help="IMM's epsilon: spread >= (1 - 1/e - epsilon) x optimum with "
                                "probability 1 - 1/n; smaller is slower.")
    signed_day: int = param(0, 0, 36_500, unit="day", source="modelling choice",
                            help="Day the KOCs are signed.")
    fee: float = param(1_000.0, 0.0, 1e7, unit="yuan per KOC per 30 days",
                       source="modelling choice")
    followers: float = param(1_000.0, 0.0, 1e6, unit="followers per KOC", source="W3",
                             help="Mean audience added as follow edges when the graph "
                                  "has none.")
    credibility: float = param(2.6, 0.0, 20.0, unit="conversion multiplier",
                               source="W1 (realised KOC joins per exposure ~6x ads; most KOC "
                                      "exposures are low-intent video)")
    share_mult: float = param(3.0, 0.0, 100.0, unit="share propensity multiplier",
                              source="modelling choice")


@dataclass(frozen=True)
class Seeding:
    """The community on day 0 (``[seeding]``): how many founding members and how they are chosen.

    Examples
    --------
    >>> Seeding().initial_members
    300
    """
    initial_members: int = param(300, 0, 100_000_000, unit="members",
                                 help="Members on day 0 (the seed community).")
    strategy: str = param("random", choices=SEED_STRATEGIES)
    ids: tuple[int, ...] = param((), 0, 2**31 - 2, min_len=0, max_len=10_000_000,
                                 help="Explicit day-0 members (overrides initial_members).")


@dataclass(frozen=True)
class Interventions:
    """Operator interventions on silent members (``[interventions]``): wake-up pushes.

    Examples
    --------
    >>> Interventions().wakeup_after
    7
    """
    wakeup: bool = param(True, source="E4", help="Push to members after N silent days.")
    wakeup_after: int = param(7, 1, 3_650, unit="silent days", source="E4")
    wakeup_cost: float = param(0.05, 0.0, 1e4, unit="yuan per push")
    wakeup_success: float = param(0.15, 0.0, 1.0, unit="probability",
                                  source="C4 (read rate under 15%)")


@dataclass(frozen=True)
class Churn:
    """Why members leave (``[churn]``): a daily hazard raised by silence, fatigue and low trust,
    lowered by tier, creating, activity and a referrer still in the community; negative word of
    mouth from leavers.

    Examples
    --------
    >>> Churn().base_hazard
    0.00023
    """
    enabled: bool = param(True, help="Switch churn on or off.")
    base_hazard: float = param(0.00023, 0.0, 1.0, unit="per member-day",
                               source="C2 (721 mix: ~15-20% a year; 70% promo: ~2x), E2, W5")
    silence_weight: float = param(1.0, 0.0, 20.0, unit="log-hazard per 30 silent days",
                                  source="E2 (drift after 3-6 months)")
    silence_cap: int = param(180, 1, 3_650, unit="days")
    fatigue_weight: float = param(2.0, 0.0, 20.0, unit="log-hazard at full fatigue", source="C2")
    trust_weight: float = param(2.0, 0.0, 20.0, unit="log-hazard per unit of trust below 0.5")
    tier_weight: float = param(0.3, 0.0, 20.0, unit="log-hazard per tier", source="W5")
    creator_factor: float = param(0.31, 0.0, 1.0, unit="hazard multiplier", source="C7 (3.2x)")
    low_activity_weight: float = param(0.4, 0.0, 20.0,
                                       unit="log-hazard per weekly interaction below 3",
                                       source="E1")
    high_activity_factor: float = param(0.5, 0.0, 1.0,
                                        unit="hazard multiplier above 5 interactions a week",
                                        source="E1")
    referrer_bond: float = param(
        0.85, 0.0, 1.0, unit="hazard multiplier while the referrer is a member",
        source="Schmitt, Skiera & Van den Bulte 2011 (referred customers churn ~18% less)",
        help="Social enrichment: a member brought by a friend or KOC leaves less readily "
             "while that person is still a member. 1 switches it off.")
    nwom_prob: float = param(0.1, 0.0, 1.0, unit="probability per churner", source="W6")
    nwom_trust_hit: float = param(0.05, 0.0, 1.0, unit="trust lost per tie strength",
                                  source="W6")


@dataclass(frozen=True)
class Purchases:
    """What members buy (``[purchases]``): purchase chance, basket, uplifts and margin.

    Examples
    --------
    >>> Purchases().basket
    120.0
    """
    p_purchase: float = param(0.01, 0.0, 1.0, unit="per member-day", source="E2, E5")
    basket: float = param(120.0, 0.0, 1e6, unit="yuan")
    tier_spend: float = param(0.2, 0.0, 10.0, unit="uplift per tier", source="W5")
    engagement_weight: float = param(0.5, 0.0, 10.0, unit="uplift at full engagement")
    margin: float = param(0.35, 0.0, 1.0, unit="fraction", help="Gross margin for LTV.")


@dataclass(frozen=True)
class Event:
    """A scheduled campaign or crisis (an element of ``[[events]]``).

    Examples
    --------
    >>> Event(kind="crisis", day=100, trust_shock=0.2).duration
    7
    """
    kind: str = param("campaign", choices=EVENT_KINDS)
    day: int = param(0, 0, 36_500, unit="day")
    duration: int = param(7, 1, 3_650, unit="days")
    content_mult: float = param(1.0, 0.0, 100.0, unit="multiplier", help="Campaign volume.")
    share_mult: float = param(1.0, 0.0, 100.0, unit="multiplier")
    conversion_mult: float = param(1.0, 0.0, 100.0, unit="multiplier")
    trust_shock: float = param(0.0, 0.0, 1.0, unit="trust lost", help="Crisis impact.")
    nwom_mult: float = param(1.0, 0.0, 100.0, unit="multiplier", help="Crisis negative WOM.")
    handled_openly: bool = param(False, source="W6", help="Open crisis response.")
    mitigation: float = param(0.4, 0.0, 1.0, unit="fraction of impact removed", source="W6")


# Yearly figures a target can name (columns of growthsim.metrics.yearly; a test checks).
TARGET_METRICS = ("members_end", "joins", "wom_share", "paid_share", "churned", "churn_rate",
                  "dau_mau", "mau_share", "activity_per_member_week", "share_rate", "kocs_end",
                  "ugc_posts", "revenue", "revenue_per_member", "reward_cost", "ad_cost",
                  "koc_cost", "acquisition_cost", "cac", "ltv_cac_end", "cum_members_end",
                  "tier_0", "tier_1", "tier_2", "tier_3", "tier_4", "tier_5", "tier_6",
                  "tier_7")


@dataclass(frozen=True)
class Target:
    """A goal a run is checked against (an element of ``[[targets]]``; growthsim.targets).

    Examples
    --------
    >>> t = Target(name="100k members", metric="members_end", year=3, value=100_000)
    >>> t.op
    '>='
    """
    name: str = param("target", help="Label of the target in reports.")
    metric: str = param("members_end", choices=TARGET_METRICS,
                        help="Yearly figure the target is about (docs/model.md, yearly table).")
    year: int = param(1, 1, 100, unit="year of the run", help="Year the target is checked.")
    op: str = param(">=", choices=(">=", "<="), help="Met when metric op value.")
    value: float = param(0.0, -1e15, 1e15, help="Threshold (a ratio when relative_to_year > 0).")
    relative_to_year: int = param(0, 0, 100, unit="year",
                                  help="0: compare the figure itself; k: compare the ratio of "
                                       "the figure to its value in year k.")
    source: str = param("", help="Where the target comes from (e.g. a FACTS.md id).")


@dataclass(frozen=True)
class Scenario:
    """A complete, validated set of parameters for one simulation.

    Build one with :func:`growthsim.load_scenario` or ``Scenario()`` for
    the defaults; derive variants with :meth:`with_overrides`.

    Examples
    --------
    >>> from growthsim.scenario import Scenario
    >>> sc = Scenario().with_overrides({"population.n": 5_000, "sharing.p_share": 0.05})
    >>> sc.population.n, sc.sharing.p_share
    (5000, 0.05)
    """

    name: str = param("scenario", help="Scenario label in tables and plots.")
    description: str = param("", help="One line on what the scenario is for.")
    run: Run = section(Run)
    population: Population = section(Population)
    channels: Channels = section(Channels)
    content: Content = section(Content)
    sharing: Sharing = section(Sharing)
    conversion: Conversion = section(Conversion)
    organic: Organic = section(Organic)
    ads: Ads = section(Ads)
    rewards: Rewards = section(Rewards)
    koc: Koc = section(Koc)
    seeding: Seeding = section(Seeding)
    interventions: Interventions = section(Interventions)
    churn: Churn = section(Churn)
    purchases: Purchases = section(Purchases)
    events: tuple[Event, ...] = param((), min_len=0, max_len=1_000,
                                      help="Scheduled campaigns and crises.")
    targets: tuple[Target, ...] = param((), min_len=0, max_len=1_000,
                                        help="Goals a run is checked against, year by year "
                                             "(growthsim.targets).")
    source_file: str = field(default="", compare=False, repr=False,
                             metadata=dict(internal=True))
    graph: object = field(default=None, compare=False, repr=False,
                          metadata=dict(internal=True))

    def with_overrides(self, overrides):
        """Return a copy with dotted keys replaced, validated like a file.

        Examples
        --------
        >>> sc = Scenario().with_overrides({"population.n": 5_000, "content.posts": [1] * 7})
        >>> sc.population.n, sc.content.posts
        (5000, (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0))
        """
        from growthsim.scenario.loader import apply_overrides

        return apply_overrides(self, overrides)

    def to_dict(self):
        """Plain nested dict (TOML-ready) of every parameter.

        Examples
        --------
        >>> d = Scenario().to_dict()
        >>> d["run"]["days"], d["content"]["mix_value"]
        (1826, 0.7)
        """
        from growthsim.scenario.loader import to_dict

        return to_dict(self)

    def content_hash(self):
        """Stable hash of every parameter (hex), for stores and caches.

        Examples
        --------
        >>> a = Scenario()
        >>> a.content_hash() == Scenario().content_hash(), len(a.content_hash())
        (True, 16)
        >>> a.content_hash() == a.with_overrides({"sharing.p_share": 0.05}).content_hash()
        False
        """
        import hashlib
        import json

        blob = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def spec(cls):
    """Yield ``(name, type, metadata, default)`` for each declared field of a section.

    Internal fields (the source file, an attached graph) are skipped.

    Examples
    --------
    >>> name, tp, meta, default = next(spec(Run))
    >>> name, tp, meta["lo"], meta["hi"], default
    ('days', <class 'int'>, 1, 36500, 1826)
    """
    hints = get_type_hints(cls)
    for f in fields(cls):
        if f.metadata.get("internal"):
            continue
        default = f.default if f.default is not MISSING else f.default_factory()
        yield f.name, hints[f.name], f.metadata, default


def item_type(tp):
    """Element type of a ``tuple[X, ...]`` annotation, or None.

    Examples
    --------
    >>> item_type(tuple[Level, ...]).__name__, item_type(float)
    ('Level', None)
    """
    if get_origin(tp) is tuple:
        return get_args(tp)[0]
    return None
