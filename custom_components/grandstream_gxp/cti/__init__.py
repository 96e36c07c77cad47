"""Async client library for the CTI HTTP API of Grandstream desk phones.

Depends on aiohttp and yarl only; it imports nothing from Home Assistant.
"""

from .client import CtiClient, WebSession
from .errors import (
    CtiAuthError,
    CtiCommandError,
    CtiConnectionError,
    CtiError,
    CtiForbiddenError,
    CtiKeyError,
    CtiResponseError,
    CtiTimeoutError,
)
from .keys import (
    CHAR_TOKENS,
    FAMILY_RANGES,
    FIXED_KEYS,
    KEY_SEPARATOR,
    Family,
    KeyInfo,
    KeyRange,
    KeyTable,
    canonical_token,
    family_for_model,
    parse_keys,
)
from .models import (
    Account,
    DeviceInfo,
    InfoSource,
    LineState,
    LineStatus,
    PhoneOperation,
    PhoneState,
    PhoneStatus,
    Sourced,
    normalize_mac,
    parse_server_header,
)

__all__ = [
    "CHAR_TOKENS",
    "FAMILY_RANGES",
    "FIXED_KEYS",
    "KEY_SEPARATOR",
    "Account",
    "CtiAuthError",
    "CtiClient",
    "CtiCommandError",
    "CtiConnectionError",
    "CtiError",
    "CtiForbiddenError",
    "CtiKeyError",
    "CtiResponseError",
    "CtiTimeoutError",
    "DeviceInfo",
    "Family",
    "InfoSource",
    "KeyInfo",
    "KeyRange",
    "KeyTable",
    "LineState",
    "LineStatus",
    "PhoneOperation",
    "PhoneState",
    "PhoneStatus",
    "Sourced",
    "WebSession",
    "canonical_token",
    "family_for_model",
    "normalize_mac",
    "parse_keys",
    "parse_server_header",
]
