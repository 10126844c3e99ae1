"""Ray, for work that outgrows one machine: connect to a cluster, or start a local one for one command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from matcher.errors import ConfigError


@contextmanager
def ray_cluster(address: str, num_cpus: int | None) -> Iterator[Any]:
    """Connect to `address`, or start a local cluster for this command (`local`), and leave it as found."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("--ray needs Ray: pip install 'matcher[cluster]'") from exc
    started = not ray.is_initialized()
    if started:
        local = address == "local"
        try:
            ray.init(
                address=None if local else address,
                num_cpus=num_cpus if local else None,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except ConnectionError as exc:
            hint = "start one (ray start --head) or use --ray local"
            raise ConfigError(f"cannot reach a Ray cluster at {address!r} ({exc}); {hint}") from exc
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()
