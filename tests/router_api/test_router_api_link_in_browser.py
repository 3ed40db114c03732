"""The one-click acknowledge link of a page, opened in a real browser (headless Chromium): the
confirmation page shows the incident, its button acknowledges it (the page's own CSP and form
as a browser enforces them), and escalation stops."""

from __future__ import annotations

import time

import pytest
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.router_api.test_router_api_over_http import STEP_DELAY_S, Tocsin, tocsin
from tests.support.browser import chromium

__all__ = ["tocsin"]  # the module's `tocsin up`


@pytest.mark.e2e
def test_the_acknowledge_link_opened_in_a_browser_acknowledges_and_stops_escalation(
    tocsin: Tocsin,
) -> None:
    # Given a page for DiskPressure, with its signed acknowledge link
    page = tocsin.page("DiskPressure")
    incident_id = page["incident"]["id"]
    with chromium() as browser:
        # When the on-call engineer opens the link
        browser.get(page["links"]["acknowledge"])
        # Then the page asks to confirm, naming the incident, and has changed nothing yet
        assert browser.find_element(By.TAG_NAME, "h1").text == "Acknowledge incident?"
        assert "DiskPressure on node-7" in browser.find_element(By.TAG_NAME, "body").text
        assert tocsin.get(f"/api/v1/incidents/{incident_id}").json()["status"] == "triggered"
        # When they press the button
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        # While the answer page loads, the old page's h1 can be read half-gone: Chromium then
        # answers "Node ... does not belong to the document" (a WebDriverException). Look again.
        navigating = (StaleElementReferenceException, WebDriverException)
        WebDriverWait(browser, 15, ignored_exceptions=navigating).until(
            expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Acknowledged")
        )
        headline = browser.find_element(By.TAG_NAME, "h1").text
    # Then the incident is acknowledged by the link, and the next step never pages bob
    incident = tocsin.get(f"/api/v1/incidents/{incident_id}").json()
    assert (incident["status"], incident["acknowledged_by"]) == ("acknowledged", "one-click link")
    time.sleep(STEP_DELAY_S + 2.5)  # bob's step would have fired by now
    assert tocsin.pages_for("DiskPressure on node-7", "/bob") == []
    assert headline == "Acknowledged"


@pytest.mark.e2e
def test_the_open_incident_link_shows_the_incident_and_acknowledges_from_there(
    tocsin: Tocsin,
) -> None:
    # Given a page for MemoryPressure, with its signed "Open incident" link
    page = tocsin.page("MemoryPressure")
    incident_id = page["incident"]["id"]
    with chromium() as browser:
        # When the on-call engineer opens it (no API token in a browser)
        browser.get(page["links"]["incident"])
        # Then the incident shows, with its alert and the timeline's reasons
        headline = f"[{page['incident']['priority']}] MemoryPressure on node-7"
        assert browser.find_element(By.TAG_NAME, "h1").text == headline
        body = browser.find_element(By.TAG_NAME, "body").text
        assert "MemoryPressure on node-7" in body and "Timeline" in body
        assert "Probable cause: MemoryPressure (infrastructure)" in body
        # When they follow its Acknowledge link and confirm
        browser.find_element(By.LINK_TEXT, "Acknowledge").click()
        navigating = (StaleElementReferenceException, WebDriverException)
        WebDriverWait(browser, 15, ignored_exceptions=navigating).until(
            expected_conditions.text_to_be_present_in_element(
                (By.TAG_NAME, "h1"), "Acknowledge incident?"
            )
        )
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(browser, 15, ignored_exceptions=navigating).until(
            expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Acknowledged")
        )
    # Then the incident is acknowledged by the link
    incident = tocsin.get(f"/api/v1/incidents/{incident_id}").json()
    assert incident["status"] == "acknowledged"
