"""Every benchmark on SQLite and on a throw-away durable PostgreSQL, side by side (`make bench`).

Each benchmark runs as its own process (`bench/X.py SIZE --db D`) and prints BENCH lines; this driver
collects them and prints one table: figure, target, SQLite, PostgreSQL, within target. `--db postgresql`
runs only PostgreSQL (`make bench-pg`); `--scale` runs inventory and zombies on PostgreSQL at 20,000 and
200,000 systems and prints how each figure grew (`make bench-scale`). `--fraction F` (or
YUNZHANG_BENCH_FRACTION) multiplies every size, for a quick run: `--fraction 0.1`."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pgsettings import DEPLOYMENT_SETTINGS
from tests.pgserver import PostgresServer

ROOT = Path(__file__).resolve().parents[1]

BENCHMARKS = {"inventory": 20_000, "zombies": 20_000, "cloud_requests": 50_000,   # script → default size
              "migration": 20_000, "automation": 50}
SCALED = ("inventory", "zombies")
SCALE_FROM, SCALE_TO = 20_000, 200_000
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def parse_bench(lines: list[str]) -> list[dict]:
    """The figures among a benchmark's output lines, in the order printed."""
    return [json.loads(line[len("BENCH "):]) for line in lines if line.startswith("BENCH ")]


def within(fig: dict) -> bool | None:
    """Whether a figure meets its target; None when it has none. `op` is "<" (the default), "<=" or ">=" (a
    speed-up that must reach its target)."""
    if fig.get("target") is None:
        return None
    op = fig.get("op")
    if op == ">=":
        return fig["value"] >= fig["target"]
    return fig["value"] <= fig["target"] if op == "<=" else fig["value"] < fig["target"]


def show(value: float, unit: str) -> str:
    digits = 2 if unit == "s" else 1
    return f"{value:,.{digits}f}{unit}" if unit == "×" else f"{value:,.{digits}f} {unit}"


def target_text(fig: dict | None) -> str:
    if not fig or fig.get("target") is None:
        return ""
    unit = fig["unit"] if fig["unit"] == "×" else " " + fig["unit"]
    sign = {"<=": "≤", ">=": "≥"}.get(fig.get("op"), "<")
    return f"{sign} {fig['target']:g}{unit}"


def mark(ok: bool | None) -> str:
    return {True: "✓", False: "✗", None: "–"}[ok]


def render(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (it reads in a terminal and pastes into an issue note)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def side_by_side(results: dict[str, list[dict]]) -> str:
    """One row per figure (in the order first printed), one value column per database that ran."""
    dbs = [db for db in LABELS if db in results]
    by_db = {db: {f["figure"]: f for f in results[db]} for db in dbs}
    names = list(dict.fromkeys(f["figure"] for db in dbs for f in results[db]))
    rows = []
    for name in names:
        figs = [by_db[db].get(name) for db in dbs]
        targets = list(dict.fromkeys(target_text(f) for f in figs if f))
        rows.append([name, " / ".join(t for t in targets if t),
                     *[show(f["value"], f["unit"]) if f else "failed" for f in figs],
                     " ".join(mark(within(f)) if f else "✗" for f in figs)])
    header = ["figure", "target", *[LABELS[db] for db in dbs],
              "within target" + (f" ({', '.join(LABELS[db] for db in dbs)})" if len(dbs) > 1 else "")]
    return render(header, rows)


def growth(small: list[dict], large: list[dict]) -> str:
    """How each figure grew from the small run to the large one. Linear is growth up to the ratio of sizes, or
    up to what the benchmark's linear reference grew if more: a figure marked `linear_reference` (the zombie
    benchmark's NumPy pass, the same arithmetic on every value in memory) does the same operations per value at
    either size, and grew 9.7–11.5× for 10× the values across this machine's runs, from its caches alone."""
    large_by_name = {f["figure"]: f for f in large}
    reference = next(((s, large_by_name[s["figure"]]) for s in small
                      if s.get("linear_reference") and s["figure"] in large_by_name and s["value"]), None)
    rows = []
    for s in small:
        big = large_by_name.get(s["figure"])
        if big is None:
            rows.append([s["figure"], show(s["value"], s["unit"]), "failed", "", "", "", "✗"])
            continue
        linear = big["size"] / s["size"]
        if reference:
            linear = max(linear, reference[1]["value"] / reference[0]["value"])
        ratio = big["value"] / s["value"] if s["value"] else float("inf")
        rows.append([s["figure"], show(s["value"], s["unit"]), show(big["value"], big["unit"]), f"{ratio:.1f}×",
                     mark(ratio <= linear), target_text(big), mark(within(big))])
    sizes = f"{small[0]['size']:,} → {large[0]['size']:,}" if small and large else ""
    table = render(["figure", "small", "large", f"grew ({sizes})", "linear or better", "target (large)",
                    "within target"], rows)
    if reference:
        s, big = reference
        table += (f"\n\nLinear reference: “{s['figure']}” grew {big['value'] / s['value']:.1f}× for "
                  f"{big['size'] / s['size']:.0f}× the systems (the same operations per value at both sizes); "
                  "linear or better is growth up to the larger of the two.")
    return table


def run_benchmark(script: str, size: int, db: str, env: dict[str, str]) -> tuple[list[dict], bool]:
    """Run one benchmark as a process, echoing its lines; its figures and whether it exited cleanly."""
    print(f"== bench/{script}.py {size} --db {db}", flush=True)
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / f"{script}.py"), str(size), "--db", db],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if not line.startswith("BENCH "):
            print("   " + line, end="", flush=True)
    ok = proc.wait() == 0
    if not ok:
        print(f"   bench/{script}.py failed (exit {proc.returncode})", flush=True)
    return parse_bench(lines), ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["both", *LABELS], default="both")
    parser.add_argument("--scale", action="store_true",
                        help="inventory and zombies at 20,000 and 200,000 on PostgreSQL")
    parser.add_argument("--fraction", type=float, default=float(os.environ.get("YUNZHANG_BENCH_FRACTION", "1")))
    args = parser.parse_args()
    dbs = ["postgresql"] if args.scale else list(LABELS) if args.db == "both" else [args.db]
    env = dict(os.environ)
    server = PostgresServer(DEPLOYMENT_SETTINGS).start() if "postgresql" in dbs else None
    all_ok = True
    try:
        if server:
            env["YUNZHANG_BENCH_PG_URL"] = server.url()
            print(f"PostgreSQL (durable, deployment settings) on 127.0.0.1:{server.port}", flush=True)
        if args.scale:
            tables = []
            for script in SCALED:
                runs = []
                for size in (SCALE_FROM, SCALE_TO):
                    figs, ok = run_benchmark(script, max(1, round(size * args.fraction)), "postgresql", env)
                    runs.append(figs)
                    all_ok &= ok
                tables.append(f"bench/{script}.py on PostgreSQL\n\n{growth(*runs)}")
            print("\n" + "\n\n".join(tables))
        else:
            results: dict[str, list[dict]] = {db: [] for db in dbs}
            for script, size in BENCHMARKS.items():
                for db in dbs:
                    figs, ok = run_benchmark(script, max(1, round(size * args.fraction)), db, env)
                    results[db] += figs
                    all_ok &= ok
            sizes = ", ".join(f"{name} {max(1, round(size * args.fraction)):,}" for name, size in BENCHMARKS.items())
            print(f"\nsizes: {sizes}\n\n{side_by_side(results)}")
    finally:
        if server:
            server.stop()
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
