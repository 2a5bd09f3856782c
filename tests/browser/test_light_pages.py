"""Light first visits (issue 18) in a real browser: the dashboard draws every chart with plotly.js's cartesian
bundle, compressed, and a city profile still draws its maturity radar (a polar chart) with the full bundle.

The page fixture fails a test on any console error, CSP violation or failed resource, so a trace type the partial
bundle lacks, or a stylesheet it would inject inline, shows here. The sizes and times are bench/first_visit.py's.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in

CARTESIAN = "/static/vendor/plotly-cartesian.min.js?v="
FULL = "/rounds/assets/plotly.min.js?v="


def scripts_loaded(page: Page, responses: list) -> dict[str, dict[str, str]]:
    """The plotly.js scripts the page loaded: address → response headers."""
    return {
        response.url: response.all_headers()
        for response in responses
        if response.request.resource_type == "script" and "plotly" in response.url
    }


def english_sign_in(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    sign_in(page, base_url, "steering@demo.local", "Stijn Stuurgroep")


def test_the_dashboard_draws_every_chart_with_the_partial_bundle(live_server, page, shots, demo):
    english_sign_in(page, live_server)
    responses: list = []
    page.on("response", lambda response: responses.append(response))
    page.goto(live_server + "/dashboard")
    charts = page.locator(".chart[data-figure-id]")
    expect(charts.first).to_be_visible()
    count = charts.count()
    assert count >= 6  # the committee's view: challenges, pilots, stages, datasets, conformance, milestones
    for index in range(count):
        chart = charts.nth(index)
        expect(chart.locator(".plot-container .main-svg").first).to_be_visible()
        expect(chart).to_have_class("chart mb-2 js-plotly-plot")
    shots("every chart drawn")

    scripts = scripts_loaded(page, responses)
    assert [url.removeprefix(live_server).split("=")[0] + "=" for url in scripts] == [CARTESIAN]
    (headers,) = scripts.values()
    assert headers["content-encoding"] == "br" and headers["cache-control"] == "public, max-age=31536000, immutable"
    assert page.evaluate("() => typeof window.Plotly.newPlot") == "function"


def test_a_city_profile_draws_its_radar_with_the_full_bundle(app, live_server, page, shots, demo):
    from pilots.demo.city_status import seed_city_status
    from pilots.extensions import db

    with app.app_context():
        seed_city_status()
        db.session.remove()
    english_sign_in(page, live_server)
    responses: list = []
    page.on("response", lambda response: responses.append(response))
    page.goto(live_server + "/cities/gent")
    chart = page.locator("#maturity-chart")
    expect(chart.locator(".plot-container .main-svg").first).to_be_visible()
    expect(chart.locator(".polarlayer .polar")).to_have_count(1)  # a polar subplot, which the partial bundle lacks
    expect(chart.locator(".scatterlayer .trace")).to_have_count(2)
    shots("the radar chart drawn")

    scripts = scripts_loaded(page, responses)
    assert [url.removeprefix(live_server).split("=")[0] + "=" for url in scripts] == [FULL]
    assert next(iter(scripts.values()))["content-encoding"] == "br"
