"""Running a phone action from Home Assistant: errors in the user's words, then fresh state."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .coordinator import GxpRuntimeData
from .cti import (
    CtiAuthError,
    CtiCommandError,
    CtiConnectionError,
    CtiError,
    CtiForbiddenError,
    CtiKeyError,
    LineStatus,
)
from .cti.call_control import CallStateError, describe_lines

type Lines = Sequence[LineStatus]

# A step whose expected state never came is the generic wrong-state error; every other
# reason of `CallStateError` is its own translation key.
_STATE_ERRORS = {"step_failed": "wrong_call_state"}


async def async_run_action[T](
    runtime: GxpRuntimeData, action: Callable[[], Awaitable[T]]
) -> T:
    """Run `action` against the phone; raise translated errors; publish the new lines.

    Bad input and a phone in the wrong state are the user's to fix
    (`ServiceValidationError`); a phone that fails or cannot be reached is not
    (`HomeAssistantError`).
    """
    coordinator = runtime.coordinator
    try:
        result = await action()
    except CtiKeyError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_key",
            translation_placeholders={"key": err.key},
        ) from err
    except CallStateError as err:
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
        runtime.coordinator.config_entry.async_start_reauth(coordinator.hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="phone_locked" if err.locked else "invalid_auth",
        ) from err
    except CtiForbiddenError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="cti_disabled"
        ) from err
    except (CtiConnectionError, CtiError) as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
    if isinstance(result, tuple) and all(isinstance(x, LineStatus) for x in result):
        coordinator.async_apply_lines(result)
    else:
        await coordinator.async_request_refresh()
    return result


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
