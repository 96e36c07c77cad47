"""Headless Chromium driven over the DevTools protocol, for the browser check and screenshots.

A small client: it starts Debian's `chromium` with a throw-away profile, opens one page,
logs in to Home Assistant by putting the owner's tokens into the page's localStorage
(`hassTokens`, where the frontend keeps them) before any script runs, and then navigates,
reads the rendered text (through every shadow root: the frontend is web components all
the way down) and saves screenshots.
"""

import asyncio
import base64
from contextlib import suppress
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Any, Self

import aiohttp

CHROMIUM = Path("/usr/bin/chromium")
START_TIMEOUT = 30.0

# The rendered text of the page, shadow roots included, whitespace collapsed.
_DEEP_TEXT = """(() => {
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent); return; }
    if (node.nodeName === "STYLE" || node.nodeName === "SCRIPT") return;
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) walk(child);
  };
  walk(document);
  return out.join(" ").replace(/\\s+/g, " ");
})()"""


class BrowserError(RuntimeError):
    """Chromium did not start, or a DevTools command failed."""


class Browser:
    """One headless Chromium with one page."""

    def __init__(
        self, *, executable: Path = CHROMIUM, width: int = 1280, height: int = 900
    ) -> None:
        """Prepare (nothing runs before `async with`)."""
        self.executable = executable
        self.width = width
        self.height = height
        self._profile = Path(tempfile.mkdtemp(prefix="gxp-chromium-"))
        self._proc: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._page_session = ""
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        # The page's console messages, exceptions and browser log entries, for failures.
        self.console: list[str] = []

    async def __aenter__(self) -> Self:
        """Start Chromium and open a blank page; clean up if anything fails."""
        try:
            await self._start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop Chromium and remove its profile."""
        await self.close()

    async def _start(self) -> None:
        if not self.executable.exists():
            raise BrowserError(
                f"{self.executable} is missing (scripts/install-browser installs it)"
            )
        self._proc = subprocess.Popen(  # noqa: S603, ASYNC220
            [
                str(self.executable),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--window-size={self.width},{self.height}",
                f"--user-data-dir={self._profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        port, path = await self._devtools_address()
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(
            f"ws://127.0.0.1:{port}{path}", max_msg_size=0
        )
        self._reader = asyncio.get_running_loop().create_task(self._read())
        target = await self.command(
            "Target.createTarget", {"url": "about:blank"}, page=False
        )
        attached = await self.command(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            page=False,
        )
        self._page_session = attached["sessionId"]
        await self.command("Page.enable")
        await self.command("Runtime.enable")
        await self.command("Log.enable")
        await self.command(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": self.width,
                "height": self.height,
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )

    async def _devtools_address(self) -> tuple[int, str]:
        """Chromium writes its DevTools port and path into the profile once listening."""
        marker = self._profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise BrowserError(f"chromium exited ({self._proc.returncode})")
            with suppress(OSError, ValueError):
                port, path = marker.read_text().split()[:2]
                return int(port), path
            if time.monotonic() > deadline:
                raise BrowserError("chromium did not open its DevTools port in time")
            await asyncio.sleep(0.1)

    async def _read(self) -> None:
        if self._ws is None:
            return
        async for msg in self._ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "id" not in data:
                self._event(data)
                continue
            future = self._pending.pop(data["id"], None)
            if future is None or future.done():
                continue
            if "error" in data:
                future.set_exception(BrowserError(str(data["error"])))
            else:
                future.set_result(data.get("result", {}))

    def _event(self, data: dict[str, Any]) -> None:
        params = data.get("params", {})
        match data.get("method"):
            case "Runtime.consoleAPICalled":
                args = params.get("args", [])
                text = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in args
                )
                self.console.append(f"{params.get('type')}: {text}")
            case "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                exception = details.get("exception", {})
                self.console.append(
                    f"exception: {details.get('text')} "
                    f"{exception.get('preview') or exception.get('description')}"
                )
            case "Log.entryAdded":
                entry = params.get("entry", {})
                self.console.append(f"{entry.get('level')}: {entry.get('text')}")

    async def command(
        self, method: str, params: dict[str, Any] | None = None, *, page: bool = True
    ) -> Any:
        """Send one DevTools command (to the page, or to the browser) and await its result."""
        if self._ws is None:
            raise BrowserError("the browser is not running")
        self._next_id += 1
        message: dict[str, Any] = {
            "id": self._next_id,
            "method": method,
            "params": params or {},
        }
        if page:
            message["sessionId"] = self._page_session
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        await self._ws.send_json(message)
        return await asyncio.wait_for(future, 60)

    async def log_in(self, base_url: str, tokens: dict[str, Any]) -> None:
        """Give every page of `base_url` the owner's tokens before its scripts run."""
        stored = {
            "hassUrl": base_url,
            "clientId": f"{base_url}/",
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "token_type": "Bearer",
            "expires_in": tokens.get("expires_in", 1800),
        }
        source = (
            f"if (location.origin === {json.dumps(base_url)}) {{"
            f" const t = {json.dumps(stored)};"
            " t.expires = Date.now() + t.expires_in * 1000;"
            " localStorage.setItem('hassTokens', JSON.stringify(t)); }"
        )
        await self.command("Page.addScriptToEvaluateOnNewDocument", {"source": source})

    async def goto(self, url: str) -> None:
        """Navigate the page (the frontend renders later: wait for text after this)."""
        result = await self.command("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"{url}: {result['errorText']}")

    async def evaluate(self, expression: str) -> Any:
        """Evaluate JavaScript in the page and return its value."""
        result = await self.command(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(str(result["exceptionDetails"]))
        return result.get("result", {}).get("value")

    async def text(self) -> str:
        """Return the page's rendered text, shadow roots included."""
        return str(await self.evaluate(_DEEP_TEXT) or "")

    async def wait_for_text(self, *wanted: str, within: float = 30.0) -> str:
        """Wait until the page shows every string in `wanted`; return the page text.

        The frontend renders over several frames after the WebSocket delivers the states,
        and the DevTools protocol has no event for "this text appeared", so this reads
        the page a few times a second until a deadline.
        """
        deadline = time.monotonic() + within
        text = ""
        while True:
            text = await self.text()
            if all(item in text for item in wanted):
                return text
            if time.monotonic() > deadline:
                missing = [item for item in wanted if item not in text]
                raise BrowserError(
                    f"not shown within {within:g} s: {missing}; "
                    f"page: {text[:500]!r}; console: {self.console[-5:]}"
                )
            await asyncio.sleep(0.25)

    async def screenshot(self, path: Path) -> int:
        """Save the viewport as a PNG; return its size in bytes."""
        result = await self.command("Page.captureScreenshot", {"format": "png"})
        data = base64.b64decode(result["data"])
        await asyncio.to_thread(_write, path, data)
        return len(data)

    async def close(self) -> None:
        """Stop everything this object started; safe to call twice."""
        if self._ws is not None:
            with suppress(Exception):
                await self.command("Browser.close", page=False)
            with suppress(Exception):
                await self._ws.close()
            self._ws = None
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._proc is not None:
            await asyncio.to_thread(_stop, self._proc)
            self._proc = None
        shutil.rmtree(self._profile, ignore_errors=True)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop Chromium's process group (renderers and helpers too)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        return
