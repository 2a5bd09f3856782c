"""A city's staff member signs in, switches language and signs out, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_sign_in_switch_language_sign_out(live_server, page, shots, demo):
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opendatapilots, samen gekozen en uitgevoerd")
    shots("home in Dutch")

    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role("link", name="Aanmelden").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("E-mailadres").fill("gent@demo.local")
    page.get_by_label("Wachtwoord").fill("pilot-demo")
    shots("sign-in form")
    page.get_by_role("button", name="Aanmelden").click()

    expect(page.get_by_role("status")).to_contain_text("Welkom, Demo Gent.")
    expect(page.get_by_text("Gent: Medewerker en stemgerechtigde")).to_be_visible()
    now = page.get_by_role("region", name="Wat nu op je wacht")
    expect(now).to_be_visible()
    for link in now.get_by_role("link").all():  # each item leads to a page that answers
        assert page.request.get(live_server + link.get_attribute("href")).ok
    shots("signed in")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Signed in as Demo Gent")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")
    shots("switched to English")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    expect(page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Sign in")).to_be_visible()
    shots("signed out")


def test_wrong_password_shows_a_message_next_to_the_field(live_server, page, demo):
    page.goto(live_server + "/login")
    page.get_by_label("E-mailadres").fill("gent@demo.local")
    page.get_by_label("Wachtwoord").fill("not-the-password")
    page.get_by_role("button", name="Aanmelden").click()
    password = page.get_by_label("Wachtwoord")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-error")).to_have_text("Het e-mailadres of het wachtwoord is niet juist.")
    expect(page.get_by_label("E-mailadres")).to_have_value("gent@demo.local")


def test_keyboard_user_can_skip_to_content_and_sign_in(live_server, page, demo):
    page.goto(live_server + "/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Naar de hoofdinhoud")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_label("E-mailadres").focus()
    page.keyboard.type("gent@demo.local")
    page.keyboard.press("Tab")
    page.keyboard.type("pilot-demo")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Welkom, Demo Gent.")


def test_forgot_password_end_to_end(live_server, page, shots, demo, outbox):
    """From the sign-in page to a new password: the e-mail's link (locmem outbox) opens the page to choose it."""
    page.goto(live_server + "/login")
    page.get_by_role("link", name="Wachtwoord vergeten?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wachtwoord vergeten?")
    page.get_by_label("E-mailadres").fill("gent@demo.local")
    page.get_by_role("button", name="Stuur me een link").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text("Als een account gent@demo.local gebruikt")
    shots("link requested")

    (message,) = outbox
    link = re.search(r"http://localhost:5000(/password/new/\S+)", message.body).group(1)
    page.goto(live_server + link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Kies een nieuw wachtwoord")
    page.get_by_label("Nieuw wachtwoord").fill("a-brand-new-passphrase")
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill("something else entirely")
    page.get_by_role("button", name="Mijn wachtwoord bewaren").click()
    expect(page.locator("#confirm-error")).to_have_text("De twee wachtwoorden verschillen.")
    page.get_by_label("Nieuw wachtwoord").fill("a-brand-new-passphrase")
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill("a-brand-new-passphrase")
    page.get_by_role("button", name="Mijn wachtwoord bewaren").click()
    expect(page.get_by_role("status")).to_contain_text("Je wachtwoord is bewaard. Meld je ermee aan.")
    shots("password chosen")

    page.get_by_label("E-mailadres").fill("gent@demo.local")
    page.get_by_label("Wachtwoord", exact=True).fill("a-brand-new-passphrase")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("status")).to_contain_text("Welkom, Demo Gent.")

    page.goto(live_server + link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Deze link werkt niet")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    shots("used link, in English")
