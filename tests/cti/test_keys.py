"""The key table: tokens, families, parsing, wire form and overrides."""

import pytest

from custom_components.grandstream_gxp.cti import (
    CtiKeyError,
    Family,
    KeyTable,
    family_for_model,
    parse_keys,
)
from custom_components.grandstream_gxp.cti.keys import (
    CHAR_TOKENS,
    FAMILY_RANGES,
    FIXED_KEYS,
    Key,
    canonical_token,
    line_key,
)

SPEC_TOKENS = [
    *map(str, range(10)),
    "STAR",
    "#",
    "SEND",
    "XFER",
    "HOLD",
    "CONF",
    "MUTE",
    "SPEAKER",
    "HEADSET",
    "VUP",
    "VDOWN",
    "OFFHOOK",
    "ONHOOK",
    "OK",
    "UP",
    "DOWN",
    "LEFT",
    "RIGHT",
    "LOCK",
    "UNLOCK",
]


def test_every_spec_token_is_in_the_table_with_evidence() -> None:
    """Each token the spec names is there, with an evidence tag; FLASH is not."""
    assert set(SPEC_TOKENS) == set(FIXED_KEYS)
    for token, info in FIXED_KEYS.items():
        assert info.token == token
        assert info.evidence
        assert info.description
    assert "FLASH" not in FIXED_KEYS
    unconfirmed = {token for token, info in FIXED_KEYS.items() if not info.confirmed}
    assert unconfirmed == {"HOLD", "CONF", "SPEAKER", "HEADSET"}


def test_every_family_has_ranges_with_evidence() -> None:
    """Every family says how many LINE, MPK and SOFT keys it has, and why."""
    assert set(FAMILY_RANGES) == set(Family)
    for ranges in FAMILY_RANGES.values():
        assert set(ranges) == {"LINE", "MPK", "SOFT"}
        assert all(item.evidence for item in ranges.values())
    gxp116x = FAMILY_RANGES[Family.GXP116X]
    # Two call appearances that LINE1-2 may select through the API (unconfirmed).
    assert gxp116x["LINE"].last == 2
    assert not gxp116x["LINE"].confirmed
    assert gxp116x["MPK"].last == 0
    assert gxp116x["SOFT"].last == 3
    assert gxp116x["MPK"].confirmed
    assert gxp116x["SOFT"].confirmed
    for family in set(Family) - {Family.GXP116X}:
        assert not any(item.confirmed for item in FAMILY_RANGES[family].values())
        assert FAMILY_RANGES[family]["LINE"].last == 48


def test_char_tokens() -> None:
    """Dial characters map to tokens: * to STAR, # stays #."""
    assert CHAR_TOKENS["*"] == "STAR"
    assert CHAR_TOKENS["#"] == "#"
    assert CHAR_TOKENS["7"] == "7"


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("GXP1160", Family.GXP116X),
        ("GXP1165", Family.GXP116X),
        ("gxp1625", Family.GXP16XX),
        ("GXP1630", Family.GXP16XX),
        ("GXP1780", Family.GXP17XX),
        ("GXP2170", Family.GXP21XX),
        ("Grandstream GXP2135", Family.GXP21XX),
        ("GRP2612P", Family.GRP26XX),
        ("GXP1400", Family.GENERIC),
        ("WP826", Family.GENERIC),
        ("", Family.GENERIC),
        (None, Family.GENERIC),
    ],
)
def test_family_for_model(model: str | None, family: Family) -> None:
    """Model names map to their key family."""
    assert family_for_model(model) is family


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("XFER 1002#", ("XFER", "1", "0", "0", "2", "#")),
        ("1:0:0:2", ("1", "0", "0", "2")),
        ("xfer,1002,#", ("XFER", "1", "0", "0", "2", "#")),
        ("line2", ("LINE2",)),
        ("mpk3", ("MPK3",)),
        ("*72#", ("STAR", "7", "2", "#")),
        ("  Send  ", ("SEND",)),
        ("hold ,: conf\tmute", ("HOLD", "CONF", "MUTE")),
        ("star 1 #", ("STAR", "1", "#")),
        ("LINE01", ("LINE1",)),
        (
            "soft4 vup vdown offhook onhook",
            ("SOFT4", "VUP", "VDOWN", "OFFHOOK", "ONHOOK"),
        ),
        (
            "ok up down left right lock unlock",
            ("OK", "UP", "DOWN", "LEFT", "RIGHT", "LOCK", "UNLOCK"),
        ),
        ("speaker headset", ("SPEAKER", "HEADSET")),
    ],
)
def test_parse_keys_valid(text: str, tokens: tuple[str, ...]) -> None:
    """Separators, dial runs and case-insensitive names parse to logical tokens."""
    assert parse_keys(text) == tokens


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("FLASH", "FLASH"),
        ("xfer flash", "flash"),
        ("XFER1002", "XFER1002"),
        ("12a", "12a"),
        ("TRANSFER", "TRANSFER"),
        ("LINE0", "LINE0"),
        ("LINE49", "LINE49"),
        ("MPK", "MPK"),
        ("SOFT5", "SOFT5"),
        ("+49", "+49"),
        ("", ""),
        (" , : ", " , : "),
    ],
)
def test_parse_keys_invalid(text: str, bad: str) -> None:
    """An unknown or impossible token raises CtiKeyError naming it."""
    with pytest.raises(CtiKeyError) as info:
        parse_keys(text)
    assert info.value.key == bad
    assert isinstance(info.value, ValueError)
    if bad.strip(" ,:"):
        assert repr(bad) in str(info.value)


def test_flash_message_explains() -> None:
    """FLASH is refused with the reason."""
    with pytest.raises(CtiKeyError, match="not accepted by the CTI API"):
        parse_keys("FLASH")


def test_long_token_is_shortened_in_message() -> None:
    """A huge token does not blow up the message, but is kept on the error."""
    with pytest.raises(CtiKeyError) as info:
        parse_keys("Q" * 500)
    assert info.value.key == "Q" * 500
    assert len(str(info.value)) < 80


@pytest.mark.parametrize(
    ("family", "good", "bad"),
    [
        (
            Family.GXP116X,
            ["SOFT1", "SOFT3", "XFER", "HOLD", "LINE1", "LINE2"],
            ["LINE3", "MPK1", "SOFT4"],
        ),
        (Family.GXP21XX, ["LINE12", "MPK48", "SOFT4"], ["LINE49", "MPK49", "SOFT5"]),
        (Family.GXP16XX, ["LINE4", "MPK16"], ["LINE49", "MPK0"]),
        (Family.GENERIC, ["LINE48", "MPK48"], ["LINE49", "MPK49"]),
    ],
)
def test_family_restrictions(family: Family, good: list[str], bad: list[str]) -> None:
    """Each family accepts its keys and refuses the ones it lacks."""
    for token in good:
        assert parse_keys(token, family) == (token,)
    for token in bad:
        with pytest.raises(CtiKeyError) as info:
            parse_keys(f"1 {token}", family)
        assert info.value.key == token
        assert str(family) in str(info.value)


def test_gxp116x_message_says_no_mpk_keys() -> None:
    """The message says the family has no such keys at all."""
    with pytest.raises(CtiKeyError, match="no MPK keys"):
        canonical_token("mpk2", Family.GXP116X)


def test_canonical_token() -> None:
    """Single tokens are normalised; characters map like in dial runs."""
    assert canonical_token(" xfer ") == "XFER"
    assert canonical_token("*") == "STAR"
    assert canonical_token("#") == "#"
    assert canonical_token("mpk007") == "MPK7"


def test_key_table_wire_and_encode() -> None:
    """# travels as %23, the rest as its token, joined with colons."""
    table = KeyTable()
    assert table.family is Family.GENERIC
    assert table.wire("#") == "%23"
    assert table.wire("*") == "STAR"
    assert table.wire("xfer") == "XFER"
    assert table.encode(["XFER", "1", "0", "#"]) == "XFER:1:0:%23"
    assert table.encode(table.parse("*72#")) == "STAR:7:2:%23"
    with pytest.raises(CtiKeyError):
        table.encode([])
    with pytest.raises(CtiKeyError):
        table.wire("FLASH")


def test_key_table_family() -> None:
    """A table checks tokens against its family."""
    table = KeyTable(Family.GXP116X)
    assert table.parse("soft1") == ("SOFT1",)
    with pytest.raises(CtiKeyError):
        table.parse("LINE3")
    with pytest.raises(CtiKeyError):
        table.wire("MPK1")
    assert "gxp116x" in repr(table)


def test_key_table_overrides() -> None:
    """Overrides replace wire tokens; values are normalised to upper case."""
    table = KeyTable(overrides={"xfer": "transfer", "#": "POUND", "HOLD": "HOLD2"})
    assert table.overrides == {"XFER": "TRANSFER", "#": "POUND", "HOLD": "HOLD2"}
    assert table.encode(table.parse("XFER 1# hold")) == "TRANSFER:1:POUND:HOLD2"
    assert "TRANSFER" in repr(table)
    with pytest.raises(TypeError):
        table.overrides["XFER"] = "X"  # type: ignore[index]


def test_override_pound_back_to_percent23() -> None:
    """The value may be exactly %23 (e.g. to send # for a token)."""
    table = KeyTable(overrides={"SEND": "%23"})
    assert table.encode(["1", "SEND"]) == "1:%23"


@pytest.mark.parametrize(
    ("overrides", "bad"),
    [
        ({"XFER": "TRANS FER"}, "XFER"),
        ({"XFER": "%2F"}, "XFER"),
        ({"XFER": "X-Y"}, "XFER"),
        ({"XFER": ""}, "XFER"),
        ({"XFER": "A:B"}, "XFER"),
        ({"#": "%23%23"}, "#"),
        ({"FLASH": "FLASH"}, "FLASH"),
        ({"BOGUS": "X"}, "BOGUS"),
    ],
)
def test_invalid_overrides(overrides: dict[str, str], bad: str) -> None:
    """Override values must be letters and digits or exactly %23; keys real tokens."""
    with pytest.raises(CtiKeyError) as info:
        KeyTable(overrides=overrides)
    assert info.value.key == bad


def test_procedure_keys_are_tokens_of_the_table() -> None:
    """The keys the call-control procedures press are in the one key table."""
    for key in Key:
        assert key.value in FIXED_KEYS
    assert parse_keys(line_key(2)) == ("LINE2",)
    assert KeyTable(overrides={"XFER": "TRANSFER"}).encode([Key.XFER]) == "TRANSFER"
