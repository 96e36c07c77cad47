"""Property-based tests of the webhook's query handling.

Any query gives an event from this phone or nothing, and never an exception.
"""

from hypothesis import given, settings, strategies as st
from multidict import MultiDict

from custom_components.grandstream_gxp.action_urls import SLOTS, PushSlot
from custom_components.grandstream_gxp.cti import LineState, LineStatus
from custom_components.grandstream_gxp.cti.call_events import CallEventType, apply_push
from custom_components.grandstream_gxp.webhook import (
    MAX_VALUE_LENGTH,
    parse_push,
    parse_raw_query,
)

MAC = "00:0b:82:12:34:56"
FUZZ = settings(max_examples=300, deadline=None)

keys = st.sampled_from(["e", "m", "r", "n", "l", "a", "x", "", "E", "mac"])
values = st.text(max_size=40) | st.sampled_from(
    [slot.code for slot in SLOTS] + ["000b82123456", MAC, "$remote", "x" * 300]
)


@FUZZ
@given(st.lists(st.tuples(keys, values), max_size=10))
def test_any_query_is_an_event_from_this_phone_or_nothing(
    pairs: list[tuple[str, str]],
) -> None:
    """Wrong MAC, unknown events, repeated or oversized values: None, never a raise."""
    event = parse_push(MultiDict(pairs), MAC)
    if event is None:
        return
    given_keys = [key for key, _ in pairs]
    assert given_keys.count("e") == 1
    assert given_keys.count("m") == 1
    assert all(
        len(value) <= MAX_VALUE_LENGTH for _, value in pairs if _ in "emrnla" and _
    )
    assert event.slot in SLOTS


def line(number: int, state: LineState, remote: str = "") -> LineStatus:
    """Build a line status."""
    return LineStatus(
        line=number,
        state=state,
        raw_state=state.value,
        account=0,
        remote_number=remote,
        remote_name="",
        active=False,
        conference=None,
    )


states = st.sampled_from(list(LineState))


@FUZZ
@given(
    st.lists(states, min_size=1, max_size=6),
    st.sampled_from(list(CallEventType)),
    st.text(max_size=12),
)
def test_a_pushed_event_changes_at_most_one_line(
    line_states: list[LineState], kind: CallEventType, number: str
) -> None:
    """Whatever the phone showed, an event rewrites one line at most and keeps the count."""
    before = tuple(line(i + 1, state) for i, state in enumerate(line_states))
    after, event = apply_push(before, kind, number, "")
    assert len(after) == len(before)
    assert sum(a != b for a, b in zip(after, before, strict=True)) <= 1
    assert event.type is kind
    assert event.line == 0 or any(item.line == event.line for item in before)


numbers = st.from_regex(r"\+?[0-9]{1,15}", fullmatch=True)
macs = st.sampled_from(
    [MAC, MAC.upper(), MAC.replace(":", "-"), MAC.replace(":", ""), "000B82123456"]
)


@FUZZ
@given(st.text(max_size=80))
def test_any_raw_query_is_an_event_from_this_phone_or_nothing(raw: str) -> None:
    """Whatever a request's raw query holds, parsing it never raises."""
    event = parse_push(parse_raw_query(raw), MAC)
    assert event is None or event.slot in SLOTS


@FUZZ
@given(st.sampled_from(SLOTS), macs, numbers)
def test_a_raw_query_keeps_the_plus_and_takes_any_mac_notation(
    slot: PushSlot, mac: str, number: str
) -> None:
    """`+` is not a space in a raw query [CODE N2]; the MAC may be written any way."""
    event = parse_push(parse_raw_query(f"e={slot.code}&m={mac}&r={number}"), MAC)
    assert event is not None
    assert event.slot is slot
    assert event.remote_number == number
