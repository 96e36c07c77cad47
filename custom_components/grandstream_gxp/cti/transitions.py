"""Call events derived from two successive line-status reads.

The phone's push (Action URLs) says what happened; a poll only says where the phone is
now. Comparing two polls recovers the events a user cares about, line by line.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
import time

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
        old = previous.get(number) or _idle(number)
        new = current.get(number) or _idle(number)
        kind = _event_type(old.state, new.state, outcomes.get(number))
        if kind is None:
            continue
        # An ended call's line is already blank; name the party it had.
        party = old if new.state in _GONE else new
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


def _idle(number: int) -> LineStatus:
    return LineStatus(
        line=number,
        state=LineState.IDLE,
        raw_state=LineState.IDLE.value,
        account=None,
        remote_number="",
        remote_name="",
        active=False,
        conference=None,
    )


def known_lines(
    before: Sequence[LineStatus] | None, after: Sequence[LineStatus]
) -> tuple[LineStatus, ...]:
    """Return `after`, with a line in an unknown state replaced by its last known status."""
    previous = {line.line: line for line in before or ()}
    return tuple(
        previous.get(line.line, line) if line.state is None else line for line in after
    )
