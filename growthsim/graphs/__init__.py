"""Social graphs as CSR arrays: generators, file readers and writers, networkx conversion.

Graphs of millions of people are generated straight into arrays (numba); networkx is imported
only by :func:`from_networkx` and :meth:`SocialGraph.to_networkx`.
"""

from ._csr import MAX_PEOPLE, SocialGraph, from_edges
from .generators import (barabasi_albert, circles, complete, configuration_model, erdos_renyi,
                         ring, watts_strogatz)
from .readwrite import (GraphFormatError, from_networkx, read_edgelist, read_node_labels,
                        write_edgelist)

__all__ = ["MAX_PEOPLE", "SocialGraph", "from_edges", "barabasi_albert", "circles", "complete",
           "configuration_model", "erdos_renyi", "ring", "watts_strogatz", "GraphFormatError",
           "from_networkx", "read_edgelist", "read_node_labels", "write_edgelist"]
