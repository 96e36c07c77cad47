"""Running a phone action from Home Assistant: errors in the user's words, then fresh state."""

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast

from homeassistant.core import Context
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .coordinator import GxpRuntimeData
from .cti import (
    CtiAuthError,
    CtiClosedError,
    CtiCommandError,
    CtiError,
    CtiForbiddenError,
    CtiKeyError,
    CtiKeyRefusedError,
    CtiPasswordNotAcceptedError,
    LineStatus,
    ProbeBusyError,
    ProbeRestoreError,
)
from .cti.call_control import CallStateError, Dialled, Reason, describe_lines
from .issues import AUTO_ATTENDED_MISMATCH, async_set_issue
from .key_table import async_store_learned_swap

# `step_failed` is the generic wrong-state error; other reasons are their own keys.
_STATE_ERRORS = {Reason.STEP_FAILED: "wrong_call_state"}


def _error(
    cls: type[HomeAssistantError], translation_key: str, /, **placeholders: str
) -> HomeAssistantError:
    return cls(
        translation_domain=DOMAIN,
        translation_key=translation_key,
        translation_placeholders=placeholders or None,
    )


def _translated(err: CtiError | CtiKeyError) -> HomeAssistantError:
    """Return `err` in the user's words; ServiceValidationError: the user's to fix."""
    match err:
        case CtiKeyRefusedError():
            return _error(ServiceValidationError, "key_refused", key=err.key)
        case CtiKeyError():
            return _error(ServiceValidationError, "unknown_key", key=err.key)
        case CallStateError():
            key = _STATE_ERRORS.get(err.reason, err.reason)
            return _error(ServiceValidationError, key, found=describe_lines(err.lines))
        case ProbeBusyError():
            found = describe_lines(err.lines)
            return _error(ServiceValidationError, "probe_not_idle", found=found)
        case ProbeRestoreError():
            found = describe_lines(err.lines)
            return _error(
                HomeAssistantError, "probe_not_restored", key=err.key, found=found
            )
        case CtiCommandError():
            return _error(HomeAssistantError, "command_failed", answer=str(err.body))
        case CtiAuthError():
            key = "phone_locked" if err.locked else "invalid_auth"
            return _error(HomeAssistantError, key)
        case CtiForbiddenError():
            return _error(HomeAssistantError, "cti_disabled")
        case CtiPasswordNotAcceptedError():
            return _error(HomeAssistantError, "password_not_accepted")
        case CtiClosedError():
            return _error(HomeAssistantError, "action_stopped")
    return _error(HomeAssistantError, "cannot_connect", error=str(err))


async def async_run_action[T](
    runtime: GxpRuntimeData,
    action: Callable[[], Awaitable[T]],
    context: Context | None = None,
) -> T:
    """Run `action` against the phone; raise translated errors; publish the new lines.

    The lines are written under `context` (the service call's, the press's), so the
    logbook and automations can tell which action and which user changed them.
    """
    coordinator = runtime.coordinator
    hass, entry = coordinator.hass, coordinator.config_entry
    if (rejected := coordinator.auth_error) is not None:
        # Another try with the rejected password would move the phone's lockout counter.
        entry.async_start_reauth(hass)
        raise _translated(rejected) from rejected
    try:
        result = await coordinator.async_run_action(action)
    except (CtiError, CtiKeyError) as err:
        if isinstance(err, CtiAuthError):
            entry.async_start_reauth(hass)
        if (
            isinstance(err, CallStateError)
            and err.reason == Reason.TRANSFERRED_BLIND_AUTO_ATTENDED_OFF
        ):
            # A blind hand-over where the option promised a consultation call. Reading
            # the phone's P1376 needs a web login: the user fixes one side.
            async_set_issue(hass, entry, AUTO_ATTENDED_MISMATCH, {})
        if isinstance(err, (CallStateError, CtiCommandError, ProbeRestoreError)):
            # The phone is in a state the action did not expect: show it.
            await coordinator.async_request_refresh()
        raise _translated(err) from err
    if runtime.controller.expectations.transfer is not None:
        # A consultation call started: the phone's setting is on now.
        async_set_issue(hass, entry, AUTO_ATTENDED_MISMATCH, None)
    async_store_learned_swap(hass, runtime)
    if runtime.keys_only:
        return result  # no lines were read, and none can be
    lines = _lines_of(result)
    if lines:
        coordinator.async_apply_lines(lines, context)
    elif lines is not None:
        # The phone listed no lines (a read gone wrong): read again, never show none.
        await coordinator.async_refresh()
        return cast("T", coordinator.data.lines)
    else:
        await coordinator.async_request_refresh()
    return result


def _lines_of(result: object) -> tuple[LineStatus, ...] | None:
    if isinstance(result, Dialled):
        return result.lines
    if isinstance(result, tuple) and all(isinstance(x, LineStatus) for x in result):
        return result
    return None


def lines_response(lines: Iterable[LineStatus]) -> dict[str, Any]:
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
