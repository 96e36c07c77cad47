"""Command line: `python -m gxp_simulator --model GXP1165 --port 8080 --password admin`."""

import argparse
import asyncio
from collections.abc import Callable, Sequence
import contextlib
import logging
import signal
import ssl
import sys
from typing import Any

from .action_url import event_name
from .harness import SimulatedPhone
from .phone import SimPhone
from .profiles import PROFILES
from .settings import SETUPS, TIMINGS


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m gxp_simulator",
        description="A simulated Grandstream desk phone answering the CTI HTTP API.",
    )
    parser.add_argument(
        "--model", default="GXP1165", type=str.upper, choices=list(PROFILES)
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=8080, help="0 = any free port")
    parser.add_argument(
        "--password", default="admin", help="admin password / CTI passcode"
    )
    parser.add_argument("--mac", help="MAC address, e.g. 00:0B:82:12:34:56")
    parser.add_argument(
        "--setup",
        choices=SETUPS,
        default="factory",
        help="factory defaults, or set up as the project README asks",
    )
    parser.add_argument(
        "--timing",
        choices=TIMINGS,
        default="realistic",
        help="realistic delays (one request at a time, key pace, hand-over) or none",
    )
    parser.add_argument(
        "--auto-attended-transfer",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="P1376 (default: the model's factory default)",
    )
    parser.add_argument(
        "--click-to-dial",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="P1561, needed by api-make_call (default: from --setup)",
    )
    parser.add_argument(
        "--line-keys-select-calls",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="GXP1165 swap world: LINEn accepted and selects calls",
    )
    parser.add_argument(
        "--hold-key-navigation",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="swap world: UP/DOWN move between calls, HOLD/OK resume",
    )
    parser.add_argument(
        "--holdcall-toggles",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="phone_operation holdcall resumes a held call",
    )
    parser.add_argument(
        "--key-delay", type=float, default=None, help="seconds per key (--timing)"
    )
    parser.add_argument("--reboot-time", type=float, default=2.0, help="seconds down")
    parser.add_argument(
        "--action-url",
        action="append",
        default=[],
        metavar="EVENT=URL",
        help="Action URL template per event (name or P-value), repeatable",
    )
    parser.add_argument(
        "--control-port",
        type=int,
        help="serve /_sim/ also on this port (survives reboots)",
    )
    parser.add_argument(
        "--tls-cert", metavar="PEM", help="answer HTTPS with this certificate"
    )
    parser.add_argument("--tls-key", metavar="PEM", help="the certificate's key")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def build_phone(args: argparse.Namespace) -> SimPhone:
    """Build the phone the arguments describe."""
    action_urls: dict[str, str] = {}
    for item in args.action_url:
        event, sep, url = item.partition("=")
        if not sep or not url:
            raise ValueError(f"--action-url needs EVENT=URL, got {item!r}")
        action_urls[event_name(event)] = url
    changes: dict[str, Any] = {
        "hold_key_navigation": args.hold_key_navigation,
        "holdcall_toggles": args.holdcall_toggles,
        "reboot_time": args.reboot_time,
        "action_urls": action_urls,
    }
    if args.click_to_dial is not None:
        changes["click_to_dial"] = args.click_to_dial
    if args.key_delay is not None:
        changes["key_delay"] = args.key_delay
    if args.auto_attended_transfer is not None:
        changes["auto_attended_transfer"] = args.auto_attended_transfer
    if args.line_keys_select_calls is not None:
        changes["line_keys_select_calls"] = args.line_keys_select_calls
    return SimPhone(
        args.model,
        password=args.password,
        mac=args.mac,
        setup=args.setup,
        timing=args.timing,
        **changes,
    )


def tls_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    """Return the HTTPS context --tls-cert/--tls-key ask for, or None for HTTP."""
    if args.tls_cert is None and args.tls_key is None:
        return None
    if args.tls_cert is None or args.tls_key is None:
        raise ValueError("--tls-cert and --tls-key go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    return context


async def serve(
    args: argparse.Namespace,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[SimulatedPhone], None] | None = None,
) -> None:
    """Run until `stop` is set, SIGTERM arrives, or the task is cancelled (Ctrl-C)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    sim = SimulatedPhone(
        build_phone(args),
        host=args.host,
        port=args.port,
        control_port=args.control_port,
        ssl_context=tls_context(args),
    )
    await sim.open()
    try:
        phone = sim.phone
        sys.stdout.write(
            f"{phone.profile.server_header} simulator listening on {sim.base_url} "
            f"(MAC {phone.mac})\n"
        )
        sys.stdout.flush()
        if on_ready is not None:
            on_ready(sim)
        await stop.wait()
    finally:
        await sim.close()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except ValueError as err:
        parser.error(str(err))
    return 0
