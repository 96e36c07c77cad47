"""Call events derived from successive line-status reads."""

import pytest

from custom_components.grandstream_gxp.cti import LineState, LineStatus
from custom_components.grandstream_gxp.cti.call_events import (
    CallEvent,
    CallEventType,
    CallExpectations,
    call_events,
    known_lines,
)


def line(number: int, state: str, remote: str = "", name: str = "") -> LineStatus:
    """Build a line status the way the parser does (unknown strings kept raw)."""
    known = {s.value for s in LineState}
    return LineStatus(
        line=number,
        state=LineState(state) if state in known else None,
        raw_state=state,
        account=0,
        remote_number=remote,
        remote_name=name,
        active=False,
        conference=None,
    )


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("idle", "ringing", CallEventType.INCOMING),
        ("idle", "calling", CallEventType.OUTGOING),
        ("dialing", "calling", CallEventType.OUTGOING),
        ("ringing", "connected", CallEventType.ANSWERED),
        ("calling", "connected", CallEventType.ANSWERED),
        ("idle", "connected", CallEventType.ANSWERED),
        ("ringing", "idle", CallEventType.MISSED),
        ("connected", "onhold", CallEventType.HELD),
        ("onhold", "connected", CallEventType.RESUMED),
        ("connected", "idle", CallEventType.ENDED),
        ("onhold", "idle", CallEventType.ENDED),
        ("calling", "failed", CallEventType.ENDED),
        ("idle", "dialing", None),
        ("dialing", "idle", None),
        ("connected", "connected", None),
        ("connected", "transferring", None),
        ("transferring", "idle", None),
    ],
)
def test_one_line_transitions(
    before: str, after: str, expected: CallEventType | None
) -> None:
    """Each step of a call gives the event a user expects, or none."""
    events = call_events(
        [line(1, before, "1001", "Alice")], [line(1, after, "1001", "Alice")]
    )
    assert [event.type for event in events] == ([expected] if expected else [])


def test_an_ended_call_names_the_party_it_had() -> None:
    """The line is blank once idle; the event carries the number from before."""
    events = call_events([line(1, "connected", "1001", "Alice")], [line(1, "idle")])
    assert events == [
        CallEvent(
            type=CallEventType.ENDED, line=1, remote_number="1001", remote_name="Alice"
        )
    ]


def test_transferred_lines_end_as_transferred() -> None:
    """Lines a transfer handed over are reported as transferred, others as ended."""
    before = [
        line(1, "onhold", "1001"),
        line(2, "connected", "1002"),
        line(3, "connected"),
    ]
    after = [line(1, "idle"), line(2, "idle"), line(3, "idle")]
    events = call_events(
        before,
        after,
        {1: CallEventType.TRANSFERRED, 2: CallEventType.TRANSFERRED},
    )
    assert [(e.line, e.type) for e in events] == [
        (1, CallEventType.TRANSFERRED),
        (2, CallEventType.TRANSFERRED),
        (3, CallEventType.ENDED),
    ]


def test_the_first_read_gives_no_events() -> None:
    """Without a previous read nothing is known to have happened."""
    assert call_events(None, [line(1, "ringing")]) == []


def test_a_line_that_appears_or_vanishes_counts_as_idle_on_the_other_side() -> None:
    """After a firmware upgrade: a call on a new line began, one on a gone line ended."""
    two = [line(1, "idle"), line(2, "idle")]
    events = call_events(two, [*two, line(3, "ringing", "1001", "Alice")])
    assert events == [
        CallEvent(
            type=CallEventType.INCOMING,
            line=3,
            remote_number="1001",
            remote_name="Alice",
        )
    ]
    assert call_events(two, [*two, line(3, "idle")]) == []

    before = [line(1, "ringing", "1001"), line(2, "connected", "1002", "Bob")]
    events = call_events(before, [line(1, "ringing", "1001")])
    assert events == [
        CallEvent(
            type=CallEventType.ENDED, line=2, remote_number="1002", remote_name="Bob"
        )
    ]
    assert call_events([*two, line(3, "idle")], two) == []


def test_an_unknown_state_is_stepped_over() -> None:
    """A step through an unknown state is seen once compared with the known lines."""
    first = [line(1, "connected", "1001")]
    middle = [line(1, "transferring")]
    baseline = known_lines(first, middle)
    assert baseline == tuple(first)
    events = call_events(baseline, [line(1, "idle")])
    assert [e.type for e in events] == [CallEventType.ENDED]
    assert known_lines(None, middle) == tuple(middle)


def test_a_ringing_call_rejected_from_home_assistant_is_ended() -> None:
    """Without an outcome a ringing call that goes is missed; rejected by us, ended."""
    before = [line(1, "ringing", "1001"), line(2, "ringing", "1002")]
    after = [line(1, "idle"), line(2, "idle")]
    events = call_events(before, after, {1: CallEventType.ENDED})
    assert [(e.line, e.type) for e in events] == [
        (1, CallEventType.ENDED),
        (2, CallEventType.MISSED),
    ]


def test_expectations_last_until_a_read_shows_the_call_gone_or_the_bound() -> None:
    """Reads in the middle use nothing up; a read that shows the line gone does."""
    now = [100.0]
    expectations = CallExpectations(ttl=60, clock=lambda: now[0])
    expectations.expect({1}, CallEventType.TRANSFERRED)
    expectations.expect({2}, CallEventType.ENDED)

    expectations.settle([line(1, "onhold", "1001"), line(2, "ringing", "1002")])
    assert expectations.outcomes() == {
        1: CallEventType.TRANSFERRED,
        2: CallEventType.ENDED,
    }
    expectations.settle([line(1, "idle"), line(2, "ringing", "1002")])
    assert expectations.outcomes() == {2: CallEventType.ENDED}
    now[0] += 61
    assert expectations.outcomes() == {}


def test_a_reported_transfer_lasts_while_both_calls_do() -> None:
    """transfer_seen takes the one held and the one active call; a gone call ends it."""
    expectations = CallExpectations(ttl=60)
    expectations.transfer_seen([line(1, "connected", "1001"), line(2, "idle")])
    assert pair(expectations) is None
    expectations.transfer_seen([line(1, "onhold", "1001"), line(2, "calling", "1002")])
    assert pair(expectations) == (1, 2)
    expectations.settle([line(1, "onhold", "1001"), line(2, "connected", "1002")])
    assert pair(expectations) == (1, 2)
    expectations.settle([line(1, "onhold", "1001"), line(2, "idle")])
    assert pair(expectations) is None


def pair(expectations: CallExpectations) -> tuple[int, int] | None:
    """Return the transfer under way (a call, so that mypy does not narrow it)."""
    return expectations.transfer
