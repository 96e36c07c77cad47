"""Call events derived from two successive line-status reads.

The phone's push (Action URLs) says what happened; a poll only says where the phone is
now. Comparing two polls recovers the events a user cares about, line by line.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

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
    before: LineState | None, after: LineState | None, *, transferred: bool
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
            return CallEventType.MISSED
        if before in _CALL:
            return CallEventType.TRANSFERRED if transferred else CallEventType.ENDED
    return None


def call_events(
    before: Sequence[LineStatus] | None,
    after: Sequence[LineStatus],
    transferred: Collection[int] = (),
) -> list[CallEvent]:
    """Return the events that lead from `before` to `after`.

    `transferred` names lines whose calls were handed over by a transfer, so that their
    end is reported as `transferred` rather than `ended`. A line in a state the parser did
    not know gives no event; compare against `known_lines()` so that the step across it
    is seen on the next read. With no `before` (the first read) there are no events.

    A line only one of the reads has (the phone came back from a firmware upgrade with
    more or fewer lines) counts as idle in the other: a call on a line that is gone has
    ended, and a call on a new line has just begun.
    """
    if before is None:
        return []
    previous = {line.line: line for line in before}
    current = {line.line: line for line in after}
    events = []
    for number in sorted(previous.keys() | current.keys()):
        old = previous.get(number) or _idle(number)
        new = current.get(number) or _idle(number)
        kind = _event_type(old.state, new.state, transferred=number in transferred)
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
