"""Driving the portal's pages in Debian's headless Chromium (Selenium with Debian's
chromedriver), by clicks and typing only, and checking each page with axe-core.

- `Browser.page(name)` is the check every page gets: a screenshot under
  target/browser/screenshots/<backend>/<name>.png, axe-core injected into the page with no serious or
  critical violation allowed, and the console free of script errors and CSP violations.
- Every axe result is also written to target/browser/axe.json for people to read.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import SessionNotCreatedException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from leaks import SECRETS, Kind

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
OUT = REPO / "target" / "browser"
SHOTS = OUT / "screenshots"
WAIT_S = 20
BLOCKING = {"serious", "critical"}

AXE_RESULTS: dict[str, dict] = {}


def literal(text: str) -> str:
    """`text` as an XPath string literal."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{p}'" for p in text.split("'")) + ")"


def write_axe_summary() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "axe.json").write_text(json.dumps(AXE_RESULTS, indent=2, sort_keys=True))


class Browser:
    def __init__(self, site, width: int = 1280, height: int = 1000):
        """A headless Chromium on `site` (a `Portal`: its address, and the two-step keys of
        the accounts it made, for `two_step`)."""
        self.site = site
        self.base = site.base
        self.backend = site.backend
        self.driver = self._launch(width, height)
        self.driver.set_script_timeout(30)
        if width < 500:
            # Headless windows are at least 500 px wide; a phone's width is emulated instead.
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
        self.axe_source = AXE.read_text()

    def _launch(self, width: int, height: int, attempts: int = 3):
        """Chromium with a new empty profile. On this 2-core machine under the suite's load,
        a launch has been seen to die before the session starts ("Chrome instance exited");
        that is the browser's start, not the portal, so it is tried again with a new profile,
        and chromedriver's log is kept in target/browser/ to look at."""
        OUT.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, attempts + 1):
            self.profile = tempfile.mkdtemp(prefix="portal-chromium-")
            opts = webdriver.ChromeOptions()
            opts.binary_location = CHROMIUM
            for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--lang=en-US", f"--window-size={width},{height}",
                         f"--user-data-dir={self.profile}"):
                opts.add_argument(flag)
            opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
            log = OUT / f"chromedriver-{os.getpid()}-{time.time_ns()}.log"
            try:
                driver = webdriver.Chrome(service=Service(CHROMEDRIVER, log_output=str(log)), options=opts)
                log.unlink(missing_ok=True)  # kept only when a launch fails
                return driver
            except SessionNotCreatedException:
                shutil.rmtree(self.profile, ignore_errors=True)
                if attempt == attempts:
                    raise

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # ---- waiting

    def wait(self, condition, what: str, timeout: float = WAIT_S):
        def attempt(_):
            try:
                return condition()
            except (StaleElementReferenceException, WebDriverException):
                return False

        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(attempt, f"timed out waiting for {what}")

    def heading(self) -> str:
        return self.driver.find_element(By.CSS_SELECTOR, "main h1").text

    def on(self, heading: str, timeout: float = WAIT_S) -> None:
        """Waits until the page's heading is `heading`."""
        self.wait(lambda: self.heading() == heading, f"the page {heading!r} (now {self._safe_heading()!r})", timeout)

    def _safe_heading(self) -> str:
        try:
            return self.heading()
        except WebDriverException:
            return "?"

    # ---- acting as a person would: open the portal's address, click, type

    def open(self, url_or_path: str) -> None:
        self.driver.get(url_or_path if url_or_path.startswith("http") else self.base + url_or_path)

    def field(self, label: str):
        lab = self.wait(lambda: self.driver.find_element(By.XPATH, f"//main//label[normalize-space()={literal(label)}]"),
                        f"a field labelled {label!r}")
        return self.driver.find_element(By.ID, lab.get_attribute("for"))

    def type(self, label: str, text: str) -> None:
        el = self.field(label)
        el.clear()
        el.send_keys(text)

    def type_date(self, label: str, iso: str) -> None:
        y, m, d = iso.split("-")
        self.field(label).send_keys(m + d + y)  # Chromium's en-US date field: mm dd yyyy

    def choose(self, label: str, option: str) -> None:
        Select(self.field(label)).select_by_visible_text(option)

    def tick(self, label: str) -> None:
        el = self.field(label)
        if not el.is_selected():
            el.click()

    def untick(self, label: str) -> None:
        el = self.field(label)
        if el.is_selected():
            el.click()

    def click(self, text: str) -> None:
        """Clicks the button or link with this text: an open dialog's, else the page's, else
        the menu's."""
        t = literal(text)
        scopes = [f"//dialog[@open]//button[normalize-space()={t}]",
                  f"//main//button[normalize-space()={t}] | //main//a[normalize-space()={t}]",
                  f"//header//button[normalize-space()={t}] | //header//a[normalize-space()={t}]"]

        def find():
            for xpath in scopes:
                shown = [e for e in self.driver.find_elements(By.XPATH, xpath) if e.is_displayed()]
                if shown:
                    return shown[0]
            return None

        self.wait(find, f"a button or link {text!r}").click()

    def two_step(self, username: str, shot: str | None = None) -> None:
        """After a staff member's or admin's password: the code from the app, or first setting
        the app up, its key read from the page's text as a person would type it. `shot` names
        the page's screenshot and axe check."""
        pages = ("Enter your code", "Set up two-step sign-in")
        heading = self.wait(lambda: self._safe_heading() if self._safe_heading() in pages else None, "the two-step sign-in page")
        if heading == "Set up two-step sign-in":
            key = self.wait(lambda: "".join(e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "main .totp-key")) or None,
                            "the key as text").replace(" ", "")
            self.site.totp_keys[username.lower()] = SECRETS.add(Kind.TOTP_KEY, key)
        if shot:
            self.page(shot)
        self.type("6-digit code", self.site.next_code(username))
        self.click("Turn on and sign in" if heading == "Set up two-step sign-in" else "Sign in")

    def menu(self) -> list[str]:
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "#menu a, #menu button")]

    def main_text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "main").text

    def wait_text(self, text: str, timeout: float = WAIT_S) -> None:
        self.wait(lambda: text in self.main_text(), f"the text {text!r} on the page", timeout)

    def alert(self) -> str:
        """The text of the page's visible error message (role=alert)."""
        return self.wait(lambda: next((e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "main [role=alert]")
                                      if e.is_displayed() and e.text), None), "an error message")

    def field_error(self, label: str) -> str:
        """The error tied to a field by aria-describedby, once it shows."""
        el = self.field(label)

        def text():
            ids = (el.get_attribute("aria-describedby") or "").split()
            found = [self.driver.find_element(By.ID, i).text for i in ids if i.endswith("-error")]
            return next((t for t in found if t), None)

        return self.wait(text, f"an error on {label!r}")

    def press(self, *keys) -> None:
        webdriver.ActionChains(self.driver).send_keys(*keys).perform()

    def tab_to(self, is_it, what: str, most: int = 15) -> None:
        """Presses Tab until the focused element is the one wanted."""
        for _ in range(most):
            self.press(Keys.TAB)
            if is_it(self.focused()):
                return
        raise AssertionError(f"{most} presses of Tab never reached {what}")

    def focused(self):
        return self.driver.switch_to.active_element

    # ---- checks of every page

    def page(self, name: str) -> list[dict]:
        """Screenshot, axe-core, console: the checks every page gets. Returns the axe
        violations (none serious or critical, else this fails)."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.screenshot(name)
        violations = self.axe()
        AXE_RESULTS[f"{self.backend}/{name}"] = {
            "url_path": self.driver.execute_script("return location.pathname"),
            "violations": [{"id": v["id"], "impact": v["impact"], "nodes": v["nodes"]} for v in violations],
        }
        write_axe_summary()
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, f"axe-core on {name}: {json.dumps(blocking, indent=1)}"
        self.assert_clean_console(name)
        return violations

    def screenshot(self, name: str) -> None:
        """The whole page, not only the window, as target/browser/screenshots/<backend>/<name>.png."""
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics["cssContentSize"]
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        })
        (SHOTS / self.backend).mkdir(parents=True, exist_ok=True)
        (SHOTS / self.backend / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))

    def axe(self) -> list[dict]:
        self.driver.execute_script(self.axe_source)  # WebDriver scripts are not bound by the page's CSP
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, { resultTypes: ['violations'] })"
            ".then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,"
            " targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))))"
            ".catch(e => done({ error: String(e) }));"
        )
        assert not isinstance(result, dict), f"axe-core failed: {result}"
        return result

    def assert_clean_console(self, name: str) -> None:
        """No script error and no Content-Security-Policy violation. Failed fetches (a 401
        from the refresh on a signed-out load, a refused sign-in) are the pages' business."""
        bad = []
        for entry in self.driver.get_log("browser"):
            msg = entry.get("message", "")
            if "Content Security Policy" in msg or (entry.get("level") == "SEVERE" and "Failed to load resource" not in msg):
                bad.append(msg)
        assert not bad, f"console of {name}: {bad}"

    # ---- printing and downloads (Chromium's DevTools protocol)

    def emulate_media(self, media: str) -> None:
        """Lays the page out for `media` ("print": the print stylesheet, as a printer gets
        it; "" for the screen again)."""
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})

    def viewport(self, width: int, height: int) -> None:
        """Lays the page out `width` CSS pixels wide (e.g. a sheet's printable width)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def reset_viewport(self) -> None:
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def downloads_to(self, folder: Path) -> None:
        """Saves what the page downloads into `folder` (headless Chromium refuses downloads
        until told where)."""
        self.driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": str(folder), "eventsEnabled": True})

    def downloaded(self, folder: Path, name: str) -> Path:
        """The file `name` once it is wholly in `folder`."""
        path = folder / name
        self.wait(lambda: path.exists() and not list(folder.glob("*.crdownload")) and path.stat().st_size > 0,
                  f"the download {name}")
        return path

    def no_horizontal_scroll(self) -> None:
        width = self.driver.execute_script("return document.documentElement.scrollWidth")
        viewport = self.driver.execute_script("return window.innerWidth")
        assert width <= viewport, f"page is {width}px wide in a {viewport}px window"
