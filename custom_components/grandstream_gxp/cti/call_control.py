"""Call-control procedures that read the lines before each step and poll for its effect.

An accepted key is not a key that did anything (call-control.md §0.7).
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Container, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
import logging
import time
from typing import Final

from .call_events import CallEventType, CallExpectations, held_and_active
from .client import CtiClient
from .errors import CtiClosedError, CtiCommandError, CtiError
from .keys import Key, line_key, parse_keys
from .models import Lines, LineState, LineStatus, PhoneOperation

_LOGGER = logging.getLogger(__name__)

# Waiting for a state: every `poll_interval` for the first second, then ever slower.
BACK_OFF_AFTER = 1.0
BACK_OFF_FACTOR = 1.5
BACK_OFF_MAX = 1.0

_IN_PROGRESS = frozenset({LineState.DIALING, LineState.CALLING})
_UP = frozenset({LineState.CALLING, LineState.CONNECTED})
_ENDED = frozenset({LineState.IDLE, LineState.FAILED})
# Every state with a call, in the order `hang_up` picks one.
_CALL_STATES = (
    LineState.CONNECTED,
    LineState.CALLING,
    LineState.DIALING,
    LineState.RINGING,
    LineState.ONHOLD,
)


class TransferMode(StrEnum):
    """How a call is handed over."""

    BLIND = "blind"
    ATTENDED = "attended"


class SwapMethod(StrEnum):
    """How to switch between the active and the held call."""

    AUTO = "auto"
    LINE_KEY = "line_key"
    HOLD_KEY = "hold_key"


class DialMethod(StrEnum):
    """How `dial` placed the call."""

    CLICK_TO_DIAL = "click_to_dial"
    KEYS = "keys"


@dataclass(frozen=True, slots=True, kw_only=True)
class Dialled:
    """The lines after `dial`, and how the call was placed."""

    lines: Lines
    method: DialMethod


# `api-make_call` answers that mean Click-To-Dial (P1561) is off: "Invalid Request"
# [VENDOR-CODE N1] (which also covers an empty number, an unusable account and a locked
# keypad: the caller rules out the first two) and "failed" (older simulator [I]).
_CLICK_TO_DIAL_OFF = frozenset({"invalid request", "failed"})


class Reason(StrEnum):
    """Every `CallStateError.reason`: stable keys that callers may translate."""

    ACCOUNT_NEEDS_CLICK_TO_DIAL = "account_needs_click_to_dial"
    AUTO_ATTENDED_OFF = "auto_attended_off"
    CALL_BEING_DIALLED = "call_being_dialled"
    CALL_IN_PROGRESS = "call_in_progress"
    CALL_ON_HOLD = "call_on_hold"
    CONSULTATION_NOT_STARTED = "consultation_not_started"
    CONSULTATION_ON_HOLD = "consultation_on_hold"
    INVALID_NUMBER = "invalid_number"
    KEYS_ONLY_CANCEL_TRANSFER = "keys_only_cancel_transfer"
    KEYS_ONLY_CLICK_TO_DIAL = "keys_only_click_to_dial"
    KEYS_ONLY_LINE = "keys_only_line"
    KEYS_ONLY_NO_TRANSFER = "keys_only_no_transfer"
    KEYS_ONLY_SWAP = "keys_only_swap"
    NO_CALL = "no_call"
    NO_CONNECTED_CALL = "no_connected_call"
    NO_FREE_LINE = "no_free_line"
    NO_HELD_CALL = "no_held_call"
    NO_RINGING_CALL = "no_ringing_call"
    NO_SUCH_LINE = "no_such_line"
    NO_TRANSFER_IN_PROGRESS = "no_transfer_in_progress"
    NUMBER_NEEDS_CLICK_TO_DIAL = "number_needs_click_to_dial"
    STEP_FAILED = "step_failed"
    SWAP_FAILED = "swap_failed"
    SWAP_UNSUPPORTED = "swap_unsupported"
    TRANSFER_FAILED = "transfer_failed"
    TRANSFER_NOT_STARTED = "transfer_not_started"
    TRANSFERRED_BLIND_AUTO_ATTENDED_OFF = "transferred_blind_auto_attended_off"
    TWO_CALLS_NEEDED = "two_calls_needed"


class CallStateError(CtiError):
    """The phone is not in, or did not reach, the state a procedure needs."""

    def __init__(
        self, reason: Reason, lines: Sequence[LineStatus], detail: str = ""
    ) -> None:
        """Keep the reason and the lines found."""
        self.reason = reason
        self.lines: Lines = tuple(lines)
        what = f"{reason}: {detail}" if detail else reason
        super().__init__(f"{what} (found {describe_lines(self.lines)})")


def describe_lines(lines: Sequence[LineStatus]) -> str:
    """Say what the lines show, e.g. 'line 1 onhold, line 2 connected'; 'all idle' when idle."""
    busy = [
        f"line {line.line} {line.raw_state}"
        for line in lines
        if line.state is not LineState.IDLE
    ]
    return ", ".join(busy) if busy else "all lines idle"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallControlSettings:
    """What the procedures need to know about the phone and its configuration."""

    has_line_keys: bool
    auto_attended_transfer: bool = True
    swap_method: SwapMethod = SwapMethod.AUTO
    # A key's effect on the phone's own lines (hold, answer, a new line) [I].
    step_timeout: float = 5.0
    # A hand-over waits for the REFER's answer, up to Blind Transfer Wait Timeout P26070
    # (default 30 s [D S16], 0.5-3 s on a realistic phone); so do the consultation
    # call and the blind hand-over of a phone with Auto-Attended Transfer off [C S1].
    handover_timeout: float = 35.0
    poll_interval: float = 0.2
    # An outcome an action caused is kept for a read beyond the longest hand-over [I].
    outcome_ttl: float = 60.0


def _with_state(lines: Lines, *states: LineState) -> list[LineStatus]:
    return [line for line in lines if line.state in states]


def _line(lines: Lines, number: int) -> LineStatus | None:
    return next((line for line in lines if line.line == number), None)


class CallController:
    """Runs call-control procedures on one phone, one at a time."""

    def __init__(self, client: CtiClient, settings: CallControlSettings) -> None:
        """Drive `client` with the given phone settings."""
        self._client = client
        self.settings = settings
        self._lock = asyncio.Lock()
        self._learned_swap: SwapMethod | None = None
        self.expectations = CallExpectations(settings.outcome_ttl)
        self._closed = False

    def close(self) -> None:
        """Send nothing more: a procedure under way stops before its next request."""
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise CtiClosedError("call control is closed; nothing more is sent")

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Hold the phone for something else (the key probe); procedures wait meanwhile."""
        async with self._lock:
            self._check_open()
            yield

    @property
    def busy(self) -> bool:
        """Whether a procedure is running."""
        return self._lock.locked()

    @property
    def learned_swap_method(self) -> SwapMethod | None:
        """The swap method that `auto` found to work on this phone, once it has."""
        return self._learned_swap

    @learned_swap_method.setter
    def learned_swap_method(self, method: SwapMethod | None) -> None:
        self._learned_swap = None if method is SwapMethod.AUTO else method

    async def lines(self) -> Lines:
        """Read the line status."""
        self._check_open()
        return tuple(await self._client.get_line_status())

    async def _wait_for(
        self,
        predicate: Callable[[Lines], bool],
        reason: Reason,
        detail: str = "",
        *,
        within: float | None = None,
        failed: Callable[[Lines], bool] | None = None,
    ) -> Lines:
        """Poll until `predicate`; raise after `within` and a last read, or `failed`."""
        start = time.monotonic()
        deadline = start + (within or self.settings.step_timeout)
        pause = self.settings.poll_interval
        last = False
        while True:
            lines = await self.lines()
            if predicate(lines):
                return lines
            if last or (failed is not None and failed(lines)):
                raise CallStateError(reason, lines, detail)
            now = time.monotonic()
            if now >= deadline:
                # A read begun before the deadline may show the phone from before it.
                last, pause = True, self.settings.poll_interval
            elif now - start >= BACK_OFF_AFTER:
                # A key shows within a second; a 30 s hand-over is read once a second [I].
                pause = max(pause, min(pause * BACK_OFF_FACTOR, BACK_OFF_MAX))
            await asyncio.sleep(pause)

    async def _until(self, line: int, states: Container[LineState], what: str) -> Lines:
        return await self._wait_for(
            lambda now: _state(now, line) in states,
            Reason.STEP_FAILED,
            f"line {line} {what}",
        )

    async def _press(self, *tokens: str) -> None:
        self._check_open()
        await self._client.send_keys(tokens)

    async def _press_steps(self, steps: Iterable[Sequence[str]], pause: float) -> None:
        for index, tokens in enumerate(steps):
            if index:
                await asyncio.sleep(pause)
            await self._press(*tokens)

    async def press_keys(self, tokens: Sequence[str], delay: float = 0) -> None:
        """Press keys as they are: in one request, or one request per key `delay` apart."""
        steps = [tokens] if delay <= 0 else [(token,) for token in tokens]
        async with self._lock:
            await self._press_steps(steps, delay)

    async def answer(self, line: int | None = None) -> Lines:
        """Answer the ringing call (on `line`, or the first one ringing)."""
        async with self._lock:
            lines = await self.lines()
            target = _pick(lines, line, (LineState.RINGING,), Reason.NO_RINGING_CALL)
            other_call = _with_state(lines, LineState.CONNECTED)
            if other_call and self.settings.has_line_keys:
                # Call waiting: the ringing call's line key answers it and holds the other [D, S7].
                await self._press(line_key(target.line))
            else:
                await self._operation(
                    PhoneOperation.ACCEPTCALL,
                    fallback=None if other_call else Key.OFFHOOK,
                )
            return await self._until(target.line, {LineState.CONNECTED}, "not answered")

    async def hang_up(self, line: int | None = None) -> Lines:
        """End, reject or cancel the call on `line` (default: the active one)."""
        async with self._lock:
            lines = await self.lines()
            target = _pick(lines, line, _CALL_STATES, Reason.NO_CALL)
            if target.state is LineState.ONHOLD:
                lines = await self._resume(lines, target.line)
            try:
                if target.state is LineState.RINGING:
                    # Rejected, not missed, whether push (Rejected, P8315) or read reports it.
                    self.expectations.expect({target.line}, CallEventType.ENDED)
                operation = _ENDING.get(target.state, PhoneOperation.ENDCALL)
                await self._operation(operation, fallback=Key.ONHOOK)
                lines = await self._until(target.line, _ENDED, "did not end its call")
            except CtiError:
                self.expectations.forget({target.line})
                raise
            pair = self.expectations.transfer
            if pair and any(_state(lines, line) in _ENDED for line in pair):
                self.expectations.transfer = None
            return lines

    async def hold(self, line: int | None = None) -> Lines:
        """Put the connected call on hold."""
        async with self._lock:
            lines = await self.lines()
            target = _pick(
                lines, line, (LineState.CONNECTED,), Reason.NO_CONNECTED_CALL
            )
            # holdcall acts on the established call [D, S2]; HOLD is the key [D, S6].
            await self._operation(PhoneOperation.HOLDCALL, fallback=Key.HOLD)
            return await self._until(target.line, {LineState.ONHOLD}, "not held")

    async def resume(self, line: int | None = None) -> Lines:
        """Take the held call (on `line`, or the only one held) off hold."""
        async with self._lock:
            lines = await self.lines()
            target = _pick(lines, line, (LineState.ONHOLD,), Reason.NO_HELD_CALL)
            return await self._resume(lines, target.line)

    async def send_dtmf(self, digits: str) -> Lines:
        """Send `digits` as tones into the connected call."""
        tokens = dtmf_tokens(digits)
        async with self._lock:
            lines = await self.lines()
            _pick(lines, None, (LineState.CONNECTED,), Reason.NO_CONNECTED_CALL)
            if _with_state(lines, *_IN_PROGRESS):
                raise CallStateError(Reason.CALL_BEING_DIALLED, lines)
            await self._press(*tokens)
            return await self.lines()

    async def dial(self, number: str, account: int | None = None) -> Dialled:
        """Place a call by click-to-dial on the 0-based `account`; by keys only without one."""
        number = clean_number(number)
        async with self._lock:
            lines = await self.lines()
            if _with_state(lines, *_IN_PROGRESS):
                raise CallStateError(Reason.CALL_BEING_DIALLED, lines)
            free = _with_state(lines, LineState.IDLE)
            if not free:
                raise CallStateError(Reason.NO_FREE_LINE, lines)
            busy_before = {
                line.line for line in lines if line.state is not LineState.IDLE
            }
            method = DialMethod.CLICK_TO_DIAL
            try:
                self._check_open()
                await self._client.make_call(number, account)
            except CtiCommandError as err:
                if str(err.body).strip().lower() not in _CLICK_TO_DIAL_OFF:
                    raise
                if account is not None:
                    raise CallStateError(
                        Reason.ACCOUNT_NEEDS_CLICK_TO_DIAL, lines, str(err.body)
                    ) from err
                # Click-To-Dial is off by default (P1561) [D, S10]: dial with keys.
                method = DialMethod.KEYS
                await self._dial_with_keys(lines, number, free[0].line)
            after = await self._wait_for(
                lambda now: any(
                    line.line not in busy_before for line in _with_state(now, *_UP)
                ),
                Reason.STEP_FAILED,
                f"no call to {number} started",
            )
            return Dialled(lines=after, method=method)

    async def _dial_with_keys(self, lines: Lines, number: str, free_line: int) -> None:
        if "+" in number:
            raise CallStateError(Reason.NUMBER_NEEDS_CLICK_TO_DIAL, lines)
        tokens = dtmf_tokens(number)
        if _with_state(lines, LineState.CONNECTED):
            if not self.settings.has_line_keys:
                # Digits now would reach the caller as tones [I].
                raise CallStateError(Reason.CALL_IN_PROGRESS, lines)
            # A free line key holds the current call and opens a new line [C, S21] [D, S6].
            await self._press(line_key(free_line))
        await self._press(*tokens, Key.SEND)

    async def transfer(
        self, number: str, mode: TransferMode = TransferMode.ATTENDED
    ) -> Lines:
        """Transfer the connected call: XFER, number, `#` or (blind) XFER [C S1]."""
        tokens = dtmf_tokens(clean_number(number, allow_plus=False).rstrip(Key.POUND))
        async with self._lock:
            lines = await self.lines()
            final = self._final_transfer_key(tokens, mode, lines)
            original = self._transfer_source(
                lines, need_free_line=mode is TransferMode.ATTENDED
            )
            await self._press(Key.XFER)
            # The transfer screen holds the call [C, S8]; while connected, digits are tones.
            await self._wait_for(
                lambda now: _state(now, original) is LineState.ONHOLD,
                Reason.TRANSFER_NOT_STARTED,
                "the call did not go on hold after XFER",
            )
            if mode is TransferMode.BLIND:
                return await self._hand_over(
                    {original},
                    (*tokens, final),
                    lambda now: _handed_over(now, original),
                    f"the call on line {original} was not handed over",
                    # The REFER failed and the phone took the call back [D, S30].
                    failed=lambda now: _state(now, original) is LineState.CONNECTED,
                )
            # With Auto-Attended Transfer off (the factory default), `#` hands the caller
            # over blind [C, S1]: say so, whatever the option claimed.
            lines = await self._hand_over(
                {original},
                (*tokens, final),
                lambda now: (
                    _consultation(now, original) is not None
                    or _handed_over(now, original)
                ),
                f"no consultation call to {number} started",
                # The phone took the caller back, or the consultation call failed.
                failed=lambda now: (
                    _state(now, original) is LineState.CONNECTED
                    or bool(_with_state(now, LineState.FAILED))
                ),
                reason=Reason.CONSULTATION_NOT_STARTED,
            )
            consultation = _consultation(lines, original)
            if consultation is None:
                raise CallStateError(
                    Reason.TRANSFERRED_BLIND_AUTO_ATTENDED_OFF,
                    lines,
                    f"line {original} was handed over to {number} without consultation",
                )
            self.expectations.forget({original})
            self.expectations.transfer = (original, consultation.line)
            return lines

    def _final_transfer_key(
        self, tokens: Sequence[str], mode: TransferMode, lines: Lines
    ) -> str:
        """Return the key after the number; refuse attended with Auto-Attended off."""
        auto_attended = self.settings.auto_attended_transfer
        if mode is TransferMode.ATTENDED and not auto_attended:
            raise CallStateError(Reason.AUTO_ATTENDED_OFF, lines)
        final = Key.XFER if mode is TransferMode.BLIND and auto_attended else Key.POUND
        # A key the phone was found to refuse must stop the transfer before XFER.
        self._client.key_table.encode([Key.XFER, *tokens, final])
        return final

    async def _hand_over(
        self,
        lines: set[int],
        tokens: Sequence[str],
        predicate: Callable[[Lines], bool],
        detail: str,
        *,
        failed: Callable[[Lines], bool] | None = None,
        reason: Reason = Reason.TRANSFER_FAILED,
    ) -> Lines:
        """Press the hand-over keys; the calls count as transferred until shown not."""
        self.expectations.expect(lines, CallEventType.TRANSFERRED)
        try:
            await self._press(*tokens)
            return await self._wait_for(
                predicate,
                reason,
                detail,
                within=self.settings.handover_timeout,
                failed=failed,
            )
        except CtiError:
            self.expectations.forget(lines)
            raise

    def _transfer_source(self, lines: Lines, *, need_free_line: bool) -> int:
        connected = _with_state(lines, LineState.CONNECTED)
        if _with_state(lines, *_IN_PROGRESS):
            raise CallStateError(Reason.CALL_BEING_DIALLED, lines)
        if len(connected) != 1:
            raise CallStateError(Reason.NO_CONNECTED_CALL, lines)
        if _with_state(lines, LineState.ONHOLD):
            raise CallStateError(Reason.CALL_ON_HOLD, lines)
        if need_free_line and not _with_state(lines, LineState.IDLE):
            raise CallStateError(Reason.NO_FREE_LINE, lines)
        return connected[0].line

    async def complete_transfer(self) -> Lines:
        """XFER again: join the held and the consultation call (a known transfer only)."""
        async with self._lock:
            lines = await self.lines()
            held, consultation = self._transfer_pair(lines)
            if not self.settings.auto_attended_transfer:
                raise CallStateError(Reason.AUTO_ATTENDED_OFF, lines)
            lines = await self._hand_over(
                {held, consultation},
                (Key.XFER,),
                lambda now: (
                    _state(now, held) in _ENDED and _state(now, consultation) in _ENDED
                ),
                "the calls were not joined",
            )
            self.expectations.transfer = None
            return lines

    async def cancel_transfer(self) -> Lines:
        """End the consultation call and resume the held one."""
        async with self._lock:
            lines = await self.lines()
            held, consultation = self._transfer_pair(lines)
            operation = _ENDING.get(_state(lines, consultation), PhoneOperation.ENDCALL)
            await self._operation(operation, fallback=None)
            lines = await self._until(consultation, _ENDED, "did not end its call")
            self.expectations.transfer = None
            return await self._resume(lines, held)

    def _transfer_pair(self, lines: Lines) -> tuple[int, int]:
        """Return the held line and the consultation line of the transfer under way."""
        pair = held_and_active(lines)
        if pair is None:
            raise CallStateError(Reason.NO_TRANSFER_IN_PROGRESS, lines)
        known = self.expectations.transfer
        if known == pair[::-1]:
            # The user swapped back to the caller; XFER now would transfer the wrong way [I].
            raise CallStateError(Reason.CONSULTATION_ON_HOLD, lines)
        if known != pair:
            # A held call and another call that no transfer made (call waiting).
            raise CallStateError(Reason.NO_TRANSFER_IN_PROGRESS, lines)
        return pair

    async def swap(self) -> Lines:
        """Switch between the active and the held call. Never presses XFER."""
        async with self._lock:
            lines = await self.lines()
            pair = held_and_active(lines, {LineState.CONNECTED})
            if pair is None:
                raise CallStateError(Reason.TWO_CALLS_NEEDED, lines)
            return await self._swap(active=pair[1], held=pair[0])

    async def _swap(self, active: int, held: int) -> Lines:
        method = self.settings.swap_method
        if method is not SwapMethod.AUTO:
            return await self._swap_with(method, active, held)
        candidates = [self._learned_swap] if self._learned_swap else list(_SWAP_ORDER)
        for candidate in candidates:
            try:
                lines = await self._swap_with(candidate, active, held)
            except (CallStateError, CtiCommandError) as err:
                now = await self.lines()
                if _pair(now, active, held) != _UNCHANGED:
                    raise CallStateError(Reason.SWAP_FAILED, now, str(err)) from err
                _LOGGER.debug("Swap by %s did nothing on this phone", candidate)
                continue
            self._learned_swap = candidate
            return lines
        raise CallStateError(Reason.SWAP_UNSUPPORTED, await self.lines())

    async def _swap_with(self, method: SwapMethod, active: int, held: int) -> Lines:
        if method is SwapMethod.HOLD_KEY:
            return await self._swap_by_hold_key(active, held)
        # The held call's line key resumes it and holds the other [D, S6].
        await self._press(line_key(held))
        return await self._wait_for(
            lambda now: _pair(now, active, held) == _SWAPPED, Reason.SWAP_FAILED
        )

    async def _swap_by_hold_key(self, active: int, held: int) -> Lines:
        # HOLD holds the active call too; then move to the other call and take it off
        # hold with HOLD (call-control.md §6.4, candidate 2) [I].
        await self._press(Key.HOLD)
        await self._wait_for(
            lambda now: _pair(now, active, held) == _BOTH_HELD, Reason.SWAP_FAILED
        )
        toward = Key.DOWN if held > active else Key.UP
        await self._press(toward, Key.HOLD)
        lines = await self._wait_for(
            lambda now: _pair(now, active, held) != _BOTH_HELD, Reason.SWAP_FAILED
        )
        pair = _pair(lines, active, held)
        if pair == _SWAPPED:
            return lines
        # Unchanged: the phone resumed the call it had just held, navigation did nothing.
        detail = "the hold key cannot pick the other call" if pair == _UNCHANGED else ""
        raise CallStateError(Reason.SWAP_FAILED, lines, detail)

    async def _resume(self, lines: Lines, line: int) -> Lines:
        # A connected call on another line goes on hold.
        connected = [
            other.line
            for other in _with_state(lines, LineState.CONNECTED)
            if other.line != line
        ]
        if connected:
            return await self._swap(connected[0], line)
        if self.settings.has_line_keys:
            # The blinking line key resumes a held call [D, S6].
            await self._press(line_key(line))
        else:
            # No line keys (GXP116x): HOLD on the held call, else holdcall as a toggle [I], [C, S23].
            try:
                await self._press(Key.HOLD)
            except CtiCommandError:
                await self._operation(PhoneOperation.HOLDCALL, fallback=None)
        return await self._until(line, {LineState.CONNECTED}, "not resumed")

    async def _operation(self, operation: PhoneOperation, fallback: str | None) -> None:
        # Where the phone refuses the operation, press `fallback` instead.
        self._check_open()
        try:
            await self._client.phone_operation(operation)
        except CtiCommandError:
            if fallback is None:
                raise
            await self._press(fallback)


# Safe order for `auto`: a line key either is refused (unknown key) or does the swap;
# the hold-key route changes the phone's state on its way and is tried last [I].
_SWAP_ORDER = (SwapMethod.LINE_KEY, SwapMethod.HOLD_KEY)

# How a call in each state is ended; any other state with `endcall`.
_ENDING: Final[dict[LineState | None, PhoneOperation]] = {
    LineState.RINGING: PhoneOperation.REJECTCALL,
    LineState.DIALING: PhoneOperation.CANCEL,
    LineState.CALLING: PhoneOperation.CANCEL,
}

_DTMF = frozenset("0123456789*#")


def clean_number(number: str, *, allow_plus: bool = True) -> str:
    """Strip spaces, dashes, dots and brackets; refuse anything but digits, `*`, `#`, `+`."""
    cleaned = "".join(ch for ch in number if ch not in " -.()/")
    allowed = _DTMF | {"+"} if allow_plus else _DTMF
    if not cleaned or any(ch not in allowed for ch in cleaned) or "+" in cleaned[1:]:
        raise CallStateError(
            Reason.INVALID_NUMBER, (), "use digits, *, # and a leading +"
        )
    return cleaned


def dtmf_tokens(digits: str) -> tuple[str, ...]:
    """Key tokens for a run of digits, `*` and `#`."""
    if not digits or any(ch not in _DTMF for ch in digits):
        raise CallStateError(Reason.INVALID_NUMBER, (), "use digits, * and #")
    return parse_keys(digits)


def _state(lines: Lines, number: int) -> LineState | None:
    line = _line(lines, number)
    return None if line is None else line.state


def _pair(lines: Lines, active: int, held: int) -> tuple[LineState | None, ...]:
    return _state(lines, active), _state(lines, held)


_SWAPPED = (LineState.ONHOLD, LineState.CONNECTED)
_BOTH_HELD = (LineState.ONHOLD, LineState.ONHOLD)
_UNCHANGED = (LineState.CONNECTED, LineState.ONHOLD)


def _handed_over(lines: Lines, original: int) -> bool:
    return _state(lines, original) in _ENDED and not _with_state(lines, *_CALL_STATES)


def _consultation(lines: Lines, original: int) -> LineStatus | None:
    return next(
        (line for line in _with_state(lines, *_UP) if line.line != original), None
    )


def _pick(
    lines: Lines, number: int | None, states: Sequence[LineState], reason: Reason
) -> LineStatus:
    """Return the line an action is about: `number`, else the first in the first state."""
    if number is None:
        line = next((ln for state in states for ln in _with_state(lines, state)), None)
    elif (line := _line(lines, number)) is None:
        raise CallStateError(Reason.NO_SUCH_LINE, lines, f"line {number}")
    if line is None or line.state not in states:
        raise CallStateError(reason, lines)
    return line
