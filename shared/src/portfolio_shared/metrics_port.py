"""Prometheus metrics on an internal port only (ASVS V13/V16 hardening).

`/metrics` tells anyone who asks which routes exist, how often they fail and how busy the platform
is; it is not served on the public API port. Each process serves it once on
``PORTFOLIO_METRICS_PORT`` (the Kubernetes ConfigMap sets 9090; the Services and the ingress expose
only the API port, and the network policy lets only the monitoring namespace reach 9090). The
standalone shape runs five services in one process and one registry: one port serves them all.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from prometheus_client import start_http_server

log = logging.getLogger(__name__)

_lock = threading.Lock()
_server: Any = None


def serve_metrics(port: int, addr: str = "0.0.0.0", *, span: int = 1) -> int:  # noqa: S104 - the pod's internal port
    """Start the process's metrics listener once; returns the port it listens on (0 picks one).

    With ``span`` > 1 (a service running ``workers`` processes, each with its own registry) the
    listener takes the first free port of ``port`` … ``port + span - 1``: worker processes take them
    in start order, and a scrape of each port sees one worker."""
    global _server
    with _lock:
        if _server is None:
            for candidate in range(port, port + max(1, span)) if port else [0]:
                try:
                    server, _thread = start_http_server(candidate, addr=addr)
                except OSError:
                    if candidate == port + max(1, span) - 1:
                        raise
                    continue
                break
            _server = server
            log.info("metrics served on %s:%d/metrics", addr, server.server_port)
        return int(_server.server_port)
