"""The simulator's own idea of api-send_key: which tokens a model takes and what they do.

Written from the specs, independently of the integration's key table, so a client bug is
not hidden by a matching simulator bug.
"""

from collections.abc import Callable, Mapping
from types import MappingProxyType

from .profiles import ModelProfile
from .settings import PhoneSettings
from .state import CALLING, CONNECTED, DIALING, IDLE, ONHOLD, RINGING, CallState, Line

type _Handler = Callable[[CallState, PhoneSettings], None]

DIGITS = frozenset("0123456789")

# Tokens every model takes, with the evidence for the spelling.
KEY_EVIDENCE: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(DIGITS, "[CODE S13, S14, S15]"),
        "STAR": "[DOC S2]",
        "#": "[FORUM S6] sent as %23",
        "SEND": "[CODE S13, S14, S15]",
        "XFER": "[C S1]",
        "HOLD": "[D S2] 'hold' in the function table; spelling [I]",
        "CONF": "[FORUM S6] conference key; spelling [I]",
        "MUTE": "[CODE S13, S11]",
        "SPEAKER": "[D S2] 'speaker'; spelling [I]",
        "HEADSET": "[CODE S27]; spelling [I]",
        "VUP": "[CODE S13]",
        "VDOWN": "[CODE S13]",
        "UP": "[DOC S2]",
        "DOWN": "[DOC S2]",
        "LEFT": "[DOC S2]",
        "RIGHT": "[DOC S2]",
        "OK": "[DOC S2]",
        "OFFHOOK": "[DOC S2]",
        "ONHOOK": "[DOC S2]",
        "LOCK": "[DOC S2]",
        "UNLOCK": "[DOC S2]",
    }
)
COMMON_KEYS = frozenset(KEY_EVIDENCE)
# FLASH exists on the GXP1165 but the API refuses it [FORUM S6; C S1]. POUND/HASH are
# spellings some clients guess for `#`; the phone only takes the literal [FORUM S6; I].
REFUSED_KEYS = frozenset({"FLASH", "POUND", "HASH", "TRANSFER"})


def accepted_keys(profile: ModelProfile, settings: PhoneSettings) -> frozenset[str]:
    """Every token this phone takes right now (tokens are case-sensitive [I]).

    `key_spellings` and `missing_keys` model firmware that spells a key otherwise or
    lacks it (cti-api 5.6 leaves both open [?]).
    """
    keys = set(COMMON_KEYS)
    keys.update(f"SOFT{n}" for n in range(1, profile.soft_keys + 1))  # [CODE S15]
    keys.update(f"MPK{n}" for n in range(1, profile.mpk_count + 1))  # [DOC S2]
    if profile.line_keys or settings.line_keys_select_calls:
        keys.update(f"LINE{n}" for n in range(1, profile.lines + 1))  # [CODE S13]
    keys -= REFUSED_KEYS
    keys.difference_update(settings.missing_keys)
    for key, spelling in settings.key_spellings.items():
        if key in keys:
            keys.discard(key)
            keys.add(spelling)
    return frozenset(keys)


def _usual_name(token: str, settings: PhoneSettings) -> str:
    """Return the simulator's own name of a token this firmware spells otherwise."""
    for key, spelling in settings.key_spellings.items():
        if spelling == token:
            return key
    return token


def parse_keys(raw: str | None, accepted: frozenset[str]) -> list[str] | None:
    """Split `keys=` on ':'; None if any token is unknown.

    Decision [I]: one bad token rejects the whole request before any key is applied
    (the guide only says an unknown key is refused [DOC S2]).
    """
    if not raw:
        # No key at all (`keys=` empty or absent): refused as unknown, nothing pressed,
        # after the passcode check like every request [INF; DOC S2 for "unknown"].
        return None
    tokens = raw.split(":")
    if any(token not in accepted for token in tokens):
        return None
    return tokens


def apply_key(state: CallState, key: str, settings: PhoneSettings) -> None:
    """Press one accepted key."""
    key = _usual_name(key, settings)
    if state.peripherals.keypad_locked and key != "UNLOCK":
        return  # a locked keypad ignores keys [I]
    if key in DIGITS or key == "STAR":
        _digit(state, "*" if key == "STAR" else key)
    elif key == "#":
        _hash(state, settings)
    elif key.startswith("LINE"):
        _line_key(state, int(key[4:]))
    elif key.startswith("SOFT"):
        _soft_key(state, int(key[4:]))
    elif key.startswith("MPK"):
        _mpk(state, int(key[3:]), settings)
    else:
        _NAMED[key](state, settings)


def dial_timeout(state: CallState, settings: PhoneSettings) -> None:
    """No Key Entry Timeout (P85) ran out: dial what was typed [D S16]."""
    _send(state, settings)


def has_pending_digits(state: CallState) -> bool:
    """Whether a dial buffer is waiting for SEND, `#` or the timeout."""
    if state.xfer is not None:
        return bool(state.xfer.digits)
    line = state.focused
    return line is not None and line.state is DIALING and bool(line.digits)


# ------------------------------------------------------------------ handlers


def _digit(state: CallState, digit: str) -> None:
    if state.xfer is not None:
        state.transfer_digit(digit)
        return
    line = state.focused
    if line is not None and line.state is DIALING:
        state.add_digit(line, digit)
        return
    if line is not None and line.state is CALLING:
        return  # early media is not modelled [I]
    connected = line if line is not None and line.state is CONNECTED else None
    if (connected := connected or state.find(CONNECTED)) is not None:
        state.send_dtmf(connected, digit)  # in-call digits are tones [I]
        return
    if (new := state.start_dialing()) is not None:
        state.add_digit(new, digit)  # off-hook dialling on the first idle line [I]


def _hash(state: CallState, settings: PhoneSettings) -> None:
    if not settings.use_hash_as_dial_key:
        _digit(state, "#")
        return
    line = state.focused
    if state.xfer is None and line is not None and line.state is CONNECTED:
        state.send_dtmf(line, "#")
        return
    _send(state, settings)


def _send(state: CallState, settings: PhoneSettings) -> None:
    if state.xfer is not None:
        state.end_transfer_number(auto_attended=settings.auto_attended_transfer)
        return
    line = state.focused
    if line is not None and line.state is DIALING:
        state.dial(line)


def _xfer(state: CallState, _settings: PhoneSettings) -> None:
    """XFER: finish a blind transfer, complete a consultation or open the screen [C S1]."""
    if state.xfer is not None:
        # XFER + number + XFER = blind transfer (S1 recipe step 3).
        state.blind_transfer()
        return
    if state.xfer_pending is not None and state.complete_attended():
        return
    state.open_transfer()  # ignored without an open call [C S1]


def _hold(state: CallState, _settings: PhoneSettings) -> None:
    if state.xfer is not None:
        return
    line = state.focused
    if line is None:
        return
    if line.state is CONNECTED:
        state.hold(line)
    elif line.state is ONHOLD:
        state.resume(line)  # HOLD on the held focused call resumes it [I]


def _line_key(state: CallState, number: int) -> None:
    """LINEn: answer, resume (swap) or seize that line [D S6, S7]."""
    if state.xfer is not None:
        state.transfer_to_line(number)
        return
    line = state.line(number)
    if line.state is RINGING:
        state.answer(line)
    elif line.state is ONHOLD:
        state.resume(line)
    elif line.state is IDLE:
        state.start_dialing(number)
    elif line.state in (CONNECTED, DIALING, CALLING):
        state.focus = number


def _offhook(state: CallState, _settings: PhoneSettings) -> None:
    ringing = _ringing(state)
    if ringing is not None:
        state.answer(ringing)
    elif state.find(DIALING, CALLING, CONNECTED) is None:
        state.start_dialing()


def _onhook(state: CallState, _settings: PhoneSettings) -> None:
    if state.cancel_transfer_screen():
        return  # hanging up in the transfer screen keeps the call held [I]
    line = state.focused
    if line is not None and line.state not in (RINGING, ONHOLD):
        state.hang_up(line)
    elif (ringing := _ringing(state)) is not None:
        state.reject(ringing)


def _conf(state: CallState, _settings: PhoneSettings) -> None:
    if state.xfer is not None:
        return
    if not state.busy:
        # CONF on an idle phone opens a line to dial the first party, as the CONF
        # step of the 3-way recipe does during a call [D S12; I for idle].
        state.start_dialing()
        return
    state.conference()


def _mute(state: CallState, _settings: PhoneSettings) -> None:
    if (line := state.focused) is not None:
        state.toggle_mute(line)


def _speaker(state: CallState, _settings: PhoneSettings) -> None:
    """Speaker: off hook when idle, answer when ringing, else switch audio [I]."""
    if state.find(DIALING, CALLING, CONNECTED) is None:
        _offhook(state, _settings)
    state.peripherals.speaker = not state.peripherals.speaker


def _headset(state: CallState, _settings: PhoneSettings) -> None:
    state.peripherals.headset = not state.peripherals.headset


def _volume(step: int) -> _Handler:
    def press(state: CallState, _settings: PhoneSettings) -> None:
        periph = state.peripherals
        periph.volume = max(0, min(8, periph.volume + step))

    return press


def _nav(step: int) -> _Handler:
    def press(state: CallState, settings: PhoneSettings) -> None:
        if settings.hold_key_navigation and state.xfer is None:
            state.move_focus(step)  # hold-key world: UP/DOWN pick a call [I]

    return press


def _ok(state: CallState, settings: PhoneSettings) -> None:
    line = state.focused
    if state.xfer is not None or (line is not None and line.state is DIALING):
        _send(state, settings)
    elif settings.hold_key_navigation and line is not None and line.state is ONHOLD:
        state.resume(line)


def _ignore(_state: CallState, _settings: PhoneSettings) -> None:
    """Menu navigation is not modelled [I]."""


def _lock(locked: bool) -> _Handler:
    def press(state: CallState, _settings: PhoneSettings) -> None:
        state.peripherals.keypad_locked = locked

    return press


def _soft_key(state: CallState, number: int) -> None:
    """Context soft keys; positions really depend on state and layout [D S16d; I]."""
    line = state.focused
    if state.xfer is not None:
        if number == 3:
            state.transfer_backspace()
        return
    if line is None:
        return
    if line.state is DIALING and number == 3:
        state.backspace(line)  # [C S20] SOFT3 as backspace while dialing
    elif line.state is RINGING and number == 1:
        state.answer(line)
    elif line.state is RINGING and number == 3:
        state.reject(line)
    elif line.state is ONHOLD and number == 1:
        state.resume(line)  # "Resume" soft key [I]


def _mpk(state: CallState, number: int, settings: PhoneSettings) -> None:
    """Press an MPK set up as speed dial: hold the active call, place a new one [C S9]."""
    target = settings.mpk_numbers.get(number)
    if target and state.xfer is None:
        state.place_call(target)


def _ringing(state: CallState) -> Line | None:
    line = state.focused
    if line is not None and line.state is RINGING:
        return line
    return state.find(RINGING)


_NAMED: Mapping[str, _Handler] = MappingProxyType(
    {
        "SEND": _send,
        "XFER": _xfer,
        "HOLD": _hold,
        "CONF": _conf,
        "MUTE": _mute,
        "SPEAKER": _speaker,
        "HEADSET": _headset,
        "VUP": _volume(1),
        "VDOWN": _volume(-1),
        "UP": _nav(-1),
        "DOWN": _nav(1),
        "LEFT": _ignore,
        "RIGHT": _ignore,
        "OK": _ok,
        "OFFHOOK": _offhook,
        "ONHOOK": _onhook,
        "LOCK": _lock(True),
        "UNLOCK": _lock(False),
    }
)
