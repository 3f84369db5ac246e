"""The central office's report in a real browser (issue 25.2: every table sortable and filterable).

The site report's tables sort and filter (report.js); the central report, which the head office works in
with every site's bulletins and a page of machines per site, had plain tables and no script at all: a
5,000-machine site's page could not be searched for one machine, nor the bulletins ordered by machines.
Now report.js sits beside the central index too: the sites, the bulletins and each site's plan and
machines sort by a click on a header and filter by a box above them, from file:// with no network.

Needs Debian's chromium and chromium-driver, and selenium (the test extra).
"""

from __future__ import annotations

import pytest

from tests.report.test_report_browser import CHROMIUM, DRIVER, _browser
from tests.reportsite import cli

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                                reason="chromium and chromium-driver not installed (Debian packages)")


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    root = tmp_path_factory.mktemp("central") / "demo"
    code, _, err = cli("demo", root)
    assert code == 0, err
    return root.parent / "demo-central" / "reports"


def _cells(driver, table: str, column: int) -> list[str]:
    """The cells of COLUMN in the rows the table shows (a filter hides the others)."""
    rows = [r for r in driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr") if r.is_displayed()]
    return [r.find_element(By.CSS_SELECTOR, f"td:nth-child({column})").text for r in rows]


def _filter(driver, table: str, words: str) -> None:
    box = driver.find_element(By.XPATH, f"//table[@id='{table}']/preceding-sibling::div[@class='tools'][1]/input")
    box.clear()
    box.send_keys(words)


def test_the_central_tables_sort_and_filter(central, tmp_path):
    assert (central / "report.js").is_file()
    driver = _browser(tmp_path / "profile")
    try:
        driver.get((central / "index.html").as_uri())
        for table in ("sites-table", "bulletins", "trend"):
            assert driver.find_element(By.ID, table).get_attribute("data-enhanced") == "yes", table
        machines = [int(n) for n in _cells(driver, "bulletins", 5)]
        driver.find_element(By.XPATH, "//table[@id='bulletins']//thead//th[5]/button").click()
        assert [int(n) for n in _cells(driver, "bulletins", 5)] == sorted(machines)
        _filter(driver, "bulletins", "MS03-039")
        assert set(_cells(driver, "bulletins", 1)) == {"MS03-039"}

        driver.find_element(By.CSS_SELECTOR, "#sites-table tbody a").click()
        assert driver.find_element(By.ID, "machines").get_attribute("data-enhanced") == "yes"
        assert len(_cells(driver, "machines", 1)) > 1
        _filter(driver, "machines", "NT4WKS")
        assert _cells(driver, "machines", 1) == ["NT4WKS"]
    finally:
        driver.quit()
