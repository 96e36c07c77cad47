"""The integration's actions: each takes the phone's `device_id`."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
import re
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    Context,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr

from .call_history import MAX_CALLS
from .const import DOMAIN, vol
from .coordinator import GxpRuntimeData
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
ATTR_LIMIT = "limit"

MAX_KEY_DELAY = 10.0
# The longest a `send_key` with a delay may hold the phone (other actions wait for it).
MAX_KEY_HOLD = 60.0

_DEVICE: dict[vol.Marker, Any] = {vol.Required(ATTR_DEVICE_ID): cv.string}
_LINE = vol.Schema(
    {**_DEVICE, vol.Optional(ATTR_LINE): vol.All(vol.Coerce(int), vol.Range(min=1))}
)
# How people write numbers; dropped before the number is checked.
_SEPARATORS = str.maketrans("", "", " -.()/")


def _dial_string(pattern: str, *, separators: bool = True) -> Callable[[Any], str]:
    """Validate a number or digits; return them without separators."""

    def validate(value: Any) -> str:
        text = cv.string(value)
        if separators:
            text = text.translate(_SEPARATORS)
        if not re.fullmatch(pattern, text) or len(text) > 64:
            raise vol.Invalid(
                f"{value!r} is not a number: use up to 64 digits, * and #"
                + (", and a leading +" if "+" in pattern else "")
            )
        return text

    return validate


# At least one digit: `#` alone is the phone's dial (redial) key [D S16 P72].
_DIAL_NUMBER = _dial_string(r"\+?[0-9*#]*[0-9][0-9*#]*")
# A transfer dials with keys, and `+` has no key.
_KEYED_NUMBER = _dial_string(r"[0-9*#]*[0-9][0-9*#]*")
_DTMF_DIGITS = _dial_string(r"[0-9*#]+", separators=False)

type Handler = Callable[[GxpRuntimeData, dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Action:
    """An action (or a button): its schema, its handler, and how it responds."""

    schema: vol.Schema
    handler: Handler
    supports_response: SupportsResponse = SupportsResponse.OPTIONAL
    response: Callable[[Any], dict[str, Any]] = lines_response
    # A call-control action's response says whether the phone's state was checked.
    call_control: bool = True
    # False for the call history: Home Assistant's data, readable while the phone is away.
    uses_phone: bool = True

    async def async_run(
        self, runtime: GxpRuntimeData, data: dict[str, Any], context: Context | None
    ) -> Any:
        """Run the handler, through `async_run_action` when it uses the phone."""
        if self.uses_phone:
            handler = partial(self.handler, runtime, data)
            return await async_run_action(runtime, handler, context)
        return self.handler(runtime, data)

    async def async_handle(self, call: ServiceCall) -> ServiceResponse:
        """Run the action for a service call; respond when asked."""
        runtime = _runtime(call.hass, call.data[ATTR_DEVICE_ID])
        result = await self.async_run(runtime, call.data, call.context)
        if not call.return_response:
            return None
        response = self.response(result)
        if self.call_control:
            # False on a keys-only phone: keys were pressed, nothing was read.
            response["verified"] = not runtime.keys_only
        return response


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


async def _send_key(runtime: GxpRuntimeData, data: dict[str, Any]) -> None:
    # Parsed before anything is sent: an unknown key is refused with no request.
    tokens = runtime.client.key_table.parse(data[ATTR_KEYS])
    delay: float = data.get(ATTR_DELAY, 0)
    if (hold := delay * (len(tokens) - 1)) > MAX_KEY_HOLD:
        raise _error(
            "send_key_too_long", seconds=f"{hold:g}", limit=f"{MAX_KEY_HOLD:g}"
        )
    await runtime.controller.press_keys(tokens, delay)


async def _dial(runtime: GxpRuntimeData, data: dict[str, Any]) -> Dialled:
    account: int | None = data.get(ATTR_ACCOUNT)
    # A phone that does not list its accounts (the GXP116x may lack the endpoint) is
    # left to decide.
    if account is not None and (accounts := runtime.coordinator.data.accounts):
        found = next((item for item in accounts if item.id == account), None)
        if found is None or not found.registered:
            raise _error(
                "no_such_account" if found is None else "account_not_registered",
                account=str(account),
            )
    # The action counts accounts from 1 like the phone's web page; the API from 0.
    return await runtime.controller.dial(
        data[ATTR_NUMBER], None if account is None else account - 1
    )


async def _probe(runtime: GxpRuntimeData, data: dict[str, Any]) -> dict[str, Any]:
    """Run the key probe; store and use its findings (also of an interrupted run)."""
    if not data[ATTR_CONFIRM]:
        raise _error("probe_not_confirmed")
    if runtime.keys_only:
        # The probe tells a key's effect from the line status, which this phone lacks.
        raise _error("probe_keys_only")
    if runtime.controller.busy:
        raise _error("probe_action_running")
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


# The action is named as the controller's method (the keys-only phone has its own).
def _on_line(name: str) -> Action:
    return Action(
        _LINE, lambda rt, data: getattr(rt.controller, name)(data.get(ATTR_LINE))
    )


def _on_phone(name: str) -> Action:
    return Action(vol.Schema(_DEVICE), lambda rt, _: getattr(rt.controller, name)())


ACTIONS: dict[str, Action] = {
    "send_key": Action(
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
        SupportsResponse.NONE,
    ),
    "dial": Action(
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
        response=lambda dialled: {
            **lines_response(dialled.lines),
            "method": dialled.method.value,
        },
    ),
    **{name: _on_line(name) for name in ("answer", "hang_up", "hold", "resume")},
    "transfer": Action(
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
    **{
        name: _on_phone(name)
        for name in ("complete_transfer", "cancel_transfer", "swap")
    },
    "send_dtmf": Action(
        vol.Schema({**_DEVICE, vol.Required(ATTR_DIGITS): _DTMF_DIGITS}),
        lambda rt, data: rt.controller.send_dtmf(data[ATTR_DIGITS]),
    ),
    "probe": Action(
        vol.Schema({**_DEVICE, vol.Required(ATTR_CONFIRM): cv.boolean}),
        _probe,
        response=dict,
        call_control=False,
    ),
    "get_call_history": Action(
        vol.Schema(
            {
                **_DEVICE,
                vol.Optional(ATTR_LIMIT): vol.All(
                    vol.Coerce(int), vol.Range(min=1, max=MAX_CALLS)
                ),
            }
        ),
        lambda rt, data: {
            "calls": [dict(call) for call in rt.history.calls(data.get(ATTR_LIMIT))]
        },
        SupportsResponse.ONLY,
        response=dict,
        call_control=False,
        uses_phone=False,
    ),
    "clear_missed_calls": Action(
        vol.Schema(_DEVICE),
        lambda rt, _: rt.history.async_clear_missed_calls(),
        SupportsResponse.NONE,
        uses_phone=False,
    ),
}


def _runtime(hass: HomeAssistant, device_id: str) -> GxpRuntimeData:
    device = dr.async_get(hass).async_get(device_id)
    macs = (
        {ident for domain, ident in device.identifiers if domain == DOMAIN}
        if device
        else set()
    )
    entries = hass.config_entries.async_entries(DOMAIN)
    phone = [entry for entry in entries if entry.unique_id in macs]
    if device is None or not phone:
        raise _error("invalid_device", device=device_id)
    entry = phone[0]
    if entry.state is not ConfigEntryState.LOADED:
        raise _error("not_loaded", device=device.name_by_user or device.name or "")
    runtime: GxpRuntimeData = entry.runtime_data
    return runtime


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions."""
    for name, action in ACTIONS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            action.async_handle,
            schema=action.schema,
            supports_response=action.supports_response,
        )
