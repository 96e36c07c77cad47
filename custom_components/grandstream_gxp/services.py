"""The integration's actions: each takes the phone's `device_id`.

Every call-control action checks the line state before and after (the procedures live in
`cti.call_control`) and, when asked, responds with the lines it left behind and
`"verified": true`. On a keys-only phone (`cti.keys_only`) it presses the key recipe
unchecked and responds with no lines and `"verified": false`. `probe` asks the
idle phone which key names it takes (`cti.probe`), stores and uses the findings, and
responds with them.
"""

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
import re
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr

if TYPE_CHECKING:
    # What Home Assistant's types name; at run time newer releases alias voluptuous
    # to probatio, and Home Assistant 2026.3 still uses voluptuous itself.
    import probatio as vol
else:
    import voluptuous as vol

from .call_history import MAX_CALLS, CallHistory, calls_response
from .const import DOMAIN
from .coordinator import GxpConfigEntry, GxpRuntimeData
from .cti.call_control import Dialled, TransferMode, describe_lines
from .helpers import async_run_action, lines_response
from .key_table import async_probe_keys, async_store_probe

ATTR_KEYS = "keys"
ATTR_DELAY = "delay"
ATTR_NUMBER = "number"
ATTR_ACCOUNT = "account"
ATTR_LINE = "line"
ATTR_MODE = "mode"
ATTR_DIGITS = "digits"
ATTR_CONFIRM = "confirm"

MAX_KEY_DELAY = 10.0
# The longest a `send_key` with a delay may hold the phone (other actions wait for it).
MAX_KEY_HOLD = 60.0

_DEVICE: dict[vol.Marker, Any] = {vol.Required(ATTR_DEVICE_ID): cv.string}
_LINE: dict[vol.Marker, Any] = {
    **_DEVICE,
    vol.Optional(ATTR_LINE): vol.All(vol.Coerce(int), vol.Range(min=1)),
}
# How people write numbers; dropped before the number is checked.
_SEPARATORS = str.maketrans("", "", " -.()/")


def _dial_string(pattern: str, *, separators: bool) -> Callable[[Any], str]:
    """Validate a number or digits; return them without separators."""
    compiled = re.compile(pattern)

    def validate(value: Any) -> str:
        text = cv.string(value)
        if separators:
            text = text.translate(_SEPARATORS)
        if not compiled.fullmatch(text) or len(text) > 64:
            raise vol.Invalid(
                f"{value!r} is not a number: use up to 64 digits, * and #"
                + (", and a leading +" if "+" in pattern else "")
            )
        return text

    return validate


# At least one digit: `#` alone is the phone's dial (redial) key [D S16 P72].
_DIAL_NUMBER = _dial_string(r"\+?[0-9*#]*[0-9][0-9*#]*", separators=True)
# A transfer dials with keys, and `+` has no key.
_KEYED_NUMBER = _dial_string(r"[0-9*#]*[0-9][0-9*#]*", separators=True)
_DTMF_DIGITS = _dial_string(r"[0-9*#]+", separators=False)

type Handler = Callable[[GxpRuntimeData, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class _Action:
    schema: vol.Schema
    handler: Handler
    responds: bool = True
    response: Callable[[Any], dict[str, Any]] = lines_response
    # A call-control action's response says whether the phone's state was checked.
    call_control: bool = True


async def _send_key(runtime: GxpRuntimeData, data: dict[str, Any]) -> None:
    # Parsed before anything is sent: an unknown key is refused with no request.
    tokens = runtime.client.key_table.parse(data[ATTR_KEYS])
    delay: float = data.get(ATTR_DELAY, 0)
    hold = delay * (len(tokens) - 1)
    if hold > MAX_KEY_HOLD:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="send_key_too_long",
            translation_placeholders={
                "seconds": f"{hold:g}",
                "limit": f"{MAX_KEY_HOLD:g}",
            },
        )
    await runtime.controller.press_keys(tokens, delay)


async def _dial(runtime: GxpRuntimeData, data: dict[str, Any]) -> Dialled:
    account: int | None = data.get(ATTR_ACCOUNT)
    if account is not None:
        _check_account(runtime, account)
    # The action counts accounts from 1 like the phone's web page; the API from 0.
    return await runtime.controller.dial(
        data[ATTR_NUMBER], None if account is None else account - 1
    )


def _check_account(runtime: GxpRuntimeData, account: int) -> None:
    """Refuse an account the phone does not have or has not registered.

    A phone that does not list its accounts (the GXP116x may lack the endpoint) is
    left to decide.
    """
    accounts = runtime.coordinator.data.accounts
    if not accounts:
        return
    found = next((item for item in accounts if item.id == account), None)
    if found is None or not found.registered:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_such_account"
            if found is None
            else ("account_not_registered"),
            translation_placeholders={"account": str(account)},
        )


def _dial_response(dialled: Dialled) -> dict[str, Any]:
    """Return the lines and `method`: `click_to_dial` or `keys`."""
    return {**lines_response(dialled.lines), "method": dialled.method.value}


async def _probe(runtime: GxpRuntimeData, data: dict[str, Any]) -> dict[str, Any]:
    """Run the key probe; store and use its findings; return them.

    Refused (nothing sent) unless `confirm` is true and every line is idle. A run that
    something else on the phone stopped keeps what it found and raises
    `probe_interrupted`, naming the keys it did not get to.
    """
    if not data[ATTR_CONFIRM]:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="probe_not_confirmed"
        )
    if runtime.keys_only:
        # The probe tells a key's effect from the line status, which this phone lacks.
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="probe_keys_only"
        )
    if runtime.controller.busy:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="probe_action_running"
        )
    async with runtime.controller.exclusive():
        result = await async_probe_keys(runtime)
    coordinator = runtime.coordinator
    found = async_store_probe(coordinator.hass, coordinator.config_entry, result)
    if result.interrupted:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="probe_interrupted",
            translation_placeholders={
                "keys": ", ".join(result.skipped),
                "found": describe_lines(result.lines),
            },
        )
    return found


ACTIONS: dict[str, _Action] = {
    "send_key": _Action(
        vol.Schema(
            {
                **_DEVICE,
                vol.Required(ATTR_KEYS): vol.All(cv.string, vol.Length(min=1, max=256)),
                vol.Optional(ATTR_DELAY, default=0): vol.All(
                    vol.Coerce(float), vol.Range(min=0, max=MAX_KEY_DELAY)
                ),
            }
        ),
        _send_key,
        responds=False,
    ),
    "dial": _Action(
        vol.Schema(
            {
                **_DEVICE,
                vol.Required(ATTR_NUMBER): _DIAL_NUMBER,
                vol.Optional(ATTR_ACCOUNT): vol.All(
                    vol.Coerce(int), vol.Range(min=1, max=16)
                ),
            }
        ),
        _dial,
        response=_dial_response,
    ),
    "answer": _Action(
        vol.Schema(_LINE), lambda rt, data: rt.controller.answer(data.get(ATTR_LINE))
    ),
    "hang_up": _Action(
        vol.Schema(_LINE), lambda rt, data: rt.controller.hang_up(data.get(ATTR_LINE))
    ),
    "hold": _Action(
        vol.Schema(_LINE), lambda rt, data: rt.controller.hold(data.get(ATTR_LINE))
    ),
    "resume": _Action(
        vol.Schema(_LINE), lambda rt, data: rt.controller.resume(data.get(ATTR_LINE))
    ),
    "transfer": _Action(
        vol.Schema(
            {
                **_DEVICE,
                vol.Required(ATTR_NUMBER): _KEYED_NUMBER,
                vol.Optional(ATTR_MODE, default=TransferMode.ATTENDED): vol.Coerce(
                    TransferMode
                ),
            }
        ),
        lambda rt, data: rt.controller.transfer(data[ATTR_NUMBER], data[ATTR_MODE]),
    ),
    "complete_transfer": _Action(
        vol.Schema(_DEVICE), lambda rt, _: rt.controller.complete_transfer()
    ),
    "cancel_transfer": _Action(
        vol.Schema(_DEVICE), lambda rt, _: rt.controller.cancel_transfer()
    ),
    "swap": _Action(vol.Schema(_DEVICE), lambda rt, _: rt.controller.swap()),
    "send_dtmf": _Action(
        vol.Schema(
            {
                **_DEVICE,
                vol.Required(ATTR_DIGITS): _DTMF_DIGITS,
            }
        ),
        lambda rt, data: rt.controller.send_dtmf(data[ATTR_DIGITS]),
    ),
    "probe": _Action(
        vol.Schema({**_DEVICE, vol.Required(ATTR_CONFIRM): cv.boolean}),
        _probe,
        response=dict,
        call_control=False,
    ),
}


def _runtime(hass: HomeAssistant, device_id: str) -> GxpRuntimeData:
    """Return the loaded phone behind `device_id`, or raise a translated error."""
    device = dr.async_get(hass).async_get(device_id)
    macs = (
        {ident for domain, ident in device.identifiers if domain == DOMAIN}
        if device
        else set()
    )
    entry: GxpConfigEntry | None = next(
        (
            entry
            for entry in hass.config_entries.async_entries(DOMAIN)
            if entry.unique_id in macs
        ),
        None,
    )
    if device is None or entry is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_device",
            translation_placeholders={"device": device_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_loaded",
            translation_placeholders={
                "device": device.name_by_user or device.name or ""
            },
        )
    return entry.runtime_data


def _service(
    action: _Action,
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    async def handle(call: ServiceCall) -> ServiceResponse:
        runtime = _runtime(call.hass, call.data[ATTR_DEVICE_ID])
        result = await async_run_action(
            runtime, lambda: action.handler(runtime, call.data)
        )
        if not (action.responds and call.return_response):
            return None
        response = action.response(result)
        if action.call_control:
            # False on a keys-only phone: keys were pressed, nothing was read.
            response["verified"] = not runtime.keys_only
        return response

    return handle


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions."""
    for name, action in ACTIONS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            _service(action),
            schema=action.schema,
            supports_response=(
                SupportsResponse.OPTIONAL if action.responds else SupportsResponse.NONE
            ),
        )
    _async_setup_history_services(hass)


# The call history is Home Assistant's own data: these actions never ask the phone.
ATTR_LIMIT = "limit"


def _history(call: ServiceCall) -> CallHistory:
    return _runtime(call.hass, call.data[ATTR_DEVICE_ID]).history


async def _get_call_history(call: ServiceCall) -> ServiceResponse:
    return calls_response(_history(call), call.data.get(ATTR_LIMIT))


async def _clear_missed_calls(call: ServiceCall) -> None:
    _history(call).async_clear_missed_calls()


HISTORY_ACTIONS: dict[
    str,
    tuple[
        vol.Schema,
        Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]],
        SupportsResponse,
    ],
] = {
    "get_call_history": (
        vol.Schema(
            {
                **_DEVICE,
                vol.Optional(ATTR_LIMIT): vol.All(
                    vol.Coerce(int), vol.Range(min=1, max=MAX_CALLS)
                ),
            }
        ),
        _get_call_history,
        SupportsResponse.ONLY,
    ),
    "clear_missed_calls": (
        vol.Schema(_DEVICE),
        _clear_missed_calls,
        SupportsResponse.NONE,
    ),
}


@callback
def _async_setup_history_services(hass: HomeAssistant) -> None:
    for name, (schema, handler, supports_response) in HISTORY_ACTIONS.items():
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=supports_response
        )
