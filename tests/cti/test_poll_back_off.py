"""How often the controller reads the lines while it waits for the phone (fake clock)."""

import asyncio
from types import SimpleNamespace

import pytest

from custom_components.grandstream_gxp.cti import LineState, LineStatus, call_control
from custom_components.grandstream_gxp.cti.call_control import (
    CallController,
    CallControlSettings,
    CallStateError,
    Reason,
)


class FakeClock:
    """`time.monotonic` and `asyncio.sleep` of the controller, on one fake timeline."""

    def __init__(self) -> None:
        """Start at 0."""
        self.now = 0.0

    def monotonic(self) -> float:
        """Return the fake time."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Let the time pass at once."""
        self.now += seconds


class CountingPhone:
    """A client whose lines stay connected; it notes the time of every read."""

    def __init__(self, clock: FakeClock) -> None:
        """Read on `clock`."""
        self.clock = clock
        self.reads: list[float] = []

    async def get_line_status(self) -> list[LineStatus]:
        """Note the read, answer one connected line."""
        self.reads.append(self.clock.now)
        return [LineStatus.from_json({"line": 1, "state": "connected", "active": 1})]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Run the controller's waits on a fake clock."""
    fake = FakeClock()
    # Only the controller's view of time: the event loop keeps the real clock.
    monkeypatch.setattr(call_control, "time", SimpleNamespace(monotonic=fake.monotonic))
    monkeypatch.setattr(
        call_control, "asyncio", SimpleNamespace(sleep=fake.sleep, Lock=asyncio.Lock)
    )
    return fake


async def _wait(clock: FakeClock, within: float) -> CountingPhone:
    phone = CountingPhone(clock)
    controller = CallController(phone, CallControlSettings(has_line_keys=True))  # type: ignore[arg-type]
    with pytest.raises(CallStateError):
        await controller._wait_for(
            lambda lines: lines[0].state is LineState.ONHOLD,
            Reason.TRANSFER_FAILED,
            within=within,
        )
    return phone


async def test_a_long_hand_over_is_read_about_once_a_second(clock: FakeClock) -> None:
    """35 s of waiting cost about 1 read a second, not 5 (Issue 11)."""
    phone = await _wait(clock, 35.0)
    assert 35 <= len(phone.reads) <= 45
    # The last read, after the deadline, comes one poll interval after the one before.
    gaps = [b - a for a, b in zip(phone.reads, phone.reads[1:], strict=False)]
    late = [gap for gap, at in zip(gaps[:-1], phone.reads, strict=False) if at >= 5]
    assert late
    assert all(gap == pytest.approx(1.0) for gap in late)
    assert gaps[-1] == pytest.approx(0.2)


async def test_the_first_second_is_read_every_poll_interval(clock: FakeClock) -> None:
    """A key whose effect shows within 0.2-0.6 s is seen as soon as before."""
    phone = await _wait(clock, 35.0)
    first = [read for read in phone.reads if read < 1.0]
    assert first == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])
