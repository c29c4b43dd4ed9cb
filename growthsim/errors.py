"""Errors a user can cause, each naming where and what was expected."""


class GrowthsimError(Exception):
    """Base class for mistakes in user input (files, values, options).

    The command line prints these as one line and exits with status 2,
    without a traceback.

    Examples
    --------
    >>> from growthsim.errors import GrowthsimError, ScenarioError
    >>> issubclass(ScenarioError, GrowthsimError)
    True
    >>> import growthsim as gs
    >>> try:
    ...     gs.Scenario().with_overrides({"population.n": -5})
    ... except GrowthsimError as err:
    ...     print(type(err).__name__)
    ScenarioError
    """


class ScenarioError(GrowthsimError, ValueError):
    """A scenario file or value is invalid.

    Parameters
    ----------
    message : str
        What was expected and what was found.
    file : str, optional
        The scenario file, if the value came from one.
    field : str, optional
        The dotted key of the offending field, e.g. ``"content.mix_promo"``.

    Examples
    --------
    >>> err = ScenarioError("must be a float in [0, 1]; got 2", file="a.toml", field="sharing.p_share")
    >>> str(err)
    'a.toml: sharing.p_share: must be a float in [0, 1]; got 2'
    """

    def __init__(self, message, *, file=None, field=None):
        self.file = None if file is None else str(file)
        self.field = field
        self.message = message
        super().__init__(": ".join(p for p in (self.file, field, message) if p))
