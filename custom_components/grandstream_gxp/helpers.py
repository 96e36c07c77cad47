"""Running a phone action from Home Assistant: errors in the user's words, then fresh state."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn, cast

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .coordinator import GxpConfigEntry, GxpCoordinator, GxpRuntimeData
from .cti import (
    CtiAuthError,
    CtiClosedError,
    CtiCommandError,
    CtiConnectionError,
    CtiError,
    CtiForbiddenError,
    CtiKeyError,
    CtiKeyRefusedError,
    CtiPasswordNotAcceptedError,
    LineStatus,
    ProbeBusyError,
    ProbeRestoreError,
)
from .cti.call_control import CallStateError, Dialled, describe_lines
from .key_table import async_store_learned_swap

type Lines = Sequence[LineStatus]

# A step whose expected state never came is the generic wrong-state error; every other
# reason of `CallStateError` is its own translation key.
_STATE_ERRORS = {"step_failed": "wrong_call_state"}
# The phone handed a caller over blind where the option promised a consultation call.
_BLIND_HANDOVER = "transferred_blind_auto_attended_off"


def auto_attended_issue_id(entry: GxpConfigEntry) -> str:
    """Return the id of the entry's "the phone transfers without consultation" issue."""
    return f"auto_attended_mismatch_{entry.entry_id}"


@callback
def async_update_auto_attended_issue(
    hass: HomeAssistant, entry: GxpConfigEntry, *, mismatch: bool
) -> None:
    """Show the issue when the phone's Auto-Attended Transfer proved off; else drop it.

    Reading the phone's setting (P1376) needs a web login, which the integration does
    not do; the user fixes one side, the phone or the option.
    """
    if not mismatch:
        ir.async_delete_issue(hass, DOMAIN, auto_attended_issue_id(entry))
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        auto_attended_issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="auto_attended_mismatch",
        translation_placeholders={"name": entry.title},
    )


def _raise_auth(coordinator: GxpCoordinator, err: CtiAuthError) -> NoReturn:
    """Ask for the new password and say why the action did not run."""
    coordinator.config_entry.async_start_reauth(coordinator.hass)
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="phone_locked" if err.locked else "invalid_auth",
    ) from err


async def async_run_action[T](
    runtime: GxpRuntimeData, action: Callable[[], Awaitable[T]]
) -> T:
    """Run `action` against the phone; raise translated errors; publish the new lines.

    Bad input and a phone in the wrong state are the user's to fix
    (`ServiceValidationError`); a phone that fails or cannot be reached is not
    (`HomeAssistantError`).
    """
    coordinator = runtime.coordinator
    if coordinator.auth_error is not None:
        # Another try with the rejected password would move the phone's lockout counter.
        _raise_auth(coordinator, coordinator.auth_error)
    try:
        result = await coordinator.async_run_action(action)
    except CtiKeyRefusedError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="key_refused",
            translation_placeholders={"key": err.key},
        ) from err
    except CtiKeyError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_key",
            translation_placeholders={"key": err.key},
        ) from err
    except CallStateError as err:
        if err.reason == _BLIND_HANDOVER:
            async_update_auto_attended_issue(
                coordinator.hass, coordinator.config_entry, mismatch=True
            )
        await coordinator.async_request_refresh()
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=_STATE_ERRORS.get(err.reason, err.reason),
            translation_placeholders={"found": describe_lines(err.lines)},
        ) from err
    except CtiCommandError as err:
        await coordinator.async_request_refresh()
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={"answer": str(err.body)},
        ) from err
    except CtiAuthError as err:
        coordinator.note_auth_error(err)
        _raise_auth(coordinator, err)
    except CtiForbiddenError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="cti_disabled"
        ) from err
    except CtiPasswordNotAcceptedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="password_not_accepted"
        ) from err
    except ProbeBusyError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="probe_not_idle",
            translation_placeholders={"found": describe_lines(err.lines)},
        ) from err
    except ProbeRestoreError as err:
        await coordinator.async_request_refresh()
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="probe_not_restored",
            translation_placeholders={
                "key": err.key,
                "found": describe_lines(err.lines),
            },
        ) from err
    except CtiClosedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="action_stopped"
        ) from err
    except (CtiConnectionError, CtiError) as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    if runtime.controller.expectations.transfer is not None:
        # A consultation call started: the phone's setting is on now.
        async_update_auto_attended_issue(
            coordinator.hass, coordinator.config_entry, mismatch=False
        )
    async_store_learned_swap(coordinator.hass, runtime)
    if runtime.keys_only:
        return result  # no lines were read, and none can be
    lines = _lines_of(result)
    if lines:
        coordinator.async_apply_lines(lines)
    elif lines is not None:
        # The phone listed no lines (a read gone wrong): read again, never show none.
        await coordinator.async_refresh()
        return cast("T", coordinator.data.lines)
    else:
        await coordinator.async_request_refresh()
    return result


def _lines_of(result: object) -> tuple[LineStatus, ...] | None:
    """Return the lines an action read last, or None when it returns no lines."""
    if isinstance(result, Dialled):
        return result.lines
    if isinstance(result, tuple) and all(isinstance(x, LineStatus) for x in result):
        return result
    return None


def lines_response(lines: Lines) -> dict[str, Any]:
    """Return the lines as an action response: `{"lines": [{"line": 1, ...}, ...]}`."""
    return {
        "lines": [
            {
                "line": line.line,
                "state": line.raw_state,
                "remote_number": line.remote_number,
                "remote_name": line.remote_name,
            }
            for line in lines
        ]
    }
