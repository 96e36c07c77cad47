"""The soak's pure parts: the schedule, the true state, the checks (no hass process)."""

from collections.abc import Callable
import itertools
from pathlib import Path
import random
import tracemalloc

from scripts.bench_realistic import peak_in
from scripts.bench_soak import (
    EPISODES,
    FAULTS,
    FAULTS_PER_PHONE,
    HOUR,
    RSS_LEVEL_LIMIT_MB,
    Soak,
    SoakOptions,
    Step,
    build_schedule,
    busiest_window,
    expected_states,
    max_in_window,
    mismatches,
    phone_status,
    rss_before,
    scan_log,
    slope_per_minute,
)


def _schedule(seed: int, phones: int) -> list[list[Step]]:
    return build_schedule(random.Random(seed), phones)  # noqa: S311 - not secret


def _faults(steps: list[Step]) -> list[tuple[Step, Step]]:
    starts = [s for s in steps if s.kind == "fault"]
    ends = [s for s in steps if s.kind == "fault_end"]
    return list(zip(starts, ends, strict=True))


def test_schedule_is_reproducible_from_the_seed() -> None:
    """The same seed gives the same hour; another seed another one."""
    first = _schedule(7, 10)
    again = _schedule(7, 10)
    other = _schedule(8, 10)
    assert first == again
    assert first != other


def test_every_fault_kind_occurs_and_faults_do_not_overlap() -> None:
    """Two faults per phone, each ended after it began and before the next one."""
    schedules = _schedule(1, 10)
    kinds = set()
    for steps in schedules:
        pairs = _faults(steps)
        assert len(pairs) == FAULTS_PER_PHONE
        previous_end = 0.0
        for start, end in pairs:
            assert start.args["fault"] == end.args["fault"]
            assert previous_end <= start.at < end.at < HOUR
            previous_end = end.at
            kinds.add(start.args["fault"])
    assert kinds == set(FAULTS)


def test_more_hours_get_more_faults() -> None:
    """Two scripted hours: twice the faults per phone, still apart, all within them."""
    for steps in build_schedule(random.Random(2), 3, hours=2):  # noqa: S311
        pairs = _faults(steps)
        assert len(pairs) == 2 * FAULTS_PER_PHONE
        assert all(a[1].at < b[0].at for a, b in itertools.pairwise(pairs))
        assert pairs[-1][1].at < 2 * HOUR
        assert max(s.at for s in steps) > HOUR


def test_a_reboot_falls_inside_a_call() -> None:
    """The reboot fault starts while an answered or placed call is up."""
    for seed in range(5):
        for steps in _schedule(seed, 10):
            for start, _ in _faults(steps):
                if start.args["fault"] != "reboot_mid_call":
                    continue
                calls = [s for s in steps if s.kind != "fault" and s.episode >= 0]
                before = [s for s in calls if s.at <= start.at]
                after = [s for s in calls if s.at > start.at]
                assert before
                assert after
                # The last step before the reboot and the next one after it belong
                # to the same episode, which has not ended yet.
                assert before[-1].episode == after[0].episode
                assert before[-1].kind != "end"


def test_episodes_cover_every_kind_and_end_cleanly() -> None:
    """Each phone's hour cycles through every episode kind first; each ends with `end`."""
    for steps in _schedule(3, 4):
        assert [s.at for s in steps] == sorted(s.at for s in steps)
        episodes = {s.episode for s in steps if s.episode >= 0}
        assert len(episodes) >= len(EPISODES)
        for episode in episodes:
            mine = [s for s in steps if s.episode == episode]
            assert mine[-1].kind == "end"
            assert sum(1 for s in mine if s.kind == "end") == 1


def test_factor_compresses_an_hour_into_the_minutes() -> None:
    """Three minutes of wall time play the hour 20 times faster."""
    assert SoakOptions(minutes=3).factor == 20
    assert SoakOptions(minutes=1).factor == 60


def test_phone_status_follows_the_lines() -> None:
    """Ringing unless a call is connected; busy with any call; else available."""
    assert phone_status(["idle", "idle"]) == "available"
    assert phone_status(["ringing", "idle"]) == "ringing"
    assert phone_status(["connected", "ringing"]) == "busy"
    assert phone_status(["onhold", "ringing"]) == "ringing"
    assert phone_status(["dialing", "idle"]) == "busy"


def test_expected_states_of_a_call_waiting() -> None:
    """A connected call with a second one ringing, and account 2 not registered."""
    wanted = expected_states(
        [("connected", "2001"), ("ringing", "4002"), ("idle", "")], [True, False]
    )
    assert wanted == {
        "line_1": ("connected", "2001"),
        "line_2": ("ringing", "4002"),
        "line_3": ("idle", None),
        "phone_status": ("busy", None),
        "ringing": ("on", None),
        "in_call": ("on", None),
        "account_1_registered": ("on", None),
        "account_2_registered": ("off", None),
    }


def test_expected_states_do_not_compare_typed_digits() -> None:
    """A dialing line shows the digits typed so far: only its state is compared."""
    wanted = expected_states([("dialing", "10")], [])
    assert wanted["line_1"] == ("dialing", None)
    assert wanted["in_call"] == ("on", None)
    assert wanted["ringing"] == ("off", None)


def test_mismatches_name_each_difference() -> None:
    """Wrong state, wrong number, an unavailable button; disabled entities skipped."""
    wanted = expected_states([("connected", "2001"), ("idle", "")], [True, False])
    shown = {
        "line_1": ("connected", "2999"),
        "line_2": ("ringing", None),
        "phone_status": ("busy", None),
        "ringing": ("off", None),
        "in_call": ("on", None),
        "account_1_registered": ("on", None),
        # account 2: disabled by default, not in the registry's enabled entities
    }
    problems = mismatches(
        wanted, shown, [("answer", "unknown"), ("call", "unavailable")]
    )
    assert problems == [
        "line_1: number 2999 (phone: 2001)",
        "line_2: ringing (phone: idle)",
        "call: unavailable",
    ]
    shown["line_1"] = ("connected", "2001")
    shown["line_2"] = ("idle", None)
    assert mismatches(wanted, shown, [("call", "2026-11-26T12:00:00+00:00")]) == []


def test_unavailable_entities_do_not_converge() -> None:
    """An unavailable line sensor differs from every true state."""
    wanted = expected_states([("idle", "")], [])
    assert mismatches(wanted, {"line_1": ("unavailable", None)}) == [
        "line_1: unavailable (phone: idle)"
    ]


def test_max_in_window() -> None:
    """The busiest window counts events up to `window` seconds apart."""
    assert max_in_window([], 10) == 0
    assert max_in_window([5.0], 10) == 1
    assert max_in_window([0, 1, 2, 30, 31, 32, 33, 40.5], 10) == 4
    assert max_in_window([3, 2, 1, 0], 10) == 4


def test_busiest_window_says_where_it_starts() -> None:
    """The count and the index of the first event of the busiest window."""
    assert busiest_window([], 10) == (0, 0)
    assert busiest_window([0, 20, 21, 22, 40], 10) == (3, 1)
    assert busiest_window([0, 1, 50, 51], 10) == (2, 0)


def test_slope_per_minute() -> None:
    """A steady rise of 1 MB per 30 s is 2 MB per minute; flat is 0; too few is None."""
    rising = [(t, 100 + t / 30) for t in range(0, 300, 2)]
    slope = slope_per_minute(rising)
    assert slope is not None
    assert abs(slope - 2.0) < 1e-9
    assert slope_per_minute([(t, 5.0) for t in range(10)]) == 0
    assert slope_per_minute([(0, 1.0), (1, 2.0)]) is None


def test_scan_log_finds_exceptions_levels_and_passwords() -> None:
    """Markers count; error lines are grouped by logger; encoded passwords count too."""
    text = (
        "2026-11-26 12:00:00.000 ERROR (MainThread) [homeassistant.core] Error doing job: x\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1\n'
        "2026-11-26 12:00:01.000 WARNING (MainThread) [custom_components.grandstream_gxp] w\n"
        "2026-11-26 12:00:02.000 ERROR (MainThread) [custom_components.grandstream_gxp] e\n"
        "GET /cgi-bin/api-get_line_status?passcode=soak%231%26pw\n"
    )
    found = scan_log(text, ["soak#1&pw", "not-there"])
    assert found["unhandled"] == 2
    assert found["markers"]["Error doing job"] == 1
    assert found["levels"] == {
        "ERROR homeassistant.core": 1,
        "WARNING custom_components.grandstream_gxp": 1,
        "ERROR custom_components.grandstream_gxp": 1,
    }
    assert found["password_leaks"] == 1
    clean = scan_log("2026-11-26 INFO nothing\n", ["soak#1&pw"])
    assert clean["unhandled"] == 0
    assert clean["password_leaks"] == 0


def _soak_with_rss(hours: int, mb_at: Callable[[float], float]) -> Soak:
    """Return a soak of `hours` scripted hours, 60 wall s each, sampled every 2 s."""
    soak = Soak(SoakOptions(minutes=1, hours=hours))
    soak.rss = [(float(t), mb_at(t)) for t in range(0, 60 * hours + 1, 2)]
    for hour in range(1, hours):
        soak._hour_done(hour, shift=0.0)
    return soak


def test_memory_that_levels_off_after_the_first_hour_passes() -> None:
    """Growth in hour 1 is warm-up; the RSS per hour and the growth after it count."""
    # +10 MB in the first half of hour 1, then 0.5 MB per hour.
    soak = _soak_with_rss(3, lambda t: 200 + min(t, 30) / 3 + t / 120)
    memory = soak._memory()
    assert memory["rss_by_hour_mb"] == [210.4, 210.9, 211.4]
    assert memory["growth_by_hour_mb"] == [0.5, 0.5]
    assert memory["growth_after_warm_up_mb"] == 1.0
    assert memory["limit_mb"] == RSS_LEVEL_LIMIT_MB
    assert not soak.failures


def test_memory_that_keeps_growing_fails() -> None:
    """1.5 MB per scripted hour: 3 MB after the first hour is over the 2 MB limit."""
    soak = _soak_with_rss(3, lambda t: 200 + t * 1.5 / 60)
    memory = soak._memory()
    assert memory["growth_after_warm_up_mb"] == 3.0
    assert soak.failures == ["RSS grew 3.0 MB after the first hour (limit 2 MB)"]


def test_an_hour_ends_when_its_slowest_phone_is_done() -> None:
    """A phone whose steps were delayed moves the hour's end by its delay."""
    soak = Soak(SoakOptions(minutes=1, hours=3))
    soak._hour_done(1, shift=4.0)
    soak._hour_done(1, shift=1.0)
    soak._hour_done(2, shift=0.0)
    assert soak.hour_ends == {1: 64.0, 2: 120.0}


def test_rss_before_averages_the_last_span() -> None:
    """The mean of the samples in (end - span, end]; the nearest one if there are none."""
    samples = [(0.0, 1.0), (10.0, 2.0), (20.0, 4.0), (30.0, 8.0)]
    assert rss_before(samples, 20.0, 15.0) == 3.0
    assert rss_before(samples, 26.0, 2.0) == 8.0


def test_peak_in_counts_requests_in_one_second() -> None:
    """The realistic bench's peak: the most request times in any 1 s."""
    assert peak_in([0.0, 0.5, 1.0, 1.6, 3.0]) == 3
    assert peak_in([]) == 0


def test_python_heap_by_hour_names_where_it_grew(tmp_path: Path) -> None:
    """Snapshots nearest each hour's end; growth after hour 1 with its allocation site."""
    soak = Soak(SoakOptions(minutes=1, hours=2, trace_memory=True))
    soak.started = 1000.0
    soak._hour_done(1, shift=0.0)  # hour 1 ends 60 s into the activity
    tracemalloc.start(1)
    try:
        tracemalloc.take_snapshot().dump(str(tmp_path / "1058.0.tm"))
        kept = [bytearray(1000) for _ in range(3000)]  # about 3 MB
        tracemalloc.take_snapshot().dump(str(tmp_path / "1121.5.tm"))
    finally:
        tracemalloc.stop()
    heap = soak._python_heap(tmp_path)
    assert heap["at_s"] == [58.0, 121.5]
    assert heap["growth_after_first_hour_mb"] > 2.5
    assert heap["top_growth_after_first_hour"][0].startswith(
        "tests/test_bench_soak.py:"
    )
    assert len(kept) == 3000


def test_automatic_full_collections_are_timed_from_the_activity(tmp_path: Path) -> None:
    """The probe's lines (monotonic time, objects found) in seconds into the activity."""
    soak = Soak(SoakOptions(minutes=1, hours=2, watch_gc=True))
    soak.started = 1000.0
    path = tmp_path / "automatic.txt"
    assert soak._automatic_collections(path) == []
    path.write_text("990.5 12\n1123.0 40211\n")
    assert soak._automatic_collections(path) == [(-9.5, 12), (123.0, 40211)]
