"""Walking distances between resources' and needs' places, on the living-circle engine.

Pure (no Django): snaps both point sets onto the district's walking graph (``linli.circle``),
augments the graph with them so distances are exact point to point, and runs one bounded
Dijkstra per resource place. The matcher (``matching.py``) takes the matrix this returns.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import dijkstra

from linli.circle import WalkGraph, build_point_network, snap_points
from linli.circle.access import concat_snapped

__all__ = ["walking_matrix"]

FloatArray = npt.NDArray[np.float64]


def walking_matrix(
    graph: WalkGraph,
    *,
    need_lon: npt.ArrayLike,
    need_lat: npt.ArrayLike,
    resource_lon: npt.ArrayLike,
    resource_lat: npt.ArrayLike,
    cutoff_m: float,
) -> FloatArray:
    """Walking distance in metres from every need's place to every resource's place.

    Parameters
    ----------
    graph
        The district's walking graph.
    need_lon, need_lat, resource_lon, resource_lat
        WGS-84 coordinates.
    cutoff_m
        Distances beyond this are not searched and come back as ``inf`` (so are places too far
        from any walkable street to snap).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_needs, n_resources)``.
    """
    nlon = np.atleast_1d(np.asarray(need_lon, dtype=np.float64))
    nlat = np.atleast_1d(np.asarray(need_lat, dtype=np.float64))
    rlon = np.atleast_1d(np.asarray(resource_lon, dtype=np.float64))
    rlat = np.atleast_1d(np.asarray(resource_lat, dtype=np.float64))
    n, m = nlon.shape[0], rlon.shape[0]
    out = np.full((n, m), np.inf)
    if n == 0 or m == 0:
        return out
    snapped = concat_snapped([snap_points(graph, nlon, nlat), snap_points(graph, rlon, rlat)])
    net = build_point_network(graph, snapped)
    need_nodes = net.point_node[:n]
    resource_nodes = net.point_node[n:]
    sources = np.flatnonzero(resource_nodes >= 0)
    if sources.shape[0] == 0:
        return out
    # Several resources often share a place (a station): search once per distinct node.
    unique_nodes, inverse = np.unique(resource_nodes[sources], return_inverse=True)
    dist = dijkstra(net.adjacency, directed=True, indices=unique_nodes, limit=float(cutoff_m))
    reached = need_nodes >= 0
    block = np.full((unique_nodes.shape[0], n), np.inf)
    block[:, reached] = dist[:, need_nodes[reached]]
    out[:, sources] = block[inverse].T
    return out
