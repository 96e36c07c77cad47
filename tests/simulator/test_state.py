"""The pure call state machine, without HTTP or timers."""

import pytest

from gxp_simulator.keys import apply_key, dial_timeout, has_pending_digits
from gxp_simulator.operations import OPERATIONS
from gxp_simulator.profiles import GXP1165, GXP2170
from gxp_simulator.settings import PhoneSettings
from gxp_simulator.state import CALL_FAILED, CallState, LineState


def states(state: CallState) -> list[str]:
    """Line states as strings."""
    return [str(line.state) for line in state.lines]


def names(state: CallState) -> list[str]:
    """Drain and name the events."""
    return [event.name for event in state.drain_events()]


def press(state: CallState, keys: str, settings: PhoneSettings | None = None) -> None:
    """Press colon-separated keys."""
    settings = settings or PhoneSettings.for_profile(GXP2170)
    for key in keys.split(":"):
        apply_key(state, key, settings)


def connected_call(lines: int = 2, number: str = "1002") -> CallState:
    """Build a phone with an answered incoming call on line 1."""
    state = CallState(lines)
    line = state.incoming(number, "Bob")
    assert line is not None
    state.answer(line)
    state.drain_events()
    return state


def test_incoming_answer_and_far_hangup_events() -> None:
    """Ringing -> connected -> idle with the Action URL event names."""
    state = CallState(2)
    assert state.phone_status() == "available"
    line = state.incoming("1002", "Bob")
    assert line is not None and line.number == 1
    assert state.phone_status() == "ringing"
    assert names(state) == ["idle_to_busy", "incoming_call"]
    assert state.answer(line)
    assert state.phone_status() == "busy"
    assert names(state) == ["off_hook", "answered_call", "established_call"]
    assert state.far_hangup(line)
    assert names(state) == ["terminated_call", "on_hook", "busy_to_idle"]
    assert states(state) == ["idle", "idle"]
    assert state.focus is None


def test_missed_and_rejected_calls() -> None:
    """A caller giving up is missed; refusing is rejected."""
    state = CallState(2)
    line = state.incoming("1002", "Bob")
    assert line is not None
    state.drain_events()
    state.far_hangup(line)
    assert names(state) == ["missed_call", "busy_to_idle"]
    assert state.missed[0].remote_number == "1002"
    line = state.incoming("1003")
    assert line is not None
    state.drain_events()
    assert state.reject(line)
    assert names(state)[0] == "rejected_call"
    assert not state.reject(line)
    assert not state.answer(line)


def test_call_waiting_and_no_free_line() -> None:
    """A second call rings line 2; a third finds no line; call waiting off refuses."""
    state = connected_call()
    second = state.incoming("1003")
    assert second is not None and second.number == 2
    assert state.focus == 1  # the active call keeps the focus
    assert state.incoming("1004") is None
    state = connected_call()
    assert state.incoming("1003", call_waiting=False) is None


def test_dialing_then_busy_fails() -> None:
    """Digits, dial, far end busy -> failed -> cleared with the right call id."""
    state = CallState(2)
    press(state, "1:0:0:2:SEND")
    line = state.line(1)
    assert states(state) == ["calling", "idle"]
    assert line.remote_number == "1002"
    assert "outgoing_call" in names(state)
    assert state.far_hangup(line)  # hanging up while calling = failed
    assert line.state is LineState.FAILED
    assert CALL_FAILED in names(state)
    assert not state.clear_failed(line, line.call_id + 1)
    assert state.clear_failed(line, line.call_id)
    assert states(state) == ["idle", "idle"]
    assert not state.far_busy(line)
    assert not state.far_answer(line)
    assert not state.far_hangup(line)


def test_dial_needs_digits_and_backspace() -> None:
    """SEND with an empty buffer does nothing; SOFT3 removes a digit."""
    state = CallState(2)
    press(state, "OFFHOOK:SEND")
    assert state.line(1).state is LineState.DIALING
    press(state, "1:2:SOFT3:3")
    assert state.line(1).digits == "13"
    assert state.line(1).remote_number == "13"
    assert has_pending_digits(state)
    dial_timeout(state, PhoneSettings())
    assert state.line(1).state is LineState.CALLING
    assert not has_pending_digits(state)


def test_hold_resume_and_conference() -> None:
    """HOLD toggles; CONF sets up and joins a 3-way call; HOLD splits it."""
    state = connected_call(3)
    press(state, "HOLD")
    assert states(state) == ["onhold", "idle", "idle"]
    press(state, "HOLD")
    assert states(state) == ["connected", "idle", "idle"]
    press(state, "CONF")
    assert states(state) == ["onhold", "dialing", "idle"]
    press(state, "1:0:0:3:SEND")
    state.far_answer(state.line(2))
    press(state, "CONF")
    assert states(state) == ["connected", "connected", "idle"]
    assert state.line(1).conf and state.line(2).conf
    press(state, "CONF")  # already a conference: nothing more
    assert states(state) == ["connected", "connected", "idle"]
    press(state, "HOLD")
    assert states(state) == ["onhold", "onhold", "idle"]
    assert not state.line(1).conf


def test_conference_end_and_leg_hangup() -> None:
    """Ending a conference ends both legs; one leg hanging up leaves the other."""
    state = connected_call(3)
    state.conference()
    press(state, "1:SEND")
    state.far_answer(state.line(2))
    assert state.conference()
    assert OPERATIONS["endcall"](state, PhoneSettings())
    assert states(state) == ["idle", "idle", "idle"]
    state = connected_call(3)
    state.conference()
    press(state, "1:SEND")
    state.far_answer(state.line(2))
    state.conference()
    state.far_hangup(state.line(1))
    assert states(state) == ["idle", "connected", "idle"]
    assert not state.line(2).conf


def test_conference_needs_a_free_line() -> None:
    """CONF on a 1-line phone or without a connected call does nothing."""
    state = connected_call(1)
    assert not state.conference()
    assert not CallState(2).conference()


def test_blind_transfer_records_and_recovers() -> None:
    """A refused REFER brings the call back [D S30]."""
    state = connected_call()
    state.refer_ok = lambda target: target != "999"
    assert state.open_transfer()
    for digit in "999":
        state.transfer_digit(digit)
    state.transfer_backspace()
    state.transfer_digit("9")
    assert state.blind_transfer()
    assert states(state) == ["connected", "idle"]
    assert not state.transfers[-1].ok
    assert "transfer_failed" in names(state)
    state.open_transfer()
    state.transfer_digit("5")
    assert state.end_transfer_number(auto_attended=False)
    assert states(state) == ["idle", "idle"]
    assert state.transfers[-1].target == "5"
    assert state.transfers[-1].ok


def test_transfer_screen_edge_cases() -> None:
    """No open call, empty number, no free line, cancelling."""
    state = CallState(1)
    assert not state.open_transfer()
    assert not state.blind_transfer()
    assert not state.start_consultation()
    assert not state.cancel_transfer_screen()
    state = connected_call(1)
    assert state.open_transfer()
    assert not state.end_transfer_number(auto_attended=True)
    state.transfer_digit("7")
    assert not state.start_consultation()  # one line only
    assert state.cancel_transfer_screen()
    assert states(state) == ["onhold"]
    assert not state.transfer_to_line(1)
    state.transfer_digit("1")  # ignored without a screen
    state.transfer_backspace()
    assert state.xfer is None


def test_attended_transfer_pending_rules() -> None:
    """The consultation must be the active call for XFER to complete [I]."""
    state = connected_call()
    state.open_transfer()
    state.transfer_digit("3")
    assert state.end_transfer_number(auto_attended=True)
    assert states(state) == ["onhold", "calling"]
    assert state.xfer_pending is not None
    assert state.pending_is_current()
    state.far_answer(state.line(2))
    state.resume(state.line(1))  # the user went back to the first caller
    assert states(state) == ["connected", "onhold"]
    assert not state.complete_attended()
    assert state.xfer_pending is None


def test_transfer_to_line_requires_other_call() -> None:
    """Transfer screen + LINE key of an idle or the same line does nothing."""
    state = connected_call(3)
    state.open_transfer()
    assert not state.transfer_to_line(1)
    assert not state.transfer_to_line(2)
    assert state.xfer is not None


def test_focus_moves_and_keypad_lock() -> None:
    """move_focus cycles through calls; a locked keypad ignores keys."""
    state = CallState(2)
    assert not state.move_focus(1)
    state = connected_call()
    state.incoming("1003")
    state.focus = None
    focus: list[int | None] = []
    for _ in range(3):
        assert state.move_focus(1)
        focus.append(state.focus)
    assert focus == [1, 2, 1]
    press(state, "LOCK:HOLD:5")
    assert states(state) == ["connected", "ringing"]
    assert state.dtmf_log == []
    press(state, "UNLOCK:5")
    assert state.dtmf_for("1002") == "5"
    assert state.dtmf_for("other") == ""


def test_peripherals() -> None:
    """Volume is clamped, MUTE toggles with events, HEADSET/SPEAKER toggle."""
    state = connected_call()
    press(state, ":".join(["VUP"] * 9))
    assert state.peripherals.volume == 8
    press(state, ":".join(["VDOWN"] * 9))
    assert state.peripherals.volume == 0
    press(state, "MUTE")
    assert state.line(1).muted
    press(state, "MUTE")
    assert names(state) == ["mute_call", "unmute_call"]
    press(state, "HEADSET:SPEAKER:LEFT:RIGHT")
    assert state.peripherals.headset and state.peripherals.speaker
    assert not state.toggle_mute(state.line(2))


def test_speaker_goes_off_hook_and_answers() -> None:
    """SPEAKER when idle opens a dialing line; when ringing answers."""
    state = CallState(2)
    press(state, "SPEAKER")
    assert states(state) == ["dialing", "idle"]
    press(state, "ONHOOK")
    state.incoming("1002")
    press(state, "SPEAKER")
    assert states(state) == ["connected", "idle"]


def test_place_call_reuses_dialing_line_and_holds() -> None:
    """make_call/MPK place the call on the dialing or first idle line."""
    state = connected_call(3)
    line = state.place_call("1005", account=1, name="Eve")
    assert line is not None and line.number == 2
    assert states(state) == ["onhold", "calling", "idle"]
    assert line.account == 1 and line.remote_name == "Eve"
    full = CallState(1)
    full.incoming("1")
    assert full.place_call("2") is None
    assert full.start_dialing() is None


def test_start_dialing_on_named_line_abandons_other_dialing() -> None:
    """Seizing line 2 drops a half-dialled line 1 [I]."""
    state = CallState(3)
    press(state, "OFFHOOK:1")
    assert state.start_dialing(2) is not None
    assert states(state) == ["idle", "dialing", "idle"]
    assert state.start_dialing(2) is None  # not idle


def test_hang_up_variants() -> None:
    """hang_up on idle, ringing, failed; hold/resume refuse wrong states."""
    state = CallState(2)
    assert not state.hang_up(state.line(1))
    line = state.incoming("1002")
    assert line is not None
    assert state.hang_up(line)
    assert names(state)[-2] == "rejected_call"
    assert not state.hold(line)
    assert not state.resume(line)
    press(state, "1:SEND")
    state.far_busy(state.line(1))
    assert state.hang_up(state.line(1))
    assert states(state) == ["idle", "idle"]


def test_line_lookup_and_to_json() -> None:
    """Bad line numbers raise; to_json has the sub-states."""
    state = connected_call()
    with pytest.raises(ValueError):
        state.line(3)
    state.open_transfer()
    data = state.to_json()
    assert data["xfer"] == {"line": 1, "digits": ""}
    assert data["lines"][0]["state"] == "onhold"
    assert data["phone_status"] == "busy"
    state.reset()
    assert states(state) == ["idle", "idle"]
    assert state.to_json()["xfer"] is None
    assert state.drain_events() == []


def test_soft_keys_by_context() -> None:
    """SOFT1 answers/resumes, SOFT3 rejects/backspaces, others do nothing."""
    state = CallState(2)
    press(state, "SOFT1")
    state.incoming("1002")
    press(state, "SOFT2:SOFT3")
    assert states(state) == ["idle", "idle"]
    state.incoming("1002")
    press(state, "SOFT1:HOLD:SOFT2")
    assert states(state) == ["onhold", "idle"]
    press(state, "SOFT1")
    assert states(state) == ["connected", "idle"]
    press(state, "XFER:4:5:SOFT3:SOFT1")
    assert state.xfer is not None and state.xfer.digits == "4"


def test_operations_on_empty_phone() -> None:
    """Every phone_operation answers false when there is nothing to act on."""
    state = CallState(2)
    settings = PhoneSettings.for_profile(GXP1165)
    for name, operation in OPERATIONS.items():
        assert not operation(state, settings), name
