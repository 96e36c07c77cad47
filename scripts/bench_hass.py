"""The benchmarks' Home Assistant process: it lives in `scripts/dev_hass.py` now.

These names stay importable from here for the benchmark modules.
"""

from .dev_hass import (
    DOMAIN,
    HASS,
    ROOT,
    USER,
    USER_PASSWORD,
    HomeAssistantProcess,
    StateLog,
    StateSeen,
    free_port,
    git_commit,
)

__all__ = [
    "DOMAIN",
    "HASS",
    "ROOT",
    "USER",
    "USER_PASSWORD",
    "HomeAssistantProcess",
    "StateLog",
    "StateSeen",
    "free_port",
    "git_commit",
]
