"""Soak: time-accelerated hours of random calls and faults on 10 phones in a real Home Assistant.

`scripts/bench soak [--hours H] [--minutes M] [--quick] [--seed S] [--worktree]`

Ten simulated phones (GXP2170, GRP2614, GXP1165; the simulators run in this process, with the
simulator's realistic defaults: timing "realistic", verbatim Action URLs, each model's web
login, set up as the README asks) are added to one real `hass` process through the config
flow; four of them get their Action URLs pointed at the entry's webhook (push), the others are
polled only. Each phone then follows its own scripted hours: calls that ring in and are
answered (through the integration's actions, over REST) or missed, outgoing calls, holds, blind
and attended transfers, call waiting with a swap, and far-end hang-ups; plus two faults an hour
injected into the simulator (phone down, requests that never answer, slow answers, HTTP 500,
garbage JSON, a reboot in the middle of a call, a new password on the phone). The schedule
comes from `--seed`, so a run can be repeated. `--hours H` (3 by default, 1 with `--quick`)
plays H hours back to back (each in M minutes); the first one is the memory warm-up, and the
RSS at the end of each hour shows whether memory levels off.

What is accelerated and what is not:

* accelerated: the script. Every time in it (when a call comes, how long it rings, how long
  people talk, how long a fault lasts, how long a reboot takes) is divided by a factor
  N = 3600 s / (wall minutes of activity), 20 by default (3 minutes), 60 with `--quick`. A
  fault lasts at least `MIN_FAULT_WALL` seconds of wall time, so that polls meet it;
* not accelerated: Home Assistant and the integration. Their timers run in real time: the
  polling interval is set to its minimum (5 s) so polling keeps up with the compressed
  script; a phone with working push is still read only every 75 s while idle; reads during
  calls stay at 1 s, the client's timeout at 10 s. Convergence times are therefore real
  seconds, not simulated ones.

What it asserts (the run exits non-zero when one fails):

* convergence: after each fault clears, the phone's script pauses until every entity of the
  phone shows the simulator's true state (line states and the caller's number, phone status,
  ringing, in call, account registration; no entity unavailable), within `POLL_BOUND` s for
  a polled phone and `PUSH_BOUND` s for a push phone (its idle reads are 75 s apart);
* a new password on the phone: a reauth flow appears, and the phone's failed-login counter
  stays below its lockout limit (5) the whole time; the soak then enters the new password
  in the reauth flow, as a user would;
* no unhandled exception in Home Assistant's log (tracebacks, `Error doing job`, `Task
  exception was never retrieved`), also through shutdown; no phone password in the log;
* memory levels off: with several scripted hours (3 by default), the hass process's RSS at
  the end is at most `RSS_LEVEL_LIMIT_MB` above its RSS at the end of the first hour; a
  one-hour run only checks that it grows less than `RSS_GROWTH_LIMIT_MB` after its first
  quarter;
* push works: every push phone delivered Action URLs that Home Assistant answered 200,
  and the entry's diagnostics show push seen (the phones send them verbatim and log in
  with their model's default web login, the simulator's defaults);
* bounded traffic: no phone gets more than `WINDOW_LIMIT` requests in any 10 s window
  (scaled up when the script is compressed more than the default 20x, which packs more
  calls and actions into each window).
"""

import asyncio
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from functools import partial
import itertools
import math
import os
from pathlib import Path
import random
import re
import shutil
import statistics
import tempfile
import time
import tracemalloc
from typing import Any
from urllib.parse import quote, quote_plus

import psutil  # type: ignore[import-untyped]

from gxp_simulator import SimulatedPhone
from gxp_simulator.auth import login_variant

from .bench_ha import _enable_push as enable_push
from .bench_hass import DOMAIN, HomeAssistantProcess

HOUR = 3600.0
DEFAULT_MINUTES = 3.0
QUICK_MINUTES = 1.0
DEFAULT_FACTOR = HOUR / (DEFAULT_MINUTES * 60)
# One hour per phone; faults and calls stay clear of the first and last minutes.
MARGIN = 240.0
FAULTS_PER_PHONE = 2
MIN_FAULT_WALL = 2.0
REBOOT_SECONDS = 60.0  # a desk phone's reboot, in simulated seconds
SCAN_INTERVAL = 5  # the integration's minimum polling interval
# Bounds, in wall seconds, for all entities of a phone to show the simulator's state after
# a fault clears. Polled: the 5 s interval (1 s in calls), a 10 s request timeout, margin.
# Push: an idle phone with working push is read every 75 s, so a failed read is retried
# only then.
POLL_BOUND = 30.0
PUSH_BOUND = 100.0
# How long to wait for the reauth flow once a new password is on the phone (a push phone
# that is idle notices at its next read, 75 s at most).
REAUTH_BOUND = 100.0
LOCKOUT_LIMIT = 5  # the phone's P28117 default: locked after 5 wrong passwords
# Requests one phone may get in any 10 s window at the default compression. A call costs
# 1 read per second (10); an action verifies each step by reading every 0.2 s until the
# state shows (an attended transfer and its completion, about 15); push confirmations a
# few more. Default runs peak at about 30; 50 leaves room and still catches a retry storm
# (a loop without a pause makes hundreds).
WINDOW = 10.0
WINDOW_LIMIT = 50
# RSS growth allowed after warm-up. Home Assistant with 10 phones sits near 240 MB; a leak
# of one object graph per call or per request (thousands of each in a run) shows as tens of
# MB, while allocator noise and caches filling stay under a few MB.
RSS_GROWTH_LIMIT_MB = 20.0
WARM_UP_SHARE = 0.25  # of the activity phase of a one-hour run
# With several scripted hours, memory must level off: the RSS at the end of the run may
# exceed the RSS at the end of the first hour by at most this much. Each hour's RSS is the
# mean of the samples in the last RSS_AVERAGE_S seconds of wall time before it ends.
RSS_LEVEL_LIMIT_MB = 2.0
RSS_AVERAGE_S = 30.0
DEFAULT_HOURS = 3
ACTION_TIMEOUT = 60.0
STATES_EVERY = 0.5  # seconds between REST reads of the states while waiting
LOG_MARKERS = (
    "Traceback (most recent call last)",
    "Error doing job",
    "Task exception was never retrieved",
    "Unhandled exception",
    "Exception in callback",
)

# Refusals that are the simulated model's documented limits, not faults: the GXP1165
# simulator has neither line keys that select calls nor hold-key navigation, so `swap`
# answers `swap_unsupported` there.
KNOWN_REFUSALS = frozenset({("GXP1165", "swap")})

FLEET: tuple[tuple[str, bool], ...] = (
    ("GXP2170", True),
    ("GXP2170", True),
    ("GXP2170", False),
    ("GXP2170", False),
    ("GRP2614", True),
    ("GRP2614", True),
    ("GRP2614", False),
    ("GXP1165", False),
    ("GXP1165", False),
    ("GXP1165", False),
)

EPISODES = (
    "missed",
    "answered",
    "outgoing",
    "hold",
    "blind_transfer",
    "attended_transfer",
    "call_waiting_swap",
)
FAULTS = (
    "down",
    "timeout",
    "slow",
    "http_500",
    "garbage",
    "reboot_mid_call",
    "new_password",
)
GARBAGE = ("truncated_json", "wrong_types", "login_page")


# ------------------------------------------------------------------ the schedule


@dataclass(frozen=True, slots=True)
class Step:
    """One thing that happens to one phone, `at` simulated seconds into its hour.

    kinds: `ring` (number, name), `far_hangup` (number), `action` (service, data; a
    `line_of` number in data is replaced by that call's line), `end` (the far ends hang up
    whatever is left), `fault` (fault, duration, variant), `fault_end` (fault).
    """

    at: float
    kind: str
    args: Mapping[str, Any] = field(default_factory=dict)
    episode: int = -1


def _number(rng: random.Random, first: str) -> str:
    return f"{first}{rng.randrange(1000):03d}"


def episode_steps(
    kind: str, start: float, rng: random.Random, index: int
) -> tuple[list[Step], float, float | None]:
    """Return the steps of one episode, its end, and a moment of its talk (or None)."""
    caller = _number(rng, "2")
    target = _number(rng, "3")
    ring = rng.uniform(5, 25)
    talk = rng.uniform(30, 300)
    t = start
    steps: list[Step] = []

    def add(dt: float, step_kind: str, **args: Any) -> None:
        nonlocal t
        t += dt
        steps.append(Step(round(t, 3), step_kind, args, index))

    def answered() -> None:
        add(0, "ring", number=caller, name=f"Caller {caller}")
        add(ring, "action", service="answer", data={"line_of": caller})

    talking: float | None = None
    if kind == "missed":
        add(0, "ring", number=caller, name=f"Caller {caller}")
        add(ring, "far_hangup", number=caller)
    elif kind == "answered":
        answered()
        talking = t + talk / 2
        if rng.random() < 0.5:
            add(talk, "far_hangup", number=caller)
        else:
            add(talk, "action", service="hang_up", data={"line_of": caller})
    elif kind == "outgoing":
        add(0, "action", service="dial", data={"number": target})
        talking = t + talk / 2
        if rng.random() < 0.5:
            add(talk, "far_hangup", number=target)
        else:
            add(talk, "action", service="hang_up", data={})
    elif kind == "hold":
        answered()
        talking = t + talk / 4
        add(talk / 2, "action", service="hold", data={"line_of": caller})
        add(rng.uniform(10, 60), "action", service="resume", data={"line_of": caller})
        add(talk / 2, "action", service="hang_up", data={"line_of": caller})
    elif kind == "blind_transfer":
        answered()
        talking = t + talk / 4
        add(
            talk / 2,
            "action",
            service="transfer",
            data={"number": target, "mode": "blind"},
        )
    elif kind == "attended_transfer":
        answered()
        talking = t + talk / 4
        add(
            talk / 2,
            "action",
            service="transfer",
            data={"number": target, "mode": "attended"},
        )
        add(rng.uniform(10, 60), "action", service="complete_transfer", data={})
    elif kind == "call_waiting_swap":
        second = _number(rng, "4")
        answered()
        talking = t + talk / 4
        add(talk / 2, "ring", number=second, name=f"Caller {second}")
        add(ring, "action", service="answer", data={"line_of": second})
        add(rng.uniform(10, 60), "action", service="swap", data={})
        add(talk / 2, "far_hangup", number=second)
        add(1, "far_hangup", number=caller)
    else:
        raise ValueError(f"unknown episode {kind!r}")
    add(1, "end")
    return steps, t, talking


def build_schedule(rng: random.Random, phones: int, hours: int = 1) -> list[list[Step]]:
    """Return every phone's hours of steps, sorted by time, with faults of all kinds.

    Each phone gets a call every few minutes and `FAULTS_PER_PHONE` faults an hour that
    do not overlap; the fault kinds are dealt round-robin from a shuffled list, so every
    kind occurs (twice or more with 10 phones). A reboot is placed inside a call.
    """
    hour = HOUR * hours
    per_phone = FAULTS_PER_PHONE * hours
    kinds = list(FAULTS) * math.ceil(phones * per_phone / len(FAULTS))
    rng.shuffle(kinds)
    schedules: list[list[Step]] = []
    for phone in range(phones):
        steps: list[Step] = []
        calls: list[tuple[float, float]] = []  # talk moments: (time, episode end)
        t = rng.uniform(60, 180)
        index = 0
        while t < hour - MARGIN:
            kind = (
                EPISODES[index % len(EPISODES)]
                if index < len(EPISODES)
                else (rng.choice(EPISODES))
            )
            episode, end, talking = episode_steps(kind, t, rng, index)
            steps += episode
            if talking is not None:
                calls.append((talking, end))
            t = end + rng.uniform(60, 240)
            index += 1
        mine = kinds[phone * per_phone : (phone + 1) * per_phone]
        # One fault per slot of the hours, so no two overlap.
        half = (hour - 2 * MARGIN) / len(mine)
        for slot, fault in enumerate(mine):
            lo = MARGIN + slot * half
            hi = lo + half
            if fault == "reboot_mid_call":
                inside = [c for c in calls if lo <= c[0] < hi - REBOOT_SECONDS]
                at = rng.choice(inside)[0] if inside else rng.uniform(lo, hi - 600)
                duration = REBOOT_SECONDS
            else:
                duration = {
                    "new_password": rng.uniform(300, 900),
                    "slow": rng.uniform(120, 600),
                }.get(fault, rng.uniform(60, 480))
                at = rng.uniform(lo, max(lo, hi - duration - 60))
            variant = rng.choice(GARBAGE) if fault == "garbage" else ""
            steps.append(
                Step(
                    round(at, 3),
                    "fault",
                    {"fault": fault, "duration": duration, "variant": variant},
                )
            )
            steps.append(Step(round(at + duration, 3), "fault_end", {"fault": fault}))
        steps.sort(key=lambda s: s.at)
        schedules.append(steps)
    return schedules


# ------------------------------------------------------------ the true state


def phone_status(line_states: Sequence[str]) -> str:
    """Return the phone status the integration derives from its lines."""
    states = set(line_states)
    if "ringing" in states and "connected" not in states:
        return "ringing"
    if states - {"idle"}:
        return "busy"
    return "available"


def expected_states(
    lines: Sequence[tuple[str, str]], registered: Sequence[bool]
) -> dict[str, tuple[str, str | None]]:
    """Return what each entity must show, by unique-id suffix: (state, number or None).

    `lines`: (state, remote number) per line from line 1; `registered`: per account. The
    number is only compared where a call is up (a dialing line shows typed digits).
    """
    wanted: dict[str, tuple[str, str | None]] = {}
    for number, (state, remote) in enumerate(lines, start=1):
        shown = remote if state in ("ringing", "connected", "onhold") else None
        wanted[f"line_{number}"] = (state, shown)
    states = [state for state, _ in lines]
    wanted["phone_status"] = (phone_status(states), None)
    wanted["ringing"] = ("on" if "ringing" in states else "off", None)
    in_call = {"dialing", "calling", "connected", "onhold"}
    wanted["in_call"] = ("on" if in_call & set(states) else "off", None)
    for number, on in enumerate(registered, start=1):
        wanted[f"account_{number}_registered"] = ("on" if on else "off", None)
    return wanted


def mismatches(
    wanted: Mapping[str, tuple[str, str | None]],
    shown: Mapping[str, tuple[str, str | None]],
    others: Iterable[tuple[str, str]] = (),
) -> list[str]:
    """Where Home Assistant differs from the phone; [] when it converged.

    `shown` maps the same keys to (state, remote_number attribute); a key missing from it
    is an entity the registry does not have enabled (accounts of empty slots): skipped.
    `others`: (key, state) of entities without a true state (buttons, the call event),
    which must merely be available.
    """
    problems = []
    for key, (state, remote) in wanted.items():
        if key not in shown:
            continue
        got_state, got_remote = shown[key]
        if got_state != state:
            problems.append(f"{key}: {got_state} (phone: {state})")
        elif remote is not None and got_remote != remote:
            problems.append(f"{key}: number {got_remote} (phone: {remote})")
    problems += [
        f"{key}: unavailable" for key, state in others if state == "unavailable"
    ]
    return problems


# ------------------------------------------------------------ measurements


def busiest_window(ordered: Sequence[float], window: float) -> tuple[int, int]:
    """Return how many sorted times fall in the busiest `window` seconds, and its start."""
    best = (0, 0)
    start = 0
    for end, now in enumerate(ordered):
        while now - ordered[start] > window:
            start += 1
        best = max(best, (end - start + 1, -start))
    return best[0], -best[1]


def max_in_window(times: Sequence[float], window: float) -> int:
    """Return the most events that fall in any window of `window` seconds."""
    return busiest_window(sorted(times), window)[0]


def slope_per_minute(samples: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, value) samples, per minute."""
    if len(samples) < 3:
        return None
    xs = [x for x, _ in samples]
    ys = [y for _, y in samples]
    mean_x = statistics.fmean(xs)
    mean_y = statistics.fmean(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    if var == 0:
        return None
    cov = sum((x - mean_x) * (y - mean_y) for x, y in samples)
    return cov / var * 60


_PROBE = """\
\"\"\"Soak diagnosis: a tracemalloc snapshot every 30 s, named by time.monotonic().\"\"\"
from datetime import timedelta
from pathlib import Path
import time
import tracemalloc

from homeassistant.helpers.event import async_track_time_interval


async def async_setup(hass, config):
    out = Path({out!r})
    out.mkdir(parents=True, exist_ok=True)
    tracemalloc.start(1)

    def snapshot(_now):
        # A plain function: Home Assistant runs it in its executor, off the loop.
        tracemalloc.take_snapshot().dump(str(out / f"{{time.monotonic():.1f}}.tm"))

    async_track_time_interval(hass, snapshot, timedelta(seconds=30))
    return True
"""
_GC_PROBE = """\
\"\"\"Soak diagnosis: Python's full garbage collections in hass; with `every`, forced ones too.\"\"\"
from datetime import timedelta
import gc
from pathlib import Path
import time

from homeassistant.core import callback
from homeassistant.helpers.event import async_track_time_interval


def _append(path, line):
    with path.open("a") as file:
        file.write(line)


async def async_setup(hass, config):
    out = Path({out!r})
    out.mkdir(parents=True, exist_ok=True)
    forcing = False

    def note(phase, info):
        # Python's own full collections: when (the clock the soak reads), what they found.
        if (
            phase == "stop"
            and info["generation"] == 2
            and not forcing
            and not hass.loop.is_closed()  # the last ones run at exit
        ):
            line = f"{{time.monotonic():.1f}} {{info['collected']}}\\n"
            hass.loop.call_soon_threadsafe(
                hass.async_add_executor_job, _append, out / "automatic.txt", line
            )

    gc.callbacks.append(note)
    every = {every!r}
    if every:

        @callback
        def collect(_now):
            nonlocal forcing
            forcing = True
            try:
                found = gc.collect()
            finally:
                forcing = False
            hass.async_add_executor_job(_append, out / "collected.txt", f"{{found}}\\n")

        async_track_time_interval(hass, collect, timedelta(seconds=every))
    return True
"""
_PROBE_MANIFEST = (
    '{"domain": "gxp_memprobe", "name": "Soak heap probe", "version": "0.0.1", '
    '"documentation": "https://example.invalid", "codeowners": [], '
    '"requirements": [], "iot_class": "local_push"}'
)


class TracedHass(HomeAssistantProcess):
    """A hass with a small custom integration that watches its memory."""

    def __init__(
        self,
        *,
        probe_dir: Path,
        heap: bool,
        collect_every: float | None = None,
        **kwargs: Any,
    ) -> None:
        """Write tracemalloc snapshots (`heap`) or the full collections to `probe_dir`."""
        super().__init__(extra_yaml="gxp_memprobe:\n", **kwargs)
        self.probe_dir = probe_dir
        self.heap = heap
        self.collect_every = collect_every

    def _put_integration(self) -> None:
        super()._put_integration()
        package = self.config_dir / "custom_components" / "gxp_memprobe"
        package.mkdir(parents=True, exist_ok=True)
        source = (
            _PROBE.format(out=str(self.probe_dir))
            if self.heap
            else _GC_PROBE.format(out=str(self.probe_dir), every=self.collect_every)
        )
        (package / "__init__.py").write_text(source)
        (package / "manifest.json").write_text(_PROBE_MANIFEST)


def nearest(times: Sequence[float], wanted: float) -> float:
    """Return the time in `times` closest to `wanted`."""
    return min(times, key=lambda t: abs(t - wanted))


def profile_of(sim: SimulatedPhone) -> dict[str, Any]:
    """Return the simulated phone's timing, web login and Action URL settings."""
    settings = sim.phone.settings
    return {
        "request_latency": settings.request_latency,
        "serialize_requests": settings.serialize_requests,
        "key_delay": settings.key_delay,
        "status_lag": settings.status_lag,
        "transfer_handover": list(settings.transfer_handover),
        "login_variant": login_variant(sim.phone.profile, settings),
        "action_url_encoding": settings.action_url_encoding,
    }


def rss_before(
    samples: Sequence[tuple[float, float]], end: float, span: float
) -> float:
    """Mean of the (seconds, MB) samples in the `span` seconds up to `end`.

    The sample closest to `end` when none falls in the span.
    """
    inside = [v for t, v in samples if end - span < t <= end]
    if inside:
        return statistics.fmean(inside)
    return min(samples, key=lambda s: abs(s[0] - end))[1]


def scan_log(text: str, secrets: Iterable[str]) -> dict[str, Any]:
    """Unhandled-exception markers, error/warning lines by logger, leaked passwords."""
    markers = {marker: text.count(marker) for marker in LOG_MARKERS}
    levels: Counter[str] = Counter()
    for match in re.finditer(r" (ERROR|WARNING|CRITICAL) \(\w+\) \[([\w.]+)\]", text):
        levels[f"{match[1]} {match[2]}"] += 1
    firsts: list[str] = []
    for line in text.splitlines():
        if any(marker in line for marker in LOG_MARKERS) and len(firsts) < 5:
            firsts.append(line[:300])
    forms = set()
    for secret in secrets:
        forms |= {secret, quote(secret, safe=""), quote_plus(secret)}
    leaked = sorted(form for form in forms if form and form in text)
    return {
        "markers": markers,
        "unhandled": sum(markers.values()),
        "marker_lines": firsts,
        "levels": dict(levels.most_common()),
        "password_leaks": len(leaked),
    }


# ------------------------------------------------------------------ the run


@dataclass(frozen=True, slots=True)
class SoakOptions:
    """How long, which seed, which integration."""

    minutes: float = DEFAULT_MINUTES  # of wall time per scripted hour
    seed: int = 1
    ref: str | None = "HEAD"
    hours: int = DEFAULT_HOURS  # scripted hours; the first is the warm-up
    # Trace Python's allocations in hass (tracemalloc), to tell a leak of objects from
    # the allocator holding on to memory. Its own tables inflate the RSS.
    trace_memory: bool = False
    # Run a full garbage collection in hass every this many seconds: tells memory that is
    # kept from cyclic garbage the collector has not reached yet.
    collect_every: float | None = None
    # Record Python's own full collections in hass (when, and what they found).
    watch_gc: bool = False

    @property
    def factor(self) -> float:
        """How much faster than real time the script runs."""
        return HOUR / (self.minutes * 60)


@dataclass(slots=True)
class Phone:
    """One simulated phone, its entry, and what happened to it."""

    index: int
    model: str
    push: bool
    sim: SimulatedPhone
    password: str
    entry_id: str = ""
    device_id: str = ""
    push_note: str = ""
    setup_requests: dict[str, int] = field(default_factory=dict)  # by endpoint
    push_check: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # entity_id -> unique-id suffix
    wrong_password: bool = False
    disturbed: set[int] = field(default_factory=set)  # episodes a fault touched
    fault_active: bool = False
    episode: int = -1
    actions: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    max_failures: int = 0
    locked: bool = False
    lag_s: float = 0.0  # how much later than scripted its steps ran, in all
    fault_since: float = 0.0
    fault_clock: float = 0.0  # the simulator's clock (request log times)
    reauth: asyncio.Task[tuple[dict[str, Any] | None, float]] | None = None

    @property
    def name(self) -> str:
        """Short label for the report."""
        return f"#{self.index} {self.model} {'push' if self.push else 'poll'}"

    @property
    def bound(self) -> float:
        """Convergence bound in wall seconds."""
        return PUSH_BOUND if self.push else POLL_BOUND


class StatesCache:
    """Home Assistant's states over REST, read at most every STATES_EVERY seconds."""

    def __init__(self, ha: HomeAssistantProcess) -> None:
        """Read from `ha`."""
        self._ha = ha
        self._lock = asyncio.Lock()
        self.read_at = 0.0
        self.states: dict[str, dict[str, Any]] = {}

    async def newer_than(self, moment: float) -> dict[str, dict[str, Any]]:
        """States read after `moment` (time.monotonic())."""
        async with self._lock:
            if self.read_at <= moment:
                started = time.monotonic()
                items = await self._ha.rest("GET", "/api/states")
                self.states = {item["entity_id"]: item for item in items}
                self.read_at = started
            return self.states


class Soak:
    """The run: phones, Home Assistant, the script, the checks."""

    def __init__(self, opts: SoakOptions) -> None:
        """Prepare a run (nothing starts before `run`)."""
        self.opts = opts
        self.factor = opts.factor
        self.rng = random.Random(opts.seed)  # noqa: S311 - a reproducible script
        self.phones: list[Phone] = []
        self.ha: HomeAssistantProcess | None = None
        self.cache: StatesCache | None = None
        self.failures: list[str] = []
        self.convergence: list[dict[str, Any]] = []
        self.rss: list[tuple[float, float]] = []
        # Wall seconds into the activity when every phone had played scripted hour h.
        self.hour_ends: dict[int, float] = {}
        self.started = 0.0

    @property
    def window_limit(self) -> int:
        """Requests allowed per phone in any 10 s, for this compression."""
        return round(WINDOW_LIMIT * max(1.0, self.factor / DEFAULT_FACTOR))

    def _ha(self) -> HomeAssistantProcess:
        if self.ha is None:
            raise RuntimeError("Home Assistant is not running")
        return self.ha

    # ------------------------------------------------------------ setup

    async def _add(self, phone: Phone) -> None:
        ha = self._ha()
        entry = await ha.add_phone(phone.sim.port, phone.password)
        phone.entry_id = entry["entry_id"]
        await ha.set_options(
            phone.entry_id,
            {
                "auto_attended_transfer": True,
                "swap_method": "auto",
                "scan_interval": SCAN_INTERVAL,
                "key_overrides": "",
            },
        )
        phone.device_id = await ha.device_of(phone.entry_id)
        await self._wait_loaded(phone)
        if phone.push:
            note = await enable_push(ha, phone.entry_id, phone.sim)
            if note is not None:
                phone.push, phone.push_note = False, note

    async def _wait_loaded(self, phone: Phone) -> None:
        """Wait until the entry is loaded again after the options flow reloaded it."""
        state = ""
        for _ in range(100):
            entries = await self._ha().rest(
                "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
            )
            state = next(
                (e["state"] for e in entries if e["entry_id"] == phone.entry_id), ""
            )
            if state == "loaded":
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{phone.name}: entry not loaded ({state})")

    async def _refresh_keys(self, phone: Phone) -> None:
        prefix = re.compile(r"^[0-9a-f:]+_")
        phone.keys = {
            entity["entity_id"]: prefix.sub("", str(entity.get("unique_id", "")))
            for entity in await self._ha().entities_of(phone.entry_id)
            if entity.get("disabled_by") is None
        }

    # ------------------------------------------------------ convergence

    def _truth(self, phone: Phone) -> dict[str, tuple[str, str | None]]:
        sim = phone.sim.phone
        lines = [(str(line.state), line.remote_number) for line in sim.state.lines]
        registered = [account.registered for account in sim.settings.accounts]
        return expected_states(lines, registered)

    def _shown(
        self, phone: Phone, states: Mapping[str, dict[str, Any]]
    ) -> tuple[dict[str, tuple[str, str | None]], list[tuple[str, str]]]:
        shown: dict[str, tuple[str, str | None]] = {}
        others: list[tuple[str, str]] = []
        for entity_id, key in phone.keys.items():
            item = states.get(entity_id)
            state = "missing" if item is None else str(item["state"])
            remote = None if item is None else item["attributes"].get("remote_number")
            if entity_id.startswith(("sensor.", "binary_sensor.")):
                shown[key] = (state, remote)
            else:
                others.append((key, state))
        return shown, others

    async def converge(self, phone: Phone, why: str) -> float | None:
        """Wait until every entity of the phone shows the simulator's state; seconds."""
        if self.cache is None:
            raise RuntimeError("not running")
        await self._refresh_keys(phone)
        start = time.monotonic()
        problems: list[str] = []
        while True:
            # Only a read that started after this moment counts, so a stale read
            # cannot pass for convergence.
            states = await self.cache.newer_than(time.monotonic())
            shown, others = self._shown(phone, states)
            problems = mismatches(self._truth(phone), shown, others)
            elapsed = max(0.0, self.cache.read_at - start)
            if not problems:
                self.convergence.append(
                    {"phone": phone.index, "after": why, "seconds": round(elapsed, 2)}
                )
                return elapsed
            if elapsed > phone.bound:
                break
            await asyncio.sleep(STATES_EVERY)
        self.convergence.append({"phone": phone.index, "after": why, "seconds": None})
        self.failures.append(
            f"{phone.name}: not converged {phone.bound:g} s after {why}: "
            + "; ".join(problems[:6])
            + f" [phone: {phone.sim.phone.describe()}]"
        )
        return None

    # ---------------------------------------------------------- actions

    def _resolve(self, phone: Phone, data: Mapping[str, Any]) -> dict[str, Any]:
        data = dict(data)
        number = data.pop("line_of", None)
        if number is not None:
            for line in phone.sim.phone.state.lines:
                if line.remote_number == number and str(line.state) != "idle":
                    data["line"] = line.number
                    break
        return data

    async def _action(self, phone: Phone, step: Step) -> None:
        service = str(step.args["service"])
        record: dict[str, Any] = {"service": service, "episode": step.episode}
        if phone.wrong_password:
            # A person would see the reauth request; nothing sends the stale password.
            record["result"] = "skipped"
            phone.actions.append(record)
            return
        data = self._resolve(phone, step.args["data"])
        if "line_of" in step.args["data"] and "line" not in data:
            # The call is gone (a fault ended it); the action would only be refused.
            record["result"] = "skipped"
            phone.actions.append(record)
            return
        start = time.monotonic()
        record["at"] = round(start - self.started, 2)
        try:
            async with asyncio.timeout(ACTION_TIMEOUT):
                await self._ha().call(
                    DOMAIN, service, {"device_id": phone.device_id, **data}
                )
        except (RuntimeError, TimeoutError) as err:
            record["result"] = "refused"
            record["error"] = str(err)[:240] or type(err).__name__
        else:
            record["result"] = "ok"
        record["ms"] = round((time.monotonic() - start) * 1000, 1)
        record["in_fault"] = phone.fault_active or step.episode in phone.disturbed
        phone.actions.append(record)

    # ------------------------------------------------------- far ends

    def _far_hangup(self, phone: Phone, number: str) -> None:
        sim = phone.sim.phone
        for line in sim.state.lines:
            if line.remote_number == number and str(line.state) != "idle":
                sim.far_end_hangup(line.number)

    async def _end_episode(self, phone: Phone) -> None:
        """Whatever is left of the episode: the far ends hang up; the phone ends idle."""
        sim = phone.sim.phone
        if sim.down:
            with suppress(TimeoutError):
                await sim.wait_for(lambda p: not p.down, timeout=30)
        for _ in range(20):
            busy = [line for line in sim.state.lines if str(line.state) != "idle"]
            if not busy:
                return
            for line in busy:
                sim.far_end_hangup(line.number)
            with suppress(TimeoutError):
                await sim.wait_for(
                    lambda p: all(s == "idle" for s in p.line_states()), timeout=1
                )
        phone.stuck.append(f"episode {phone.episode}: {sim.describe()}")

    # ----------------------------------------------------------- faults

    async def _fault(self, phone: Phone, step: Step) -> None:
        sim = phone.sim.phone
        fault = str(step.args["fault"])
        phone.fault_active = True
        phone.fault_since = time.monotonic()
        phone.fault_clock = sim.clock.now()
        phone.disturbed.add(phone.episode)
        record: dict[str, Any] = {
            "fault": fault,
            "variant": step.args.get("variant") or None,
            "sim_s": round(float(step.args["duration"])),
        }
        phone.faults.append(record)
        if fault == "down":
            sim.refuse_connections(None)
        elif fault == "timeout":
            sim.set_faults(no_answer=True)
        elif fault == "slow":
            sim.set_faults(latency=3.0)
        elif fault == "http_500":
            sim.set_faults(http_status=500)
        elif fault == "garbage":
            sim.set_faults(**{str(step.args["variant"]): True})
        elif fault == "reboot_mid_call":
            record["lines"] = sim.line_states()
            record["reboots"] = sim.reboots
            sim.reboot()
        elif fault == "new_password":
            sim.auth.password = f"{phone.password}-new"
            phone.wrong_password = True
            phone.reauth = asyncio.create_task(self._find_reauth(phone))

    async def _fault_end(self, phone: Phone, step: Step) -> float:
        """Clear the fault, then wait for convergence; return the wall time it took."""
        sim = phone.sim.phone
        fault = str(step.args["fault"])
        record = phone.faults[-1]
        start = time.monotonic()
        record["wall_s"] = round(start - phone.fault_since, 1)
        if fault == "down":
            await sim.accept_connections()
        elif fault in ("timeout", "slow", "http_500", "garbage"):
            sim.clear_faults()
        elif fault == "reboot_mid_call":
            before = int(record["reboots"])
            await sim.wait_for(lambda p: p.reboots > before and not p.down, timeout=60)
        elif fault == "new_password":
            record.update(await self._reauth(phone))
        phone.disturbed.add(phone.episode)
        record["converged_s"] = await self.converge(phone, fault)
        phone.fault_active = False
        return time.monotonic() - start

    async def _find_reauth(self, phone: Phone) -> tuple[dict[str, Any] | None, float]:
        """Watch for the phone's reauth flow from the moment its password changed."""
        start = time.monotonic()
        while time.monotonic() - start < REAUTH_BOUND:
            flows = await self._ha().ws_command(
                {"type": "config_entries/flow/progress"}
            )
            for item in flows:
                context = item.get("context", {})
                if (
                    item.get("handler") == DOMAIN
                    and context.get("source") == "reauth"
                    and context.get("entry_id") == phone.entry_id
                ):
                    return item, time.monotonic() - start
            await asyncio.sleep(0.5)
        return None, time.monotonic() - start

    async def _reauth(self, phone: Phone) -> dict[str, Any]:
        """Wait for the reauth flow, check the lockout counter, enter the new password."""
        ha = self._ha()
        sim = phone.sim.phone
        if phone.reauth is None:
            raise RuntimeError("no reauth watcher")
        flow, seen = await phone.reauth
        phone.reauth = None
        result: dict[str, Any] = {
            "reauth_seen_s": None if flow is None else round(seen, 1),
            "failed_logins_max": phone.max_failures,
        }
        if flow is None:
            self.failures.append(
                f"{phone.name}: no reauth flow within {REAUTH_BOUND:g} s of the new password"
            )
        new = sim.auth.password
        wrong = Counter(
            record.endpoint
            for record in sim.requests
            if record.time >= phone.fault_clock
            and record.query.get("passcode", new) != new
        )
        result["wrong_password_requests"] = dict(wrong)
        if flow is not None:
            path = f"/api/config/config_entries/flow/{flow['flow_id']}"
            answer = await ha.rest("POST", path, {"password": new})
            if answer.get("reason") != "reauth_successful" and sim.auth.lock_minutes():
                # Locked out: the person waits out the lockout and enters the password
                # again. The lockout is ended rather than the phone's clock moved on,
                # which would shift the times in its request log.
                self.failures.append(
                    f"{phone.name}: the new password was refused, the phone is locked "
                    f"(wrong-password requests: {dict(wrong)})"
                )
                sim.auth.locked_until = None
                sim.auth.failures = 0
                result["reauth_after_lockout"] = True
                answer = await ha.rest("POST", path, {"password": new})
            result["reauth_result"] = answer.get("reason") or answer.get("type")
            if answer.get("reason") != "reauth_successful":
                self.failures.append(
                    f"{phone.name}: reauth answered {answer.get('errors') or answer}"
                )
        phone.password = new
        phone.wrong_password = False
        result["failed_logins_max"] = phone.max_failures
        return result

    async def _watch_auth(self, stop: asyncio.Event) -> None:
        """Track every phone's failed-login counter (it resets on a good password)."""
        while not stop.is_set():
            for phone in self.phones:
                auth = phone.sim.phone.auth
                phone.max_failures = max(phone.max_failures, auth.failures)
                if auth.locked_until is not None:
                    phone.locked = True
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05)

    # ----------------------------------------------------------- script

    async def _run_phone(self, phone: Phone, steps: list[Step]) -> None:
        """Play one phone's hours; waits push the rest of its script later.

        A step that comes late (the previous action or a convergence wait took longer
        than the script allowed) moves every later step by as much, so the compressed
        gaps between steps are kept and no burst of back-to-back actions follows.
        """
        shift = 0.0
        hour = 1
        for step in steps:
            while step.at >= hour * HOUR:
                self._hour_done(hour, shift)
                hour += 1
            due = self.started + step.at / self.factor + shift
            if (wait := due - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            else:
                phone.lag_s += -wait
                shift += -wait
            if step.episode >= 0:
                phone.episode = step.episode
            if step.kind == "ring":
                phone.sim.phone.incoming_call(
                    str(step.args["number"]), str(step.args["name"])
                )
            elif step.kind == "far_hangup":
                self._far_hangup(phone, str(step.args["number"]))
            elif step.kind == "action":
                await self._action(phone, step)
            elif step.kind == "end":
                await self._end_episode(phone)
            elif step.kind == "fault":
                await self._fault(phone, step)
            elif step.kind == "fault_end":
                # A fault lasts at least MIN_FAULT_WALL, so that some poll meets it.
                if (wait := phone.fault_since + MIN_FAULT_WALL - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                shift += await self._fault_end(phone, step)
        while hour < self.opts.hours:
            self._hour_done(hour, shift)
            hour += 1

    def _hour_done(self, hour: int, shift: float) -> None:
        """Note when a phone's scripted hour ended (its delays included)."""
        end = hour * HOUR / self.factor + shift
        self.hour_ends[hour] = max(self.hour_ends.get(hour, 0.0), end)

    async def _sample_rss(self, proc: psutil.Process, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.rss.append(
                (time.monotonic() - self.started, proc.memory_info().rss / 2**20)
            )
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 2)

    async def run(self) -> dict[str, Any]:
        """Set up, play the hour, check, and return the results."""
        schedules = build_schedule(self.rng, len(FLEET), self.opts.hours)
        log_dir = Path(tempfile.mkdtemp(prefix="gxp-soak-"))
        log_path = log_dir / "hass.log"
        reboot_time = max(1.0, REBOOT_SECONDS / self.factor)
        stop = asyncio.Event()
        setup_s = 0.0
        cpu_s = 0.0
        log_start = 0
        async with AsyncExitStack() as stack:
            for index, (model, push) in enumerate(FLEET):
                password = f"soak#{index}&pw"
                sim = await stack.enter_async_context(
                    SimulatedPhone.start(
                        model,
                        password=password,
                        click_to_dial=True,
                        auto_attended_transfer=True,
                        reboot_time=reboot_time,
                        setup="readme",
                    )
                )
                self.phones.append(Phone(index, model, push, sim, password))
            secrets = [p.password for p in self.phones]
            secrets += [f"{p}-new" for p in secrets]
            hass_type = (
                partial(
                    TracedHass,
                    probe_dir=log_dir / "heap",
                    heap=self.opts.trace_memory,
                    collect_every=self.opts.collect_every,
                )
                if self.opts.trace_memory
                or self.opts.collect_every
                or self.opts.watch_gc
                else HomeAssistantProcess
            )
            self.ha = await stack.enter_async_context(
                hass_type(name="soak", ref=self.opts.ref, log_path=log_path)
            )
            if self.ha.proc is None:
                raise RuntimeError("Home Assistant is not running")
            proc = psutil.Process(self.ha.proc.pid)
            # Home Assistant's own start-up (components the venv cannot import) is
            # reported apart from the soak.
            log_start = log_path.stat().st_size
            self.cache = StatesCache(self.ha)
            begin = time.monotonic()
            for phone in self.phones:
                await self._add(phone)
            self.started = time.monotonic()
            await asyncio.gather(
                *(self.converge(phone, "setup") for phone in self.phones)
            )
            setup_s = time.monotonic() - begin
            for phone in self.phones:
                phone.setup_requests = dict(
                    Counter(r.endpoint for r in phone.sim.phone.requests)
                )
                phone.sim.phone.requests.clear()
            self.started = time.monotonic()
            watchers = [
                asyncio.create_task(self._watch_auth(stop)),
                asyncio.create_task(self._sample_rss(proc, stop)),
            ]

            async def stop_watchers() -> None:
                stop.set()
                await asyncio.gather(*watchers)

            stack.push_async_callback(stop_watchers)
            cpu_before = proc.cpu_times()
            limit = self.opts.minutes * 60 * self.opts.hours * 3 + 600
            try:
                async with asyncio.timeout(limit):
                    await asyncio.gather(
                        *(
                            self._run_phone(phone, steps)
                            for phone, steps in zip(self.phones, schedules, strict=True)
                        )
                    )
            except TimeoutError:
                self.failures.append(f"the script did not finish within {limit:g} s")
            activity_s = time.monotonic() - self.started
            await asyncio.gather(
                *(self.converge(phone, "the end of the hour") for phone in self.phones)
            )
            cpu_after = proc.cpu_times()
            cpu_s = (cpu_after.user + cpu_after.system) - (
                cpu_before.user + cpu_before.system
            )
            await stop_watchers()
            traffic = self._traffic(activity_s)
            for phone in self.phones:
                if phone.push:
                    phone.push_check = await self._push_check(phone)
        data = log_path.read_bytes()
        log = scan_log(data[log_start:].decode(errors="replace"), secrets)
        startup = scan_log(data[:log_start].decode(errors="replace"), secrets)
        log["startup_markers"] = startup["unhandled"]
        log["password_leaks"] += startup["password_leaks"]
        result = self._results(
            schedules=schedules,
            setup_s=setup_s,
            activity_s=activity_s,
            cpu_s=cpu_s,
            traffic=traffic,
            log=log,
            log_path=log_path,
        )
        if result["passed"] and os.environ.get("GXP_BENCH_KEEP") is None:
            shutil.rmtree(log_dir, ignore_errors=True)
            result["log"]["path"] = None
        return result

    # ---------------------------------------------------------- results

    def _python_heap(self, folder: Path) -> dict[str, Any]:
        """Python's traced heap at each hour's end, and where it grew after hour 1."""
        shots = {float(f.stem) - self.started: f for f in folder.glob("*.tm")}
        if not shots:
            return {"error": "no tracemalloc snapshots"}
        ends = [self.hour_ends.get(h, math.inf) for h in range(1, self.opts.hours)]
        ends.append(max(shots))
        picked = [nearest(list(shots), t) for t in ends]
        loaded = [tracemalloc.Snapshot.load(str(shots[t])) for t in picked]
        by_hour = [sum(trace.size for trace in s.traces) / 2**20 for s in loaded]
        growth = [
            f"{'/'.join(stat.traceback[0].filename.rsplit('/', 2)[-2:])}:"
            f"{stat.traceback[0].lineno} {stat.size_diff / 1024:+.0f} KB"
            for stat in loaded[-1].compare_to(loaded[0], "lineno")[:8]
        ]
        return {
            "at_s": [round(t, 1) for t in picked],
            "mb_by_hour": [round(v, 2) for v in by_hour],
            "growth_after_first_hour_mb": round(by_hour[-1] - by_hour[0], 2),
            "top_growth_after_first_hour": growth,
        }

    async def _push_check(self, phone: Phone) -> dict[str, Any]:
        """Return what the Action URLs met, and whether the entry saw them as push."""
        sent = list(phone.sim.phone.action_urls.sent)
        statuses = Counter(str(item.status) for item in sent)
        check: dict[str, Any] = {"sent": len(sent), "status": dict(statuses)}
        try:
            diagnostics = await self._ha().rest(
                "GET", f"/api/diagnostics/config_entry/{phone.entry_id}"
            )
            push = diagnostics["data"]["push"]
            check |= {"seen": push.get("seen"), "alive": push.get("alive")}
        except (RuntimeError, KeyError, TypeError) as err:
            check["diagnostics_error"] = str(err)[:200]
        if not statuses.get("200") or not check.get("seen"):
            self.failures.append(f"{phone.name}: push did not arrive ({check})")
        return check

    def _traffic(self, activity_s: float) -> list[dict[str, Any]]:
        rows = []
        for phone in self.phones:
            records = list(phone.sim.phone.requests)
            by_endpoint = Counter(record.endpoint for record in records)
            times = [record.time for record in records]
            peak, first = busiest_window(times, WINDOW)
            inside = records[first : first + peak]
            # What ran then: the requests by endpoint, and the actions that started in
            # the window (or up to a minute before it, still running).
            offset = time.monotonic() - phone.sim.phone.clock.now()
            begin = times[first] + offset - self.started if inside else 0.0
            peak_actions = [
                f"{a['service']} ({a['result']})"
                for a in phone.actions
                if "at" in a and begin - 60 <= a["at"] <= begin + WINDOW
            ]
            if peak > self.window_limit:
                self.failures.append(
                    f"{phone.name}: {peak} requests in {WINDOW:g} s "
                    f"(limit {self.window_limit})"
                )
            rows.append(
                {
                    "phone": phone.index,
                    "model": phone.model,
                    "push": phone.push,
                    "requests": len(records),
                    "per_wall_minute": round(len(records) * 60 / activity_s, 1),
                    "peak_10s": peak,
                    "peak_at_s": round(begin, 1),
                    "peak_by_endpoint": dict(
                        Counter(record.endpoint for record in inside).most_common()
                    ),
                    "peak_actions": peak_actions[-6:],
                    "by_endpoint": dict(by_endpoint.most_common()),
                }
            )
        return rows

    def _automatic_collections(self, path: Path) -> list[tuple[float, int]]:
        """Python's own full collections in hass: (seconds into the activity, found)."""
        lines = path.read_text().split("\n") if path.exists() else []
        return [
            (round(float(at) - self.started, 1), int(found))
            for at, found in (line.split() for line in lines if line)
        ]

    def _memory(self) -> dict[str, Any]:
        if not self.rss:
            return {}
        end_t = self.rss[-1][0]
        result: dict[str, Any] = {
            "start_mb": round(self.rss[0][1], 1),
            "peak_mb": round(max(v for _, v in self.rss), 1),
            "samples": len(self.rss),
            # Every 30 s: (seconds into the activity, MB).
            "series": [(round(t), round(v, 1)) for t, v in self.rss[::15]],
        }
        if self.opts.hours > 1:
            ends = [self.hour_ends.get(h, end_t) for h in range(1, self.opts.hours)]
            by_hour = [rss_before(self.rss, t, RSS_AVERAGE_S) for t in [*ends, end_t]]
            growth = by_hour[-1] - by_hour[0]
            slope = slope_per_minute([s for s in self.rss if s[0] >= ends[0]])
            limit = RSS_LEVEL_LIMIT_MB
            result |= {
                "warm_up": "the first hour",
                "hour_ends_s": [round(t, 1) for t in [*ends, end_t]],
                "rss_by_hour_mb": [round(v, 1) for v in by_hour],
                "growth_by_hour_mb": [
                    round(b - a, 1) for a, b in itertools.pairwise(by_hour)
                ],
                "warm_mb": round(by_hour[0], 1),
                "end_mb": round(by_hour[-1], 1),
            }
        else:
            warm = [s for s in self.rss if s[0] >= end_t * WARM_UP_SHARE]
            warm_mb = warm[0][1]
            end_mb = statistics.fmean(v for _, v in self.rss[-3:])
            growth = end_mb - warm_mb
            slope = slope_per_minute(warm)
            limit = RSS_GROWTH_LIMIT_MB
            result |= {
                "warm_up": "the first quarter",
                "warm_mb": round(warm_mb, 1),
                "end_mb": round(end_mb, 1),
            }
        if growth > limit:
            self.failures.append(
                f"RSS grew {growth:.1f} MB after {result['warm_up']} (limit {limit:g} MB)"
            )
        return result | {
            "growth_after_warm_up_mb": round(growth, 1),
            "slope_mb_per_min": None if slope is None else round(slope, 2),
            "limit_mb": limit,
        }

    def _results(
        self,
        *,
        schedules: list[list[Step]],
        setup_s: float,
        activity_s: float,
        cpu_s: float,
        traffic: list[dict[str, Any]],
        log: dict[str, Any],
        log_path: Path,
    ) -> dict[str, Any]:
        memory = self._memory()
        if self.opts.collect_every:
            found = (log_path.parent / "heap" / "collected.txt").read_text().split()
            memory["collected"] = {
                "every_s": self.opts.collect_every,
                "collections": len(found),
                "objects": sum(int(n) for n in found),
            }
        elif self.opts.trace_memory:
            memory["python_heap"] = self._python_heap(log_path.parent / "heap")
        if not self.opts.trace_memory and (
            self.opts.collect_every or self.opts.watch_gc
        ):
            memory["automatic_full_collections"] = self._automatic_collections(
                log_path.parent / "heap" / "automatic.txt"
            )
        if log["unhandled"]:
            self.failures.append(
                f"{log['unhandled']} unhandled-exception markers in the hass log "
                f"({log_path}): {log['marker_lines'][:2]}"
            )
        if log["password_leaks"]:
            self.failures.append(f"a phone password is in the hass log ({log_path})")
        for phone in self.phones:
            if phone.locked or phone.max_failures >= LOCKOUT_LIMIT:
                self.failures.append(
                    f"{phone.name}: the phone's account was locked "
                    f"({phone.max_failures} failed logins in a row)"
                )
            self.failures += [f"{phone.name}: stuck {item}" for item in phone.stuck]
        actions = [a for p in self.phones for a in p.actions]
        by_service: dict[str, Counter[str]] = {}
        for action in actions:
            result = action["result"]
            if result == "refused":
                result = "refused in fault" if action["in_fault"] else "refused"
            by_service.setdefault(action["service"], Counter())[result] += 1
        unexpected = [
            {"phone": p.index, **a}
            for p in self.phones
            for a in p.actions
            if a["result"] == "refused"
            and not a["in_fault"]
            and (p.model, a["service"]) not in KNOWN_REFUSALS
        ]
        if unexpected:
            self.failures.append(
                f"{len(unexpected)} actions refused outside faults, first: "
                f"phone #{unexpected[0]['phone']} {unexpected[0]['service']}: "
                f"{unexpected[0].get('error')}"
            )
        timed = [a["ms"] for a in actions if a["result"] == "ok"]
        converged = [c["seconds"] for c in self.convergence if c["seconds"] is not None]
        after_faults = [
            c
            for c in self.convergence
            if c["after"] not in ("setup", "the end of the hour")
        ]
        worst = max(
            (c for c in after_faults if c["seconds"] is not None),
            key=lambda c: c["seconds"],
            default=None,
        )
        faults = [
            {"phone": p.index, "model": p.model, "push": p.push, **f}
            for p in self.phones
            for f in p.faults
        ]
        events = sum(len(steps) for steps in schedules)
        return {
            "what": (
                f"{len(self.phones)} simulated phones in one hass, {self.opts.hours} "
                f"scripted hour(s) each, every hour compressed {self.factor:g}x into {self.opts.minutes:g} min of wall time "
                f"(the integration's timers run in real time; scan interval {SCAN_INTERVAL} s)"
            ),
            "seed": self.opts.seed,
            "hours": self.opts.hours,
            "factor": round(self.factor, 2),
            "passed": not self.failures,
            "failures": self.failures,
            "phones": [
                {
                    "phone": p.index,
                    "model": p.model,
                    "push": p.push,
                    "push_note": p.push_note or None,
                    "max_failed_logins": p.max_failures,
                    "script_delayed_s": round(p.lag_s, 1),
                    "profile": profile_of(p.sim),
                    "setup_requests": p.setup_requests,
                    "push_check": p.push_check or None,
                }
                for p in self.phones
            ],
            "setup_s": round(setup_s, 1),
            "activity_s": round(activity_s, 1),
            "scripted_steps": events,
            "calls": sum(1 for s in schedules for step in s if step.kind == "end"),
            "actions": {
                "total": len(actions),
                "by_service": {k: dict(v) for k, v in sorted(by_service.items())},
                "p50_ms": round(statistics.median(timed), 1) if timed else None,
                "max_ms": max(timed, default=None),
                "refused_outside_faults": unexpected[:20],
            },
            "faults": faults,
            "convergence": {
                "count": len(converged),
                "after_faults": len(after_faults),
                "worst_s": None if worst is None else worst["seconds"],
                "worst": worst,
                "p50_s": round(statistics.median(converged), 2) if converged else None,
                "bounds_s": {"poll": POLL_BOUND, "push": PUSH_BOUND},
                "not_converged": sum(
                    1 for c in self.convergence if c["seconds"] is None
                ),
            },
            "memory": memory,
            "cpu_s": round(cpu_s, 1),
            "traffic": {
                "what": (
                    "requests each phone received during its scripted hour (its calls "
                    "and faults in full; idle polling only for the compressed wall time)"
                ),
                "window_limit": self.window_limit,
                "rows": traffic,
            },
            "log": {**log, "path": str(log_path)},
        }


async def bench_soak(opts: SoakOptions) -> dict[str, Any]:
    """Run the soak and return its results (`passed` says whether every check held)."""
    return await Soak(opts).run()


# ------------------------------------------------------------------ report


def report(result: Mapping[str, Any]) -> str:
    """Return the short report printed at the end."""
    out = [f"Soak, {result['what']}; seed {result['seed']}."]
    out.append(
        f"Accelerated {result['factor']:g}x: the script (calls, ringing, talking, holds, "
        "fault and reboot durations). Not accelerated: Home Assistant and the "
        "integration (polls every 5 s idle, 75 s idle with push working, 1 s in calls; "
        "10 s request timeout), so convergence times are real seconds."
    )
    out.append(
        f"Setup {result['setup_s']} s; activity {result['activity_s']} s; "
        f"{result['calls']} calls, {result['actions']['total']} actions, "
        f"{len(result['faults'])} faults; hass CPU {result['cpu_s']} s."
    )
    conv = result["convergence"]
    worst = conv["worst"]
    worst_text = (
        "n/a"
        if worst is None
        else f"{worst['seconds']} s (phone #{worst['phone']}, after {worst['after']})"
    )
    out.append(
        f"Convergence: {conv['count']} checks ({conv['after_faults']} after faults), "
        f"p50 {conv['p50_s']} s, worst after a fault {worst_text}; bounds "
        f"{conv['bounds_s']['poll']:g} s polled, {conv['bounds_s']['push']:g} s push; "
        f"not converged: {conv['not_converged']}."
    )
    kinds: dict[str, list[float]] = {}
    for fault in result["faults"]:
        if fault.get("converged_s") is not None:
            kinds.setdefault(fault["fault"], []).append(fault["converged_s"])
    out.append(
        "Faults (kind: count, worst convergence s): "
        + ", ".join(
            f"{kind} {sum(1 for f in result['faults'] if f['fault'] == kind)}"
            f" ({max(kinds.get(kind, [0])):.1f})"
            for kind in FAULTS
        )
    )
    out.extend(
        f"New password on phone #{fault['phone']} ({fault['model']}, "
        f"{'push' if fault['push'] else 'poll'}): reauth after "
        f"{fault.get('reauth_seen_s')} s, failed logins at most "
        f"{fault.get('failed_logins_max')} (lockout at {LOCKOUT_LIMIT}), "
        f"{fault.get('reauth_result')}."
        for fault in result["faults"]
        if fault["fault"] == "new_password"
    )
    acts = result["actions"]
    out.append(
        f"Actions: p50 {acts['p50_ms']} ms, max {acts['max_ms']} ms; "
        + "; ".join(
            f"{service} " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            for service, counts in acts["by_service"].items()
        )
    )
    mem = result["memory"]
    if mem:
        out.append(
            f"Memory (hass RSS): start {mem['start_mb']} MB, after "
            f"{mem['warm_up']} {mem['warm_mb']} MB, end {mem['end_mb']} MB, peak "
            f"{mem['peak_mb']} MB; growth after {mem['warm_up']} "
            f"{mem['growth_after_warm_up_mb']} MB (limit {mem['limit_mb']:g} MB), "
            f"slope {mem['slope_mb_per_min']} MB/min."
        )
        if "rss_by_hour_mb" in mem:
            out.append(
                "RSS at the end of each scripted hour (mean of its last "
                f"{RSS_AVERAGE_S:g} s): "
                + ", ".join(
                    f"hour {n} {mb} MB (at {t:g} s)"
                    for n, (mb, t) in enumerate(
                        zip(mem["rss_by_hour_mb"], mem["hour_ends_s"], strict=True),
                        start=1,
                    )
                )
                + f"; growth hour by hour {mem['growth_by_hour_mb']} MB."
            )
    heap = mem.get("python_heap") if mem else None
    if heap and "mb_by_hour" in heap:
        out.append(
            f"Python heap in hass (tracemalloc; RSS inflated by it): by hour "
            f"{heap['mb_by_hour']} MB, growth after the first hour "
            f"{heap['growth_after_first_hour_mb']} MB; most: "
            + ", ".join(heap["top_growth_after_first_hour"][:5])
            + "."
        )
    collected = mem.get("collected") if mem else None
    if collected:
        out.append(
            f"Garbage collection in hass every {collected['every_s']:g} s (diagnosis): "
            f"{collected['collections']} full collections found {collected['objects']} "
            "objects of cyclic garbage."
        )
    automatic = mem.get("automatic_full_collections") if mem else None
    if automatic is not None:
        during = [(at, found) for at, found in automatic if at >= 0]
        out.append(
            f"Python's own full collections in hass during the activity: {len(during)}"
            + (
                " (at s: found) "
                + ", ".join(f"{at:g}: {found}" for at, found in during)
                if during
                else ""
            )
            + f"; {len(automatic) - len(during)} before it."
        )
    profiles = Counter(
        "{login_variant}-login, {action_url_encoding} Action URLs, "
        "{request_latency:g} s per answer{one}, keys {key_delay:g} s, status lag "
        "{status_lag:g} s".format(
            **p["profile"],
            one=", one at a time" if p["profile"]["serialize_requests"] else "",
        )
        for p in result["phones"]
        if p.get("profile")
    )
    if profiles:
        out.append(
            "Phones: "
            + "; ".join(f"{n} x {text}" for text, n in profiles.items())
            + "."
        )
    pushed = [p for p in result["phones"] if p.get("push_check")]
    if pushed:
        out.append(
            "Push: "
            + ", ".join(
                f"#{p['phone']} {p['model']} sent {p['push_check']['sent']} "
                f"{p['push_check']['status']}, seen {p['push_check'].get('seen')}"
                for p in pushed
            )
            + "."
        )
    rows = result["traffic"]["rows"]
    out.append(
        "Requests per phone over its script (peak in 10 s; limit "
        f"{result['traffic']['window_limit']}): "
        + ", ".join(
            f"#{r['phone']} {r['model']} {'push' if r['push'] else 'poll'} "
            f"{r['requests']} ({r['peak_10s']})"
            for r in rows
        )
    )
    busiest = max(rows, key=lambda r: r["peak_10s"], default=None)
    if busiest is not None:
        out.append(
            f"Busiest 10 s: phone #{busiest['phone']} at {busiest['peak_at_s']} s, "
            f"{busiest['peak_by_endpoint']}, actions {busiest['peak_actions']}."
        )
    log = result["log"]
    levels = ", ".join(f"{k} {v}" for k, v in list(log["levels"].items())[:6])
    out.append(
        f"Hass log: {log['unhandled']} unhandled-exception markers, "
        f"{log['password_leaks']} password leaks; {levels or 'no errors or warnings'}."
    )
    out.append("PASSED" if result["passed"] else "FAILED:")
    out += [f"  - {failure}" for failure in result["failures"]]
    return "\n".join(out)
