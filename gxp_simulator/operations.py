"""api-phone_operation commands on the call state [DOC S2]; body false = nothing to act on [I]."""

from collections.abc import Callable, Mapping
from types import MappingProxyType

from .settings import PhoneSettings
from .state import CALLING, CONNECTED, DIALING, ONHOLD, RINGING, CallState, Line


def _focused_in(state: CallState, *states: object) -> Line | None:
    line = state.focused
    return line if line is not None and line.state in states else None


def accept_call(state: CallState, _settings: PhoneSettings) -> bool:
    """First ringing line answers; a connected call goes on hold [DOC S2; INF S9 spec]."""
    line = _focused_in(state, RINGING) or state.find(RINGING)
    return line is not None and state.answer(line)


def reject_call(state: CallState, _settings: PhoneSettings) -> bool:
    """Refuse the ringing call [DOC S2]."""
    line = _focused_in(state, RINGING) or state.find(RINGING)
    return line is not None and state.reject(line)


def end_call(state: CallState, _settings: PhoneSettings) -> bool:
    """End the focused active call (a held call alone is not ended) [DOC S2; I]."""
    line = _focused_in(state, CONNECTED, CALLING, DIALING) or state.find(
        CONNECTED, CALLING, DIALING
    )
    return line is not None and state.hang_up(line)


def hold_call(state: CallState, settings: PhoneSettings) -> bool:
    """Hold the active call; with toggling on, resume a held one [DOC S2; CODE S11, S12; I]."""
    line = _focused_in(state, CONNECTED) or state.find(CONNECTED)
    if line is not None:
        return state.hold(line)
    if not settings.holdcall_toggles:
        return False
    line = _focused_in(state, ONHOLD) or state.find(ONHOLD)
    return line is not None and state.resume(line)


def cancel(state: CallState, _settings: PhoneSettings) -> bool:
    """Abort what is being set up: transfer screen, dialling, calling, ringing [DOC S2; I]."""
    if state.cancel_transfer_screen():
        return True
    line = (
        _focused_in(state, DIALING, CALLING, RINGING)
        or state.find(CALLING, DIALING)
        or state.find(RINGING)
    )
    return line is not None and state.hang_up(line)


OPERATIONS: Mapping[str, Callable[[CallState, PhoneSettings], bool]] = MappingProxyType(
    {
        "acceptcall": accept_call,
        "rejectcall": reject_call,
        "endcall": end_call,
        "holdcall": hold_call,
        "cancel": cancel,
    }
)
