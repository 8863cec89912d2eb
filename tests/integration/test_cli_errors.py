"""Every way a `yunzhang` command can fail ends in one zh-CN line on stderr and a non-zero exit, never a
traceback (issue 12, point 12); YUNZHANG_DEBUG=1 keeps the traceback for whoever hunts a bug."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from control.core.clock import today
from tests.integration.test_cli import run

HAN = re.compile(r"[\u4e00-\u9fff]")


def one_line(r) -> str:
    """The command failed with exactly one line of zh-CN on stderr and no traceback."""
    assert r.returncode != 0, r.stdout
    assert "Traceback" not in r.stderr and "Error" not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert HAN.search(lines[0]), lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    """A demo database shared by the tests that need one (none of them writes)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-errors') / 'cli.db'}"
    for args in (("db", "upgrade"), ("demo", "load")):
        assert run(url, *args).returncode == 0
    return url


def test_mistyped_choice_names_the_option_and_lists_the_values_in_zh(url, tmp_path):
    line = one_line(run(url, "systems", "export", str(tmp_path / "x.xlsx"), "--status", "runing"))
    assert line.startswith("--status 只能是：") and "running（正在运行）" in line and "decommissioned（已下线）" in line
    assert "“runing”" in line and "yunzhang systems export --help" in line
    line = one_line(run(url, "requests", "list", "--queue", "acceptence"))
    assert "acceptance（受理审批）" in line


def test_a_value_of_the_wrong_type_or_range_says_what_it_should_be(url):
    assert one_line(run(url, "calendar", "add-days", "2026-13-01", "3")).startswith("START 日期格式应为")
    assert one_line(run(url, "calendar", "add-days", "2026-10-01", "x")).startswith("DAYS 应为整数")
    assert "--limit 不能小于 1" in one_line(run(url, "requests", "list", "--limit", "0"))
    assert "--port 不能大于 65535" in one_line(run(url, "serve", "--port", "99999"))


def test_short_password_gives_the_validation_sentence(url):
    line = one_line(run(url, "user", "add", "zhaoliu", "--role", "department", "--password-stdin", stdin="short\n"))
    assert line == "密码：至少 8 个字符"


def test_a_file_that_is_not_xlsx_is_named_as_such(url, tmp_path):
    bogus = tmp_path / "census.xlsx"
    bogus.write_text("name,code\n", encoding="utf-8")
    line = one_line(run(url, "systems", "import", str(bogus)))
    assert "不是可读取的 .xlsx 工作簿" in line and "None" not in line and "未写入任何数据" in line


def test_a_missing_file_or_folder_is_named(url, tmp_path):
    missing = tmp_path / "nope" / "file.xlsx"
    for args in (("systems", "import"), ("metrics", "import"), ("zombies", "export")):
        assert one_line(run(url, *args, str(missing))) == f"无法读写 {missing}：文件或目录不存在"


def test_zombie_scan_as_of_a_future_or_ancient_date_is_refused(url):
    tomorrow = (today() + timedelta(days=1)).isoformat()
    line = one_line(run(url, "zombies", "scan", "--as-of", tomorrow))
    assert f"判定基准日 {tomorrow} 晚于今天" in line
    assert one_line(run(url, "zombies", "scan", "--as-of", "0001-01-01")) == "判定基准日 0001-01-01 早于 1900-01-01"


def test_a_service_error_prints_its_detail(url):
    assert one_line(run(url, "user", "add", "edu", "--role", "department", "--password-stdin",
                        stdin="a-long-password\n")) == "用户名 edu 已存在"


def test_unknown_codes_commands_and_options_say_so(url, tmp_path):
    line = one_line(run(url, "systems", "export", str(tmp_path / "x.xlsx"), "--department", "NOPE"))
    assert line == "部门代码 NOPE 不存在"
    line = one_line(run(url, "system", "export"))
    assert line.startswith("没有命令 system（是否想用 systems？）；可用的命令：serve、worker、db、")
    assert "是否想用 --status？" in one_line(run(url, "systems", "export", "x.xlsx", "--statu", "running"))
    assert one_line(run(url, "systems", "export")).startswith("缺少参数 FILE")
    assert one_line(run(url, "systems", "export", "a.xlsx", "b.xlsx")).startswith("多余的参数：b.xlsx")
    assert one_line(run(url, "db", "upgrade", "--revision", "nope")).startswith("没有数据库结构版本 nope")


def test_database_and_settings_problems_are_one_line(tmp_path, monkeypatch):
    line = one_line(run(f"sqlite:///{tmp_path / 'empty.db'}", "requests", "list"))
    assert line == "数据库还没有建表或结构不是最新：请先运行 yunzhang db upgrade"
    monkeypatch.setenv("YUNZHANG_TOKEN_TTL_SECONDS", "soon")
    assert one_line(run(f"sqlite:///{tmp_path / 'empty.db'}", "requests", "list")) == \
        "YUNZHANG_TOKEN_TTL_SECONDS：应为整数"


def test_an_unexpected_error_is_one_line_that_points_at_the_debug_switch():
    from control.cli import explain
    message, code = explain(RuntimeError("boom\n  at line 3"))
    assert code == 1 and "\n" not in message and "RuntimeError：boom" in message and "YUNZHANG_DEBUG=1" in message


def test_debug_switch_shows_the_traceback(url, monkeypatch):
    monkeypatch.setenv("YUNZHANG_DEBUG", "1")
    r = run(url, "zombies", "scan", "--as-of", (today() + timedelta(days=1)).isoformat())
    assert r.returncode != 0 and "Traceback" in r.stderr and "ValidationFailed" in r.stderr
