"""The alert rules pass promtool's checks and unit tests (Debian's prometheus package)."""
import shutil
import subprocess
from pathlib import Path

MONITORS = Path(__file__).resolve().parents[2] / "monitors"


def promtool(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("promtool")
    assert exe, "promtool not found: `make test` installs Debian's prometheus package"
    return subprocess.run([exe, *args], cwd=MONITORS, capture_output=True, text=True, timeout=60)


def test_rules_are_valid():
    r = promtool("check", "rules", "yunzhang.rules.yml")
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_alert_has_a_passing_unit_test():
    r = promtool("test", "rules", "tests.yml")
    assert r.returncode == 0, r.stdout + r.stderr
    rules = (MONITORS / "yunzhang.rules.yml").read_text(encoding="utf-8")
    tests = (MONITORS / "tests.yml").read_text(encoding="utf-8")
    alerts = [line.split(":", 1)[1].strip() for line in rules.splitlines() if line.strip().startswith("- alert:")]
    assert alerts and all(f"alertname: {a}" in tests for a in alerts)
