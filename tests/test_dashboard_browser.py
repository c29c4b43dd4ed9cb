"""The dashboard in a real browser: Debian's chromium driven by Playwright.

``growthsim dashboard`` is started as a subprocess on a free port; the test loads the page,
moves the People and Horizon sliders, presses Run, waits while the charts update and the day
counter reaches the horizon, saves a screenshot (``tmp_path/dashboard.png``, copied to
``tests/output/dashboard.png``) and stops the server with Ctrl-C (exit status 130).

The browser is /usr/bin/chromium (test.sh installs the Debian package when it is missing;
Playwright never downloads one). Solara's page needs a few JavaScript/CSS packages that it
normally fetches from a CDN; they are taken from the npm registry with ``npm pack`` into a
cache folder (``$GROWTHSIM_SOLARA_CDN``, default ``~/.cache/growthsim/solara-cdn``) that the
server reads through ``SOLARA_ASSETS_PROXY_CACHE_DIR``, so the test needs no CDN.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from growthsim.dashboard import assets_dir

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CDN = assets_dir()
PEOPLE, DAYS = 5_000, 180

pytestmark = pytest.mark.slow


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, log, timeout=180):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            pytest.fail(f"growthsim dashboard exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read().decode()
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the dashboard did not answer at {url} within {timeout} s:\n{log.read_text()}")


def cdn_packages(html):
    """``{npm spec: [files]}`` of every ``/_solara/cdn/<package>@<version>/<file>`` in the page."""
    found = {}
    for pkg, ver, rest in re.findall(r"/_solara/cdn/((?:@[^/\"']+/)?[^/@\"']+)@([^/\"']+)/"
                                     r"([^\"'?#]+)", html):
        found.setdefault(f"{pkg}@{ver}", []).append(rest)
    return found


def ensure_cdn(html):
    """Put the page's CDN packages into CDN (``npm pack`` from the npm registry) if missing."""
    for spec, files in cdn_packages(html).items():
        target = CDN / spec
        if all((target / f).is_file() for f in files):
            continue
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(f"Solara's page needs {spec}, which is not in {CDN}; install npm "
                        "(apt-get install npm) so the test can fetch it", pytrace=False)
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run([npm, "pack", spec, "--silent"], cwd=tmp, capture_output=True,
                               text=True, timeout=300)
            if r.returncode != 0:
                pytest.fail(f"npm pack {spec} failed: {r.stderr.strip()}", pytrace=False)
            tgz = Path(tmp) / r.stdout.strip().splitlines()[-1]
            target.mkdir(parents=True, exist_ok=True)
            with tarfile.open(tgz) as tar:
                for member in tar.getmembers():
                    if member.isfile() and member.name.startswith("package/"):
                        member.name = member.name[len("package/"):]
                        tar.extract(member, target, filter="data")
        missing = [f for f in files if not (target / f).is_file()]
        assert not missing, f"{spec} from npm lacks {missing}"


@pytest.fixture
def server(tmp_path):
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run ./test.sh (it installs Debian's chromium) or "
                    "apt-get install chromium", pytrace=False)
    port = free_port()
    log = tmp_path / "server.log"
    env = dict(os.environ, SOLARA_ASSETS_PROXY_CACHE_DIR=str(CDN))
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "growthsim", "dashboard", "--port",
                                 str(port)], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        ensure_cdn(wait_http(url, proc, log))
        yield url, proc, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def visible(page, css, text):
    return page.locator(css).filter(has_text=text).filter(visible=True)


def test_change_a_control_run_and_see_the_charts_update(server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, proc, log = server
    failed = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1250})
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(url)
            people = visible(page, ".v-slider", "People:")
            people.wait_for(timeout=120_000)
            assert people.count() == 1 and "People: 20,000 people" in people.inner_text()

            # People: Home goes to the schema's lower end (1,000), four steps right is 5,000.
            thumb = people.locator("[role=slider]")
            assert thumb.get_attribute("aria-valuemin") == "1000"
            assert thumb.get_attribute("aria-valuemax") == "200000"
            thumb.focus()
            thumb.press("Home")
            for _ in range(4):
                thumb.press("ArrowRight")
            visible(page, ".v-slider", f"People: {PEOPLE:,} people").wait_for(timeout=30_000)

            # Horizon: PageDown takes a tenth of the range (182.5 days) off the default 365.
            horizon = visible(page, ".v-slider", "Horizon:")
            knob = horizon.locator("[role=slider]")
            knob.focus()
            knob.press("PageDown")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.v-slider label')].some("
                "l => /Horizon: 18\\d days/.test(l.textContent))", timeout=30_000)
            label = horizon.locator("label").inner_text()
            days = int(re.search(r"Horizon: ([\d,]+) days", label).group(1).replace(",", ""))
            assert abs(days - DAYS) <= 5, label

            status = page.locator(".run-status")
            assert "Not run yet" in status.inner_text()
            page.get_by_role("button", name="Run", exact=True).filter(visible=True).click()
            srcs = set()
            t0 = time.monotonic()
            while f"Day {days:,} of {days:,} · done" not in status.inner_text():
                assert "error" not in status.inner_text(), page.locator(".run-error").all_inner_texts()
                assert time.monotonic() - t0 < 600, status.inner_text()
                srcs.update(page.locator("img").evaluate_all(
                    "els => els.filter(e => e.width > 300).map(e => e.src)"))
                time.sleep(0.25)
            srcs.update(page.locator("img").evaluate_all(
                "els => els.filter(e => e.width > 300).map(e => e.src)"))
            assert len(srcs) >= 3, "the charts did not update while the model ran"
            page.get_by_text("Daily metrics (CSV)").wait_for(timeout=30_000)
            page.wait_for_timeout(1_000)  # let the last images paint
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 50_000
    out = ROOT / "tests" / "output"
    out.mkdir(exist_ok=True)
    if not (out / ".gitignore").exists():  # test output, never committed
        (out / ".gitignore").write_text("*\n")
    shutil.copyfile(shot, out / "dashboard.png")
    assert not [u for u in failed if "/_solara/cdn/" in u], failed
    assert "Could not load URL" not in log.read_text()

    proc.send_signal(signal.SIGINT)  # Ctrl-C: the command stops the server and exits 130
    assert proc.wait(timeout=60) == 130
    assert "growthsim: interrupted; dashboard stopped" in log.read_text()
