"""bench/run.py builds its tables from the BENCH lines the benchmarks print (no database here), and README's
postgresql.conf snippet is the one bench/pgsettings.py holds."""
import json
from pathlib import Path

from bench.pgsettings import conf_snippet
from bench.run import growth, parse_bench, side_by_side


def line(figure: str, value: float, unit: str, target: float | None, op: str = "<") -> str:
    """A BENCH line as the benchmarks print it (bench.harness.figure)."""
    return "BENCH " + json.dumps({"figure": figure, "value": value, "unit": unit, "target": target, "op": op,
                                  "size": 20_000}, ensure_ascii=False)


LIST, Q, SCAN, RATIO = ("inventory list with filters, p95", "inventory list, free text q, p50",
                        "zombie scan, best of 3", "zombie scan ÷ NumPy pass")
SQLITE = ["workbook: 20000 rows", line(LIST, 21.7, "ms", 25), line(Q, 9.9, "ms", None), "a human line",
          line(SCAN, 0.62, "s", 2), line(RATIO, 28.0, "×", 30, "<=")]
POSTGRES = [line(LIST, 99.4, "ms", 25), line(SCAN, 0.8, "s", 1), line(RATIO, 30.0, "×", 30, "<=")]


def rows(table: str) -> dict[str, list[str]]:
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    return {row[0]: row[1:] for row in cells}


def test_parse_keeps_only_bench_lines_in_order():
    figures = parse_bench(SQLITE)
    assert [f["figure"] for f in figures] == [LIST, Q, SCAN, RATIO]
    assert figures[0]["value"] == 21.7 and figures[1]["target"] is None


def test_side_by_side_has_both_columns_targets_and_marks():
    table = side_by_side({"sqlite": parse_bench(SQLITE), "postgresql": parse_bench(POSTGRES)})
    assert table.splitlines()[0] == ("| figure | target | SQLite | PostgreSQL | within target (SQLite, PostgreSQL) |")
    by_name = rows(table)
    assert by_name[LIST] == ["< 25 ms", "21.7 ms", "99.4 ms", "✓ ✗"]
    assert by_name[Q] == ["", "9.9 ms", "failed", "– ✗"]   # PostgreSQL printed none
    assert by_name[SCAN] == ["< 2 s / < 1 s", "0.62 s", "0.80 s", "✓ ✓"]
    assert by_name[RATIO][-1] == "✓ ✓"                                 # ≤ 30× holds at 30×


def test_one_database_gives_one_column():
    table = side_by_side({"postgresql": parse_bench(POSTGRES)})
    assert table.splitlines()[0] == "| figure | target | PostgreSQL | within target |"


def test_growth_checks_linear_and_the_large_target():
    small = parse_bench(POSTGRES)
    large = [dict(f, size=200_000) for f in small]
    large[0]["value"], large[0]["target"] = 40.0, 50     # 99.4 → 40 ms: better than linear, within 50 ms
    large[1]["value"], large[1]["target"] = 9.0, 10      # 0.8 → 9 s: 11× for 10× the systems
    by_name = rows(growth(small, large[:2]))
    assert by_name[LIST] == ["99.4 ms", "40.0 ms", "0.4×", "✓", "< 50 ms", "✓"]
    assert by_name[SCAN] == ["0.80 s", "9.00 s", "11.2×", "✗", "< 10 s", "✓"]
    assert by_name[RATIO][1] == "failed"


def test_growth_is_linear_up_to_what_the_linear_reference_grew():
    """A linear reference (the NumPy pass) that grew 11.2× for 10× the systems shows what linear costs on the
    machine: a scan that grew 10.3× is linear, one that grew 11.5× is not; without a reference, 10× is."""
    reference = "NumPy pass in memory"
    small = [json.loads(line(SCAN, 0.3, "s", 1)[6:]), json.loads(line(RATIO, 0.3, "s", None)[6:]),
             dict(json.loads(line(reference, 12.0, "ms", None)[6:]), linear_reference=True)]
    large = [dict(f, size=200_000) for f in small]
    large[0]["value"], large[1]["value"], large[2]["value"] = 3.09, 3.45, 134.4
    table = growth(small, large)
    assert rows(table.split("\n\n")[0])[SCAN][2:4] == ["10.3×", "✓"]
    assert rows(table.split("\n\n")[0])[RATIO][2:4] == ["11.5×", "✗"]
    assert "“NumPy pass in memory” grew 11.2× for 10× the systems" in table
    without = growth(small[:2], large[:2])
    assert rows(without)[SCAN][2:4] == ["10.3×", "✗"] and "reference" not in without


def test_readme_deployment_notes_carry_the_settings():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("```ini\n", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    assert "\n".join(lines) + "\n" == conf_snippet()


def test_a_speed_up_target_is_reached_from_below():
    speedup = "change pipeline speed-up over plain sequential"
    table = side_by_side({"sqlite": parse_bench([line(speedup, 8.0, "×", 8, ">=")]),
                          "postgresql": parse_bench([line(speedup, 7.9, "×", 8, ">=")])})
    assert rows(table)[speedup] == ["≥ 8×", "8.0×", "7.9×", "✓ ✗"]
