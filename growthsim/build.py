"""Build the social graph a scenario describes."""

from pathlib import Path

from growthsim.errors import ScenarioError


def build_graph(scenario, seed):
    """The scenario's social graph, generated or read from its edge-list file.

    Parameters
    ----------
    scenario : Scenario
    seed : int
        Seed for the generator (the model derives it from ``run.seed``).

    Returns
    -------
    SocialGraph

    Examples
    --------
    >>> from growthsim.scenario import Scenario
    >>> g = build_graph(Scenario().with_overrides({"population.n": 1_000}), seed=1)
    >>> g.n
    1000
    """
    from growthsim import graphs

    pop = scenario.population
    n, c = pop.n, pop.mean_degree
    kind = pop.graph
    try:
        if kind == "barabasi_albert":
            return graphs.barabasi_albert(n, max(1, round(c / 2)), seed=seed)
        if kind == "watts_strogatz":
            return graphs.watts_strogatz(n, max(2, 2 * round(c / 2)), pop.rewiring, seed=seed)
        if kind == "erdos_renyi":
            return graphs.erdos_renyi(n, c, seed=seed)
        if kind == "circles":
            groups = pop.n_groups or max(1, round(n / pop.group_size))
            return graphs.circles(n, groups, c, mixing=pop.mixing, seed=seed)
        if kind == "configuration_model":
            return graphs.configuration_model(n, exponent=pop.degree_exponent, mean_degree=c,
                                              seed=seed)
        if kind == "ring":
            return graphs.ring(n, max(2, 2 * round(c / 2)))
        if kind == "complete":
            return graphs.complete(n)
    except ValueError as exc:
        raise ScenarioError(str(exc), file=scenario.source_file or None,
                            field="population") from None
    base = Path(scenario.source_file).parent if scenario.source_file else Path.cwd()
    path = Path(pop.graph_file)
    path = path if path.is_absolute() else base / path
    try:
        return graphs.read_edgelist(path, directed=pop.graph_directed)
    except ValueError as exc:
        raise ScenarioError(str(exc), file=scenario.source_file or None,
                            field="population.graph_file") from None
