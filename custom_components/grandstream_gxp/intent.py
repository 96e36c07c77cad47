"""Assist intents: answer, hang up, transfer, who is calling, call, and call back.

LLM agents get them through `llm.py`, the built-in agent through `voice_sentences.py`.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Final, override

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    area_registry as ar,
    config_validation as cv,
    device_registry as dr,
    intent,
)

from .binary_sensor import IN_CALL_STATES
from .call_history import CallDict, is_missed
from .const import DOMAIN, vol
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

_PHONE_HELP = (
    " Optional slot 'phone': the phone's name or its area; leave it out when there is "
    "one phone, or when only one phone is in the situation this intent acts on."
)

type Slots = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Phone:
    entry: GxpConfigEntry
    name: str
    area_id: str | None
    # The intent's, once chosen: the lines it changes are written under it.
    context: Context | None = None

    @property
    def runtime(self) -> GxpRuntimeData:
        return self.entry.runtime_data

    @property
    def loaded(self) -> bool:
        return self.entry.state is ConfigEntryState.LOADED

    def lines(self, *states: LineState) -> list[LineStatus]:
        data = self.runtime.coordinator.data
        return [line for line in (data.lines if data else ()) if line.state in states]


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _value(slots: Slots, name: str, default: str) -> str:
    return str(slots.get(name, {}).get("value", default))


def _phones(hass: HomeAssistant) -> list[_Phone]:
    devices = dr.async_get(hass)
    phones = []
    for entry in hass.config_entries.async_entries(DOMAIN):
        device = devices.async_get_device_by_identifier(
            (DOMAIN, entry.unique_id or ""), entry.entry_id
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


def _refusal(
    replies: Replies, key: str, **placeholders: str
) -> intent.IntentHandleError:
    return intent.IntentHandleError(replies.say(key, **placeholders))


async def _run(
    replies: Replies,
    phone: _Phone,
    action: Callable[[], Awaitable[Any]],
    number: str = "",
) -> None:
    """Run a phone action; its errors become intent errors spoken in the language."""
    try:
        await async_run_action(phone.runtime, action, phone.context)
    except HomeAssistantError as err:
        raise intent.IntentHandleError(replies.error(err, phone.name, number)) from err


def _party(replies: Replies, name: str, number: str) -> str:
    name, number = name.strip(), number.strip()
    if name and number and name != number:
        return f"{name} ({number})"
    return name or number or replies.say("unknown_caller")


def _any_call(slots: Slots) -> bool:
    """Whether call-back means the last call of any kind, not the last missed one."""
    return _value(slots, SLOT_WHICH, CALL_BACK_MISSED) == CALL_BACK_LAST


def _call_to_return(phone: _Phone, slots: Slots) -> CallDict | None:
    calls = phone.runtime.history.calls()
    return next((c for c in calls if _any_call(slots) or is_missed(c)), None)


def _ringing(phone: _Phone, _slots: Slots) -> bool:
    return bool(phone.lines(LineState.RINGING))


async def _answer(replies: Replies, slots: Slots, phone: _Phone) -> str:
    ringing = phone.lines(LineState.RINGING)
    await _run(replies, phone, phone.runtime.controller.answer)
    if not ringing:
        return replies.say("answered", phone=phone.name)
    caller = _party(replies, ringing[0].remote_name, ringing[0].remote_number)
    return replies.say("answered_from", caller=caller, phone=phone.name)


async def _hang_up(replies: Replies, slots: Slots, phone: _Phone) -> str:
    await _run(replies, phone, phone.runtime.controller.hang_up)
    return replies.say("hung_up", phone=phone.name)


async def _transfer(replies: Replies, slots: Slots, phone: _Phone) -> str:
    number = slots[SLOT_NUMBER]["value"]
    mode = TransferMode(_value(slots, SLOT_MODE, TransferMode.BLIND))
    await _run(
        replies, phone, lambda: phone.runtime.controller.transfer(number, mode), number
    )
    key = "transfer_attended" if mode is TransferMode.ATTENDED else "transferred"
    return replies.say(key, number=number, phone=phone.name)


async def _who_is_calling(replies: Replies, slots: Slots, phone: _Phone) -> str:
    if not (ringing := phone.lines(LineState.RINGING)):
        return replies.say("nothing_ringing_on", phone=phone.name)
    callers = replies.join(
        [_party(replies, line.remote_name, line.remote_number) for line in ringing],
        last="and",
    )
    key = "calling_many" if len(ringing) > 1 else "calling_one"
    return replies.say(key, callers=callers, phone=phone.name)


async def _call(replies: Replies, slots: Slots, phone: _Phone) -> str:
    number = slots[SLOT_NUMBER]["value"]
    await _run(replies, phone, lambda: phone.runtime.controller.dial(number), number)
    return replies.say("dialling", number=number, phone=phone.name)


async def _call_back(replies: Replies, slots: Slots, phone: _Phone) -> str:
    if (call := _call_to_return(phone, slots)) is None:
        key = "no_call_on" if _any_call(slots) else "no_missed_call_on"
        raise _refusal(replies, key, phone=phone.name)
    if not (number := call["number"].strip()):
        raise _refusal(replies, "no_number_to_call", phone=phone.name)
    await _run(replies, phone, lambda: phone.runtime.controller.dial(number), number)
    caller = _party(replies, call["name"], number)
    return replies.say("calling_back", caller=caller, phone=phone.name)


@dataclass(eq=False, repr=False)
class PhoneIntent(intent.IntentHandler):
    """A Grandstream intent: picks the phone, runs the action, speaks the reply."""

    intent_type: str
    description: str = field()  # required: the base class's default is None
    suits: Callable[[_Phone, Slots], bool]
    # The reply key when no phone suits the intent.
    nothing: str | Callable[[Slots], str]
    act: Callable[[Replies, Slots, _Phone], Awaitable[str]]
    slots: dict[Any, Any] = field(default_factory=dict)
    query: bool = False

    def __post_init__(self) -> None:
        """Add how the phone is named to the description."""
        self.description += _PHONE_HELP

    @property
    @override
    def slot_schema(self) -> dict[Any, Any]:
        return {
            vol.Optional(SLOT_PHONE): cv.string,
            vol.Optional(SLOT_PREFERRED_AREA): cv.string,
            **self.slots,
        }

    def _choose(self, hass: HomeAssistant, replies: Replies, slots: Slots) -> _Phone:
        """Return the phone the request means, or raise an error that says what is missing.

        Several are narrowed to the loaded ones the intent `suits`, then to the
        satellite's area; still several, the user is asked to name one.
        """
        if not (phones := _phones(hass)):
            raise _refusal(replies, "no_phones")
        if SLOT_PHONE in slots:
            wanted = slots[SLOT_PHONE]["value"]
            phones = [p for p in phones if _normal(wanted) in _names(hass, p)]
            if not phones:
                raise _refusal(replies, "unknown_phone", name=wanted)
        if len(phones) == 1:
            if not phones[0].loaded:
                raise _refusal(replies, "phone_unavailable", phone=phones[0].name)
            return phones[0]
        if not (loaded := [phone for phone in phones if phone.loaded]):
            raise _refusal(replies, "no_phone_available")
        if not (busy := [phone for phone in loaded if self.suits(phone, slots)]):
            nothing = self.nothing
            raise _refusal(
                replies, nothing if isinstance(nothing, str) else nothing(slots)
            )
        if len(busy) > 1 and SLOT_PREFERRED_AREA in slots:
            area = slots[SLOT_PREFERRED_AREA]["value"]
            busy = [phone for phone in busy if phone.area_id == area] or busy
        if len(busy) > 1:
            names = replies.join(sorted(phone.name for phone in busy))
            raise _refusal(replies, "which_phone", phones=names)
        return busy[0]

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Find the phone, act, and say what happened."""
        slots = self.async_validate_slots(intent_obj.slots)
        replies = await async_get_replies(intent_obj.hass, intent_obj.language)
        phone = replace(
            self._choose(intent_obj.hass, replies, slots), context=intent_obj.context
        )
        response = intent_obj.create_response()
        response.async_set_speech(await self.act(replies, slots, phone))
        if self.query:
            response.response_type = intent.IntentResponseType.QUERY_ANSWER
        return response


HANDLERS: Final[tuple[PhoneIntent, ...]] = (
    PhoneIntent(
        INTENT_ANSWER,
        "Answers (picks up) the call that is ringing on a Grandstream desk phone, "
        "hands-free. Use when the user asks to answer or pick up the phone or the call.",
        suits=_ringing,
        nothing="no_phone_ringing",
        act=_answer,
    ),
    PhoneIntent(
        INTENT_HANG_UP,
        "Hangs up a Grandstream desk phone: ends the current call, rejects a ringing "
        "call, or cancels a call being dialled. Use when the user asks to hang up, end "
        "the call, or reject or decline a call.",
        suits=lambda phone, _: bool(phone.lines(LineState.RINGING, *IN_CALL_STATES)),
        nothing="no_phone_in_call",
        act=_hang_up,
    ),
    PhoneIntent(
        INTENT_TRANSFER,
        "Transfers the connected call of a Grandstream desk phone to another phone "
        "number or extension. Use when the user asks to transfer, forward or put "
        "through the current call to a number. Needs slot 'number' (digits, * or #; "
        "resolve a contact name to its number first). Optional slot 'mode': 'blind' "
        "(default: the call is handed over at once and the phone is free) or "
        "'attended' (the caller is put on hold and the number is called first; the "
        "transfer then still has to be completed on the phone or with the "
        "grandstream_gxp.complete_transfer action, so prefer blind for voice).",
        suits=lambda phone, _: bool(phone.lines(LineState.CONNECTED)),
        nothing="no_phone_connected",
        act=_transfer,
        slots={
            vol.Required(SLOT_NUMBER): cv.string,
            vol.Optional(SLOT_MODE): vol.In([mode.value for mode in TransferMode]),
        },
    ),
    PhoneIntent(
        INTENT_WHO_IS_CALLING,
        "Tells who is calling a Grandstream desk phone: the caller's name and number "
        "of the ringing call, or that nothing is ringing. Use when the user asks who "
        "is calling or ringing, or whose call it is.",
        suits=_ringing,
        nothing="nothing_ringing",
        act=_who_is_calling,
        query=True,
    ),
    PhoneIntent(
        INTENT_CALL,
        "Places a call from a Grandstream desk phone to a phone number or extension; "
        "the phone dials on its speaker. Use when the user asks to call or dial a "
        "number. Needs slot 'number' (digits, *, # and a leading +; resolve a contact "
        "name to its number first).",
        suits=lambda phone, _: (
            bool(phone.lines(LineState.IDLE))
            and not phone.lines(LineState.DIALING, LineState.CALLING)
        ),
        nothing="no_phone_free",
        act=_call,
        slots={vol.Required(SLOT_NUMBER): cv.string},
    ),
    PhoneIntent(
        INTENT_CALL_BACK,
        "Calls back from a Grandstream desk phone: the newest missed incoming call "
        "(slot 'which' = 'missed', the default) or the newest call of any direction "
        "('last'), from the phone's call history. Use when the user asks to call back, "
        "return a missed call, or redial the last call.",
        suits=lambda phone, slots: _call_to_return(phone, slots) is not None,
        nothing=lambda slots: "no_calls" if _any_call(slots) else "no_missed_calls",
        act=_call_back,
        slots={vol.Optional(SLOT_WHICH): vol.In([CALL_BACK_MISSED, CALL_BACK_LAST])},
    ),
)


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the phone intents."""
    for handler in HANDLERS:
        intent.async_register(hass, handler)
