"""Models and their parsers, URL building and envelope corner cases."""

from dataclasses import FrozenInstanceError

import pytest

from custom_components.grandstream_gxp.cti import (
    Account,
    CtiAuthError,
    CtiCommandError,
    CtiConnectionError,
    CtiError,
    CtiForbiddenError,
    CtiKeyError,
    CtiResponseError,
    CtiTimeoutError,
    Family,
    InfoSource,
    LineState,
    LineStatus,
    PhoneIdentity,
    PhoneStatus,
    Sourced,
    normalize_mac,
    parse_server_header,
)
from custom_components.grandstream_gxp.cti.envelope import (
    Envelope,
    check_command,
    parse_envelope,
)
from custom_components.grandstream_gxp.cti.url import (
    Encoded,
    base_url,
    build_url,
    query_string,
)

from .conftest import PASSWORD


@pytest.mark.parametrize(
    ("header", "model", "firmware"),
    [
        ("Grandstream GXP1165", "GXP1165", None),
        ("Grandstream GXP2170 1.0.11.16", "GXP2170", "1.0.11.16"),
        ("grandstream gxp2135", "GXP2135", None),
        ("Grandstream GXP2010 1.1.6.27", "GXP2010", "1.1.6.27"),
        (
            "Grandstream Model HW GXP1628 SW 1.0.4.138 DevId c074ad2bd859",
            "GXP1628",
            "1.0.4.138",
        ),
        (
            "Grandstream Model HW GXP1628 V2.4A SW 1.0.4.138 DevId c074ad2bd859",
            "GXP1628",
            "1.0.4.138",
        ),
        ("Grandstream GXP1165 beta", "GXP1165", None),
        ("lighttpd/1.4.35", None, None),
        ("Grandstream", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_parse_server_header(
    header: str | None, model: str | None, firmware: str | None
) -> None:
    """The Server header gives model and version when it carries them."""
    assert parse_server_header(header) == (model, firmware)


@pytest.mark.parametrize(
    ("text", "mac"),
    [
        ("00:0B:82:12:34:56", "00:0b:82:12:34:56"),
        ("000b82123456", "00:0b:82:12:34:56"),
        ("C0-74-AD-2B-D8-59", "c0:74:ad:2b:d8:59"),
        ("c074.ad2b.d859", "c0:74:ad:2b:d8:59"),
        ("00:0B:82:..", None),
        ("00:0B:82:12:34:5G", None),
        ("00:0B:82:12:34:56:78", None),
        ("", None),
        (None, None),
        (12, None),
    ],
)
def test_normalize_mac(text: object, mac: str | None) -> None:
    """MACs become lower-case colon form; anything else is None."""
    assert normalize_mac(text) == mac


def test_models_are_frozen() -> None:
    """Models cannot be changed after parsing."""
    line = LineStatus.from_json({"line": 1, "state": "idle"})
    with pytest.raises(FrozenInstanceError):
        line.state = LineState.RINGING  # type: ignore[misc]
    info = PhoneIdentity()
    with pytest.raises(FrozenInstanceError):
        info.line_count = 3  # type: ignore[misc]
    assert info.family is Family.GENERIC
    assert info.model is None


def test_line_status_defaults_and_variations() -> None:
    """Missing optional fields get neutral values; strings are accepted for numbers."""
    line = LineStatus.from_json(
        {
            "line": " 2 ",
            "state": " IDLE ",
            "acct": "  ",
            "active": "true",
            "conf": "0",
            "remotename": None,
            "remotenumber": 1.5,
            "extra": {"anything": 1},
        }
    )
    assert line.line == 2
    assert line.state is LineState.IDLE
    assert line.raw_state == " IDLE "
    assert line.account is None
    assert line.active is True
    assert line.conference is False
    assert line.remote_name == ""
    assert line.remote_number == "1.5"


@pytest.mark.parametrize(
    ("active", "expected"),
    [
        (True, True),
        (False, False),
        (2, True),
        ("no", False),
        ("", False),
        ("YES", True),
    ],
)
def test_line_active_values(active: object, expected: bool) -> None:
    """The active flag accepts booleans, integers and common strings."""
    assert (
        LineStatus.from_json({"line": 1, "state": "idle", "active": active}).active
        is expected
    )


def test_account_and_phone_status_from_json() -> None:
    """Account and PhoneStatus parse directly."""
    account = Account.from_json({"id": 4, "reg": True, "name": "Front desk"})
    assert account == Account(
        id=4, sip_server="", sip_id="", name="Front desk", registered=True
    )
    status = PhoneStatus.from_json(" BUSY ", misc=3)
    assert status.raw == " BUSY "
    assert status.misc == "3"
    with pytest.raises(CtiResponseError):
        Account.from_json(["id", 1])


def test_sourced_and_device_info_family() -> None:
    """PhoneIdentity derives the key family from the model."""
    info = PhoneIdentity(
        model=Sourced(value="GXP1165", source=InfoSource.SERVER_HEADER),
        line_count=2,
    )
    assert info.family is Family.GXP116X
    assert info.model is not None
    assert info.model.source == "server_header"
    assert InfoSource.LOGIN.value == "login"


# --- envelope -----------------------------------------------------------------


def test_envelope_success_keeps_fields() -> None:
    """A success envelope keeps body and sibling fields; BOM and spaces are fine."""
    envelope = parse_envelope(
        "api-x", 200, '\ufeff {"response":"Success","body":"ok","misc":"0"} '.encode()
    )
    assert envelope.body == "ok"
    assert envelope.fields["misc"] == "0"
    check_command("api-x", envelope)


def test_envelope_without_body_is_positive() -> None:
    """A success without a body is positive for a command."""
    envelope = parse_envelope("api-x", 200, b'{"response":"success"}')
    assert envelope.body is None
    check_command("api-x", envelope)


def test_envelope_latin1_bytes_do_not_crash() -> None:
    """Bytes that are not UTF-8 are replaced rather than failing the read."""
    envelope = parse_envelope(
        "api-x", 200, b'{"response":"success","body":"M\xfcller"}'
    )
    assert envelope.body == "M\ufffdller"


def test_envelope_errors() -> None:
    """Negative envelopes raise the matching errors."""
    with pytest.raises(CtiAuthError):
        parse_envelope("api-x", 200, b'{"response":"error","body":" Unauthorized "}')
    with pytest.raises(CtiCommandError) as info:
        parse_envelope("api-x", 200, b'{"response":"failure","body":{"status":"x"}}')
    assert info.value.body == {"status": "x"}
    with pytest.raises(CtiCommandError):
        check_command("api-x", Envelope(body="FAILED", fields={}))


# --- URLs -----------------------------------------------------------------------


def test_query_encodes_every_special_character() -> None:
    """Each value is percent-encoded; the keys value is kept with its colons."""
    params = [
        ("passcode", PASSWORD),
        ("phonenumber", "+49 30/1"),
        ("keys", Encoded("XFER:1:%23")),
    ]
    assert query_string(params) == (
        "passcode=a%26b%23c%25d%2Be%20f&phonenumber=%2B49%2030%2F1&keys=XFER:1:%23"
    )
    assert query_string(params, redact=True) == (
        "passcode=***&phonenumber=%2B49%2030%2F1&keys=XFER:1:%23"
    )
    assert query_string([("password", "x")], redact=True) == "password=***"


def test_build_url_is_not_reencoded() -> None:
    """The finished URL decodes back to exactly the password."""
    base = base_url("10.0.0.5", 8080, https=True)
    url = build_url(
        base,
        "/cgi-bin/api-send_key",
        [("passcode", PASSWORD), ("keys", Encoded("1:%23"))],
    )
    assert str(url) == (
        "https://10.0.0.5:8080/cgi-bin/api-send_key"
        "?passcode=a%26b%23c%25d%2Be%20f&keys=1:%23"
    )
    assert url.query["passcode"] == PASSWORD
    assert url.query["keys"] == "1:#"
    assert url.fragment == ""
    assert (
        str(build_url(base, "/cgi-bin/dologin", []))
        == "https://10.0.0.5:8080/cgi-bin/dologin"
    )


def test_unsafe_encoded_value_is_refused() -> None:
    """An Encoded value with reserved characters is a programming error."""
    with pytest.raises(ValueError):
        query_string([("keys", Encoded("1&passcode=x"))])


# --- errors ---------------------------------------------------------------------


def test_error_hierarchy() -> None:
    """The documented hierarchy holds; CtiKeyError is a ValueError, not a CtiError."""
    assert issubclass(CtiTimeoutError, CtiConnectionError)
    for kind in (
        CtiConnectionError,
        CtiAuthError,
        CtiForbiddenError,
        CtiCommandError,
        CtiResponseError,
    ):
        assert issubclass(kind, CtiError)
    assert issubclass(CtiKeyError, ValueError)
    assert not issubclass(CtiKeyError, CtiError)


def test_error_attributes_and_messages() -> None:
    """Errors keep their data; explicit messages win over the defaults."""
    err = CtiCommandError("api-send_key", "unknown", "custom text")
    assert str(err) == "custom text"
    assert err.endpoint == "api-send_key"
    assert err.body == "unknown"
    assert str(CtiKeyError("BOGUS")) == "Unknown key 'BOGUS'"
    assert CtiKeyError("BOGUS").key == "BOGUS"
    locked = CtiAuthError(locked=True)
    assert locked.lock_minutes is None
    assert "a few minutes" in str(locked)
    assert CtiResponseError("x").status is None
