"""A Mesa agent view of one person, for inspection."""

import mesa

from growthsim.kernels import layout as L

STAGES = ("unaware", "aware", "member", "churned")


class PersonView(mesa.Agent):
    """Read-only view of person ``index`` in a :class:`GrowthModel`.

    The state lives in the model's arrays; this object reads it on access, so
    it always shows the current day. Attributes: ``stage``, ``tier``,
    ``trust``, ``fatigue``, ``habituation``, ``koc``, ``segment``, ``group``,
    ``joined_day``, ``last_active``, ``shares``, ``referrals``, ``referrer``,
    ``channel``, ``platforms``, ``posts``, ``revenue``.

    Examples
    --------
    >>> import growthsim as gs
    >>> model = gs.GrowthModel(gs.Scenario().with_overrides({"population.n": 300,
    ...                                                     "seeding.initial_members": 10}), seed=1)
    >>> p = PersonView(model, int(model.member_ids()[0]))
    >>> p.stage, p.channel, 0.0 <= p.trust <= 1.0
    ('member', 'seed', True)
    """

    def __init__(self, model, index):
        super().__init__(model)
        if not 0 <= index < model.n:
            raise IndexError(f"person {index} does not exist (n = {model.n:,})")
        self.index = index

    def _i(self, col):
        return int(self.model.population.I[self.index, col])

    def _f(self, col):
        return float(self.model.population.F[self.index, col])

    stage = property(lambda self: STAGES[self._i(L.I_STAGE)])
    tier = property(lambda self: self._i(L.I_TIER))
    trust = property(lambda self: self._f(L.F_TRUST))
    fatigue = property(lambda self: self._f(L.F_FATIGUE))
    habituation = property(lambda self: self._f(L.F_HABITUATION))
    koc = property(lambda self: bool(self._i(L.I_KOC)))
    segment = property(lambda self: self.model.scenario.population.segments[
        self._i(L.I_SEGMENT)].name)
    group = property(lambda self: self._i(L.I_GROUP))
    joined_day = property(lambda self: self._i(L.I_JOINED))
    last_active = property(lambda self: self._i(L.I_LAST_ACTIVE))
    shares = property(lambda self: self._i(L.I_SHARES))
    referrals = property(lambda self: self._i(L.I_REFERRALS))
    referrer = property(lambda self: self._i(L.I_REFERRER))
    channel = property(lambda self: L.ACQ_NAMES[self._i(L.I_ACQ)])
    posts = property(lambda self: self._i(L.I_POSTS))
    revenue = property(lambda self: self._f(L.F_REVENUE))

    @property
    def platforms(self):
        mask = self._i(L.I_PLATFORMS)
        return tuple(name for b, name in enumerate(L.PLATFORM_NAMES[:3]) if mask & (1 << b))

    def __repr__(self):
        return (f"<Person {self.index}: {self.stage}, tier {self.tier}, trust {self.trust:.2f}, "
                f"fatigue {self.fatigue:.2f}, channel {self.channel}>")
