"""Assist intents: answer, hang up, transfer, who is calling, call, and call back.

The intent integration finds this platform by itself (`async_setup_intents`, through
`async_process_integration_platforms`, which covers custom integrations too). LLM
agents get the handlers as tools through `llm.py`; the built-in agent through the
sentences of `voice_sentences.py`. Replies are in the request's language (`replies.py`).

Which phone (`_choose`):

* the optional `phone` slot names it: a device's name (as the user renamed it or
  as the integration named it), the entry's title, or the device's area, compared
  without case or extra spaces. Several matches (an area with two phones) are
  narrowed as below;
* without the slot: the only configured phone; with several, the loaded phones
  that suit the intent (ringing to answer or to say who calls, any call to hang up,
  a connected call to transfer, a free line to call, a call in the history to call
  back). One such phone is used; none gives the intent's "nothing to do" answer;
  several are narrowed to the area the request came from (`preferred_area_id`, set
  by the voice satellite), else the user is asked to name the phone.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final

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

from .call_history import CallDict, CallDirection, CallOutcome
from .const import DOMAIN
from .coordinator import GxpConfigEntry, GxpRuntimeData
from .cti import LineState, LineStatus
from .cti.call_control import TransferMode
from .helpers import async_run_action
from .replies import Replies, async_get_replies

INTENT_ANSWER: Final = "GrandstreamAnswerCall"
INTENT_HANG_UP: Final = "GrandstreamHangUp"
INTENT_TRANSFER: Final = "GrandstreamTransferCall"
INTENT_WHO_IS_CALLING: Final = "GrandstreamWhoIsCalling"
INTENT_CALL: Final = "GrandstreamCall"
INTENT_CALL_BACK: Final = "GrandstreamCallBack"

SLOT_PHONE: Final = "phone"
SLOT_NUMBER: Final = "number"
SLOT_MODE: Final = "mode"
SLOT_WHICH: Final = "which"
SLOT_PREFERRED_AREA: Final = "preferred_area_id"

CALL_BACK_LAST: Final = "last"
CALL_BACK_MISSED: Final = "missed"

_PHONE_SLOTS: dict[vol.Marker, Any] = {
    vol.Optional(SLOT_PHONE): cv.string,
    vol.Optional(SLOT_PREFERRED_AREA): cv.string,
}
_PHONE_HELP = (
    " Optional slot 'phone': the phone's name or its area; leave it out when there is "
    "one phone, or when only one phone is in the situation this intent acts on."
)


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

    def has_line(self, *states: LineState) -> bool:
        return any(line.state in states for line in self.lines())


type PhoneTest = Callable[[_Phone], bool]


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


def _usable(replies: Replies, phone: _Phone) -> _Phone:
    if not phone.loaded:
        raise intent.IntentHandleError(
            replies.say("phone_unavailable", phone=phone.name)
        )
    return phone


def _choose(
    hass: HomeAssistant,
    replies: Replies,
    slots: dict[str, Any],
    suits: PhoneTest,
    nothing: str,
) -> _Phone:
    """Return the phone the request means, or raise an error that says what is missing."""
    phones = _phones(hass)
    if not phones:
        raise intent.IntentHandleError(replies.say("no_phones"))
    if SLOT_PHONE in slots:
        wanted = _normal(slots[SLOT_PHONE]["value"])
        phones = [phone for phone in phones if wanted in _names(hass, phone)]
        if not phones:
            raise intent.IntentHandleError(
                replies.say("unknown_phone", name=slots[SLOT_PHONE]["value"])
            )
    if len(phones) == 1:
        return _usable(replies, phones[0])
    loaded = [phone for phone in phones if phone.loaded]
    if not loaded:
        raise intent.IntentHandleError(replies.say("no_phone_available"))
    busy = [phone for phone in loaded if suits(phone)]
    if not busy:
        raise intent.IntentHandleError(replies.say(nothing))
    if len(busy) > 1 and SLOT_PREFERRED_AREA in slots:
        here = [
            phone
            for phone in busy
            if phone.area_id == slots[SLOT_PREFERRED_AREA]["value"]
        ]
        busy = here or busy
    if len(busy) > 1:
        names = sorted(phone.name for phone in busy)
        raise intent.IntentHandleError(
            replies.say("which_phone", phones=replies.join(names))
        )
    return busy[0]


async def _run[T](
    replies: Replies,
    phone: _Phone,
    action: Callable[[], Awaitable[T]],
    number: str = "",
) -> T:
    """Run a phone action; its errors become intent errors spoken in the language."""
    try:
        return await async_run_action(phone.runtime, action)
    except HomeAssistantError as err:
        raise intent.IntentHandleError(replies.error(err, phone.name, number)) from err


def _speak(intent_obj: intent.Intent, speech: str) -> intent.IntentResponse:
    response = intent_obj.create_response()
    response.async_set_speech(speech)
    return response


def _party(replies: Replies, name: str, number: str) -> str:
    name, number = name.strip(), number.strip()
    if name and number and name != number:
        return f"{name} ({number})"
    return name or number or replies.say("unknown_caller")


def _ringing(phone: _Phone) -> list[LineStatus]:
    return [line for line in phone.lines() if line.state is LineState.RINGING]


def _is_ringing(phone: _Phone) -> bool:
    return phone.has_line(LineState.RINGING)


def _in_a_call(phone: _Phone) -> bool:
    return phone.has_line(
        LineState.RINGING,
        LineState.DIALING,
        LineState.CALLING,
        LineState.CONNECTED,
        LineState.ONHOLD,
    )


def _connected(phone: _Phone) -> bool:
    return phone.has_line(LineState.CONNECTED)


def _can_dial(phone: _Phone) -> bool:
    return phone.has_line(LineState.IDLE) and not phone.has_line(
        LineState.DIALING, LineState.CALLING
    )


def _call_to_return(phone: _Phone, which: str) -> CallDict | None:
    """Return the newest call of the history (`last`), or the newest missed call."""
    for call in phone.runtime.history.calls():
        if which == CALL_BACK_LAST or (
            call["direction"] == CallDirection.INCOMING
            and call["outcome"] == CallOutcome.MISSED
        ):
            return call
    return None


class _PhoneIntent(intent.IntentHandler):
    """A Grandstream intent: finds the phone, then acts on it."""

    slot_schema: ClassVar[dict[Any, Any]] = _PHONE_SLOTS
    # The reply key when no phone suits the intent.
    nothing: ClassVar[str]

    def suits(self, phone: _Phone, slots: dict[str, Any]) -> bool:
        """Whether the phone is in a situation this intent acts on."""
        raise NotImplementedError

    def nothing_for(self, slots: dict[str, Any]) -> str:
        """Return the reply key when no phone suits the request."""
        return self.nothing

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Find the phone, then act."""
        slots = self.async_validate_slots(intent_obj.slots)
        replies = await async_get_replies(intent_obj.hass, intent_obj.language)
        phone = _choose(
            intent_obj.hass,
            replies,
            slots,
            lambda phone: self.suits(phone, slots),
            self.nothing_for(slots),
        )
        return await self.async_act(intent_obj, replies, slots, phone)

    async def async_act(
        self,
        intent_obj: intent.Intent,
        replies: Replies,
        slots: dict[str, Any],
        phone: _Phone,
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
    nothing = "no_phone_ringing"

    def suits(self, phone: _Phone, slots: dict[str, Any]) -> bool:
        """Suit a ringing phone."""
        return _is_ringing(phone)

    async def async_act(
        self,
        intent_obj: intent.Intent,
        replies: Replies,
        slots: dict[str, Any],
        phone: _Phone,
    ) -> intent.IntentResponse:
        """Answer."""
        ringing = _ringing(phone)
        await _run(replies, phone, phone.runtime.controller.answer)
        if not ringing:
            return _speak(intent_obj, replies.say("answered", phone=phone.name))
        caller = _party(replies, ringing[0].remote_name, ringing[0].remote_number)
        return _speak(
            intent_obj, replies.say("answered_from", caller=caller, phone=phone.name)
        )


class HangUpIntent(_PhoneIntent):
    """End, reject or cancel the current call."""

    intent_type = INTENT_HANG_UP
    description = (
        "Hangs up a Grandstream desk phone: ends the current call, rejects a ringing "
        "call, or cancels a call being dialled. Use when the user asks to hang up, end "
        "the call, or reject or decline a call." + _PHONE_HELP
    )
    nothing = "no_phone_in_call"

    def suits(self, phone: _Phone, slots: dict[str, Any]) -> bool:
        """Suit a phone with any call."""
        return _in_a_call(phone)

    async def async_act(
        self,
        intent_obj: intent.Intent,
        replies: Replies,
        slots: dict[str, Any],
        phone: _Phone,
    ) -> intent.IntentResponse:
        """Hang up."""
        await _run(replies, phone, phone.runtime.controller.hang_up)
        return _speak(intent_obj, replies.say("hung_up", phone=phone.name))


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
    nothing = "no_phone_connected"

    def suits(self, phone: _Phone, slots: dict[str, Any]) -> bool:
        """Suit a phone with a connected call."""
        return _connected(phone)

    async def async_act(
        self,
        intent_obj: intent.Intent,
        replies: Replies,
        slots: dict[str, Any],
        phone: _Phone,
    ) -> intent.IntentResponse:
        """Transfer."""
        number = slots[SLOT_NUMBER]["value"]
        mode = TransferMode(slots.get(SLOT_MODE, {}).get("value", TransferMode.BLIND))
        await _run(
            replies,
            phone,
            lambda: phone.runtime.controller.transfer(number, mode),
            number,
        )
        key = "transfer_attended" if mode is TransferMode.ATTENDED else "transferred"
        return _speak(intent_obj, replies.say(key, number=number, phone=phone.name))


class WhoIsCallingIntent(_PhoneIntent):
    """Say who is calling."""

    intent_type = INTENT_WHO_IS_CALLING
    description = (
        "Tells who is calling a Grandstream desk phone: the caller's name and number "
        "of the ringing call, or that nothing is ringing. Use when the user asks who "
        "is calling or ringing, or whose call it is." + _PHONE_HELP
    )
    nothing = "nothing_ringing"

    def suits(self, phone: _Phone, slots: dict[str, Any]) -> bool:
        """Suit a ringing phone."""
        return _is_ringing(phone)

    async def async_act(
        self,
        intent_obj: intent.Intent,
        replies: Replies,
        slots: dict[str, Any],
        phone: _Phone,
    ) -> intent.IntentResponse:
        """Say who is calling."""
        ringing = _ringing(phone)
        if not ringing:
            return _speak(
                intent_obj, replies.say("nothing_ringing_on", phone=phone.name)
            )
        callers = replies.join(
            [_party(replies, line.remote_name, line.remote_number) for line in ringing],
            last="and",
        )
        key = "calling_many" if len(ringing) > 1 else "calling_one"
        response = _speak(
            intent_obj, replies.say(key, callers=callers, phone=phone.name)
        )
        response.response_type = intent.IntentResponseType.QUERY_ANSWER
        return response


class CallIntent(_PhoneIntent):
    """Place a call to a number."""

    intent_type = INTENT_CALL
    description = (
        "Places a call from a Grandstream desk phone to a phone number or extension; "
        "the phone dials on its speaker. Use when the user asks to call or dial a "
        "number. Needs slot 'number' (digits, *, # and a leading +; resolve a contact "
        "name to its number first)." + _PHONE_HELP
    )
    slot_schema: ClassVar[dict[Any, Any]] = {
        **_PHONE_SLOTS,
        vol.Required(SLOT_NUMBER): cv.string,
    }
    nothing = "no_phone_free"

    def suits(self, phone: _Phone, slots: dict[str, Any]) -> bool:
        """Suit a phone with a free line that is not dialling already."""
        return _can_dial(phone)

    async def async_act(
        self,
        intent_obj: intent.Intent,
        replies: Replies,
        slots: dict[str, Any],
        phone: _Phone,
    ) -> intent.IntentResponse:
        """Dial."""
        number = slots[SLOT_NUMBER]["value"]
        await _run(
            replies, phone, lambda: phone.runtime.controller.dial(number), number
        )
        return _speak(
            intent_obj, replies.say("dialling", number=number, phone=phone.name)
        )


class CallBackIntent(_PhoneIntent):
    """Call back the last caller, or the last missed caller."""

    intent_type = INTENT_CALL_BACK
    description = (
        "Calls back from a Grandstream desk phone: the newest missed incoming call "
        "(slot 'which' = 'missed', the default) or the newest call of any direction "
        "('last'), from the phone's call history. Use when the user asks to call back, "
        "return a missed call, or redial the last call." + _PHONE_HELP
    )
    slot_schema: ClassVar[dict[Any, Any]] = {
        **_PHONE_SLOTS,
        vol.Optional(SLOT_WHICH): vol.In([CALL_BACK_MISSED, CALL_BACK_LAST]),
    }

    def _which(self, slots: dict[str, Any]) -> str:
        return str(slots.get(SLOT_WHICH, {}).get("value", CALL_BACK_MISSED))

    nothing = "no_missed_calls"

    def nothing_for(self, slots: dict[str, Any]) -> str:
        """Say that no phone has a missed call, or no call at all."""
        return self.nothing if self._which(slots) == CALL_BACK_MISSED else "no_calls"

    def suits(self, phone: _Phone, slots: dict[str, Any]) -> bool:
        """Suit a phone with a call to return."""
        return _call_to_return(phone, self._which(slots)) is not None

    async def async_act(
        self,
        intent_obj: intent.Intent,
        replies: Replies,
        slots: dict[str, Any],
        phone: _Phone,
    ) -> intent.IntentResponse:
        """Dial the number of the call to return."""
        call = _call_to_return(phone, self._which(slots))
        if call is None:
            key = (
                "no_missed_call_on"
                if self._which(slots) == CALL_BACK_MISSED
                else "no_call_on"
            )
            raise intent.IntentHandleError(replies.say(key, phone=phone.name))
        number = call["number"].strip()
        if not number:
            raise intent.IntentHandleError(
                replies.say("no_number_to_call", phone=phone.name)
            )
        await _run(
            replies, phone, lambda: phone.runtime.controller.dial(number), number
        )
        caller = _party(replies, call["name"], number)
        return _speak(
            intent_obj, replies.say("calling_back", caller=caller, phone=phone.name)
        )


HANDLERS: Final[tuple[type[_PhoneIntent], ...]] = (
    AnswerCallIntent,
    HangUpIntent,
    TransferCallIntent,
    WhoIsCallingIntent,
    CallIntent,
    CallBackIntent,
)


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the phone intents."""
    for handler in HANDLERS:
        intent.async_register(hass, handler())
