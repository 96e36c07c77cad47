"""The phone's call state machine (call-control.md section 6): pure, no HTTP, no timers.

Lines hold calls; `focus` is the line the keys act on; `xfer` is the open transfer screen
and `xfer_pending` a running consultation. Every method changes the state synchronously and
appends `CallEvent`s (named like the Action URL events) that the caller drains; timers and
far-end behaviour live in the phone that drives this class.
"""

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class LineState(StrEnum):
    """Values of `state` in api-get_line_status."""

    IDLE = "idle"  # [DOC S3] [CAP S8]
    DIALING = "dialing"  # [CODE S11]
    CALLING = "calling"  # [CODE S11]
    RINGING = "ringing"  # [CAP S8]
    CONNECTED = "connected"  # [CAP S8]
    ONHOLD = "onhold"  # [CAP S8] [CODE S11]
    FAILED = "failed"  # [CODE S11]; transient, the phone clears it [I]


IDLE = LineState.IDLE
DIALING = LineState.DIALING
CALLING = LineState.CALLING
RINGING = LineState.RINGING
CONNECTED = LineState.CONNECTED
ONHOLD = LineState.ONHOLD
FAILED = LineState.FAILED

# Lines that keep the phone "off hook" (an audio path or a held call) [I].
_OFF_HOOK = frozenset({DIALING, CALLING, CONNECTED, ONHOLD, FAILED})
# Preference when the focus must move to another line [I].
_FOCUS_ORDER = (CONNECTED, CALLING, DIALING, RINGING, ONHOLD, FAILED)


@dataclass(slots=True)
class Line:
    """One call appearance."""

    number: int
    state: LineState = IDLE
    account: int = 0
    remote_number: str = ""
    remote_name: str = ""
    digits: str = ""
    conf: bool = False
    muted: bool = False
    incoming: bool = False
    call_id: int = 0
    transferring: bool = False  # REFER sent, waiting for the NOTIFY [INF]

    def clear(self) -> None:
        """Return to idle; the call id stays so late timers can tell it is gone."""
        self.state = IDLE
        self.account = 0
        self.remote_number = ""
        self.remote_name = ""
        self.digits = ""
        self.conf = False
        self.muted = False
        self.incoming = False
        self.transferring = False


@dataclass(slots=True)
class TransferScreen:
    """The screen XFER opens: the held call and the number typed so far [C S8]."""

    line: int
    digits: str = ""


@dataclass(frozen=True, slots=True)
class PendingTransfer:
    """`xfer_pending`: a consultation call started from the transfer screen [I]."""

    held: int
    consult: int


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """A transfer the phone performed (or tried)."""

    kind: str  # "blind" or "attended"
    line: int
    remote_number: str
    target: str
    ok: bool = True


@dataclass(frozen=True, slots=True)
class DtmfRecord:
    """One digit sent as a tone into a connected call [I]."""

    line: int
    call_id: int
    remote_number: str
    digit: str


@dataclass(frozen=True, slots=True)
class MissedCall:
    """A ringing call the caller gave up on."""

    line: int
    remote_number: str
    remote_name: str


@dataclass(frozen=True, slots=True)
class CallEvent:
    """Something happened; `name` is an Action URL event name or an internal one."""

    name: str
    line: int = 0
    remote_number: str = ""
    remote_name: str = ""
    account: int = 0
    call_id: int = 0


def status_of(states: Sequence[str]) -> str:
    """api-get_phone_status body from line states: available / ringing / busy [CAP S8; INF]."""
    if all(state == IDLE for state in states):
        return "available"
    if all(state in (IDLE, RINGING) for state in states):
        return "ringing"
    return "busy"


# Internal event: a line entered `failed` and must be cleared later.
CALL_FAILED = "call_failed"


@dataclass(slots=True)
class Peripherals:
    """Flags changed by keys that do not touch calls."""

    keypad_locked: bool = False
    volume: int = 4
    speaker: bool = False
    headset: bool = False


def _always(_target: str) -> bool:
    return True


def _missed_only() -> Sequence[str]:
    return ("missed_call",)


type Handover = Callable[[Callable[[], None]], None]


class CallState:
    """Lines, focus and the transfer sub-state of one phone."""

    def __init__(self, lines: int) -> None:
        """Create a phone with `lines` idle call appearances."""
        self.lines = [Line(n) for n in range(1, lines + 1)]
        self.focus: int | None = None
        self.xfer: TransferScreen | None = None
        self.xfer_pending: PendingTransfer | None = None
        self.transfers: list[TransferRecord] = []
        self.dtmf_log: list[DtmfRecord] = []
        self.missed: list[MissedCall] = []
        self.peripherals = Peripherals()
        # Whether a REFER to this target succeeds; the phone asks its far-end script.
        self.refer_ok: Callable[[str], bool] = _always
        # The events a caller's give-up sends, in order [CODE N2; CAP N4].
        self.giveup_events: Callable[[], Sequence[str]] = _missed_only
        # Runs a transfer's end (the NOTIFY) later; None = at once.
        self.handover: Handover | None = None
        # Connected calls without a caller name show the number as name [CAP N4].
        self.connected_name_is_number = False
        self._events: list[CallEvent] = []
        self._next_call_id = 1

    # ----------------------------------------------------------------- queries

    def line(self, number: int) -> Line:
        """Line by its 1-based number."""
        if not 1 <= number <= len(self.lines):
            raise ValueError(f"no line {number}")
        return self.lines[number - 1]

    def find(self, *states: LineState) -> Line | None:
        """First line in one of the states (in the order the states are given)."""
        for state in states:
            for line in self.lines:
                if line.state is state:
                    return line
        return None

    def in_states(self, *states: LineState) -> list[Line]:
        """All lines in any of the states, by line number."""
        return [line for line in self.lines if line.state in states]

    @property
    def focused(self) -> Line | None:
        """The line the keys act on, if it holds a call."""
        if self.focus is None:
            return None
        line = self.line(self.focus)
        return None if line.state is IDLE else line

    @property
    def busy(self) -> bool:
        """Whether any line is not idle."""
        return any(line.state is not IDLE for line in self.lines)

    def phone_status(self) -> str:
        """api-get_phone_status body: available / ringing / busy [CAP S8; INF rule]."""
        return status_of([str(line.state) for line in self.lines])

    def dtmf_for(self, remote_number: str | None = None) -> str:
        """Return the tones sent so far, optionally only into calls with that number."""
        return "".join(
            rec.digit
            for rec in self.dtmf_log
            if remote_number is None or rec.remote_number == remote_number
        )

    def drain_events(self) -> list[CallEvent]:
        """Take the events emitted since the last call."""
        events, self._events = self._events, []
        return events

    def to_json(self) -> dict[str, Any]:
        """Everything, for the control API."""
        return {
            "lines": [
                {**asdict(line), "state": str(line.state)} for line in self.lines
            ],
            "focus": self.focus,
            "xfer": None if self.xfer is None else asdict(self.xfer),
            "xfer_pending": None
            if self.xfer_pending is None
            else asdict(self.xfer_pending),
            "transfers": [asdict(t) for t in self.transfers],
            "dtmf": [asdict(d) for d in self.dtmf_log],
            "missed": [asdict(m) for m in self.missed],
            "peripherals": asdict(self.peripherals),
            "phone_status": self.phone_status(),
        }

    # ------------------------------------------------------------ internals

    def _emit(self, name: str, line: Line | None = None) -> None:
        if line is None:
            self._events.append(CallEvent(name))
            return
        self._events.append(
            CallEvent(
                name,
                line.number,
                line.remote_number,
                line.remote_name,
                line.account,
                line.call_id,
            )
        )

    def _set(self, line: Line, state: LineState) -> None:
        """Change one line's state and emit the phone-wide transitions [I]."""
        was_busy = self.busy
        was_off_hook = any(other.state in _OFF_HOOK for other in self.lines)
        line.state = state
        if state is IDLE:
            line.clear()
        off_hook = any(other.state in _OFF_HOOK for other in self.lines)
        if not was_busy and self.busy:
            self._emit("idle_to_busy", line)
        if not was_off_hook and off_hook:
            self._emit("off_hook", line)
        if was_off_hook and not off_hook:
            self._emit("on_hook", line)
        if was_busy and not self.busy:
            self._emit("busy_to_idle")
        if state is FAILED:
            self._emit(CALL_FAILED, line)

    def _new_call(
        self,
        line: Line,
        state: LineState,
        number: str,
        name: str,
        account: int,
        *,
        incoming: bool,
    ) -> None:
        line.call_id = self._next_call_id
        self._next_call_id += 1
        line.remote_number = number
        line.remote_name = name
        line.account = account
        line.incoming = incoming
        line.digits = ""
        self._set(line, state)

    def _release(self, line: Line) -> None:
        """Tidy the sub-states after a call on this line ended, then go idle."""
        if self.xfer is not None and self.xfer.line == line.number:
            self.xfer = None
        pending = self.xfer_pending
        if pending is not None and line.number in (pending.held, pending.consult):
            self.xfer_pending = None
        if line.conf:
            rest = [other for other in self.lines if other.conf and other is not line]
            if len(rest) == 1:
                rest[0].conf = False
        self._set(line, IDLE)
        self._refocus()

    def _refocus(self) -> None:
        if self.focused is not None:
            return
        nxt = self.find(*_FOCUS_ORDER)
        self.focus = None if nxt is None else nxt.number

    def _name_connected(self, line: Line) -> None:
        if self.connected_name_is_number and not line.remote_name:
            line.remote_name = line.remote_number

    def _hand_over(self, lines: list[Line], finish: Callable[[], None]) -> None:
        """Finish a transfer now or, with a hand-over, once the NOTIFY "arrives"."""
        if self.handover is None:
            finish()
            return
        calls = [(line, line.call_id) for line in lines]
        for line in lines:
            line.transferring = True

        def notify() -> None:
            if all(line.call_id == call_id for line, call_id in calls):
                for line in lines:
                    line.transferring = False
                finish()

        self.handover(notify)

    def _hold_others(self, keep: Line) -> None:
        """Put every other connected call on hold (a phone has one active call)."""
        for other in self.lines:
            if other is not keep and other.state is CONNECTED:
                self.hold(other)

    # ------------------------------------------------------ local call control

    def start_dialing(self, number: int | None = None) -> Line | None:
        """Go off hook on a line (the given one, or the first idle) to dial.

        A line already dialing is reused when no line is named [I]. Other connected
        calls go on hold [D S6].
        """
        if number is None:
            line = self.find(DIALING) or self.find(IDLE)
        else:
            line = self.line(number)
            if line.state is not IDLE:
                return None
            for other in self.in_states(DIALING):
                self._release(
                    other
                )  # seizing another line abandons a half-dialled one [I]
        if line is None:
            return None
        if line.state is IDLE:
            self._new_call(line, DIALING, "", "", 0, incoming=False)
        self._hold_others(line)
        self.focus = line.number
        return line

    def add_digit(self, line: Line, digit: str) -> None:
        """Append to the dial buffer of a dialing line."""
        line.digits += digit
        line.remote_number = line.digits  # shown while dialing [I]

    def backspace(self, line: Line) -> None:
        """Remove the last dialled digit [C S20]."""
        line.digits = line.digits[:-1]
        line.remote_number = line.digits

    def dial(self, line: Line) -> bool:
        """Send the INVITE for the digits typed so far (SEND, # or timeout)."""
        if line.state is not DIALING or not line.digits:
            return False
        line.remote_number = line.digits
        line.digits = ""
        self._set(line, CALLING)
        self._emit("outgoing_call", line)
        return True

    def place_call(self, number: str, account: int = 0, name: str = "") -> Line | None:
        """Call a number directly (make_call, MPK speed dial) [DOC S2; C S9]."""
        line = self.find(DIALING) or self.find(IDLE)
        if line is None:
            return None
        self._hold_others(line)
        if line.state is IDLE:
            self._new_call(line, DIALING, "", "", account, incoming=False)
        line.account = account
        line.remote_name = name
        line.digits = number
        self.focus = line.number
        self.dial(line)
        return line

    def answer(self, line: Line) -> bool:
        """Answer a ringing line; the active call goes on hold [D S7]."""
        if line.state is not RINGING:
            return False
        self._hold_others(line)
        self._set(line, CONNECTED)
        self._name_connected(line)
        self.focus = line.number
        self._emit("answered_call", line)
        self._emit("established_call", line)
        return True

    def reject(self, line: Line) -> bool:
        """Refuse a ringing call [DOC S2]."""
        if line.state is not RINGING:
            return False
        self._emit("rejected_call", line)
        self._release(line)
        return True

    def hang_up(self, line: Line) -> bool:
        """End the call on the line locally; a conference ends as a whole [D S10]."""
        if line.state is IDLE:
            return False
        if line.state is RINGING:
            return self.reject(line)
        members = [line]
        if line.conf:
            members = [other for other in self.lines if other.conf]
        for member in members:
            if member.state in (CALLING, CONNECTED, ONHOLD):
                self._emit("terminated_call", member)
            self._release(member)
        return True

    def hold(self, line: Line) -> bool:
        """Hold a connected call; holding a conference splits it [D S10, S13]."""
        if line.state is not CONNECTED:
            return False
        members = [line]
        if line.conf:
            members = [other for other in self.lines if other.conf]
        for member in members:
            member.conf = False
            if member.state is CONNECTED:
                self._set(member, ONHOLD)
                self._emit("hold_call", member)
        return True

    def resume(self, line: Line) -> bool:
        """Resume a held call; another active call goes on hold (a swap) [D S6]."""
        if line.state is not ONHOLD:
            return False
        self._hold_others(line)
        self._set(line, CONNECTED)
        self.focus = line.number
        self._emit("unhold_call", line)
        return True

    def send_dtmf(self, line: Line, digit: str) -> None:
        """Record a digit pressed during a connected call as a tone [I]."""
        self.dtmf_log.append(
            DtmfRecord(line.number, line.call_id, line.remote_number, digit)
        )

    def toggle_mute(self, line: Line) -> bool:
        """MUTE on the active call [CODE S13]."""
        if line.state is not CONNECTED:
            return False
        line.muted = not line.muted
        self._emit("mute_call" if line.muted else "unmute_call", line)
        return True

    def move_focus(self, step: int) -> bool:
        """UP/DOWN among the lines that hold calls (hold-key world) [I]."""
        candidates = [line.number for line in self.lines if line.state is not IDLE]
        if not candidates:
            return False
        if self.focus not in candidates:
            self.focus = candidates[0]
            return True
        index = candidates.index(self.focus)
        self.focus = candidates[(index + step) % len(candidates)]
        return True

    def conference(self) -> bool:
        """CONF: start a 3-way set-up, or join the held and the active call [D S12]."""
        active = self.focused
        if active is None or active.state is not CONNECTED or active.conf:
            return False
        held = self.in_states(ONHOLD)
        if len(held) == 1:
            other = held[0]
            self._set(other, CONNECTED)
            other.conf = active.conf = True
            return True
        new = self.find(IDLE)
        if new is None:
            return False
        self.hold(active)
        self._new_call(new, DIALING, "", "", active.account, incoming=False)
        self.focus = new.number
        return True

    # --------------------------------------------------------------- transfer

    def open_transfer(self) -> bool:
        """XFER on a connected call: hold it and open the transfer screen [C S8]."""
        line = self.focused
        if line is None or line.state is not CONNECTED:
            line = self.find(CONNECTED)
        if line is None:
            return False  # XFER needs an open call [C S1]
        self.hold(line)
        self.xfer = TransferScreen(line.number)
        self.focus = line.number
        return True

    def transfer_digit(self, digit: str) -> None:
        """Add a digit to the open transfer screen's buffer."""
        if self.xfer is not None:
            self.xfer.digits += digit

    def transfer_backspace(self) -> None:
        """Remove the last digit from the transfer screen's buffer [I]."""
        if self.xfer is not None:
            self.xfer.digits = self.xfer.digits[:-1]

    def cancel_transfer_screen(self) -> bool:
        """Close the transfer screen; the call stays on hold [I]."""
        if self.xfer is None:
            return False
        self.xfer = None
        return True

    def end_transfer_number(self, *, auto_attended: bool) -> bool:
        """`#`/SEND in the transfer screen [C S1].

        Auto-Attended Transfer on: consultation call on the next idle line. Off: blind.
        """
        if self.xfer is None or not self.xfer.digits:
            return False
        if auto_attended:
            return self.start_consultation()
        return self.blind_transfer()

    def blind_transfer(self) -> bool:
        """REFER the held call to the typed number; recover it if that fails [D S30]."""
        screen = self.xfer
        if screen is None or not screen.digits:
            return False
        line = self.line(screen.line)
        self.xfer = None
        target = screen.digits
        ok = self.refer_ok(target)
        self.transfers.append(
            TransferRecord("blind", line.number, line.remote_number, target, ok)
        )
        self._emit("blind_transfer", line)

        def finish() -> None:
            if not ok:
                self._emit("transfer_failed", line)
                self.resume(line)
                return
            self._emit("transfer_finished", line)
            self._release(line)

        self._hand_over([line], finish)
        return True

    def start_consultation(self) -> bool:
        """Call the typed number on the next idle line; the first call stays held [C S5]."""
        screen = self.xfer
        if screen is None or not screen.digits:
            return False
        held = self.line(screen.line)
        consult = self.find(IDLE)
        if consult is None:
            return False
        self.xfer = None
        self._new_call(consult, DIALING, "", "", held.account, incoming=False)
        consult.digits = screen.digits
        self.focus = consult.number
        self.dial(consult)
        self.xfer_pending = PendingTransfer(held.number, consult.number)
        return True

    def pending_is_current(self) -> bool:
        """Whether the consultation is still the active call and the first one held.

        If the user swapped back to the first caller, XFER no longer completes [I].
        """
        pending = self.xfer_pending
        if pending is None:
            return False
        held, consult = self.line(pending.held), self.line(pending.consult)
        return held.state is ONHOLD and consult.state in (CALLING, CONNECTED)

    def complete_attended(self) -> bool:
        """Join the held call and the consultation call, then leave [C S1, S8]."""
        if not self.pending_is_current():
            self.xfer_pending = None
            return False
        pending = self.xfer_pending
        if pending is None:  # pragma: no cover - pending_is_current() checked it
            return False
        return self._transfer_between(
            self.line(pending.held), self.line(pending.consult)
        )

    def transfer_to_line(self, number: int) -> bool:
        """Transfer screen + the LINE key of another call = attended transfer [C S9]."""
        screen = self.xfer
        if screen is None or number == screen.line:
            return False
        other = self.line(number)
        if other.state not in (CALLING, CONNECTED, ONHOLD):
            return False
        self.xfer = None
        return self._transfer_between(self.line(screen.line), other)

    def _transfer_between(self, held: Line, target: Line) -> bool:
        self.transfers.append(
            TransferRecord(
                "attended", held.number, held.remote_number, target.remote_number
            )
        )
        self._emit("attended_transfer", held)
        self.xfer_pending = None

        def finish() -> None:
            self._emit("transfer_finished", held)
            self._release(target)
            self._release(held)

        self._hand_over([target, held], finish)
        return True

    # ------------------------------------------------------------- far end

    def incoming(
        self,
        number: str,
        name: str = "",
        account: int = 0,
        *,
        call_waiting: bool = True,
    ) -> Line | None:
        """Ring the first idle line for an INVITE (call waiting if busy) [D S7]."""
        in_call = any(line.state in _OFF_HOOK for line in self.lines)
        if in_call and not call_waiting:
            return None  # P91 call waiting disabled: the phone answers busy [I]
        line = self.find(IDLE)
        if line is None:
            return None
        self._new_call(line, RINGING, number, name, account, incoming=True)
        self._emit("incoming_call", line)
        self._refocus()
        return line

    def far_answer(self, line: Line) -> bool:
        """Connect a calling line: the called party answered."""
        if line.state is not CALLING:
            return False
        self._set(line, CONNECTED)
        self._name_connected(line)
        self._emit("established_call", line)
        return True

    def far_busy(self, line: Line) -> bool:
        """Fail a calling line: the called party is busy or unreachable [C S19]."""
        if line.state is not CALLING:
            return False
        self._set(line, FAILED)
        return True

    def far_hangup(self, line: Line) -> bool:
        """Hang up from the far end: ringing -> missed, calling -> failed, else idle."""
        if line.state is RINGING:
            self.missed.append(
                MissedCall(line.number, line.remote_number, line.remote_name)
            )
            for name in self.giveup_events():
                self._emit(name, line)
            self._release(line)
            return True
        if line.state is CALLING:
            return self.far_busy(line)
        if line.state in (CONNECTED, ONHOLD):
            self._emit("terminated_call", line)
            self._release(line)
            return True
        return False

    def clear_failed(self, line: Line, call_id: int) -> bool:
        """End the transient failed state [I]."""
        if line.state is not FAILED or line.call_id != call_id:
            return False
        self._release(line)
        return True

    def reset(self, lines: int | None = None) -> None:
        """Reboot: every line idle, sub-states gone, no events [I].

        `lines` changes the number of call appearances (a firmware that has more or
        fewer); the lines that stay keep their call ids, so late timers still match.
        """
        if lines is not None:
            if lines < 1:
                raise ValueError("a phone has at least one line")
            kept = self.lines[:lines]
            self.lines = kept + [Line(n) for n in range(len(kept) + 1, lines + 1)]
        for line in self.lines:
            line.clear()
        self.focus = None
        self.xfer = None
        self.xfer_pending = None
        self.peripherals = Peripherals()
        self._events.clear()
