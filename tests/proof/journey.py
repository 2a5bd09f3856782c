"""What the full-cycle journey (``test_full_cycle.py``) needs besides its story: the people at their browsers
(one browser context each, signed in through the Dutch sign-in form), the numbered screenshots, the page-error
watch, the local dataset endpoint the conformance checker fetches, and a platform with only its cities and
accounts.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect

from pilots.demo import DEMO_PASSWORD
from tests import dataset_endpoint as endpoint
from tests.proof.server import BIN, ROOT, Gunicorn

#: The first two steps of the demo data, run by the app's own code with the server's settings: the 14 cities and
#: the demo accounts, nothing else (no challenges, rounds, pilots or datasets).
SEED_CITIES_AND_ACCOUNTS = """
from app import app
from pilots.demo import DEMO_PASSWORD
from pilots.demo.accounts import seed_accounts, seed_cities

with app.app_context():
    print(seed_cities(), seed_accounts(DEMO_PASSWORD))
"""


def seed_cities_and_accounts(server: Gunicorn) -> tuple[int, int]:
    """Add the cities and the demo accounts to the server's (migrated, empty) database; return how many of each."""
    result = subprocess.run(
        [str(BIN / "python"), "-c", SEED_CITIES_AND_ACCOUNTS],
        cwd=ROOT,
        env=server.env,
        check=True,
        capture_output=True,
        text=True,
    )
    cities, accounts = (int(n) for n in result.stdout.split())
    return cities, accounts


# --- people at their browsers ----------------------------------------------------------------------------------


def nav(page: Page, language: str = "nl") -> Locator:
    return page.get_by_role("navigation", name={"nl": "Hoofdnavigatie", "en": "Main navigation"}[language])


def status(page: Page) -> Locator:
    """The flash messages after an action."""
    return page.get_by_role("status")


@dataclass
class Person:
    email: str
    name: str
    page: Page


class Journey:
    """Everyone's browser contexts, on one Chromium; the numbered screenshots; the errors any page reported."""

    def __init__(self, browser: Browser, base: str, folder: Path) -> None:
        self.browser, self.base, self.folder = browser, base, folder
        self.count = 0
        self.errors: list[str] = []
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):  # a previous run's screenshots would mix with this run's
            old.unlink()

    def shot(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower()).strip('-')}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def _watch(self, page: Page, who: str) -> None:
        def on_console(message) -> None:
            # A form answered with 400 is not a fault; failed sub-resources are caught by on_response.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                self.errors.append(f"{who}: {message.text}")

        def on_response(response) -> None:
            if response.request.resource_type != "document" and response.status >= 400:
                self.errors.append(f"{who}: {response.status} for {response.url}")

        page.on("pageerror", lambda error: self.errors.append(f"{who}: {error}"))
        page.on("console", on_console)
        page.on("response", on_response)

    def sign_in(self, email: str, name: str, link: str | None = None) -> Person:
        """A new browser (context) for this person, Dutch-speaking, signed in through the sign-in form: from the
        home page's navigation, or, given a ``link`` (a path such as a round's, as in an email), from that link:
        the platform asks to sign in first, then shows what the link points to."""
        context = self.browser.new_context(locale="nl-BE", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        self._watch(page, email)
        if link is None:
            page.goto(self.base + "/")
            nav(page).get_by_role("link", name="Aanmelden").click()
        else:
            page.goto(self.base + link)
            expect(page).to_have_url(re.compile(r"/login\?next="))
        page.get_by_label("E-mailadres").fill(email)
        page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Aanmelden").click()
        expect(status(page)).to_contain_text(f"Welkom, {name}.")
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        if link is not None:
            expect(page).to_have_url(self.base + link)
        return Person(email, name, page)

    def leave(self, person: Person) -> None:
        """That person closes their browser."""
        person.page.context.close()


# --- the dataset endpoint ----------------------------------------------------------------------------------------

GENERATED_AT = "2026-11-02T08:15:00Z"


class DatasetEndpoint(endpoint.DatasetEndpoint):
    """Each city's real-time parking data at ``/<city>/parkeerbezetting``."""

    def __init__(self) -> None:
        super().__init__(
            r"/[a-z-]+/parkeerbezetting",
            GENERATED_AT,
            'ex:garage-1 ex:naam "Centrum" ; ex:vrijePlaatsen 212 .\nex:garage-2 ex:naam "Station" ; ex:vrijePlaatsen 87 .',
        )

    def url(self, slug: str) -> str:
        return f"{self.base}/{slug}/parkeerbezetting"
