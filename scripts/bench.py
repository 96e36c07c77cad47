"""Benchmarks against the phone simulator.

`scripts/bench all` runs everything below in one go (about 13 minutes; `--quick` about 6);
`scripts/bench hass` (latency, idle requests, actions), `scripts/bench scale` and
`scripts/bench push` (push latency of the name-carrying design beside the previous one,
see `scripts/bench_push.py`) and `scripts/bench realistic` (the realistic phone beside the
ideal one, see `scripts/bench_realistic.py`) run one part; see `scripts/bench_ha.py` for the methods. `scripts/bench soak` (not part of `all`)
plays 3 accelerated hours of calls and faults on 10 realistic phones; see `scripts/bench_soak.py`. `--worktree` measures the integration as
it is in the working tree instead of the committed HEAD.

`scripts/bench cti` measures line-status reads through `CtiClient` beside plain aiohttp against
the same simulated phone in the same run, interleaving the two in rounds so that machine noise
hits both alike. The simulator runs in its own process, so it does not share the event loop
being measured.
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import platform
import socket
import statistics
import sys
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from custom_components.grandstream_gxp.cti import CtiClient

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

RESULTS = Path(__file__).parent.parent / "bench" / "results.json"
PASSWORD = "admin"  # noqa: S105 - the simulated phone's password


@dataclass(frozen=True, slots=True)
class Stats:
    """Latency percentiles and throughput of one way of reading."""

    name: str
    requests: int
    p50_ms: float
    p99_ms: float
    requests_per_second: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def simulated_phone(model: str) -> AsyncIterator[int]:
    """Run `python -m gxp_simulator` in a child process; yield its port."""
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gxp_simulator",
        "--model",
        model,
        "--port",
        str(port),
        "--password",
        PASSWORD,
        # Set up as the README asks (the factory setup refuses CTI) and answering at
        # once: this part measures the client, not the phone.
        "--setup",
        "readme",
        "--timing",
        "instant",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                if time.monotonic() > deadline or proc.returncode is not None:
                    raise RuntimeError("the simulator did not start") from None
                await asyncio.sleep(0.05)
            else:
                writer.close()
                await writer.wait_closed()
                break
        yield port
    finally:
        proc.terminate()
        await proc.wait()


async def _timed(
    call: Callable[[], Awaitable[Any]],
    count: int,
    before: Callable[[], Awaitable[Any]] | None = None,
) -> list[float]:
    """Time `count` calls; `before` runs ahead of each, outside the timing."""
    durations = []
    for _ in range(count):
        if before is not None:
            await before()
        start = time.perf_counter()
        await call()
        durations.append(time.perf_counter() - start)
    return durations


def _stats(name: str, durations: list[float]) -> Stats:
    ordered = sorted(durations)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return Stats(
        name=name,
        requests=len(durations),
        p50_ms=round(statistics.median(ordered) * 1000, 3),
        p99_ms=round(p99 * 1000, 3),
        requests_per_second=round(len(durations) / sum(durations), 1),
    )


async def _compare(
    plain: Callable[[], Awaitable[Any]],
    client: Callable[[], Awaitable[Any]],
    rounds: int,
    per_round: int,
    before: Callable[[], Awaitable[Any]] | None = None,
) -> dict[str, Any]:
    """Interleave plain and client reads in rounds; return both stats and the ratios."""
    await _timed(plain, 100, before)
    await _timed(client, 100, before)
    plain_times: list[float] = []
    client_times: list[float] = []
    for index in range(rounds):
        pair = [(plain, plain_times), (client, client_times)]
        for call, sink in pair if index % 2 == 0 else reversed(pair):
            sink.extend(await _timed(call, per_round, before))
    baseline = _stats("plain aiohttp", plain_times)
    ours = _stats("CtiClient", client_times)
    return {
        "baseline": asdict(baseline),
        "client": asdict(ours),
        "p50_ratio": round(ours.p50_ms / baseline.p50_ms, 3),
        "p99_ratio": round(ours.p99_ms / baseline.p99_ms, 3),
        "throughput_ratio": round(
            baseline.requests_per_second / ours.requests_per_second, 3
        ),
    }


async def bench_cti(rounds: int, per_round: int) -> dict[str, Any]:
    """Line-status reads: the client against plain aiohttp, same phone, same run.

    The main row reads an idle phone (the same answer each time, which the client
    does not parse again); the second changes line 1's state before every read
    (untimed, through the simulator's control API), so every answer differs from
    the one before and both sides parse each one.
    """
    async with simulated_phone("GXP2170") as port, aiohttp.ClientSession() as session:
        client = CtiClient(session, "127.0.0.1", port=port, password=PASSWORD)
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/cgi-bin/api-get_line_status?passcode={PASSWORD}"

        async def plain() -> Any:
            async with session.get(url) as resp:
                return json.loads(await resp.read())

        async def through_client() -> Any:
            return await client.get_line_status()

        shown = [False]

        async def change_line() -> None:
            shown[0] = not shown[0]
            state = "transfered" if shown[0] else None
            async with session.post(
                f"{base}/_sim/line_state", json={"line": 1, "state": state}
            ) as resp:
                resp.raise_for_status()

        same = await _compare(plain, through_client, rounds, per_round)
        changing = await _compare(
            plain, through_client, max(1, rounds // 2), per_round, change_line
        )

    return {
        "what": "api-get_line_status reads, sequential, simulated GXP2170 in another process",
        **same,
        "changing": {
            "what": "every answer differs from the one before (line 1 flips state)",
            **changing,
        },
    }


def _print_cti(result: dict[str, Any]) -> None:
    for part, note in ((result, "limit 1.2x"), (result.get("changing"), "no limit")):
        if not part:
            continue
        print(part["what"])
        print(f"{'':16}{'requests':>10}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>10}")
        for key in ("baseline", "client"):
            row = part[key]
            print(
                f"{row['name']:16}{row['requests']:>10}{row['p50_ms']:>10.3f}"
                f"{row['p99_ms']:>10.3f}{row['requests_per_second']:>10.1f}"
            )
        print(
            f"client / baseline: p50 {part['p50_ratio']}x, p99 {part['p99_ratio']}x, "
            f"time per request {part['throughput_ratio']}x ({note})\n"
        )


def _save(section: str, result: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    data: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[section] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        **result,
    }
    RESULTS.write_text(json.dumps(data, indent=2) + "\n")


def _cell(value: Any) -> str:
    return "n/a" if value is None else str(value)


def _table(head: list[str], rows: list[list[Any]]) -> str:
    """Format a Markdown table (it reads well in a terminal too)."""
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _print_hass(result: dict[str, Any]) -> None:
    latency = result["latency"]
    print(
        f"\nEvent to state, {latency['what']}; idle requests over {latency['window_s']} s:"
    )
    labels = {
        "push": "ours, push (Action URLs)",
        "poll": "ours, polling only (30 s idle, 1 s in calls)",
        "rest": "`rest` sensor, 30 s (no integration)",
    }
    rows = []
    for row in latency["rows"]:
        if not row["available"]:
            rows.append(
                [labels[row["setup"]], f"not available: {row['note']}"] + [None] * 6
            )
            continue
        rows.append(
            [
                labels[row["setup"]],
                row["samples"],
                row["p50_ms"],
                row["p99_ms"],
                row["ring_p50_ms"],
                row["give_up_p50_ms"],
                row["timeouts"],
                row["idle_requests_per_hour"],
            ]
        )
    print(
        _table(
            [
                "setup",
                "samples",
                "p50 ms",
                "p99 ms",
                "ring p50 ms",
                "give-up p50 ms",
                "timeouts",
                "idle requests/h",
            ],
            rows,
        )
    )
    actions = result.get("actions") or {}
    if actions:
        print(f"\nActions, {actions['what']}:")
        print(
            _table(
                ["action", "runs", "p50 ms", "max ms", "requests (median)", "errors"],
                [
                    [
                        row["action"],
                        row["runs"],
                        row["p50_ms"],
                        row["max_ms"],
                        row["requests_median"],
                        len(row["errors"]),
                    ]
                    for row in actions["rows"]
                ],
            )
        )


def _print_scale(result: dict[str, Any]) -> None:
    print(
        f"\nScale, {result['what']} (idle CPU {result['idle_cpu_s']} s, empty RSS "
        f"{result['rss_empty_mb']} MB):"
    )
    print(
        _table(
            [
                "phones",
                "setup ms/entry p50",
                "setup ms max",
                "RSS MB",
                "RSS KB/phone",
                "polls in window",
                "CPU ms/poll",
            ],
            [
                [
                    row["phones"],
                    row["setup_ms_p50"],
                    row["setup_ms_max"],
                    row["rss_mb"],
                    row["rss_per_phone_kb"],
                    row["polls"],
                    row["cpu_ms_per_poll"],
                ]
                for row in result["rows"]
            ],
        )
    )


def _soak(args: argparse.Namespace) -> int:
    from . import bench_soak
    from .bench_hass import git_commit

    ref = None if args.worktree else "HEAD"
    minutes = args.minutes or (
        bench_soak.QUICK_MINUTES if args.quick else bench_soak.DEFAULT_MINUTES
    )
    hours = args.hours or (1 if args.quick else bench_soak.DEFAULT_HOURS)
    opts = bench_soak.SoakOptions(
        minutes=minutes,
        seed=args.seed,
        ref=ref,
        hours=max(1, hours),
        trace_memory=args.trace_memory,
        collect_every=args.collect_garbage,
        watch_gc=args.watch_gc,
    )
    result = asyncio.run(bench_soak.bench_soak(opts))
    source = {
        "integration": "working tree" if ref is None else f"git {git_commit(ref)}",
        "quick": args.quick,
    }
    _save("soak", {**source, **result})
    print(bench_soak.report(result))
    return 0 if result["passed"] else 1


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark named on the command line."""
    from . import bench_ha
    from .bench_hass import git_commit

    parser = argparse.ArgumentParser(prog="scripts/bench")
    sub = parser.add_subparsers(dest="bench", required=True)
    cti = sub.add_parser("cti", help="client overhead on line-status reads")
    cti.add_argument("--rounds", type=int, default=10)
    cti.add_argument("--per-round", type=int, default=300)
    for name, text in (
        ("hass", "latency, idle requests and actions in a real Home Assistant"),
        ("scale", "1, 10, 50 phones in one Home Assistant"),
        ("push", "push latency: caller's name from the read vs in the URL"),
        (
            "realistic",
            "the realistic phone beside the ideal one: transfers, request rate",
        ),
        ("all", "cti, hass, scale, push and realistic"),
    ):
        part = sub.add_parser(name, help=text)
        part.add_argument("--quick", action="store_true", help="fewer samples, ~4 min")
        part.add_argument(
            "--worktree",
            action="store_true",
            help="measure the integration in the working tree (default: git HEAD)",
        )
    soak = sub.add_parser(
        "soak",
        help="3 accelerated hours of calls and faults on 10 phones (~12 min)",
    )
    soak.add_argument(
        "--minutes", type=float, default=None, help="wall minutes of activity (3)"
    )
    soak.add_argument(
        "--quick", action="store_true", help="1 scripted hour in 1 minute of activity"
    )
    soak.add_argument("--seed", type=int, default=1)
    soak.add_argument(
        "--hours",
        type=int,
        default=None,
        help="scripted hours, the first warms up (3; 1 with --quick)",
    )
    soak.add_argument(
        "--worktree",
        action="store_true",
        help="soak the integration in the working tree (default: git HEAD)",
    )
    soak.add_argument(
        "--trace-memory",
        action="store_true",
        help="trace Python's heap in hass per hour (tracemalloc; inflates the RSS)",
    )
    soak.add_argument(
        "--collect-garbage",
        type=float,
        default=None,
        metavar="S",
        help="a full garbage collection in hass every S seconds (tells kept memory "
        "from cyclic garbage not yet collected); its automatic ones are listed too",
    )
    soak.add_argument(
        "--watch-gc",
        action="store_true",
        help="list Python's own full garbage collections in hass (when, what they found)",
    )
    args = parser.parse_args(argv)
    if args.bench == "soak":
        return _soak(args)

    status = 0
    if args.bench in ("cti", "all"):
        result = asyncio.run(
            bench_cti(getattr(args, "rounds", 10), getattr(args, "per_round", 300))
        )
        _print_cti(result)
        _save("cti", result)
        status = 0 if result["throughput_ratio"] <= 1.2 else 1
    if args.bench == "cti":
        return status
    ref = None if args.worktree else "HEAD"
    opts = bench_ha.Options.quick(ref) if args.quick else bench_ha.Options(ref=ref)
    source = {
        "integration": "working tree" if ref is None else f"git {git_commit(ref)}",
        "quick": args.quick,
    }
    if args.bench in ("hass", "all"):
        result = asyncio.run(bench_ha.bench_latency_idle(opts))
        _save("hass", {**source, **result})
        _print_hass(result)
    if args.bench in ("scale", "all"):
        result = asyncio.run(bench_ha.bench_scale(opts))
        _save("scale", {**source, **result})
        _print_scale(result)
    if args.bench in ("push", "all"):
        from . import bench_push

        result = asyncio.run(
            bench_push.bench_push_latency(ref, 5 if args.quick else 20)
        )
        _save("push", {**source, **result})
        _print_push(result)
    if args.bench in ("realistic", "all"):
        from . import bench_realistic

        options = (
            bench_realistic.RealisticOptions.quick(ref)
            if args.quick
            else bench_realistic.RealisticOptions(ref=ref)
        )
        result = asyncio.run(bench_realistic.bench_realistic(options))
        _save("realistic", {**source, **result})
        _print_realistic(result)
    return status


def _print_realistic(result: dict[str, Any]) -> None:
    print(f"\nIdeal and realistic phone, {result['what']}:")
    columns = ["phone", "action", "runs", "p50_ms", "max_ms", "requests_median"]
    columns += ["peak_1s_max", "per_second"]
    print(_table(columns, [[row[c] for c in columns] for row in result["rows"]]))
    for action, ratio in result["ratio_realistic_over_ideal"].items():
        print(
            f"{action}: realistic / ideal, time p50 {ratio['time_p50']}x, "
            f"requests {ratio['requests_median']}x"
        )
    call = result["call"]
    print(f"\nDuring a call, {call['what']}:")
    columns = ["phone", "call_s", "requests", "peak_1s", "peak_2s", "per_second"]
    columns += ["max_in_flight"]
    print(_table(columns, [[row[c] for c in columns] for row in call["rows"]]))
    print(f"goal ({result['goal']}): {'met' if result['met'] else 'NOT met'}")


def _print_push(result: dict[str, Any]) -> None:
    print(f"\nPush latency, {result['what']} ({result['rounds']} calls each):")
    columns = ["design", "integration", "read_latency_ms", "samples", "p50_ms"]
    columns += ["mean_ms", "max_ms"]
    print(_table(columns, [[row[c] for c in columns] for row in result["rows"]]))
    print(f"events that named the caller: {result['named']}")
    for latency, ratio in result["p50_ratio_by_read_latency_ms"].items():
        print(f"read {latency} ms: name_from_read / name_in_url, p50 {ratio}x")


if __name__ == "__main__":
    sys.exit(main())
