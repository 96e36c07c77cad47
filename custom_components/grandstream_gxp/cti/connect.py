"""Check a phone before it is stored; nothing is retried (phones lock out after failures)."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
import logging
from typing import Final

from .client import CtiClient
from .errors import (
    CtiAuthError,
    CtiConnectionError,
    CtiError,
    CtiForbiddenError,
    CtiPasswordNotAcceptedError,
    CtiResponseError,
)
from .models import Account

_LOGGER = logging.getLogger(__name__)

# Discovery reads only the web root's Server header; a desk phone answers quickly.
PROBE_TIMEOUT: Final = 5.0
# Models the integration drives (cti-api.md §1): not HT8xx ATAs, GSC or GWN devices.
DESK_PHONE_PREFIXES: Final = ("GXP", "GRP")


class CheckError(StrEnum):
    """Why a phone failed the check."""

    CANNOT_CONNECT = "cannot_connect"
    INVALID_AUTH = "invalid_auth"
    PHONE_LOCKED = "phone_locked"
    CTI_DISABLED = "cti_disabled"
    PASSWORD_NOT_ACCEPTED = "password_not_accepted"  # noqa: S105 - an error key
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedPhone:
    """What a phone that took the password told about itself (None: it did not)."""

    model: str | None = None
    mac: str | None = None
    firmware: str | None = None
    keys_only: bool = False
    extension: str | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a phone's web server answers: HTTPS or not, and the port (None: default)."""

    https: bool
    port: int | None = None


async def check_phone(
    client: CtiClient, *, login: bool, accounts: bool = True
) -> CheckedPhone | CheckError:
    """Check connection and password once; `login`: get the MAC, `accounts`: the extension."""
    try:
        info = await client.identify(login=login)
    except Exception as err:  # noqa: BLE001
        return _check_error(client, err)
    extension = None
    # A keys-only phone answers nothing but api-send_key.
    if accounts and not info.keys_only:
        try:
            extension = _extension(await client.get_accounts())
        except CtiError as err:
            # The GXP116x is not in the CTI guide; it may lack this endpoint [INF].
            _LOGGER.debug("No accounts from %s: %s", client.base_url, err)
    return CheckedPhone(
        model=info.model.value if info.model else None,
        mac=info.mac.value if info.mac else None,
        firmware=info.firmware.value if info.firmware else None,
        keys_only=info.keys_only,
        extension=extension,
    )


# Locked, the phone refuses even the right password: say so, or more tries extend it.
_CHECK_ERRORS: Final = (
    ((CtiConnectionError, CtiResponseError), CheckError.CANNOT_CONNECT),
    (CtiAuthError, CheckError.INVALID_AUTH),
    (CtiForbiddenError, CheckError.CTI_DISABLED),
    (CtiPasswordNotAcceptedError, CheckError.PASSWORD_NOT_ACCEPTED),
)


def _check_error(client: CtiClient, err: Exception) -> CheckError:
    error: CheckError | None = (
        CheckError.PHONE_LOCKED
        if isinstance(err, CtiAuthError) and err.locked
        else next((e for kind, e in _CHECK_ERRORS if isinstance(err, kind)), None)
    )
    if error is not None:
        _LOGGER.debug(
            "The phone at %s fails the check (%s): %s", client.base_url, error, err
        )
        return error
    if client.leaks_password(err):
        _LOGGER.error(
            "Unexpected %s testing the phone at %s (details not logged: they "
            "contain the password)",
            type(err).__name__,
            client.base_url,
        )
    else:
        _LOGGER.error(
            "Unexpected error testing the phone at %s", client.base_url, exc_info=err
        )
    return CheckError.UNKNOWN


def _extension(accounts: list[Account]) -> str | None:
    """Return the SIP user id of the lowest-numbered account that has one."""
    ids = (a.sip_id.strip() for a in sorted(accounts, key=lambda a: a.id))
    return next(filter(None, ids), None)


async def https_redirect(client: CtiClient) -> Endpoint | None:
    """Return where the plain-HTTP web root redirects to on HTTPS (no password sent)."""
    try:
        info = await client.identify_without_password()
    except CtiError:
        return None
    return Endpoint(https=True, port=info.https_port) if info.https_redirect else None


async def find_desk_phone(
    client_at: Callable[[bool], CtiClient],
) -> tuple[Endpoint, str] | None:
    """Return where a host answers and its model, if it is a desk phone; no password sent.

    HTTPS is tried when HTTP fails or redirects there (GRP26xx by default [DOC S10]).
    """
    for https in (False, True):
        client = client_at(https)
        try:
            info = await client.identify_without_password()
        except CtiError as err:
            _LOGGER.debug("No answer from %s: %s", client.base_url, err)
            continue
        _LOGGER.debug("%s answers as %r", client.base_url, info.server_header)
        model = info.model.value if info.model else None
        if model is None or not model.upper().startswith(DESK_PHONE_PREFIXES):
            if info.https_redirect:
                continue
            return None
        return Endpoint(https=https or info.https_redirect, port=info.https_port), model
    return None
