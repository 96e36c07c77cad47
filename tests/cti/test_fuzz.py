"""Property-based tests of what the phone answers and what users type.

Any input yields a model or one of the library's documented errors, never another
exception.
"""

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.grandstream_gxp.cti import (
    CtiError,
    CtiKeyError,
    Family,
    KeyTable,
    normalize_mac,
    parse_keys,
    parse_server_header,
)
from custom_components.grandstream_gxp.cti.envelope import check_command, parse_envelope
from custom_components.grandstream_gxp.cti.models import (
    LineStatus,
    PhoneStatus,
    parse_accounts,
    parse_line_status,
)

# Bounded so that the suite stays quick in CI.
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)

line_like = st.fixed_dictionaries(
    {},
    optional={
        "line": json_values | st.integers(min_value=-2, max_value=8),
        "state": json_values
        | st.sampled_from(["idle", "ringing", "connected", "onhold", "calling", "x"]),
        "acct": json_values | st.sampled_from(["", 0, "0", 3]),
        "remotename": json_values,
        "remotenumber": json_values,
        "active": json_values | st.sampled_from([0, 1, "1"]),
        "conf": json_values,
    },
)


def answer(body: Any, response: Any = "success") -> bytes:
    """Encode a CTI answer."""
    return json.dumps({"response": response, "body": body}).encode()


@FUZZ
@given(st.binary(max_size=200), st.integers(min_value=100, max_value=599))
def test_any_bytes_make_an_envelope_or_a_cti_error(data: bytes, status: int) -> None:
    """Truncated JSON, HTML, binary garbage, any HTTP status: CtiError or an envelope."""
    try:
        envelope = parse_envelope("api-get_line_status", status, data)
        check_command("api-send_key", envelope)
    except CtiError:
        pass


@FUZZ
@given(json_values, st.sampled_from(["success", "error", 1, None]))
def test_any_json_answer_makes_an_envelope_or_a_cti_error(
    body: Any, response: Any
) -> None:
    """Well-formed JSON of any shape never escapes as another exception."""
    with contextlib.suppress(CtiError):
        parse_envelope("api-phone_operation", 200, answer(body, response))


@FUZZ
@given(st.lists(line_like, max_size=6) | json_values)
def test_line_status_bodies(body: Any) -> None:
    """Every line the parser returns is typed; anything it cannot read is a CtiError."""
    try:
        lines = parse_line_status(body)
    except CtiError:
        return
    assert all(isinstance(line, LineStatus) for line in lines)
    for line in lines:
        assert isinstance(line.line, int)
        assert line.state is None or line.state.value == line.raw_state


@FUZZ
@given(json_values, json_values)
def test_phone_status_and_accounts(body: Any, misc: Any) -> None:
    """Phone status and accounts: a model or a CtiError."""
    try:
        status = PhoneStatus.from_json(body, misc)
    except CtiError:
        pass
    else:
        assert isinstance(status.raw, str)
    with contextlib.suppress(CtiError):
        parse_accounts(body)


@FUZZ
@given(st.text(max_size=60), st.sampled_from(list(Family)))
def test_key_parser_accepts_or_refuses_before_sending(
    text: str, family: Family
) -> None:
    """User text becomes tokens the table can encode, or a CtiKeyError naming a key."""
    try:
        tokens = parse_keys(text, family)
    except CtiKeyError:
        return
    encoded = KeyTable(family).encode(tokens)
    # Only the separator, upper-case names, digits and the encoded `#` travel.
    assert set(encoded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:%")
    assert "&" not in encoded
    assert "=" not in encoded
    assert "/" not in encoded


@FUZZ
@given(st.text(max_size=60) | st.none())
def test_server_header_and_mac(text: str | None) -> None:
    """Header and MAC parsing never guess and never raise."""
    model, firmware = parse_server_header(text)
    assert model is None or isinstance(model, str)
    assert firmware is None or isinstance(firmware, str)
    mac = normalize_mac(text)
    assert mac is None or len(mac) == 17
