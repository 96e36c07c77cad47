"""Async client library for the CTI HTTP API of Grandstream desk phones.

Depends on aiohttp and yarl only; it imports nothing from Home Assistant.
"""

from .client import CtiClient
from .errors import (
    CtiAuthError,
    CtiClosedError,
    CtiCommandError,
    CtiConnectionError,
    CtiError,
    CtiForbiddenError,
    CtiKeyError,
    CtiPasswordNotAcceptedError,
    CtiResponseError,
    CtiTimeoutError,
)
from .keys import CtiKeyRefusedError, Family, KeyTable, family_for_model, parse_keys
from .models import (
    Account,
    InfoSource,
    LineState,
    LineStatus,
    PhoneIdentity,
    PhoneOperation,
    PhoneState,
    PhoneStatus,
    Sourced,
    account_id,
    normalize_mac,
    parse_server_header,
)
from .probe import KeyProbe, ProbeBusyError, ProbeRestoreError, ProbeResult, stored_keys

__all__ = [
    "Account",
    "CtiAuthError",
    "CtiClient",
    "CtiClosedError",
    "CtiCommandError",
    "CtiConnectionError",
    "CtiError",
    "CtiForbiddenError",
    "CtiKeyError",
    "CtiKeyRefusedError",
    "CtiPasswordNotAcceptedError",
    "CtiResponseError",
    "CtiTimeoutError",
    "Family",
    "InfoSource",
    "KeyProbe",
    "KeyTable",
    "LineState",
    "LineStatus",
    "PhoneIdentity",
    "PhoneOperation",
    "PhoneState",
    "PhoneStatus",
    "ProbeBusyError",
    "ProbeRestoreError",
    "ProbeResult",
    "Sourced",
    "account_id",
    "family_for_model",
    "normalize_mac",
    "parse_keys",
    "parse_server_header",
    "stored_keys",
]
