"""Steps the English-language journeys share."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from pilots.models import Challenge
from pilots.services import accounts, cities
from tests import factories


def nav(page: Page):
    return page.get_by_role("navigation", name="Main navigation")


def sign_in(page: Page, base_url: str, email: str, name: str) -> None:
    """Sign in through the navigation's link and form (the session is already in English)."""
    page.goto(base_url + "/")
    nav(page).get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("pilot-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome, {name}.")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def sign_out(page: Page) -> None:
    nav(page).get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")


def submitted_challenge(slug: str, title: str, year: int, n: int, description: str = "Een beschrijving.") -> Challenge:
    """A challenge of the demo city ``slug``, proposed by its demo voter with one open dataset and submitted to the
    committee, through the services (inside an app context)."""
    author = accounts.find_user_by_email(f"{slug}@demo.local")
    city = cities.get_city_by_slug(slug)
    return factories.submitted_challenge(author, city.id, title, year, n=n, summary="Een samenvatting.", description=description)
