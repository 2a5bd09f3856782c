"""Run the benchmarks: `python -m bench [--only NAME] [--repeat N] [--scale S] [--database URL]`.

Each benchmark builds its synthetic data with bench.synthetic, then times a piece of the real application
(pages through the Flask test client, services, later the ranking engine). Results are printed as a
table and written to bench/results/latest.json. The database defaults to a temporary SQLite file;
pass --database (or BENCH_DATABASE_URL) for PostgreSQL. Later features register their own benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench import cases
from bench.harness import REGISTRY, Context

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="run only these benchmarks (repeatable)")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per benchmark (default 20)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the synthetic data sizes")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL"), help="database URL (default: temp SQLite)")
    args = parser.parse_args()
    cases.load()

    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        context = Context.create(url, scale=args.scale)
        rows = []
        for name, bench in REGISTRY.items():
            if args.only and name not in args.only:
                continue
            setup_started = time.perf_counter()
            run = bench.setup(context)
            setup_seconds = time.perf_counter() - setup_started
            if bench.warmup:
                run()
            timings = []
            for _ in range(bench.runs(args.repeat)):
                started = time.perf_counter()
                run()
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            rows.append(
                {
                    "name": name,
                    "description": bench.description,
                    "runs": len(timings),
                    "median_ms": round(statistics.median(timings), 2),
                    "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 2),
                    "max_ms": round(timings[-1], 2),
                    "setup_s": round(setup_seconds, 2),
                    **bench.facts(context),
                }
            )
        context.close()

    width = max((len(row["name"]) for row in rows), default=10)
    print(f"{'benchmark':<{width}}  {'median ms':>10}  {'p95 ms':>8}  {'max ms':>8}  facts")
    for row in rows:
        facts = {k: v for k, v in row.items() if k not in {"name", "description", "runs", "median_ms", "p95_ms", "max_ms"}}
        print(f"{row['name']:<{width}}  {row['median_ms']:>10}  {row['p95_ms']:>8}  {row['max_ms']:>8}  {facts}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps({"database": url.split("://")[0], "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
