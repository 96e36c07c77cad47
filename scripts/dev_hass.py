"""A real Home Assistant process, driven over its HTTP and WebSocket APIs.

Used by the benchmarks, `scripts/develop` and the end-to-end tests. `HomeAssistantProcess`
writes a minimal configuration (into a temporary directory, or a persistent one it reuses),
puts the integration in it (a copy from a git revision, the working tree, or a symlink to
the repository's package), starts `hass -c <dir> --skip-pip`, onboards the owner (or logs
in when that was done before), and keeps one WebSocket open that timestamps every
`state_changed` event as it arrives. Everything it started is stopped on exit, also on
Ctrl-C.
"""

import asyncio
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
import json
import operator
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any, Self

import aiohttp

from gxp_simulator.action_url import event_name

# One line of the Markdown list of Action URLs: `- Name (P8310): `url``.
_URL_ITEM = re.compile(r"^- .*\((P\d+)\): `([^`]+)`$", re.MULTILINE)

ROOT = Path(__file__).resolve().parent.parent
HASS = ROOT / ".venv" / "bin" / "hass"
DOMAIN = "grandstream_gxp"
USER = "bench"
USER_PASSWORD = "bench-password"  # noqa: S105 - a throw-away local account
START_TIMEOUT = 180.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=120)

# Modules the venv lacks and nothing here runs, replaced by empty stand-ins so the real
# integrations that import them load. `rest` (the benchmark's baseline sensor) imports
# jsonpath and xmltodict at module level; its JSON `value_template` never calls them.
# assist_pipeline imports two audio filters that have no wheel for this Python (and need a
# compiler); the frontend's service list imports assist_satellite, which imports
# assist_pipeline, but no voice pipeline ever runs here.
_NOT_USED = "    raise NotImplementedError('not used here')\n"
_STUBS = {
    "jsonpath.py": (
        '"""Stand-in: json_attributes_path is not used."""\n\n'
        "class ExprSyntaxError(Exception):\n    pass\n\n\n"
        "class JSONPathTypeError(Exception):\n    pass\n\n\n"
        f"def search(*args, **kwargs):\n{_NOT_USED}"
    ),
    "xmltodict.py": (
        '"""Stand-in: the phone answers JSON, never XML."""\n\n'
        f"def parse(*args, **kwargs):\n{_NOT_USED}"
    ),
    "pymicro_vad.py": (
        '"""Stand-in: no voice pipeline runs here."""\n\n'
        f"class MicroVad:\n    def __init__(self, *args, **kwargs):\n    {_NOT_USED}"
    ),
    "pyspeex_noise.py": (
        '"""Stand-in: no voice pipeline runs here."""\n\n'
        f"class AudioProcessor:\n    def __init__(self, *args, **kwargs):\n    {_NOT_USED}"
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
    state: str | None  # None: the entity was removed
    at: float  # time.monotonic() on arrival


class StateLog:
    """Every state change seen, with a pulse to wait on."""

    def __init__(self) -> None:
        """Start empty."""
        self.seen: list[StateSeen] = []
        self.current: dict[str, str] = {}
        self._pulse = asyncio.Event()

    def add(self, entity_id: str, state: str | None) -> None:
        """Record a state that just arrived (None: the entity was removed)."""
        self.seen.append(StateSeen(entity_id, state, time.monotonic()))
        if state is None:
            self.current.pop(entity_id, None)
        else:
            self.current[entity_id] = state
        self._pulse.set()
        self._pulse = asyncio.Event()

    async def until(
        self, condition: Callable[[dict[str, str]], bool], within: float
    ) -> bool:
        """Wait until `condition(current states)` holds; False after `within` seconds."""
        deadline = time.monotonic() + within
        while not condition(self.current):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            pulse = self._pulse
            with suppress(TimeoutError):
                await asyncio.wait_for(pulse.wait(), remaining)
        return True

    async def wait(
        self,
        entity_id: str,
        accept: Callable[[str | None], bool],
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
    """One `hass` process, in a temporary configuration directory or a persistent one."""

    def __init__(
        self,
        *,
        name: str,
        ref: str | None = None,
        extra_yaml: str = "",
        log_path: Path | None = None,
        config_dir: Path | None = None,
        port: int | None = None,
        http_yaml: bool = True,
        link: bool = False,
        frontend: bool = False,
        full_onboarding: bool = False,
        user: str = USER,
        user_password: str = USER_PASSWORD,
    ) -> None:
        """Prepare (nothing runs before `async with`).

        `ref`: the git revision whose integration is copied (None: the working tree);
        `link`: symlink the repository's package instead (edits show after a restart).
        `config_dir`: a persistent directory, kept and reused (its configuration.yaml is
        written only when missing); otherwise a temporary one, removed on exit.
        `http_yaml`: write an `http:` section (127.0.0.1, `port`); without it Home
        Assistant uses its defaults (port 8123, every interface).
        `frontend`: the real frontend (package `home-assistant-frontend`) instead of an
        empty development tree. `full_onboarding`: finish every onboarding step, so the
        frontend opens the dashboard instead of the onboarding pages.
        """
        self.name = name
        self.ref = ref
        self.extra_yaml = extra_yaml
        self.port = port if port is not None else free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.persistent = config_dir is not None
        self.config_dir = (
            config_dir
            if config_dir is not None
            else Path(tempfile.mkdtemp(prefix=f"gxp-{name}-"))
        )
        self.log_path = log_path or self.config_dir / "hass.log"
        self.http_yaml = http_yaml
        self.link = link
        self.frontend = frontend
        self.full_onboarding = full_onboarding
        self.user = user
        self.user_password = user_password
        self.client_id = f"{self.base}/"
        self.proc: subprocess.Popen[bytes] | None = None
        self.session: aiohttp.ClientSession | None = None
        self.token = ""
        self.tokens: dict[str, Any] = {}
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
        """Stop Home Assistant (and remove a temporary directory)."""
        await self.close()

    def _put_integration(self) -> None:
        target = self.config_dir / "custom_components"
        if not self.link:
            if target.exists():
                shutil.rmtree(target)
            _export_integration(self.ref, target)
            return
        target.mkdir(parents=True, exist_ok=True)
        package = target / DOMAIN
        source = ROOT / "custom_components" / DOMAIN
        if package.is_symlink() and package.resolve() == source.resolve():
            return
        if package.is_symlink() or package.is_file():
            package.unlink()
        elif package.exists():
            shutil.rmtree(package)
        package.symlink_to(source, target_is_directory=True)

    def _configuration_yaml(self) -> str:
        cfg = self.config_dir
        http = (
            f"http:\n  server_host: 127.0.0.1\n  server_port: {self.port}\n"
            if self.http_yaml
            else ""
        )
        frontend = (
            "frontend:\n"
            if self.frontend
            else f"frontend:\n  development_repo: {cfg / 'frontend_repo'}\n"
        )
        return (
            "homeassistant:\n"
            f"  name: {self.name}\n"
            "  latitude: 52.37\n  longitude: 4.89\n  elevation: 0\n"
            "  unit_system: metric\n  time_zone: UTC\n  country: NL\n"
            "  currency: EUR\n  language: en\n"
            f"  internal_url: {self.base}\n"
            f"{http}{frontend}"
            "api:\nconfig:\nonboarding:\nwebhook:\nwebsocket_api:\n"
            "logger:\n  default: warning\n"
            f"{self.extra_yaml}"
        )

    def _write_config(self) -> Path:
        cfg = self.config_dir
        cfg.mkdir(parents=True, exist_ok=True)
        self._put_integration()
        deps = cfg / "deps_stubs"
        deps.mkdir(exist_ok=True)
        if not self.frontend:
            # `frontend` must load (otherwise Home Assistant starts in recovery mode);
            # without the real one, serve an empty development tree.
            for sub in ("static", "frontend_latest", "frontend_es5"):
                (cfg / "frontend_repo" / "hass_frontend" / sub).mkdir(
                    parents=True, exist_ok=True
                )
        for module, text in _STUBS.items():
            name = module.removesuffix(".py")
            if (deps / module).exists() or _importable(name):
                continue
            (deps / module).write_text(text)
        yaml = cfg / "configuration.yaml"
        if not (self.persistent and yaml.exists()):
            yaml.write_text(self._configuration_yaml())
        return deps

    async def _start(self) -> None:
        deps = self._write_config()
        env = dict(os.environ)
        env["PYTHONPATH"] = str(deps)
        # Not measured by a test run's coverage, nor started with someone's startup file.
        for name in (
            "PYTHONSTARTUP",
            "COVERAGE_PROCESS_START",
            "COVERAGE_PROCESS_CONFIG",
        ):
            env.pop(name, None)
        with self.log_path.open("ab" if self.persistent else "wb") as log:
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
        done = self._onboarding_done()
        # The onboarding views exist only until every step is done; the auth
        # providers answer in both cases.
        probe = "/auth/providers" if "user" in done else "/api/onboarding"
        await self._wait_http(probe)
        await self._authenticate(done)
        await self._open_ws()
        await self._wait_running()

    def _onboarding_done(self) -> set[str]:
        try:
            stored = json.loads(
                (self.config_dir / ".storage" / "onboarding").read_text()
            )
        except OSError, ValueError:
            return set()
        return set(stored.get("data", {}).get("done", []))

    async def _wait_http(self, path: str) -> None:
        session = self._session()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc is None or self.proc.poll() is not None:
                code = None if self.proc is None else self.proc.returncode
                raise RuntimeError(f"hass exited ({code}); see {self.log_path}")
            try:
                async with session.get(f"{self.base}{path}") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"hass did not answer in time; see {self.log_path}")
            await asyncio.sleep(0.25)

    async def _wait_running(self) -> None:
        """Wait until Home Assistant has started (every integration set up)."""
        deadline = time.monotonic() + START_TIMEOUT
        while (await self.ws_command({"type": "get_config"}))["state"] != "RUNNING":
            if time.monotonic() > deadline:
                raise RuntimeError("hass did not finish starting in time")
            await asyncio.sleep(0.25)

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None:
            raise RuntimeError("Home Assistant is not running")
        return self.session

    def _socket(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None:
            raise RuntimeError("the WebSocket is not open")
        return self._ws

    async def _post(self, path: str, **kwargs: Any) -> Any:
        async with self._session().post(f"{self.base}{path}", **kwargs) as resp:
            text = await resp.text()
            if resp.status >= 400:
                raise RuntimeError(f"POST {path}: {resp.status} {text}")
            return json.loads(text) if text else None

    async def _authenticate(self, done: set[str]) -> None:
        if "user" in done:
            code = await self._login_code()
        else:
            answer = await self._post(
                "/api/onboarding/users",
                json={
                    "client_id": self.client_id,
                    "name": self.user.capitalize(),
                    "username": self.user,
                    "password": self.user_password,
                    "language": "en",
                },
            )
            code = answer["auth_code"]
        self.tokens = await self._post(
            "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        )
        self.token = self.tokens["access_token"]
        if not self.full_onboarding:
            return
        auth = {"Authorization": f"Bearer {self.token}"}
        for step in ("core_config", "analytics"):
            if step not in done:
                await self._post(f"/api/onboarding/{step}", headers=auth)
        if "integration" not in done:
            await self._post(
                "/api/onboarding/integration",
                headers=auth,
                json={
                    "client_id": self.client_id,
                    "redirect_uri": f"{self.base}/?auth_callback=1",
                },
            )

    async def _login_code(self) -> str:
        """Log the owner in through the login flow (onboarding was done before)."""
        flow = await self._post(
            "/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        )
        result = await self._post(
            f"/auth/login_flow/{flow['flow_id']}",
            json={
                "client_id": self.client_id,
                "username": self.user,
                "password": self.user_password,
            },
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(
                f"could not log in as {self.user!r} (delete {self.config_dir} "
                "to start over)"
            )
        code: str = result["result"]
        return code

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
        if self.http_yaml:
            try:
                await self.ws_command({"type": "http/config/promote"})
            except RuntimeError as err:
                # unknown before 2026.10; nothing pending when storage already had it
                if "unknown_command" not in str(err) and "No pending" not in str(err):
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
            self.states.add(event["entity_id"], None if new is None else new["state"])
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
        if not self.persistent and os.environ.get("GXP_BENCH_KEEP") is None:
            shutil.rmtree(self.config_dir, ignore_errors=True)

    # ------------------------------------------------------------ REST API

    async def rest(self, method: str, path: str, payload: Any = None) -> Any:
        """Call the REST API with the owner's token; return the JSON answer.

        An access token lasts 30 minutes: a 401 gets a new one from the refresh token
        and one more try (soaks run longer).
        """
        status, text = await self._rest_once(method, path, payload)
        if status == HTTPStatus.UNAUTHORIZED:
            await self._refresh_token()
            status, text = await self._rest_once(method, path, payload)
        if status >= 400:
            raise RuntimeError(f"{method} {path}: {status} {text}")
        return json.loads(text) if text else None

    async def _rest_once(self, method: str, path: str, payload: Any) -> tuple[int, str]:
        async with self._session().request(
            method,
            f"{self.base}{path}",
            json=payload,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as resp:
            return resp.status, await resp.text()

    async def _refresh_token(self) -> None:
        answer = await self._post(
            "/auth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": self.tokens["refresh_token"],
                "client_id": self.client_id,
            },
        )
        self.token = answer["access_token"]

    async def add_phone(
        self, port: int, password: str, host: str = "127.0.0.1"
    ) -> dict[str, Any]:
        """Add a phone through the config flow; return the created entry."""
        flow = await self.rest(
            "POST", "/api/config/config_entries/flow", {"handler": DOMAIN}
        )
        result = await self.rest(
            "POST",
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            {
                "host": f"{host}:{port}",
                "password": password,
                "advanced": {"ssl": False, "verify_ssl": False},
            },
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"config flow did not create an entry: {result}")
        entry: dict[str, Any] = result["result"]
        return entry

    async def entries(self, domain: str = DOMAIN) -> list[dict[str, Any]]:
        """Return the config entries of a domain."""
        result: list[dict[str, Any]] = await self.rest(
            "GET", f"/api/config/config_entries/entry?domain={domain}"
        )
        return result

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

    async def line_entity(self, entry_id: str, line: int) -> str:
        """Return the entity id of one line sensor of an entry."""
        for entity in await self.entities_of(entry_id):
            if entity["entity_id"].startswith("sensor.") and str(
                entity.get("unique_id", "")
            ).endswith(f"_line_{line}"):
                entity_id: str = entity["entity_id"]
                return entity_id
        raise RuntimeError(f"no line {line} sensor for entry {entry_id}")

    async def action_urls(self, entry_id: str) -> dict[str, str]:
        """Return the entry's Action URLs by simulator event name.

        Read where the owner sees them, the options dialog (the diagnostics redact the
        webhook id); the dialog is closed again without saving.
        """
        flow = await self.rest(
            "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        with suppress(RuntimeError):
            await self.rest(
                "DELETE", f"/api/config/config_entries/options/flow/{flow['flow_id']}"
            )
        urls = str((flow.get("description_placeholders") or {}).get("urls") or "")
        templates: dict[str, str] = {}
        for pvalue, url in _URL_ITEM.findall(urls):
            with suppress(ValueError):
                templates[event_name(pvalue)] = url
        return templates

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
