"""Assist intents: answer, hang up, transfer, and who is calling.

The intent integration finds this platform by itself (`async_setup_intents`, through
`async_process_integration_platforms`, which covers custom integrations too). The
handlers become tools of LLM conversation agents; the default agent needs custom
sentences (see the README, "Voice").

Which phone (`_choose`):

* the optional `phone` slot names it: a device's name (as the user renamed it or
  as the integration named it), the entry's title, or the device's area, compared
  without case or extra spaces. Several matches (an area with two phones) are
  narrowed as below;
* without the slot: the only configured phone; with several, the loaded phones
  whose lines suit the intent (ringing to answer or to say who calls, any call to
  hang up, a connected call to transfer). One such phone is used; none gives the
  intent's "nothing to do" answer; several are narrowed to the area the request
  came from (`preferred_area_id`, set by the voice satellite), else the user is
  asked to name the phone.
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    area_registry as ar,
    config_validation as cv,
    device_registry as dr,
    intent,
)

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

from .const import DOMAIN
from .coordinator import GxpConfigEntry, GxpRuntimeData
from .cti import LineState, LineStatus
from .cti.call_control import TransferMode
from .helpers import async_run_action

INTENT_ANSWER = "GrandstreamAnswerCall"
INTENT_HANG_UP = "GrandstreamHangUp"
INTENT_TRANSFER = "GrandstreamTransferCall"
INTENT_WHO_IS_CALLING = "GrandstreamWhoIsCalling"

SLOT_PHONE = "phone"
SLOT_NUMBER = "number"
SLOT_MODE = "mode"
SLOT_PREFERRED_AREA = "preferred_area_id"

_PHONE_SLOTS: dict[vol.Marker, Any] = {
    vol.Optional(SLOT_PHONE): cv.string,
    vol.Optional(SLOT_PREFERRED_AREA): cv.string,
}
_PHONE_HELP = (
    " Optional slot 'phone': the phone's name or its area; leave it out when there is "
    "one phone, or when only one phone is in the situation this intent acts on."
)

# Spoken instead of the action errors' longer texts (which list every line's state).
_SPOKEN_ERRORS = {
    "no_ringing_call": "No call is ringing on {phone}.",
    "no_call": "There is no call to end on {phone}.",
    "no_connected_call": "There is no connected call to transfer on {phone}.",
    "invalid_number": "{number} is not a number I can dial.",
    "call_on_hold": "Another call is on hold on {phone}; end it first.",
    "call_being_dialled": "A number is still being dialled on {phone}.",
    "no_free_line": "All lines of {phone} are in use.",
    "auto_attended_off": (
        "Attended transfer is turned off for {phone}; ask for a blind transfer."
    ),
    "wrong_call_state": "{phone} did not do it; the call state changed.",
    "transfer_failed": "The transfer on {phone} did not complete.",
    "transfer_not_started": "The transfer on {phone} could not start.",
    "consultation_not_started": "The call to {number} did not start.",
    "transferred_blind_auto_attended_off": (
        "{phone} transferred the call to {number} without consultation; its "
        "Auto-Attended Transfer setting is off."
    ),
}

type LinesTest = Callable[[tuple[LineStatus, ...]], bool]


def _has(*states: LineState) -> LinesTest:
    return lambda lines: any(line.state in states for line in lines)


_RINGING = _has(LineState.RINGING)
_ANY_CALL = _has(
    LineState.RINGING,
    LineState.DIALING,
    LineState.CALLING,
    LineState.CONNECTED,
    LineState.ONHOLD,
)
_CONNECTED = _has(LineState.CONNECTED)


@dataclass(frozen=True, slots=True)
class _Phone:
    entry: GxpConfigEntry
    name: str
    area_id: str | None

    @property
    def runtime(self) -> GxpRuntimeData:
        return self.entry.runtime_data

    @property
    def loaded(self) -> bool:
        return self.entry.state is ConfigEntryState.LOADED

    def lines(self) -> tuple[LineStatus, ...]:
        data = self.runtime.coordinator.data
        return data.lines if data else ()


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _phones(hass: HomeAssistant) -> list[_Phone]:
    devices = dr.async_get(hass)
    phones = []
    for entry in hass.config_entries.async_entries(DOMAIN):
        device = next(
            (
                device
                for device in dr.async_entries_for_config_entry(devices, entry.entry_id)
                if (DOMAIN, entry.unique_id) in device.identifiers
            ),
            None,
        )
        name = (device and (device.name_by_user or device.name)) or entry.title
        phones.append(_Phone(entry, name, device.area_id if device else None))
    return phones


def _names(hass: HomeAssistant, phone: _Phone) -> set[str]:
    names = {_normal(phone.name), _normal(phone.entry.title)}
    if phone.area_id and (area := ar.async_get(hass).async_get_area(phone.area_id)):
        names.add(_normal(area.name))
        names.update(_normal(alias) for alias in area.aliases)
    return names


def _list(phones: Iterable[_Phone]) -> str:
    names = sorted(phone.name for phone in phones)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _usable(phone: _Phone) -> _Phone:
    if not phone.loaded:
        raise intent.IntentHandleError(
            f"{phone.name} is not available right now. Check that it is reachable."
        )
    return phone


def _choose(
    hass: HomeAssistant, slots: dict[str, Any], suits: LinesTest, nothing: str
) -> _Phone:
    """Return the phone the request means, or raise an error that says what is missing."""
    phones = _phones(hass)
    if not phones:
        raise intent.IntentHandleError("No Grandstream phone is set up.")
    if SLOT_PHONE in slots:
        wanted = _normal(slots[SLOT_PHONE]["value"])
        phones = [phone for phone in phones if wanted in _names(hass, phone)]
        if not phones:
            raise intent.IntentHandleError(
                f"I don't know a phone called {slots[SLOT_PHONE]['value']}."
            )
    if len(phones) == 1:
        return _usable(phones[0])
    loaded = [phone for phone in phones if phone.loaded]
    if not loaded:
        raise intent.IntentHandleError(
            "None of the phones is available right now. Check that they are reachable."
        )
    busy = [phone for phone in loaded if suits(phone.lines())]
    if not busy:
        raise intent.IntentHandleError(nothing)
    if len(busy) > 1 and SLOT_PREFERRED_AREA in slots:
        here = [
            phone
            for phone in busy
            if phone.area_id == slots[SLOT_PREFERRED_AREA]["value"]
        ]
        busy = here or busy
    if len(busy) > 1:
        raise intent.IntentHandleError(
            f"Which phone do you mean: {_list(busy)}? Say the phone's name."
        )
    return busy[0]


async def _run[T](
    phone: _Phone, action: Callable[[], Awaitable[T]], number: str = ""
) -> T:
    """Run a phone action; its errors become intent errors with short English speech."""
    try:
        return await async_run_action(phone.runtime, action)
    except HomeAssistantError as err:
        template = _SPOKEN_ERRORS.get(err.translation_key or "")
        message = (
            template.format(phone=phone.name, number=number)
            if template
            else f"{phone.name} could not do it: {err}"
        )
        raise intent.IntentHandleError(message) from err


def _speak(intent_obj: intent.Intent, speech: str) -> intent.IntentResponse:
    response = intent_obj.create_response()
    response.async_set_speech(speech)
    return response


def _caller(line: LineStatus) -> str:
    name, number = line.remote_name.strip(), line.remote_number.strip()
    if name and number and name != number:
        return f"{name} ({number})"
    return name or number or "an unknown caller"


class _PhoneIntent(intent.IntentHandler):
    """A Grandstream intent: finds the phone, then acts on it."""

    slot_schema: ClassVar[dict[Any, Any]] = _PHONE_SLOTS
    suits: ClassVar[LinesTest]
    nothing: ClassVar[str]

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Find the phone, then act."""
        slots = self.async_validate_slots(intent_obj.slots)
        phone = _choose(intent_obj.hass, slots, type(self).suits, self.nothing)
        return await self.async_act(intent_obj, slots, phone)

    async def async_act(
        self, intent_obj: intent.Intent, slots: dict[str, Any], phone: _Phone
    ) -> intent.IntentResponse:
        """Act on the chosen phone."""
        raise NotImplementedError


class AnswerCallIntent(_PhoneIntent):
    """Answer the ringing call."""

    intent_type = INTENT_ANSWER
    description = (
        "Answers (picks up) the call that is ringing on a Grandstream desk phone, "
        "hands-free. Use when the user asks to answer or pick up the phone or the call."
        + _PHONE_HELP
    )
    suits = _RINGING
    nothing = "No phone is ringing."

    async def async_act(
        self, intent_obj: intent.Intent, slots: dict[str, Any], phone: _Phone
    ) -> intent.IntentResponse:
        """Answer."""
        ringing = [line for line in phone.lines() if line.state is LineState.RINGING]
        await _run(phone, phone.runtime.controller.answer)
        caller = f" from {_caller(ringing[0])}" if ringing else ""
        return _speak(intent_obj, f"Answered the call{caller} on {phone.name}.")


class HangUpIntent(_PhoneIntent):
    """End, reject or cancel the current call."""

    intent_type = INTENT_HANG_UP
    description = (
        "Hangs up a Grandstream desk phone: ends the current call, rejects a ringing "
        "call, or cancels a call being dialled. Use when the user asks to hang up, end "
        "the call, or reject or decline a call." + _PHONE_HELP
    )
    suits = _ANY_CALL
    nothing = "No phone is in a call."

    async def async_act(
        self, intent_obj: intent.Intent, slots: dict[str, Any], phone: _Phone
    ) -> intent.IntentResponse:
        """Hang up."""
        await _run(phone, phone.runtime.controller.hang_up)
        return _speak(intent_obj, f"Hung up the call on {phone.name}.")


class TransferCallIntent(_PhoneIntent):
    """Transfer the connected call to a number."""

    intent_type = INTENT_TRANSFER
    description = (
        "Transfers the connected call of a Grandstream desk phone to another phone "
        "number or extension. Use when the user asks to transfer, forward or put "
        "through the current call to a number. Needs slot 'number' (digits, * or #; "
        "resolve a contact name to its number first). Optional slot 'mode': 'blind' "
        "(default: the call is handed over at once and the phone is free) or "
        "'attended' (the caller is put on hold and the number is called first; the "
        "transfer then still has to be completed on the phone or with the "
        "grandstream_gxp.complete_transfer action, so prefer blind for voice)."
        + _PHONE_HELP
    )
    slot_schema: ClassVar[dict[Any, Any]] = {
        **_PHONE_SLOTS,
        vol.Required(SLOT_NUMBER): cv.string,
        vol.Optional(SLOT_MODE): vol.In([mode.value for mode in TransferMode]),
    }
    suits = _CONNECTED
    nothing = "No phone has a connected call to transfer."

    async def async_act(
        self, intent_obj: intent.Intent, slots: dict[str, Any], phone: _Phone
    ) -> intent.IntentResponse:
        """Transfer."""
        number = slots[SLOT_NUMBER]["value"]
        mode = TransferMode(slots.get(SLOT_MODE, {}).get("value", TransferMode.BLIND))
        await _run(
            phone, lambda: phone.runtime.controller.transfer(number, mode), number
        )
        if mode is TransferMode.ATTENDED:
            return _speak(
                intent_obj,
                f"Calling {number} on {phone.name}; the caller is on hold. Complete the "
                "transfer on the phone when they answer.",
            )
        return _speak(intent_obj, f"Transferred the call on {phone.name} to {number}.")


class WhoIsCallingIntent(_PhoneIntent):
    """Say who is calling."""

    intent_type = INTENT_WHO_IS_CALLING
    description = (
        "Tells who is calling a Grandstream desk phone: the caller's name and number "
        "of the ringing call, or that nothing is ringing. Use when the user asks who "
        "is calling or ringing, or whose call it is." + _PHONE_HELP
    )
    suits = _RINGING
    nothing = "Nothing is ringing."

    async def async_act(
        self, intent_obj: intent.Intent, slots: dict[str, Any], phone: _Phone
    ) -> intent.IntentResponse:
        """Say who is calling."""
        ringing = [line for line in phone.lines() if line.state is LineState.RINGING]
        if not ringing:
            return _speak(intent_obj, f"Nothing is ringing on {phone.name}.")
        callers = " and ".join(_caller(line) for line in ringing)
        verb = "are" if len(ringing) > 1 else "is"
        response = _speak(intent_obj, f"{callers} {verb} calling on {phone.name}.")
        response.response_type = intent.IntentResponseType.QUERY_ANSWER
        return response


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the phone intents."""
    for handler in (
        AnswerCallIntent(),
        HangUpIntent(),
        TransferCallIntent(),
        WhoIsCallingIntent(),
    ):
        intent.async_register(hass, handler)
