"""The frontend in headless Chromium: the device page and the dashboard show the phone.

One `hass` process with the real frontend for the module, both simulated phones, a call
ringing on the GXP2170 (pushed through its Action URLs), and the dashboard of
`docs/dashboard.yaml`. Chromium logs in with the owner's tokens, and each test waits
until the page shows the expected names and states, then saves a screenshot.
"""

import json
import os
from pathlib import Path
import struct

import pytest

from gxp_simulator import SimulatedPhone
from scripts.dev_browser import CHROMIUM, Browser
from scripts.dev_hass import HomeAssistantProcess
from scripts.dev_run import DASHBOARD_URL, install_dashboard

from .conftest import LoopThread

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PASSWORD = "e2e-phone"  # noqa: S105 - the simulated phones' password
WAIT = 60.0  # the first page load parses the frontend's scripts


class Site:
    """Home Assistant, its phones and a logged-in browser."""

    def __init__(self, loop: LoopThread, shots: Path) -> None:
        """Start everything on the module's loop."""
        self.loop = loop
        self.shots = shots
        self.sims = {
            model: loop.enter(
                SimulatedPhone.start(model, password=PASSWORD, setup="readme")
            )
            for model in ("GXP1165", "GXP2170")
        }
        self.ha = loop.enter(
            HomeAssistantProcess(
                name="e2e browser", link=True, frontend=True, full_onboarding=True
            )
        )
        self.entries = {
            model: loop.run(self.ha.add_phone(sim.port, PASSWORD))["entry_id"]
            for model, sim in self.sims.items()
        }
        templates = loop.run(self.ha.action_urls(self.entries["GXP2170"]))
        loop.run(self._ring(templates))
        loop.run(install_dashboard(self.ha))
        self.browser = loop.enter(Browser())
        loop.run(self.browser.log_in(self.ha.base, self.ha.tokens))

    async def _ring(self, templates: dict[str, str]) -> None:
        phone = self.sims["GXP2170"].phone
        phone.settings.update(action_urls=templates)
        phone.incoming_call("1001", "Alice")
        line_1 = await self.ha.line_entity(self.entries["GXP2170"], 1)
        if not await self.ha.states.until(lambda s: s.get(line_1) == "ringing", 15):
            raise AssertionError(f"{line_1} is not ringing in Home Assistant")

    def show(self, path: str, *wanted: str, name: str) -> str:
        """Open a page, wait until it shows `wanted`, save a screenshot; return its text."""
        browser = self.browser
        self.loop.run(browser.goto(f"{self.ha.base}{path}"))
        try:
            text = self.loop.run(browser.wait_for_text(*wanted, within=WAIT))
        finally:
            self.loop.run(browser.screenshot(self.shots / name))
        return text


@pytest.fixture(scope="module")
def site(e2e_loop: LoopThread, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """Start the module's Home Assistant and browser (Chromium is required under CI)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: run scripts/install-browser"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return Site(e2e_loop, tmp_path_factory.mktemp("screenshots"))


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_device_page_shows_lines_and_buttons(site: Site) -> None:
    """The device page lists the phone's lines with their states and its buttons."""
    device = site.loop.run(site.ha.device_of(site.entries["GXP2170"]))
    text = site.show(
        f"/config/devices/device/{device}",
        "GXP2170 1001",
        "Line 1 Ringing",
        "Line 2 Idle",
        "Phone status Ringing",
        "Answer",
        "Hang up",
        name="device.png",
    )
    assert "MAC" in text
    assert site.sims["GXP2170"].phone.mac in text.upper()
    assert _png_size(site.shots / "device.png") == (1280, 900)


def test_dashboard_shows_both_phones(site: Site) -> None:
    """The example dashboard renders both phones, the caller, and no missing entity."""
    text = site.show(
        f"/{DASHBOARD_URL}/phones",
        "Reception (GXP2170)",
        "Office (GXP1165)",
        "Alice (1001)",
        "Complete transfer",
        name="dashboard.png",
    )
    assert "not available" not in text.lower()
    assert "Phone Available" in text  # the GXP1165 is idle
    assert _png_size(site.shots / "dashboard.png") == (1280, 900)


# Click the "Press" button of an entity row (a button entity) in the dashboard.
_PRESS = """((entity) => {
  const rows = [];
  const walk = (node) => {
    if (node.localName === "hui-button-entity-row" && node._config?.entity === entity) {
      rows.push(node);
    }
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.children ?? []) walk(child);
  };
  walk(document);
  const button = rows[0]?.shadowRoot?.querySelector("ha-button, mwc-button");
  if (!button) return false;
  button.click();
  return true;
})(%s)"""


def test_answer_button_on_the_dashboard_answers_the_call(site: Site) -> None:
    """Pressing Answer in the browser connects the ringing call on the phone."""
    entity = "button.gxp2170_1001_answer"
    site.show(f"/{DASHBOARD_URL}/phones", "Alice (1001)", name="before-answer.png")
    assert site.loop.run(site.browser.evaluate(_PRESS % json.dumps(entity)))
    phone = site.sims["GXP2170"].phone
    site.loop.run(phone.wait_for(lambda p: p.line(1).state == "connected", timeout=15))
    text = site.show(
        f"/{DASHBOARD_URL}/phones",
        "connected — Alice (1001)",
        "Phone Busy",
        name="after-answer.png",
    )
    assert "ringing —" not in text  # the Calls card shows the call as connected now
