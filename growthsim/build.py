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
    return read_graph_file(scenario)


def graph_file_path(scenario):
    """Where ``population.graph_file`` points: relative to the scenario file, else the cwd.

    Examples
    --------
    >>> import pathlib, tempfile, growthsim as gs
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "edges.txt").write_text("0 1\\n1 2\\n2 3\\n")
    >>> _ = (folder / "s.toml").write_text(
    ...     '[population]\\nn = 4\\ngraph = "file"\\ngraph_file = "edges.txt"\\n'
    ...     '[seeding]\\ninitial_members = 1\\n')
    >>> graph_file_path(gs.load_scenario(folder / "s.toml")) == folder / "edges.txt"
    True
    """
    base = Path(scenario.source_file).parent if scenario.source_file else Path.cwd()
    path = Path(scenario.population.graph_file)
    return path if path.is_absolute() else base / path


def read_graph_file(scenario):
    """The edge list ``population.graph_file`` names, read and checked.

    Raises
    ------
    ScenarioError
        Naming the scenario file and ``population.graph_file``: the edge list is missing,
        malformed (the message gives ``path:line``) or has no tie between two people.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from growthsim.scenario import Scenario
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "friends.txt"
    >>> _ = path.write_text("0 1\\n1 2\\n")
    >>> sc = Scenario().with_overrides({"population.graph": "file",
    ...                                 "population.graph_file": str(path)})
    >>> read_graph_file(sc)
    SocialGraph('friends', n=3, edges=2, undirected, mean degree 1.3)
    """
    from growthsim import graphs

    path = graph_file_path(scenario)
    where = dict(file=scenario.source_file or None, field="population.graph_file")
    try:
        g = graphs.read_edgelist(path, directed=scenario.population.graph_directed)
    except ValueError as exc:
        msg = str(exc)  # it quotes the bad line, which in a binary file can be very long
        raise ScenarioError(msg if len(msg) <= 300 else msg[:297] + "...", **where) from None
    if g.n < 2 or g.n_edges == 0:
        # Self-loops are dropped on reading: nobody could ever tell a friend.
        raise ScenarioError(f"{path}: no ties between two different people ({g.n:,} people, "
                            "self-loops only); expected 'u v' lines with u != v", **where)
    return g
