from ._csr import SocialGraph, from_edges
