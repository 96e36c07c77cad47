"""A real Home Assistant process for the benchmarks, driven over its HTTP and WebSocket APIs.

`HomeAssistantProcess` writes a minimal configuration into a temporary directory, copies the
integration into it from a git revision (HEAD by default, so half-edited files in the working
tree are not measured), starts `hass -c <dir> --skip-pip` on 127.0.0.1, creates the owner
through onboarding, and keeps one WebSocket open that timestamps every `state_changed` event
as it arrives. Everything is torn down on exit, also on Ctrl-C.
"""

import asyncio
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
import json
import operator
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any, Self

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
HASS = ROOT / ".venv" / "bin" / "hass"
DOMAIN = "grandstream_gxp"
USER = "bench"
USER_PASSWORD = "bench-password"  # noqa: S105 - a throw-away local account
START_TIMEOUT = 180.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=120)

# `rest` imports these at module level; the venv (locked for the tests) lacks them and
# nothing may be downloaded. The benchmark's rest sensor reads JSON through a template and
# never reaches the code that uses them, so empty stand-ins let the real `rest` code load.
_STUBS = {
    "jsonpath.py": (
        '"""Benchmark stand-in: json_attributes_path is not used."""\n\n'
        "class ExprSyntaxError(Exception):\n    pass\n\n\n"
        "class JSONPathTypeError(Exception):\n    pass\n\n\n"
        "def search(*args, **kwargs):\n"
        "    raise NotImplementedError('not used by the benchmark')\n"
    ),
    "xmltodict.py": (
        '"""Benchmark stand-in: the phone answers JSON, never XML."""\n\n'
        "def parse(*args, **kwargs):\n"
        "    raise NotImplementedError('not used by the benchmark')\n"
    ),
}


def free_port() -> int:
    """Return a TCP port that was free a moment ago on 127.0.0.1."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def git_commit(ref: str) -> str:
    """Return the commit a ref names (short form)."""
    out = subprocess.run(  # noqa: S603
        ["git", "rev-parse", "--short", ref],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def _export_integration(ref: str | None, target: Path) -> None:
    """Put custom_components/grandstream_gxp from `ref` (None: the working tree) in target."""
    target.mkdir(parents=True)
    if ref is None:
        shutil.copytree(
            ROOT / "custom_components" / DOMAIN,
            target / DOMAIN,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        return
    archive = subprocess.run(  # noqa: S603
        ["git", "archive", ref, f"custom_components/{DOMAIN}"],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    subprocess.run(  # noqa: S603
        ["tar", "-x", "--strip-components=1", "-C", str(target)],  # noqa: S607
        input=archive.stdout,
        check=True,
    )


@dataclass(slots=True)
class StateSeen:
    """One state as the WebSocket delivered it."""

    entity_id: str
    state: str
    at: float  # time.monotonic() on arrival


class StateLog:
    """Every state change seen, with a pulse to wait on."""

    def __init__(self) -> None:
        """Start empty."""
        self.seen: list[StateSeen] = []
        self.current: dict[str, str] = {}
        self._pulse = asyncio.Event()

    def add(self, entity_id: str, state: str) -> None:
        """Record a state that just arrived."""
        self.seen.append(StateSeen(entity_id, state, time.monotonic()))
        self.current[entity_id] = state
        self._pulse.set()
        self._pulse = asyncio.Event()

    async def wait(
        self,
        entity_id: str,
        accept: Callable[[str], bool],
        since: float,
        within: float,
    ) -> float | None:
        """Return when `entity_id` first took an accepted state at or after `since`."""
        deadline = time.monotonic() + within
        index = 0
        while True:
            for item in self.seen[index:]:
                if (
                    item.entity_id == entity_id
                    and item.at >= since
                    and accept(item.state)
                ):
                    return item.at
            index = len(self.seen)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            pulse = self._pulse
            with suppress(TimeoutError):
                await asyncio.wait_for(pulse.wait(), remaining)

    async def wait_all(
        self, wanted: dict[str, str], since: float, within: float
    ) -> float | None:
        """Return when every entity has shown its wanted state (the latest arrival)."""
        times = await asyncio.gather(
            *(
                self.wait(entity, partial(operator.eq, value), since, within)
                for entity, value in wanted.items()
            )
        )
        if any(t is None for t in times):
            return None
        return max(t for t in times if t is not None)


class HomeAssistantProcess:
    """One `hass` process in a temporary configuration directory."""

    def __init__(
        self,
        *,
        name: str,
        ref: str | None,
        extra_yaml: str = "",
        log_path: Path | None = None,
    ) -> None:
        """Prepare (nothing runs before `async with`)."""
        self.name = name
        self.ref = ref
        self.extra_yaml = extra_yaml
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.config_dir = Path(tempfile.mkdtemp(prefix=f"gxp-bench-{name}-"))
        self.log_path = log_path or self.config_dir / "hass.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.session: aiohttp.ClientSession | None = None
        self.token = ""
        self.states = StateLog()
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ws_task: asyncio.Task[None] | None = None
        self._ws_id = 0
        self._ws_results: dict[int, asyncio.Future[Any]] = {}

    # ------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> Self:
        """Start Home Assistant and log in; tear down if anything fails."""
        try:
            await self._start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop Home Assistant and remove its directory."""
        await self.close()

    def _write_config(self) -> Path:
        cfg = self.config_dir
        _export_integration(self.ref, cfg / "custom_components")
        deps = cfg / "bench_deps"
        deps.mkdir()
        # `frontend` must load (otherwise Home Assistant starts in recovery mode), but its
        # package is not installed: serve an empty development tree instead.
        for sub in ("static", "frontend_latest", "frontend_es5"):
            (cfg / "frontend_repo" / "hass_frontend" / sub).mkdir(parents=True)
        for module, text in _STUBS.items():
            name = module.removesuffix(".py")
            if _importable(name):
                continue
            (deps / module).write_text(text)
        (cfg / "configuration.yaml").write_text(
            "homeassistant:\n"
            "  name: bench\n"
            "  latitude: 52.37\n  longitude: 4.89\n  elevation: 0\n"
            "  unit_system: metric\n  time_zone: UTC\n  country: NL\n"
            "  currency: EUR\n  language: en\n"
            f"  internal_url: {self.base}\n"
            "http:\n"
            "  server_host: 127.0.0.1\n"
            f"  server_port: {self.port}\n"
            f"frontend:\n  development_repo: {cfg / 'frontend_repo'}\n"
            "api:\nconfig:\nonboarding:\nwebhook:\nwebsocket_api:\n"
            "logger:\n  default: warning\n"
            f"{self.extra_yaml}"
        )
        return deps

    async def _start(self) -> None:
        deps = self._write_config()
        env = dict(os.environ)
        env["PYTHONPATH"] = str(deps)
        env.pop("PYTHONSTARTUP", None)
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603, ASYNC220
                [
                    str(HASS),
                    "-c",
                    str(self.config_dir),
                    "--skip-pip",
                    "--log-file",
                    str(self.config_dir / "home-assistant.log"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.session = aiohttp.ClientSession(timeout=REQUEST_TIMEOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"hass exited ({self.proc.returncode}); see {self.log_path}"
                )
            try:
                async with self.session.get(f"{self.base}/api/onboarding") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("hass did not answer in time")
            await asyncio.sleep(0.25)
        await self._onboard()
        await self._open_ws()

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None:
            raise RuntimeError("Home Assistant is not running")
        return self.session

    def _socket(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None:
            raise RuntimeError("the WebSocket is not open")
        return self._ws

    async def _onboard(self) -> None:
        session = self._session()
        client_id = f"{self.base}/"
        async with session.post(
            f"{self.base}/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": "Bench",
                "username": USER,
                "password": USER_PASSWORD,
                "language": "en",
            },
        ) as resp:
            resp.raise_for_status()
            code = (await resp.json())["auth_code"]
        async with session.post(
            f"{self.base}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
            },
        ) as resp:
            resp.raise_for_status()
            self.token = (await resp.json())["access_token"]

    async def _open_ws(self) -> None:
        ws = await self._session().ws_connect(
            f"{self.base}/api/websocket", max_msg_size=0, heartbeat=None
        )
        self._ws = ws
        first = await ws.receive_json()
        if first.get("type") != "auth_required":
            raise RuntimeError(f"unexpected WebSocket greeting {first}")
        await ws.send_json({"type": "auth", "access_token": self.token})
        answer = await ws.receive_json()
        if answer.get("type") != "auth_ok":
            raise RuntimeError(f"WebSocket auth failed: {answer}")
        self._ws_task = asyncio.get_running_loop().create_task(self._read_ws())
        # Home Assistant 2026.10 moves YAML `http:` into storage as a "pending" config and
        # restarts with the stable one unless it is confirmed within 5 minutes.
        try:
            await self.ws_command({"type": "http/config/promote"})
        except RuntimeError as err:
            if "unknown_command" not in str(err):
                raise
        await self.ws_command(
            {"type": "subscribe_events", "event_type": "state_changed"}
        )
        for state in await self.ws_command({"type": "get_states"}):
            self.states.current.setdefault(state["entity_id"], state["state"])

    async def _read_ws(self) -> None:
        async for msg in self._socket():
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            for item in data if isinstance(data, list) else [data]:
                self._ws_message(item)

    def _ws_message(self, item: dict[str, Any]) -> None:
        if item.get("type") == "event":
            event = item["event"]["data"]
            new = event.get("new_state")
            if new is not None:
                self.states.add(event["entity_id"], new["state"])
            return
        future = self._ws_results.pop(item.get("id", -1), None)
        if future is not None and not future.done():
            if item.get("success", True):
                future.set_result(item.get("result"))
            else:
                future.set_exception(RuntimeError(str(item.get("error"))))

    async def ws_command(self, message: dict[str, Any]) -> Any:
        """Send one WebSocket command and return its result (60 s at most)."""
        self._ws_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._ws_results[self._ws_id] = future
        await self._socket().send_json({"id": self._ws_id, **message})
        return await asyncio.wait_for(future, 60)

    async def close(self) -> None:
        """Stop everything this object started; safe to call twice."""
        if self._ws_task is not None:
            self._ws_task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._ws_task
            self._ws_task = None
        if self._ws is not None:
            with suppress(Exception):
                await self._ws.close()
            self._ws = None
        if self.session is not None:
            await self.session.close()
            self.session = None
        if self.proc is not None:
            await asyncio.to_thread(_stop_process, self.proc)
            self.proc = None
        if os.environ.get("GXP_BENCH_KEEP") is None:
            shutil.rmtree(self.config_dir, ignore_errors=True)

    # ------------------------------------------------------------ REST API

    async def rest(self, method: str, path: str, payload: Any = None) -> Any:
        """Call the REST API with the owner's token; return the JSON answer."""
        async with self._session().request(
            method,
            f"{self.base}{path}",
            json=payload,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as resp:
            text = await resp.text()
            if resp.status >= 400:
                raise RuntimeError(f"{method} {path}: {resp.status} {text}")
            return json.loads(text) if text else None

    async def add_phone(self, port: int, password: str) -> dict[str, Any]:
        """Add a phone through the config flow; return the created entry."""
        flow = await self.rest(
            "POST", "/api/config/config_entries/flow", {"handler": DOMAIN}
        )
        result = await self.rest(
            "POST",
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            {
                "host": f"127.0.0.1:{port}",
                "password": password,
                "advanced": {"ssl": False, "verify_ssl": False},
            },
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"config flow did not create an entry: {result}")
        entry: dict[str, Any] = result["result"]
        return entry

    async def set_options(self, entry_id: str, options: dict[str, Any]) -> None:
        """Run the options flow of an entry with these values."""
        flow = await self.rest(
            "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        await self.rest(
            "POST",
            f"/api/config/config_entries/options/flow/{flow['flow_id']}",
            options,
        )

    async def call(
        self, domain: str, service: str, data: dict[str, Any], *, response: bool = False
    ) -> Any:
        """Call an action over REST (waits until the action is done)."""
        query = "?return_response" if response else ""
        return await self.rest("POST", f"/api/services/{domain}/{service}{query}", data)

    async def entities_of(self, entry_id: str) -> list[dict[str, Any]]:
        """Registry entries of one config entry."""
        entries = await self.ws_command({"type": "config/entity_registry/list"})
        return [e for e in entries if e.get("config_entry_id") == entry_id]

    async def device_of(self, entry_id: str) -> str:
        """Return the device id of one config entry."""
        devices = await self.ws_command({"type": "config/device_registry/list"})
        for device in devices:
            if entry_id in device.get("config_entries", []):
                device_id: str = device["id"]
                return device_id
        raise RuntimeError(f"no device for entry {entry_id}")

    def stored_entry_data(self, entry_id: str) -> dict[str, Any] | None:
        """Return an entry's data as stored (Home Assistant writes it a moment later)."""
        path = self.config_dir / ".storage" / "core.config_entries"
        try:
            stored = json.loads(path.read_text())
        except OSError, ValueError:
            return None
        for entry in stored.get("data", {}).get("entries", []):
            if entry.get("entry_id") == entry_id:
                data: dict[str, Any] = entry.get("data", {})
                return data
        return None


def _importable(module: str) -> bool:
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        check=False,
    )
    return out.returncode == 0


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL after a grace period."""
    if proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
