"""Call events from two successive line-status reads and from pushes; both fire once."""

from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
import time
from typing import Final

from .models import LineState, LineStatus


class CallEventType(StrEnum):
    """What happened to a call."""

    INCOMING = "incoming"
    OUTGOING = "outgoing"
    ANSWERED = "answered"
    MISSED = "missed"
    ENDED = "ended"
    HELD = "held"
    RESUMED = "resumed"
    TRANSFERRED = "transferred"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEvent:
    """One event on one line, with the remote party as last known."""

    type: CallEventType
    line: int
    remote_number: str
    remote_name: str


_GONE = frozenset({LineState.IDLE, LineState.FAILED})
_CALL = frozenset({LineState.CALLING, LineState.CONNECTED, LineState.ONHOLD})
_NOT_YET_CALLING = frozenset({LineState.IDLE, LineState.DIALING, LineState.FAILED})


def _event_type(
    before: LineState | None, after: LineState | None, outcome: CallEventType | None
) -> CallEventType | None:
    if before == after or before is None or after is None:
        return None
    if after is LineState.RINGING:
        return CallEventType.INCOMING
    if after is LineState.CALLING and before in _NOT_YET_CALLING:
        return CallEventType.OUTGOING
    if after is LineState.CONNECTED:
        held = before is LineState.ONHOLD
        return CallEventType.RESUMED if held else CallEventType.ANSWERED
    if after is LineState.ONHOLD and before is LineState.CONNECTED:
        return CallEventType.HELD
    if after in _GONE:
        if before is LineState.RINGING:
            return outcome or CallEventType.MISSED
        if before in _CALL:
            return outcome or CallEventType.ENDED
    return None


def call_events(
    before: Sequence[LineStatus] | None,
    after: Sequence[LineStatus],
    outcomes: Mapping[int, CallEventType] | None = None,
) -> list[CallEvent]:
    """Return the events that lead from `before` to `after` (none on the first read).

    `outcomes`: per line, the end of a call Home Assistant caused. A line in an unknown
    state gives none (compare `known_lines()`); a line one read lacks is idle there.
    """
    if before is None:
        return []
    outcomes = outcomes or {}
    previous = {line.line: line for line in before}
    current = {line.line: line for line in after}
    events = []
    for number in sorted(previous.keys() | current.keys()):
        old, new = previous.get(number), current.get(number)
        kind = _event_type(
            old.state if old else LineState.IDLE,
            new.state if new else LineState.IDLE,
            outcomes.get(number),
        )
        # An ended call's line is already blank; name the party it had.
        party = old if new is None or new.state in _GONE else new
        if kind is not None and party is not None:
            events.append(
                CallEvent(
                    type=kind,
                    line=number,
                    remote_number=party.remote_number,
                    remote_name=party.remote_name,
                )
            )
    return events


@dataclass(slots=True)
class CallExpectations:
    """What Home Assistant expects of the calls it acted on, until a read shows them gone.

    Per line the outcome an action caused (for `ttl` s at most: an action may stop halfway)
    and the attended transfer under way (held line, consultation line).
    """

    ttl: float
    clock: Callable[[], float] = time.monotonic
    transfer: tuple[int, int] | None = None
    _outcomes: dict[int, tuple[CallEventType, float]] = field(
        default_factory=dict, init=False
    )

    def expect(self, lines: Iterable[int], outcome: CallEventType) -> None:
        """Report the calls on `lines`, when they end, as `outcome`."""
        until = self.clock() + self.ttl
        for line in lines:
            self._outcomes[line] = (outcome, until)

    def forget(self, lines: Iterable[int]) -> None:
        """Drop the outcomes of `lines` (the action that expected them failed)."""
        for line in lines:
            self._outcomes.pop(line, None)

    def outcomes(self) -> dict[int, CallEventType]:
        """Return the outcomes still expected, by line."""
        now = self.clock()
        self._outcomes = {
            line: (outcome, until)
            for line, (outcome, until) in self._outcomes.items()
            if until > now
        }
        return {line: outcome for line, (outcome, _) in self._outcomes.items()}

    def transfer_seen(self, lines: Sequence[LineStatus]) -> None:
        """Note an attended transfer the phone reported: one held call, one active."""
        self.transfer = held_and_active(lines) or self.transfer

    def settle(self, lines: Sequence[LineStatus]) -> None:
        """Forget what concerned calls that `lines` (a read) shows gone."""
        gone = {line.line for line in lines if line.state in _GONE}
        self.forget(gone)
        if self.transfer is not None and gone & set(self.transfer):
            self.transfer = None


def held_and_active(
    lines: Sequence[LineStatus],
    active: Container[LineState] = frozenset({LineState.CALLING, LineState.CONNECTED}),
) -> tuple[int, int] | None:
    """Return (held line, active line) when one call is on hold and one in `active`."""
    held = [line.line for line in lines if line.state is LineState.ONHOLD]
    up = [line.line for line in lines if line.state in active]
    return (held[0], up[0]) if len(held) == len(up) == 1 else None


def known_lines(
    before: Sequence[LineStatus] | None, after: Sequence[LineStatus]
) -> tuple[LineStatus, ...]:
    """Return `after`, with a line in an unknown state replaced by its last known status."""
    previous = {line.line: line for line in before or ()}
    return tuple(
        previous.get(line.line, line) if line.state is None else line for line in after
    )


# --- what a pushed event (an Action URL) means for the lines -----------------------

_GONE_EVENTS: Final = frozenset(
    {CallEventType.MISSED, CallEventType.ENDED, CallEventType.TRANSFERRED}
)
# The state a line is in right after the event, as far as the event tells.
_STATE_AFTER: Final = {
    CallEventType.INCOMING: LineState.RINGING,
    CallEventType.OUTGOING: LineState.CALLING,
    CallEventType.ANSWERED: LineState.CONNECTED,
    CallEventType.RESUMED: LineState.CONNECTED,
    CallEventType.HELD: LineState.ONHOLD,
    CallEventType.MISSED: LineState.IDLE,
    CallEventType.ENDED: LineState.IDLE,
}


def number_key(number: str) -> str:
    """Return a number as compared between push and poll (`sip:1001@pbx` is `1001`)."""
    return number.strip().lower().removeprefix("sip:").partition("@")[0]


def _find_line(
    lines: Sequence[LineStatus], kind: CallEventType, number: str
) -> LineStatus | None:
    busy = [line for line in lines if line.state is not LineState.IDLE]
    key = number_key(number)
    if key:
        for line in busy:
            if number_key(line.remote_number) == key:
                return line
    if kind in (CallEventType.INCOMING, CallEventType.OUTGOING):
        idle = [line for line in lines if line.state is LineState.IDLE]
        return idle[0] if idle else None
    if len(busy) == 1 and (not key or not busy[0].remote_number):
        return busy[0]
    return None


def _reported_as(
    kind: CallEventType,
    line: LineStatus | None,
    when_ringing: CallEventType | None,
    outcomes: Mapping[int, CallEventType] | None,
) -> CallEventType:
    if line is None or kind not in _GONE_EVENTS:
        return kind
    outcome = (outcomes or {}).get(line.line)
    if outcome is not None:
        return outcome
    if when_ringing is not None and line.state is LineState.RINGING:
        return when_ringing
    return kind


def apply_push(
    lines: Sequence[LineStatus],
    kind: CallEventType,
    number: str,
    name: str,
    *,
    when_ringing: CallEventType | None = None,
    outcomes: Mapping[int, CallEventType] | None = None,
) -> tuple[tuple[LineStatus, ...], CallEvent]:
    """Return the lines as the event implies (the next poll corrects it), and the event."""
    line = _find_line(lines, kind, number)
    event = CallEvent(
        type=_reported_as(kind, line, when_ringing, outcomes),
        line=line.line if line else 0,
        remote_number=number or (line.remote_number if line else ""),
        remote_name=name or (line.remote_name if line else ""),
    )
    state = _STATE_AFTER.get(kind)
    if line is None or state is None:
        return tuple(lines), event
    gone = state is LineState.IDLE
    changed = replace(
        line,
        state=state,
        raw_state=state.value,
        remote_number="" if gone else event.remote_number,
        remote_name="" if gone else event.remote_name,
        active=False if gone else line.active,
    )
    return tuple(changed if other is line else other for other in lines), event


# An event's line at the confirming read: a ringing call may be answered, a held one resumed.
_STATES_AT_READ: Final = {
    CallEventType.INCOMING: frozenset(
        {LineState.RINGING, LineState.CONNECTED, LineState.ONHOLD}
    ),
    CallEventType.OUTGOING: frozenset(
        {LineState.CALLING, LineState.CONNECTED, LineState.ONHOLD}
    ),
    CallEventType.ANSWERED: frozenset({LineState.CONNECTED, LineState.ONHOLD}),
    CallEventType.RESUMED: frozenset({LineState.CONNECTED, LineState.ONHOLD}),
    CallEventType.HELD: frozenset({LineState.ONHOLD, LineState.CONNECTED}),
}


def resolve_push(
    before: Sequence[LineStatus],
    after: Sequence[LineStatus],
    kind: CallEventType,
    number: str = "",
    name: str = "",
    *,
    when_ringing: CallEventType | None = None,
    outcomes: Mapping[int, CallEventType] | None = None,
) -> CallEvent:
    """Return the call event a push means, its line and caller from the confirming read."""
    key = number_key(number)
    old = {line.line: line for line in before}

    def changed(line: LineStatus) -> bool:
        previous = old.get(line.line)
        return (
            previous is None
            or previous.state is not line.state
            or number_key(previous.remote_number) != number_key(line.remote_number)
        )

    if kind in _GONE_EVENTS:
        candidates = [
            previous
            for line in after
            if (previous := old.get(line.line)) is not None
            and previous.state not in (LineState.IDLE, None)
            and changed(line)
        ]
    else:
        wanted = _STATES_AT_READ.get(kind, frozenset())
        candidates = [line for line in after if line.state in wanted]
    if not candidates:
        return apply_push(
            before, kind, number, name, when_ringing=when_ringing, outcomes=outcomes
        )[1]
    line = max(
        candidates,
        key=lambda line: (
            bool(key) and number_key(line.remote_number) == key,
            changed(line),
        ),
    )
    return CallEvent(
        type=_reported_as(kind, line, when_ringing, outcomes),
        line=line.line,
        remote_number=line.remote_number or number,
        remote_name=line.remote_name or name,
    )


# --- one event, however many times it is reported ---------------------------------


class Source(StrEnum):
    """Where a call event was learnt."""

    PUSH = "push"
    POLL = "poll"


@dataclass(slots=True, kw_only=True)
class _Fired:
    group: str
    number: str
    at: datetime
    source: Source
    consumed: bool = False


@dataclass(slots=True)
class EventDeduplicator:
    """Decides whether a call event is news or one already fired.

    The last event per remote number (empty matches any) is kept for `window`. A
    repetition is a push of the kind last fired (Answered and Established for one
    call), or a poll of the kind last pushed and not yet confirmed (using it up).
    Polls never repeat themselves: otherwise a poll is news (a caller who rang twice).
    """

    window: timedelta
    _fired: list[_Fired] = field(default_factory=list, init=False)

    def admit(self, event: CallEvent, source: Source, now: datetime) -> bool:
        """Return whether to fire `event`; remember it if so."""
        self._fired = [f for f in self._fired if now - f.at <= self.window]
        # A call that went away is one fact, however it went.
        group = "gone" if event.type in _GONE_EVENTS else event.type.value
        key = number_key(event.remote_number)
        last = next(
            (
                fired
                for fired in reversed(self._fired)
                if not key or not fired.number or fired.number == key
            ),
            None,
        )
        if last is not None and last.group == group:
            if source is Source.PUSH:
                # Whatever reported it first, the phone is repeating itself.
                return False
            if last.source is Source.PUSH and not last.consumed:
                last.consumed = True
                return False
        self._fired.append(_Fired(group=group, number=key, at=now, source=source))
        return True
