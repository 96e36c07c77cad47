"""Firmware spellings: a phone that takes TRANSFER, POUND or no HOLD; keys at idle."""

from typing import Any

import pytest

from gxp_simulator.keys import accepted_keys
from gxp_simulator.profiles import GXP1165, GXP2170
from gxp_simulator.settings import PhoneSettings

from .conftest import Cti

UNKNOWN = {"response": "error", "body": "unknown"}
COMPLETE = {"response": "success", "body": "complete"}


def test_spellings_change_the_accepted_keys() -> None:
    """A spelling replaces the usual name (even one refused by default); missing keys go."""
    settings = PhoneSettings.for_profile(
        GXP2170,
        key_spellings={"XFER": "TRANSFER", "#": "HASH"},
        missing_keys=["HOLD", "CONF"],
    )
    keys = accepted_keys(GXP2170, settings)
    assert {"TRANSFER", "HASH"} <= keys
    assert not {"XFER", "#", "HOLD", "CONF", "POUND"} & keys
    # A spelling for a key the model lacks adds nothing.
    lacking = PhoneSettings.for_profile(
        GXP1165, line_keys_select_calls=False, key_spellings={"LINE1": "L1"}
    )
    assert "L1" not in accepted_keys(GXP1165, lacking)


async def test_a_phone_that_takes_transfer(cti2170: Cti) -> None:
    """TRANSFER does what XFER does on other firmware; XFER is unknown."""
    phone = cti2170.sim.phone
    phone.settings.update(key_spellings={"XFER": "TRANSFER"})
    phone.settings.auto_attended_transfer = True
    line = phone.incoming_call("1001", "Alice")
    assert line is not None
    await cti2170.op("acceptcall")

    assert await cti2170.keys("XFER") == UNKNOWN
    assert (await cti2170.lines())[0] == "connected"
    assert await cti2170.keys("TRANSFER") == COMPLETE
    assert (await cti2170.lines())[0] == "onhold"
    assert phone.state.xfer is not None


async def test_a_phone_that_takes_pound(cti2170: Cti) -> None:
    """With # spelled POUND, %23 is refused and POUND ends the number."""
    phone = cti2170.sim.phone
    phone.settings.update(key_spellings={"#": "POUND"})
    assert await cti2170.keys("1:0:0:2:#") == UNKNOWN
    assert (await cti2170.lines())[0] == "idle"
    assert await cti2170.keys("1:0:0:2:POUND") == COMPLETE
    assert (await cti2170.lines())[0] == "calling"


async def test_a_phone_without_hold(cti2170: Cti) -> None:
    """A missing key is unknown and does nothing."""
    cti2170.sim.phone.settings.update(missing_keys=["HOLD"])
    assert await cti2170.keys("HOLD") == UNKNOWN


async def test_spellings_through_the_control_api(cti2170: Cti) -> None:
    """The settings endpoint takes and shows both settings."""
    settings = await cti2170.control(
        "settings", {"key_spellings": {"XFER": "TRANSFER"}, "missing_keys": ["HOLD"]}
    )
    assert settings["key_spellings"] == {"XFER": "TRANSFER"}
    assert settings["missing_keys"] == ["HOLD"]
    assert await cti2170.keys("TRANSFER") == COMPLETE


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("key_spellings", ["XFER"], TypeError),
        ("key_spellings", {"XFER": "transfer"}, ValueError),
        ("key_spellings", {"X FER": "TRANSFER"}, ValueError),
        ("missing_keys", "HOLD", TypeError),
        ("missing_keys", [3], ValueError),
    ],
)
def test_spelling_settings_are_validated(name: str, value: Any, error: type) -> None:
    """Only key tokens (A-Z, 0-9, #) are taken."""
    with pytest.raises(error):
        PhoneSettings().update(**{name: value})


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("XFER", ["idle"] * 12),  # [C S1]
        ("HOLD", ["idle"] * 12),
        ("CONF", ["dialing"] + ["idle"] * 11),
        ("LINE3", ["idle", "idle", "dialing"] + ["idle"] * 9),
    ],
)
async def test_keys_at_idle(cti2170: Cti, key: str, expected: list[str]) -> None:
    """What the probe's keys do on an idle phone; ONHOOK brings it back."""
    assert await cti2170.keys(key) == COMPLETE
    assert await cti2170.lines() == expected
    await cti2170.keys("ONHOOK")
    assert set(await cti2170.lines()) == {"idle"}
