"""Headless Debian Chromium driven by Selenium through /usr/bin/chromedriver.
Nothing is downloaded: Selenium Manager is told to stay offline and is never
needed because the driver path is given."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager

CHROMIUM = os.environ.get("SM_AUDIT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SM_AUDIT_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--disable-extensions", "--disable-default-apps",
         "--no-default-browser-check", "--metrics-recording-only", "--mute-audio",
         "--window-size=1400,1000")


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    for path, what in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")):
        if not os.access(path, os.X_OK):
            return (f"{what} not found at {path}: install Debian's chromium and chromium-driver "
                    "(apt-get install -y chromium chromium-driver; .ci/run does this)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[test]'"
    return None


def browser_or_skip() -> None:
    """Skip the calling test with the reason Chromium cannot run here (how to
    install it). With SM_AUDIT_REQUIRE_BROWSER=1 (.ci/run sets it, after
    installing Chromium) fail instead, so CI can never skip them silently."""
    import pytest

    why = missing()
    if why is None:
        return
    if os.environ.get("SM_AUDIT_REQUIRE_BROWSER", "") == "1":
        pytest.fail(f"SM_AUDIT_REQUIRE_BROWSER=1 but {why}")
    pytest.skip(why)


@contextmanager
def chromium():
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a browser or driver
    os.environ["SE_AVOID_BROWSER_DOWNLOAD"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="sm-audit-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
