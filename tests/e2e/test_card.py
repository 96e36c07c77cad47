"""The phone card in headless Chromium, against a real `hass` and a simulated GXP2170.

A fresh install (no resources added by hand): the integration serves and loads the card,
a dashboard shows it for the phone, and presses in the card ring through to the simulated
phone: answer, an attended transfer, cancel, and a call dialled on the card's pad. The
screenshots (ringing, in a call, during a transfer) are the README's.
"""

import asyncio
from collections.abc import Callable
import json
import os
from pathlib import Path
import shutil
import time

import pytest

from gxp_simulator import SimulatedPhone
from gxp_simulator.farend import FarEnd
from gxp_simulator.phone import SimPhone
from scripts.dev_browser import CHROMIUM, Browser
from scripts.dev_hass import ROOT, HomeAssistantProcess

from .conftest import LoopThread

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PASSWORD = "e2e-phone"  # noqa: S105 - the simulated phone's password
WAIT = 60.0  # the first page load parses the frontend's scripts
DASHBOARD_URL = "dashboard-card"
README_SHOTS = ROOT / "docs" / "screenshots"
# Set GXP_SAVE_SCREENSHOTS=1 to refresh the README's pictures from this test.
SAVE_TO_README = os.environ.get("GXP_SAVE_SCREENSHOTS") == "1"

# The card's shadow root, found through every shadow root of the page.
_CARD = """(() => {
  const walk = (node) => {
    if (node.localName === "grandstream-phone-card") return node;
    for (const child of [node.shadowRoot, ...(node.children ?? [])]) {
      const found = child && walk(child);
      if (found) return found;
    }
    return null;
  };
  return walk(document);
})()"""


def _in_card(body: str) -> str:
    """JavaScript that runs `body` with `root` = the card's shadow root."""
    return (
        f"(() => {{ const card = {_CARD}; if (!card) return null;\n"
        f" const root = card.shadowRoot; {body} }})()"
    )


class Site:
    """Home Assistant with one phone, a dashboard with the card, a logged-in browser."""

    def __init__(self, loop: LoopThread, shots: Path) -> None:
        """Start everything on the module's loop."""
        self.loop = loop
        self.shots = shots
        self.sim = loop.enter(
            # Set up as the README says, but Click-To-Dial at its factory setting
            # (off): the card's dial pad then goes through the keys fallback.
            SimulatedPhone.start(
                "GXP2170", password=PASSWORD, setup="readme", click_to_dial=False
            )
        )
        self.phone: SimPhone = self.sim.phone
        # The consultation call rings until the test lets it answer.
        self.phone.far_ends.numbers["1002"] = FarEnd(answer_after=0.5)
        self.phone.far_ends.default = FarEnd(answer_after=None)
        self.ha = loop.enter(
            HomeAssistantProcess(
                name="e2e card", link=True, frontend=True, full_onboarding=True
            )
        )
        self.entry_id = loop.run(self.ha.add_phone(self.sim.port, PASSWORD))["entry_id"]
        templates = loop.run(self.ha.action_urls(self.entry_id))
        self.phone.settings.update(action_urls=templates)
        self.device_id = loop.run(self.ha.device_of(self.entry_id))
        self.line_1 = loop.run(self.ha.line_entity(self.entry_id, 1))
        loop.run(self._install_dashboard())
        self.browser = loop.enter(Browser(width=900, height=1000))
        loop.run(self.browser.log_in(self.ha.base, self.ha.tokens))

    async def _install_dashboard(self) -> None:
        status = self.line_1.replace("_line_1", "_phone_status")
        await self.ha.ws_command(
            {
                "type": "lovelace/dashboards/create",
                "url_path": DASHBOARD_URL,
                "title": "Card",
                "mode": "storage",
                "show_in_sidebar": True,
                "require_admin": False,
            }
        )
        config = {
            "views": [
                {
                    "title": "Phone",
                    "path": "phone",
                    "type": "panel",
                    "cards": [
                        {
                            "type": "vertical-stack",
                            "cards": [
                                {
                                    "type": "custom:grandstream-phone-card",
                                    "device_id": self.device_id,
                                },
                                {
                                    "type": "tile",
                                    "entity": status,
                                    "features": [
                                        {"type": "custom:grandstream-call-controls"}
                                    ],
                                },
                            ],
                        }
                    ],
                }
            ]
        }
        await self.ha.ws_command(
            {
                "type": "lovelace/config/save",
                "url_path": DASHBOARD_URL,
                "config": config,
            }
        )

    def open(self) -> None:
        """Open the dashboard and wait for the card."""
        self.loop.run(self.browser.goto(f"{self.ha.base}/{DASHBOARD_URL}/phone"))
        self.card_text("Recent calls")

    def card_text(self, *wanted: str) -> str:
        """Wait until the page shows `wanted`; return the page text."""
        return self.loop.run(self.browser.wait_for_text(*wanted, within=WAIT))

    def run_js(self, body: str) -> object:
        """Run `body` in the card (`root` is its shadow root)."""
        return self.loop.run(self.browser.evaluate(_in_card(body)))

    def press(self, selector: str) -> None:
        """Click a button in the card once it is there and enabled.

        A button is disabled while the card's previous action runs, and appears only
        when Home Assistant has sent the state that allows it.
        """
        script = _in_card(
            f"const b = root.querySelector({json.dumps(selector)});"
            " if (!b || b.disabled) return false; b.click(); return true;"
        )

        async def click() -> bool:
            deadline = time.monotonic() + WAIT
            while not await self.browser.evaluate(script):
                if time.monotonic() > deadline:
                    return False
                await asyncio.sleep(0.2)
            return True

        assert self.loop.run(click()), f"no enabled {selector} in the card"

    def on_phone(self, action: Callable[[SimPhone], object]) -> None:
        """Act on the simulated phone from its own event loop."""

        async def run() -> None:
            action(self.phone)

        self.loop.run(run())

    def wait_phone(self, check: Callable[[SimPhone], bool]) -> None:
        """Wait until the simulated phone is in the wanted state."""
        self.loop.run(self.phone.wait_for(check, timeout=15))

    def screenshot(self, name: str) -> Path:
        """Save the viewport; also into docs/screenshots when asked to."""
        path = self.shots / name
        self.loop.run(self.browser.screenshot(path))
        if SAVE_TO_README:
            shutil.copyfile(path, README_SHOTS / name)
        return path


@pytest.fixture(scope="module")
def site(e2e_loop: LoopThread, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """Start the module's Home Assistant and browser (Chromium is required under CI)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: run scripts/install-browser"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return Site(e2e_loop, tmp_path_factory.mktemp("card"))


def test_card_loads_on_a_fresh_install(site: Site) -> None:
    """The integration loaded the card: defined, in the card picker, rendering the phone."""
    site.open()
    text = site.card_text("No calls", "Available")
    assert "Custom element doesn't exist" not in text
    listed = site.loop.run(
        site.browser.evaluate(
            "(window.customCards || []).some((c) => c.type === 'grandstream-phone-card')"
            " && (window.customCardFeatures || []).some("
            "(f) => f.type === 'grandstream-call-controls')"
        )
    )
    assert listed
    src = site.loop.run(
        site.browser.evaluate(
            "[...document.querySelectorAll('script[src], link[href]')]"
            ".map((e) => e.src || e.href).filter((u) => u.includes('phone-card'))"
            ".join(' ') || performance.getEntriesByType('resource')"
            ".map((e) => e.name).filter((u) => u.includes('phone-card')).join(' ')"
        )
    )
    assert "grandstream-phone-card.js?v=" in str(src)


def test_ringing_call_shows_the_caller(site: Site) -> None:
    """A call arriving on the phone shows in the card with caller, state and timer."""
    site.on_phone(lambda p: p.incoming_call("1001", "Alice"))
    site.card_text("Alice (1001)", "Line 1 · Ringing", "Answer")
    timer = site.run_js("return root.querySelector('.timer').textContent;")
    assert str(timer).startswith("0:")
    site.screenshot("card-ringing.png")


def test_answer_in_the_card_connects_the_call(site: Site) -> None:
    """Answer in the card answers the ringing line on the phone."""
    site.press("button[data-act=answer]")
    site.wait_phone(lambda p: p.line(1).state == "connected")
    site.card_text("Line 1 · Connected", "Hold", "Transfer")
    site.screenshot("card-in-call.png")


def test_attended_transfer_from_the_card(site: Site) -> None:
    """Transfer (number + attended) starts a consultation call with the caller held."""
    site.press("button[data-act=transfer]")
    site.run_js(
        "const f = root.querySelector('form.transfer');"
        " f.elements.number.value = '1002'; f.elements.mode.value = 'attended';"
        " f.querySelector('button[type=submit]').click(); return true;"
    )
    site.wait_phone(
        lambda p: (
            p.line(1).state == "onhold"
            and p.line(2).state == "connected"
            and p.line(2).remote_number == "1002"
        )
    )
    site.card_text("Line 1 · On hold", "Line 2 · Connected", "Complete transfer")
    site.screenshot("card-transfer.png")
    site.press("button[data-act=cancel_transfer]")
    site.wait_phone(
        lambda p: p.line(1).state == "connected" and p.line(2).state == "idle"
    )
    site.card_text("Line 1 · Connected")
    site.press("button[data-act=hang_up]")
    site.wait_phone(lambda p: p.line(1).state == "idle")
    site.card_text("No calls")


def test_dial_pad_places_a_call(site: Site) -> None:
    """Digits typed on the card's pad and Call make the phone call that number."""
    for key in "1003":
        site.press(f"button[data-key='{key}']")
    assert site.run_js("return root.querySelector('form.dial input').value;") == "1003"
    site.press("form.dial button[type=submit]")
    site.wait_phone(
        lambda p: (
            p.line(1).state in {"dialing", "calling"}
            and p.line(1).remote_number == "1003"
        )
    )
    site.card_text("1003", "Line 1 · Calling")
    site.press("button[data-act=hang_up]")
    site.wait_phone(lambda p: p.line(1).state == "idle")


def test_recent_calls_call_back(site: Site) -> None:
    """The recent calls list Alice; Call back dials her from the same phone."""
    site.card_text("Recent calls", "Alice (1001)", "Call back")
    site.press("button[data-act=call_back][data-number='1001']")
    site.wait_phone(lambda p: p.line(1).remote_number == "1001")
    site.press("button[data-act=hang_up]")
    site.wait_phone(lambda p: p.line(1).state == "idle")


def test_an_action_error_shows_in_the_card(site: Site) -> None:
    """A refused action's translated message appears in the card."""
    site.card_text("No calls")
    site.run_js("card._call('complete_transfer', {}); return true;")
    text = site.card_text("There is no transfer to complete or cancel")
    assert "The phone shows" in text
    site.press(".error button[data-act=dismiss]")
    site.loop.run(site.browser.wait_for_text("No calls", within=WAIT))
    assert site.run_js("return root.querySelector('.error').hidden;") is True
