"""Positions in the packed parameter vectors the kernels read.

Kernels take parameters as flat float64 arrays (``P``: constant for a run;
``D``: today's context, recomputed each day; ``SEG``: one row per segment;
``LEV``: one row per ladder level) so that a kernel's signature stays short and
numba sees plain arrays. The model packs them from a scenario; the reference
twin reads the same arrays.
"""

# Stages of a person.
UNAWARE, AWARE, MEMBER, CHURNED = 0, 1, 2, 3

# Acquisition channels.
ACQ_NONE, ACQ_SEED, ACQ_ORGANIC, ACQ_PAID, ACQ_WOM, ACQ_KOC, ACQ_KOC_SIGNED = range(7)
ACQ_NAMES = ("none", "seed", "organic", "paid", "wom", "koc", "koc_signed")

# Platforms (bit i of a person's platform mask; also the path a share took).
PRIVATE, VIDEO, NOTES, ADS = 0, 1, 2, 3
PLATFORM_NAMES = ("private", "video", "notes", "ads")

# Share modes.
SHARE_ACTIVE, SHARE_DAILY, SHARE_ON_JOIN = 0, 1, 2

_P_NAMES = (
    "SEED", "N", "SHARE_WHEN", "P_SHARE", "KOC_SHARE_MULT", "KOC_CRED",
    "W_PRIVATE", "W_VIDEO", "W_NOTES", "REACH_PRIVATE", "REACH_FOLLOWERS", "VIDEO_STRANGERS",
    "CONV_PRIVATE", "CONV_VIDEO", "CONV_NOTES", "NOTES_VIEWS", "NOTES_KEEP",
    "P_CONVERT", "TIE_EXP", "TRUST_WEIGHT", "EXPOSURE_DECAY", "REJOIN",
    "FATIGUE_ON", "FAT_RECOVERY", "TRUST_ON", "TRUST_GAIN_VALUE", "TRUST_GAIN_INTER",
    "TRUST_LOSS_PROMO", "UGC_PROPENSITY", "TIER_ENG", "LOSS_AVERSION", "LA_BOOST",
    "DEMOTE_AFTER", "REWARDS_ON", "METRIC_REFERRALS", "PER_SHARE_CASH", "PER_SHARE_BOOST",
    "NEWCOMER_REWARD", "NEWCOMER_BOOST", "VARIED", "HAB_RATE", "VARIED_FACTOR",
    "HAB_RECOVERY", "GOAL_GRADIENT", "RELAX_DAYS", "RELAX_FACTOR",
    "WAKEUP_ON", "WAKEUP_AFTER", "WAKEUP_SUCCESS",
    "CHURN_ON", "BASE_HAZARD", "SILENCE_W", "SILENCE_CAP", "FATIGUE_W", "TRUST_W", "TIER_W",
    "CREATOR_FACTOR", "LOW_ACT_W", "HIGH_ACT_FACTOR", "NWOM_PROB", "NWOM_HIT",
    "P_PURCHASE", "BASKET", "TIER_SPEND", "ENG_SPEND", "P_AD", "P_DISCOVER_DAY",
    "COMPLETE", "PER_REF_CASH", "PER_REF_BOOST", "HAB_CASH", "NORM_HAB", "CROWDING",
    "CHECKIN_ON", "CHECKIN_P", "REFERRER_BOND",
)
for _i, _name in enumerate(_P_NAMES):
    globals()["P_" + _name] = _i
N_P = len(_P_NAMES)

# Today's context, set by the model before the kernels run.
_D_NAMES = (
    "SLOT", "READ_LOAD", "INT_LOAD", "FAT_PER_READ", "VALUE_READ_FRAC", "PROMO_READ_FRAC",
    "SHARE_MULT", "CONV_MULT", "NWOM_MULT", "IMPRESSIONS",
)
for _i, _name in enumerate(_D_NAMES):
    globals()["D_" + _name] = _i
N_D = len(_D_NAMES)

# Segment rows.
SEG_ENGAGEMENT, SEG_SHARE, SEG_CONVERSION, SEG_SPEND, SEG_TRUST0 = range(5)
N_SEG_COLS = 5

# Ladder level rows.
LEV_THRESHOLD, LEV_COST, LEV_BOOST, LEV_HAB = range(4)
N_LEV_COLS = 4

# Per-person integer state: columns of the int32 matrix ``I`` (one row a person).
_I_NAMES = (
    # first: what an exposure of a non-member reads and writes (one cache line)
    "STAGE", "EXP_TODAY", "EXPOSURES", "SEGMENT", "KOC", "BEST_REF", "BEST_PATH", "JOINED",
    "GENERATION", "REFERRALS", "SHARE_TODAY", "TIER", "FRESH", "SHARES", "OFFSET",
    "LAST_ACTIVE",
    # the rest of a member's state
    "GROUP", "PLATFORMS", "CHURN_DAY", "LAST_REWARD", "ACTIVE_DAYS", "READS", "INTERACTIONS",
    "REFERRER", "ACQ", "ACQ_PLATFORM", "POSTS",
    # scratch written and read within one day
    "READS_TODAY", "INTER_TODAY", "ACTIVE_TODAY", "POSTED_TODAY", "PUSH_TODAY", "CHURN_TODAY",
    # appended: referrals already paid a per-referral reward
    "REF_PAID",
    # appended: completed today's check-in task (scratch)
    "CHECKIN_TODAY",
)
for _i, _name in enumerate(_I_NAMES):
    globals()["I_" + _name] = _i
N_I = len(_I_NAMES)
I_NAMES = tuple(n.lower() for n in _I_NAMES)

# Per-person float state: columns of the float64 matrix ``F``.
_F_NAMES = (
    "TRUST", "BEST_SCORE", "FATIGUE", "HABITUATION", "WEEKLY", "CREATOR", "REVENUE",
    # scratch
    "REWARD_TODAY", "REVENUE_TODAY",
    # appended: individual taste for the community's content (engagement multiplier, mean 1)
    "TASTE",
)
for _i, _name in enumerate(_F_NAMES):
    globals()["F_" + _name] = _i
N_F = len(_F_NAMES)
F_NAMES = tuple(n.lower() for n in _F_NAMES)

NEVER = -1_000_000  # a day long before day 0 ("never rewarded")
