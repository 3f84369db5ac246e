"""The report in a real browser (issue 25.2): headless Chromium driven through chromedriver by Selenium.

An admin opens SHARE\\reports\\index.html from the file system, with no network: sorts the machines by
status, filters them by a machine's name, follows a status link and a "Needs you" link, reads a machine's
page, and prints. With JavaScript off the same pages must still hold every machine. Screenshots of the
index, a machine, a bulletin and the plan are saved in the test's folder, and copied to the folder
HFSTAGE_SCREENSHOTS names when it is set, for a person to look at.

Needs Debian's chromium and chromium-driver, and selenium (the test extra); skipped without them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from hfstage.assess import MACHINE_STATUSES
from tests.reportsite import site_with_problems, stale

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                                reason="chromium and chromium-driver not installed (Debian packages)")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1000")


def _browser(profile: Path, javascript: bool = True):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    # the driver's path is given: Selenium Manager never looks for one on the network
    return webdriver.Chrome(service=Service(DRIVER), options=options)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    share, _ = site_with_problems(tmp_path_factory.mktemp("browser") / "demo")
    stale(share, "W95")
    return share


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = _browser(tmp_path_factory.mktemp("profile"))
    yield driver
    driver.quit()


def _open(browser, share, page: str) -> None:
    browser.get((share.folder("reports") / page).as_uri())


def _machines(browser) -> list[str]:
    return [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#machine-table tbody tr td:first-child a")]


def _statuses(browser) -> list[int]:
    cells = browser.find_elements(By.CSS_SELECTOR, "#machine-table tbody tr td:nth-child(3)")
    return [MACHINE_STATUSES.index(cell.text.splitlines()[0]) for cell in cells]


def test_sort_filter_and_follow_the_links_an_admin_follows(browser, site):
    _open(browser, site, "index.html")
    table = browser.find_element(By.ID, "machine-table")
    assert table.get_attribute("data-enhanced") == "yes"
    assert _machines(browser)[:3] == ["NT4WKS", "DC01", "BADTRUNC"] and len(_machines(browser)) == 12
    status = table.find_element(By.XPATH, ".//thead//th[3]/button")
    status.click()
    assert _statuses(browser) == sorted(_statuses(browser)) and _statuses(browser)[0] == 0  # unreadable first
    status.click()
    assert _statuses(browser) == sorted(_statuses(browser), reverse=True)
    search = browser.find_element(By.CSS_SELECTOR, "input[type=search]")
    search.send_keys("nt4")
    assert _machines(browser) == ["NT4WKS"]
    assert "1 of 12 rows match" in browser.find_element(By.CSS_SELECTOR, ".tools .count").text
    search.clear()
    search.send_keys("stale")
    assert _machines(browser) == ["W95"]
    browser.find_element(By.LINK_TEXT, "service pack missing").click()
    assert browser.current_url.endswith("/lists/status-service-pack-missing-1.html")
    assert sorted(_machines(browser)) == ["DC01", "W2KSRV", "WEB01"]
    assert browser.find_element(By.TAG_NAME, "h1").text == "Machines: service pack missing"
    browser.back()
    browser.find_element(By.PARTIAL_LINK_TEXT, "where an install or a removal failed").click()
    assert _machines(browser) == ["NT4WKS"]
    browser.find_element(By.LINK_TEXT, "NT4WKS").click()
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("NT4WKS")
    steps = browser.find_element(By.ID, "script-steps").text
    assert "WindowsNT4Workstation-KB824146-x86-ENU.exe" in steps and "-z %HF_UI%" in steps
    assert "1603" in browser.find_element(By.TAG_NAME, "main").text


def test_headers_never_break_mid_word_and_print_keeps_the_tables(browser, site):
    _open(browser, site, "plan.html")
    lines = browser.execute_script(  # per header, how many lines its words take
        "return Array.from(document.querySelectorAll('th')).map(function (th) {"
        "  var walk = document.createTreeWalker(th, NodeFilter.SHOW_TEXT), tops = new Set();"
        "  while (walk.nextNode()) { var r = document.createRange(); r.selectNodeContents(walk.currentNode);"
        "    Array.from(r.getClientRects()).forEach(function (x) { tops.add(Math.round(x.top)); }); }"
        "  return [th.textContent.trim(), tops.size]; });")
    assert lines and all(n == 1 for _, n in lines), lines  # "Applicability" on one line, not "Applicabi|lity"
    _open(browser, site, "index.html")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert browser.find_element(By.TAG_NAME, "nav").value_of_css_property("display") == "none"
    assert browser.find_element(By.CSS_SELECTOR, ".tools").value_of_css_property("display") == "none"
    assert len(_machines(browser)) == 12  # every machine, problems first, on paper too
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = browser.execute_cdp_cmd("Page.printToPDF", {})
    assert pdf["data"].startswith("JVBERi0")  # %PDF-, base64


def test_without_javascript_every_machine_is_still_there(site, tmp_path):
    driver = _browser(tmp_path / "profile", javascript=False)
    try:
        _open(driver, site, "index.html")
        assert driver.find_element(By.ID, "machine-table").get_attribute("data-enhanced") is None
        assert len(_machines(driver)) == 12 and not driver.find_elements(By.CSS_SELECTOR, "input[type=search]")
        _open(driver, site, "lists/needs-stale-1.html")
        assert _machines(driver) == ["W95"]
    finally:
        driver.quit()


def test_screenshots_for_a_person_to_look_at(browser, site, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    for page in ("index.html", "machines/NT4WKS.html", "bulletins/MS02-045.html", "plan.html",
                 "lists/status-service-pack-missing-1.html"):
        _open(browser, site, page)
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1280, min(max(height, 600), 6000))
        shot = shots / (page.replace("/", "_").removesuffix(".html") + ".png")
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000
    browser.set_window_size(1280, 1000)
    wanted = os.environ.get("HFSTAGE_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        for shot in shots.iterdir():
            shutil.copyfile(shot, Path(wanted) / shot.name)
