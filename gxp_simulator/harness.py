"""Run a simulated phone on a TCP port, in process (tests, benchmarks) or from the CLI."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
import ssl
from typing import Any

from aiohttp import web

from .control import create_control_app
from .phone import SimPhone
from .profiles import ModelProfile
from .server import create_app
from .settings import PhoneSettings

# Requests still running when the phone goes down get this long to finish.
_SHUTDOWN_TIMEOUT = 0.25


class SimulatedPhone:
    """A `SimPhone` behind its web server; the server is the phone's `host`."""

    def __init__(
        self,
        phone: SimPhone,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int | None = None,
        ssl_context: ssl.SSLContext | None = None,
        redirect_port: int | bool = False,
        redirect_status: int = 302,
    ) -> None:
        """Serve `phone` on host:port (0 = any free port, kept across reboots).

        With `ssl_context` the phone answers HTTPS only (like a GRP26xx), with the
        context's certificate; a separate control port stays plain HTTP. With
        `redirect_port` (True = any free port) a plain-HTTP listener answers every
        request with `redirect_status` to the HTTPS address: Web Access Mode HTTPS
        (P1650 0, the GRP261x default [DOC S10]); the redirect itself is [INF].
        """
        self.phone = phone
        self.host = host
        self._port = port
        self._control_port = control_port
        self._ssl_context = ssl_context
        self._redirect_port: int | None = (
            None
            if redirect_port is False
            else (0 if redirect_port is True else int(redirect_port))
        )
        self._redirect_status = redirect_status
        self._redirect_runner: web.AppRunner | None = None
        self._runner: web.AppRunner | None = None
        self._control_runner: web.AppRunner | None = None
        self._cleanups: set[asyncio.Task[None]] = set()
        phone.host = self

    @classmethod
    @asynccontextmanager
    async def start(
        cls,
        model: str | ModelProfile = "GXP1165",
        *,
        password: str = "admin",  # noqa: S107
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int | None = None,
        mac: str | None = None,
        settings: PhoneSettings | None = None,
        ssl_context: ssl.SSLContext | None = None,
        redirect_port: int | bool = False,
        redirect_status: int = 302,
        setup: str = "factory",
        timing: str = "realistic",
        **setting_changes: Any,
    ) -> AsyncIterator[SimulatedPhone]:
        """Start a phone, yield it, shut everything down (timers, tasks, sockets).

        `setup`: "factory" (real factory defaults) or "readme" (set up as the README
        asks); `timing`: "realistic" or "instant"; any setting as a keyword after that.
        """
        phone = SimPhone(
            model,
            password=password,
            settings=settings,
            mac=mac,
            setup=setup,
            timing=timing,
            **setting_changes,
        )
        sim = cls(
            phone,
            host=host,
            port=port,
            control_port=control_port,
            ssl_context=ssl_context,
            redirect_port=redirect_port,
            redirect_status=redirect_status,
        )
        await sim.open()
        try:
            yield sim
        finally:
            await sim.close()

    # -------------------------------------------------------------- info

    @property
    def port(self) -> int:
        """The TCP port (known once listening)."""
        return self._port

    @property
    def https(self) -> bool:
        """Whether the phone answers HTTPS (and only HTTPS)."""
        return self._ssl_context is not None

    @property
    def base_url(self) -> str:
        """http://host:port, or https:// for a phone serving TLS."""
        scheme = "https" if self.https else "http"
        return f"{scheme}://{self.host}:{self._port}"

    @property
    def redirect_port(self) -> int | None:
        """Port of the plain-HTTP redirector, if any."""
        return self._redirect_port

    @property
    def redirect_url(self) -> str:
        """http://host:port of the redirector (what a user types without https)."""
        return f"http://{self.host}:{self._redirect_port}"

    @property
    def control_port(self) -> int | None:
        """Port of the separate control server, if any."""
        return self._control_port

    def url(self, endpoint: str) -> str:
        """Return the full URL of a CTI endpoint such as "api-get_line_status"."""
        return f"{self.base_url}/cgi-bin/{endpoint}"

    @property
    def listening(self) -> bool:
        """Whether the phone accepts connections."""
        return self._runner is not None

    # --------------------------------------------------------- lifecycle

    async def open(self) -> None:
        """Listen, start the optional control server, announce the boot."""
        await self.start_listening()
        if self._redirect_port is not None:
            self._redirect_runner, self._redirect_port = await _serve(
                self._redirector(), self.host, self._redirect_port
            )
        if self._control_port is not None:
            self._control_runner, self._control_port = await _serve(
                create_control_app(self.phone), self.host, self._control_port
            )
        self.phone.boot_events()

    async def close(self) -> None:
        """Stop the phone's timers and tasks, then the servers."""
        await self.phone.close()
        await self.stop_listening()
        if self._redirect_runner is not None:
            await self._redirect_runner.cleanup()
            self._redirect_runner = None
        if self._control_runner is not None:
            await self._control_runner.cleanup()
            self._control_runner = None

    async def start_listening(self) -> None:
        """Bind host:port and serve a fresh application (a "boot")."""
        if self._runner is not None:
            return
        self._runner, self._port = await _serve(
            create_app(self.phone), self.host, self._port, self._ssl_context
        )

    async def stop_listening(self) -> None:
        """Close the socket and every connection: clients now get "connection refused"."""
        runner, self._runner = self._runner, None
        if runner is not None:
            task = asyncio.get_running_loop().create_task(runner.cleanup())
            self._cleanups.add(task)
            task.add_done_callback(self._cleanups.discard)
        if self._cleanups:
            # Shielded: a cancelled reboot must not leave a half-closed server.
            await asyncio.shield(asyncio.gather(*self._cleanups))

    def _redirector(self) -> web.Application:
        """Plain HTTP answering every request with a redirect to the HTTPS server."""
        app = web.Application()

        async def redirect(request: web.Request) -> web.Response:
            location = f"https://{self.host}:{self._port}{request.rel_url}"
            return web.Response(
                status=self._redirect_status,
                headers={
                    "Location": location,
                    # Same web server as the HTTPS side [INF].
                    "Server": self.phone.profile.server_header,
                },
                text="<html><body>Moved</body></html>",
                content_type="text/html",
            )

        app.router.add_route("*", "/{tail:.*}", redirect)
        return app


async def _serve(
    app: web.Application,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log=None,
        shutdown_timeout=_SHUTDOWN_TIMEOUT,
        handler_cancellation=True,  # a client giving up ends its held request
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    return runner, runner.addresses[0][1]
