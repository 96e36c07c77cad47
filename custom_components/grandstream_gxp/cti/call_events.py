"""Call events: from two successive line-status reads, and from pushed events.

The phone's push (Action URLs) says what happened; a poll only says where the phone is
now. Comparing two polls recovers the events a user cares about, line by line;
`resolve_push` names a pushed event's line and caller from the read that confirms it,
and `EventDeduplicator` fires an event reported by both push and poll once.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
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
        if before is LineState.ONHOLD:
            return CallEventType.RESUMED
        return CallEventType.ANSWERED
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
    """Return the events that lead from `before` to `after`.

    `outcomes` names, per line, how a call that ends there ended when Home Assistant
    caused it (`transferred`, or `ended` for a rejected ringing call); without one a
    call that ends is `ended`, and a ringing call that ends is `missed`. A line in a
    state the parser did not know gives no event; compare against `known_lines()` so
    that the step across it is seen on the next read. With no `before` (the first
    read) there are no events.

    A line only one of the reads has (the phone came back from a firmware upgrade with
    more or fewer lines) counts as idle in the other: a call on a line that is gone has
    ended, and a call on a new line has just begun.
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


class CallExpectations:
    """What Home Assistant expects of the calls it acted on, until the phone shows it.

    The call controller writes it; event derivation reads it without using it up, so
    a read that lands in the middle of a transfer changes nothing:

    * per line, the outcome an action caused (`transferred`, or `ended` for a call
      Home Assistant rejected), kept until a read shows that line's call gone, or
      for `ttl` seconds (an action stopped halfway);
    * the attended transfer under way (held line, consultation line), which Home
      Assistant started or saw start; kept until a read shows one of its calls gone.
    """

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        """Keep outcomes for at most `ttl` seconds of `clock`."""
        self._ttl = ttl
        self._clock = clock
        self._outcomes: dict[int, tuple[CallEventType, float]] = {}
        self.transfer: tuple[int, int] | None = None

    def expect(self, lines: Iterable[int], outcome: CallEventType) -> None:
        """Report the calls on `lines`, when they end, as `outcome`."""
        until = self._clock() + self._ttl
        for line in lines:
            self._outcomes[line] = (outcome, until)

    def forget(self, lines: Iterable[int]) -> None:
        """Drop the outcomes of `lines` (the action that expected them failed)."""
        for line in lines:
            self._outcomes.pop(line, None)

    def outcomes(self) -> dict[int, CallEventType]:
        """Return the outcomes still expected, by line."""
        now = self._clock()
        self._outcomes = {
            line: (outcome, until)
            for line, (outcome, until) in self._outcomes.items()
            if until > now
        }
        return {line: outcome for line, (outcome, _) in self._outcomes.items()}

    def transfer_seen(self, lines: Sequence[LineStatus]) -> None:
        """Note an attended transfer the phone reported: one held call, one active."""
        held = [line.line for line in lines if line.state is LineState.ONHOLD]
        active = [line.line for line in lines if line.state in _CONSULTATION]
        if len(held) == 1 and len(active) == 1:
            self.transfer = (held[0], active[0])

    def settle(self, lines: Sequence[LineStatus]) -> None:
        """Forget what concerned calls that `lines` (a read) shows gone."""
        gone = {line.line for line in lines if line.state in _GONE}
        self.forget(gone)
        if self.transfer is not None and gone & set(self.transfer):
            self.transfer = None


_CONSULTATION = frozenset({LineState.CALLING, LineState.CONNECTED})


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
    text = number.strip().lower().removeprefix("sip:")
    return text.partition("@")[0]


def _find_line(
    lines: Sequence[LineStatus], kind: CallEventType, number: str
) -> LineStatus | None:
    """Return the line an event is about, as well as the lines tell."""
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
    """Return the type to report an event of `kind` on `line` as (see `apply_push`)."""
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
    """Return the lines as the event implies, and the call event to fire.

    The next poll corrects whatever this guessed: the line an event is about is found
    by the remote number, else (for a new call) the first idle line. A call that went
    away is reported as the outcome Home Assistant caused on that line (`outcomes`),
    else as `when_ringing` if the line was ringing, else as `kind`.
    """
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


# Where the line of an event may be at the confirming read, a moment later: a call
# that rang may be answered already, one put on hold resumed.
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
    """Return the call event a push means, the caller taken from the confirming read.

    `before` is the read before the event, `after` the read that confirms it. The
    event's line is one in a state the event leads to (for a call that went away: busy
    before and not after), preferring the pushed number, then a line that changed.
    When the read no longer shows the call (it was over that fast), `apply_push`
    decides from `before` and the pushed number and name, if any.
    """
    key = number_key(number)
    old = {line.line: line for line in before}

    def changed(line: LineStatus) -> bool:
        previous = old.get(line.line)
        return (
            previous is None
            or previous.state is not line.state
            or number_key(previous.remote_number) != number_key(line.remote_number)
        )

    candidates: list[LineStatus]
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


def _group(kind: CallEventType) -> str:
    """Events that report the same fact: a call that went away is one, however it went."""
    return "gone" if kind in _GONE_EVENTS else kind.value


class EventDeduplicator:
    """Decides whether a call event is news or one already fired.

    The last event fired for a remote number (any number matches an empty one) is
    remembered for `window`; "the same kind" puts missed, ended and transferred
    together (a call that went away). A new event is a repetition when:

    * it comes from push and the last event for that number is of the same kind,
      whoever reported it: a push arriving just after a poll found the change, or
      the phone reporting one answered call both as Answered and as Established;
    * it comes from a poll and the last event is the same kind pushed and not yet
      confirmed by a poll: the confirming poll. That uses the pushed event up.

    Polls never repeat themselves (each compares two reads), so a poll event that
    matches an earlier poll event, or a push a poll already confirmed, is news (a
    caller who rang twice).
    """

    def __init__(self, window: timedelta) -> None:
        """Remember events for `window`."""
        self.window = window
        self._fired: list[_Fired] = []

    def admit(self, event: CallEvent, source: Source, now: datetime) -> bool:
        """Return whether to fire `event`; remember it if so."""
        self._fired = [f for f in self._fired if now - f.at <= self.window]
        group = _group(event.type)
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
