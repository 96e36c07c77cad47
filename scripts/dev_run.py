"""`scripts/develop`: Home Assistant with two simulated phones, in the foreground.

Starts a GXP1165 (port 8701) and a GXP2170 (port 8702) simulator, then `hass` with the
persistent `config/` folder at the repository root (the integration symlinked from the
repository, the real frontend), onboards the development user (or logs in as it), adds
the phones that are not configured yet through the config flow over the HTTP API, points
the GXP2170's Action URLs at its entry's webhook, and installs the dashboard of
`docs/dashboard.yaml`. Runs until Ctrl-C, then stops everything. `--screenshots` instead
rings the GXP2170, saves screenshots to `docs/screenshots/` and exits.
"""

import argparse
import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
import signal
import socket
import sys

from homeassistant.util.yaml import load_yaml_dict

from gxp_simulator import SimulatedPhone
from gxp_simulator.farend import FarEnd

from .dev_browser import Browser
from .dev_hass import ROOT, HomeAssistantProcess
from .dev_phone import PHONES, DevPhone, write_state

CONFIG_DIR = ROOT / "config"
PORT = 8123
USER = "dev"
USER_PASSWORD = "dev-password"  # noqa: S105 - a local development account
PHONE_PASSWORD = "admin"  # noqa: S105 - the simulated phones' password
DASHBOARD = ROOT / "docs" / "dashboard.yaml"
DASHBOARD_URL = "dashboard-phones"
SCREENSHOTS = ROOT / "docs" / "screenshots"


async def start_phone(stack: AsyncExitStack, phone: DevPhone) -> SimulatedPhone:
    """Start one simulated phone on its fixed port (fixed, so entries find it again)."""
    sim = await stack.enter_async_context(
        SimulatedPhone.start(
            phone.model,
            password=PHONE_PASSWORD,
            port=phone.port,
            mac=phone.mac,
            auto_attended_transfer=True,
            click_to_dial=True,
            setup="readme",
        )
    )
    # Outgoing calls ring until `scripts/phone answer`, so the demo can show `calling`.
    sim.phone.far_ends.default = FarEnd(answer_after=None)
    return sim


async def configured_ports(ha: HomeAssistantProcess) -> dict[int, str]:
    """Map the port of every configured phone on 127.0.0.1 to its entry id."""
    ports: dict[int, str] = {}
    for entry in await ha.entries():
        data = ha.stored_entry_data(entry["entry_id"]) or {}
        if data.get("host") == "127.0.0.1" and isinstance(data.get("port"), int):
            ports[data["port"]] = entry["entry_id"]
    return ports


async def add_phones(
    ha: HomeAssistantProcess, sims: dict[str, SimulatedPhone]
) -> dict[str, str]:
    """Add the phones not configured yet; return the entry id per phone name."""
    existing = await configured_ports(ha)
    entries: dict[str, str] = {}
    for name, sim in sims.items():
        if sim.port in existing:
            entries[name] = existing[sim.port]
            print(f"  {name}: already configured")
            continue
        entry = await ha.add_phone(sim.port, PHONE_PASSWORD)
        entries[name] = entry["entry_id"]
        print(f"  {name}: added ({entry['title']})")
    return entries


async def point_action_urls(
    ha: HomeAssistantProcess, sim: SimulatedPhone, entry_id: str
) -> None:
    """Put the entry's Action URLs into the simulator, if the model has them."""
    if not sim.phone.profile.action_url:
        return
    templates = await ha.action_urls(entry_id)
    sim.phone.settings.update(action_urls=templates)


async def install_dashboard(ha: HomeAssistantProcess) -> None:
    """Create the Phones dashboard once; save docs/dashboard.yaml into it every run."""
    config = await asyncio.to_thread(load_yaml_dict, str(DASHBOARD))
    dashboards = await ha.ws_command({"type": "lovelace/dashboards/list"})
    if not any(d.get("url_path") == DASHBOARD_URL for d in dashboards):
        await ha.ws_command(
            {
                "type": "lovelace/dashboards/create",
                "url_path": DASHBOARD_URL,
                "title": "Phones",
                "icon": "mdi:phone-classic",
                "mode": "storage",
                "show_in_sidebar": True,
                "require_admin": False,
            }
        )
    await ha.ws_command(
        {"type": "lovelace/config/save", "url_path": DASHBOARD_URL, "config": config}
    )


async def take_screenshots(
    ha: HomeAssistantProcess, sims: dict[str, SimulatedPhone], entries: dict[str, str]
) -> list[Path]:
    """Ring the GXP2170 and photograph its device page and the dashboard."""
    sim = sims["gxp2170"]
    entry_id = entries["gxp2170"]
    line_1 = await ha.line_entity(entry_id, 1)
    sim.phone.incoming_call("1001", "Alice")
    if not await ha.states.until(lambda s: s.get(line_1) == "ringing", 15):
        raise RuntimeError(f"{line_1} did not ring in Home Assistant")
    device_id = await ha.device_of(entry_id)
    pages = (
        ("device.png", f"/config/devices/device/{device_id}", ("Line 1", "Ringing")),
        ("dashboard.png", f"/{DASHBOARD_URL}/phones", ("Reception", "Alice")),
        (
            "integration.png",
            "/config/integrations/integration/grandstream_gxp",
            ("GXP1165 1001", "GXP2170 1001"),
        ),
    )
    saved = []
    async with Browser() as browser:
        await browser.log_in(ha.base, ha.tokens)
        for name, path, wanted in pages:
            await browser.goto(f"{ha.base}{path}")
            await browser.wait_for_text(*wanted, within=30)
            # Icons and fonts arrive after the text; give them a moment to paint.
            await asyncio.sleep(1.5)
            target = SCREENSHOTS / name
            size = await browser.screenshot(target)
            print(f"  {target.relative_to(ROOT)} ({size // 1024} KB)")
            saved.append(target)
    sim.phone.far_end_hangup(1)
    return saved


async def wait_for_stop(ha: HomeAssistantProcess) -> None:
    """Return on Ctrl-C or SIGTERM, or when hass exits by itself."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    proc = ha.proc
    if proc is None:
        return
    exited = asyncio.ensure_future(asyncio.to_thread(proc.wait))
    stopped = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({exited, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if exited in done:
        print(f"hass exited ({proc.returncode}); see {ha.log_path}", file=sys.stderr)
    stopped.cancel()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)


@dataclass(slots=True)
class DevInstance:
    """The running development instance."""

    ha: HomeAssistantProcess
    sims: dict[str, SimulatedPhone]
    entries: dict[str, str]  # phone name -> config entry id


def busy_ports(ports: Sequence[int]) -> list[int]:
    """Return the ports of `ports` that something already listens on (127.0.0.1)."""
    busy = []
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                busy.append(port)
    return busy


async def start(
    stack: AsyncExitStack,
    *,
    config_dir: Path = CONFIG_DIR,
    port: int = PORT,
    phones: Sequence[DevPhone] = PHONES,
    frontend: bool = True,
) -> DevInstance:
    """Start the phones and Home Assistant, add and wire up the phones (idempotent)."""
    sims = {phone.name: await start_phone(stack, phone) for phone in phones}
    write_state(phones, config_dir / "gxp_simulators.json")
    for phone in phones:
        print(f"{phone.model} simulator on 127.0.0.1:{phone.port}")
    print(f"starting Home Assistant in {config_dir} ...")
    ha = await stack.enter_async_context(
        HomeAssistantProcess(
            name="Grandstream dev",
            config_dir=config_dir,
            port=port,
            http_yaml=port != PORT,
            link=True,
            frontend=frontend,
            full_onboarding=True,
            user=USER,
            user_password=USER_PASSWORD,
        )
    )
    entries = await add_phones(ha, sims)
    for name, entry_id in entries.items():
        await point_action_urls(ha, sims[name], entry_id)
    await install_dashboard(ha)
    return DevInstance(ha, sims, entries)


async def develop(screenshots: bool) -> int:
    """Run the development instance (see the module docstring)."""
    busy = busy_ports([PORT, *(phone.port for phone in PHONES)])
    if busy:
        print(
            f"develop: port {', '.join(map(str, busy))} already in use "
            "(another scripts/develop or Home Assistant?)",
            file=sys.stderr,
        )
        return 1
    async with AsyncExitStack() as stack:
        dev = await start(stack)
        if screenshots:
            await take_screenshots(dev.ha, dev.sims, dev.entries)
            return 0
        print(
            "\nopen http://localhost:8123\n"
            f"  user {USER}, password {USER_PASSWORD}\n"
            f"  dashboard: http://localhost:8123/{DASHBOARD_URL}\n"
            "  make a call: scripts/phone ring 1001 --name Alice   "
            "(then: scripts/phone hangup)\n"
            f"  logs: {dev.ha.log_path}, {CONFIG_DIR / 'home-assistant.log'}\n"
            "Ctrl-C stops everything."
        )
        sys.stdout.flush()
        await wait_for_stop(dev.ha)
        print("stopping ...")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description=(
            "Home Assistant on http://localhost:8123 with a simulated GXP1165 "
            "(127.0.0.1:8701) and GXP2170 (127.0.0.1:8702), configuration in config/ "
            "(delete it to start over). User dev, password dev-password."
        ),
    )
    parser.add_argument(
        "--screenshots",
        action="store_true",
        help="ring the GXP2170, save docs/screenshots/*.png and exit",
    )
    args = parser.parse_args(argv)
    with suppress(KeyboardInterrupt):
        return asyncio.run(develop(args.screenshots))
    return 130


if __name__ == "__main__":
    sys.exit(main())
