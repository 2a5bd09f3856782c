"""The benchmarks themselves. Later features add theirs here (or in modules that load() imports)."""

from __future__ import annotations

from bench.harness import Context, benchmark
from bench.synthetic import programme


def load() -> None:
    """Importing this module registers the benchmarks below; the imports here register the others."""
    from bench import first_visit, large, monitoring, notifications, ranking, voting  # noqa: F401


def _programme(context: Context) -> dict[str, int]:
    """The shared synthetic programme, built once per run whichever benchmark asks first."""
    if "programme" not in context.facts_by_bench:
        with context.app.app_context():
            context.facts_by_bench["programme"] = programme(cities=context.size(50), users_per_city=context.size(40))
    return context.facts_by_bench["programme"]


def _signed_in_admin(context: Context):
    _programme(context)
    client = context.app.test_client()
    response = client.post("/login", data={"email": "user0-0@bench.local", "password": "bench-password"})
    assert response.status_code == 302, response.status_code
    return client


@benchmark("admin-users-page", "the administrators' account list (one page of 25, with roles) on a large programme")
def admin_users_page(context: Context):
    context.facts_by_bench["admin-users-page"] = _programme(context)
    client = _signed_in_admin(context)

    def run():
        response = client.get("/admin/users?page=3")
        assert response.status_code == 200

    return run


@benchmark("home-page", "the home page for a signed-in administrator")
def home_page(context: Context):
    client = _signed_in_admin(context)
    return lambda: client.get("/")
