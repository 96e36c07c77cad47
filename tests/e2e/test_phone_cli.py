"""`scripts/phone` against a running simulator's control API."""

from pathlib import Path

import pytest

from gxp_simulator import SimulatedPhone
from gxp_simulator.farend import FarEnd
from scripts.dev_phone import (
    PHONES,
    DevPhone,
    PhoneError,
    build_parser,
    read_state,
    run,
    write_state,
)

from .conftest import LoopThread


@pytest.fixture(scope="module")
def phone(e2e_loop: LoopThread) -> tuple[DevPhone, SimulatedPhone]:
    """Start a GXP2170 whose outgoing calls wait for `scripts/phone answer`."""
    sim = e2e_loop.enter(
        SimulatedPhone.start("GXP2170", click_to_dial=True, setup="readme")
    )
    sim.phone.far_ends.default = FarEnd(answer_after=None)
    return DevPhone("gxp2170", "GXP2170", sim.port, sim.phone.mac), sim


def _phone(argv: list[str], phones: list[DevPhone]) -> str:
    return run(build_parser().parse_args(argv), phones)


def test_ring_status_hangup(phone: tuple[DevPhone, SimulatedPhone]) -> None:
    """A call rings in with the caller's name; the caller gives up."""
    dev, sim = phone
    out = _phone(["ring", "1001", "--name", "Alice"], [dev])
    assert out == "gxp2170: 1001 is ringing on line 1"
    assert sim.phone.line(1).state == "ringing"
    status = _phone(["status"], [dev])
    assert "line 1: ringing 1001 Alice" in status
    assert "line 2: idle" in status
    assert _phone(["hangup"], [dev]) == "gxp2170: far end hangup: line 1"
    assert sim.phone.line(1).state == "idle"
    with pytest.raises(PhoneError, match="no line is"):
        _phone(["hangup"], [dev])


def test_far_end_answers_an_outgoing_call(
    phone: tuple[DevPhone, SimulatedPhone], e2e_loop: LoopThread
) -> None:
    """`answer` connects the line that is calling out."""
    dev, sim = phone

    async def dial() -> None:
        sim.phone.make_call("1002", 0)

    e2e_loop.run(dial())
    assert sim.phone.line(1).state == "calling"
    assert _phone(["answer"], [dev]) == "gxp2170: far end answer: line 1"
    assert sim.phone.line(1).state == "connected"
    assert _phone(["hangup", "--line", "1"], [dev]) == "gxp2170: far end hangup: line 1"


def test_unknown_phone_and_stopped_simulator() -> None:
    """A clear message, not a traceback, for a wrong name or nothing listening."""
    with pytest.raises(PhoneError, match="no phone 'gxp9999'"):
        _phone(["ring", "1", "--phone", "gxp9999"], list(PHONES))
    stopped = DevPhone("gxp1165", "GXP1165", 9, "00:0B:82:00:00:09")
    with pytest.raises(PhoneError, match="is scripts/develop running"):
        _phone(["ring", "1"], [stopped])
    assert "gxp1165 is not answering on port 9" in _phone(["status"], [stopped])


def test_state_file_round_trip(tmp_path: Path) -> None:
    """`scripts/develop` writes the ports; a missing file means the fixed defaults."""
    path = tmp_path / "gxp_simulators.json"
    assert read_state(path) == list(PHONES)
    moved = [DevPhone("gxp2170", "GXP2170", 18702, "00:0B:82:21:70:01")]
    write_state(moved, path)
    assert read_state(path) == moved
