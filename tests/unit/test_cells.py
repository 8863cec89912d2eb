"""Cell parsing of census spreadsheets: every tolerated form and every error."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from control.systems.cells import (
    COUNT_UNITS,
    MONEY_UNITS,
    YEAR_UNITS,
    CellError,
    format_bool,
    format_multi,
    is_blank,
    is_bool_mark,
    not_applicable,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_enum,
    parse_int,
    parse_level,
    parse_multi,
    parse_text,
    parse_user_count,
    ticked,
)
from control.systems.enums import Network, SystemStatus, UsageFrequency, UseScope


@pytest.mark.parametrize("raw", ["2017年1月10日", "2017年01月10日", "2017年1月10号", "2017年1月10", "2017-01-10",
                                 "2017-1-10", "2017.1.10", "2017/1/10", " 2017/01/10 ", "2017 年 1 月 10 日",
                                 "２０１７年１月１０日", "２０１７．１．１０", "20170110", 42745, 42745.0, 42745.75,
                                 datetime(2017, 1, 10, 8, 30), date(2017, 1, 10)])
def test_dates(raw):
    assert parse_date(raw) == date(2017, 1, 10)


@pytest.mark.parametrize("raw,expected", [("2017年1月", date(2017, 1, 1)), ("2017-01", date(2017, 1, 1)),
                                          ("2017.10", date(2017, 10, 1)), ("2017年1月份", date(2017, 1, 1)),
                                          ("2017年", date(2017, 1, 1)), ("2017", date(2017, 1, 1)),
                                          (2017, date(2017, 1, 1)), ("", None), (None, None), ("  ", None)])
def test_partial_dates_mean_the_first_day(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw,fragment", [("2017年13月1日", "不是存在的日期"), ("2017-02-30", "不是存在的日期"),
                                          ("去年", "2017年1月10日"), ("10/1/2017", "2017-01-10"),
                                          ("2017.1.10.5", "Excel 日期"), (-5, "不是有效的日期"),
                                          (3e6, "不是有效的日期"), (2017.1, "分不清 1 月和 10 月")])
def test_bad_dates_say_what_is_accepted(raw, fragment):
    with pytest.raises(CellError) as exc:
        parse_date(raw)
    assert exc.value.code == "invalid_date" and fragment in exc.value.message


@pytest.mark.parametrize("raw", ["☑", "☒", "√", "✓", "✔", "是", "Y", "y", "yes", "YES", "true", "True", "1", " 是 ",
                                 "Ｙ", "有", True, "☑是 ☐否", "☑ 是  □ 否"])
def test_ticks_for_yes(raw):
    assert parse_bool(raw) is True


@pytest.mark.parametrize("raw", ["☐", "□", "否", "N", "n", "no", "false", "0", "×", "✗", "X", "无", "不是", False,
                                 "☐是 ☑否"])
def test_ticks_for_no(raw):
    assert parse_bool(raw) is False


@pytest.mark.parametrize("raw", [None, "", "  ", "\n"])
def test_blank_tick_is_unknown(raw):
    assert parse_bool(raw) is None


@pytest.mark.parametrize("raw", ["也许", "☑是 ☑否", "2"])
def test_bad_tick(raw):
    with pytest.raises(CellError, match="是/否、☑/☐、√/×、Y/N") as exc:
        parse_bool(raw)
    assert exc.value.code == "invalid_bool"


@pytest.mark.parametrize(
    "raw",
    [
        "电子政务外网、互联网",
        "电子政务外网,互联网",
        "电子政务外网，互联网",
        "电子政务外网;互联网",
        "电子政务外网；互联网",
        "电子政务外网\n互联网",
        "电子政务外网\r\n互联网",
        "外网 / 互联网",
        "外网／互联网",
        "外网、、互联网、",
        "政务外网、互联网、外网",
        "☑电子政务外网、☑互联网",
        "☐电子政务内网 ☑电子政务外网 ☐业务专网 ☑互联网",
        "extranet,internet",
    ],
)
def test_several_networks_in_one_cell(raw):
    assert parse_multi(raw, Network) == [Network.extranet, Network.internet]


def test_several_scopes_and_none_ticked():
    assert parse_multi("科室内部；本部门", UseScope) == [UseScope.office, UseScope.department]
    assert parse_multi("☐科室内部 ☐本部门或管理单位", UseScope) == []
    assert parse_multi(None, UseScope) == [] and parse_multi(" ", UseScope) == []


def test_unknown_choice_names_the_choices():
    with pytest.raises(CellError, match="电子政务内网、电子政务外网、业务专网、互联网") as exc:
        parse_multi("外网、卫星网", Network)
    assert exc.value.code == "invalid_choice" and "卫星网" in exc.value.message


@pytest.mark.parametrize("raw,expected", [("每日", UsageFrequency.daily), ("每　季度", UsageFrequency.quarterly),
                                          (" 按需 ", UsageFrequency.on_demand), ("不定期", UsageFrequency.on_demand),
                                          ("daily", UsageFrequency.daily), ("Weekly", UsageFrequency.weekly),
                                          ("☐每日 ☑每周 ☐每月", UsageFrequency.weekly), ("☐每日 ☐每周", None),
                                          ("", None)])
def test_single_choice(raw, expected):
    assert parse_enum(raw, UsageFrequency) is expected


def test_single_choice_errors():
    with pytest.raises(CellError, match="正在运行、停止运行") as exc:
        parse_enum("运转良好", SystemStatus)
    assert exc.value.code == "invalid_choice"
    with pytest.raises(CellError, match="只勾选一项") as exc:
        parse_enum("☑正在运行 ☑停止运行", SystemStatus)
    assert exc.value.code == "invalid_choice"


def test_ticked_lines():
    assert ticked("☑正在运行 ☐停止运行 ☐其他") == ["正在运行"]
    assert ticked("正在运行") is None and ticked("√") is None


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("不固定", (None, True)),
        (" 不固定 ", (None, True)),
        ("不 固 定", (None, True)),
        ("变动频繁", (None, True)),
        ("120", (120, False)),
        ("１２０", (120, False)),
        (120, (120, False)),
        (120.0, (120, False)),
        ("120人", (120, False)),
        ("1,200", (1200, False)),
        ("约500人", (500, False)),
        ("500余人", (500, False)),
        ("0", (0, False)),
        (None, (None, False)),
        ("", (None, False)),
    ],
)
def test_user_count(raw, expected):
    assert parse_user_count(raw) == expected


@pytest.mark.parametrize("raw", ["很多", "12.5", "全县干部"])
def test_bad_user_count(raw):
    with pytest.raises(CellError, match="不固定") as exc:
        parse_user_count(raw)
    assert exc.value.code == "invalid_number"


@pytest.mark.parametrize("raw,expected", [("12.5", Decimal("12.5")), ("１２．５", Decimal("12.5")),
                                          (" 12.5 ", Decimal("12.5")), ("12.5万元", Decimal("12.5")),
                                          ("12.5万", Decimal("12.5")), ("１２．５万元", Decimal("12.5")),
                                          ("125000元", Decimal("12.5")), ("1,200万", Decimal("1200")),
                                          ("0.5亿元", Decimal("5000")), ("￥12.5万元", Decimal("12.5")),
                                          ("约12.5万元", Decimal("12.5")), (52.5, Decimal("52.5")), (8, Decimal("8")),
                                          ("", None), (None, None)])
def test_money(raw, expected):
    assert parse_decimal(raw, MONEY_UNITS) == expected


@pytest.mark.parametrize("raw,expected", [("3年", Decimal("3")), ("3", Decimal("3")), ("36个月", Decimal("3")),
                                          ("18个月", Decimal("1.5")), ("2.5年", Decimal("2.5"))])
def test_years(raw, expected):
    assert parse_decimal(raw, YEAR_UNITS) == expected


@pytest.mark.parametrize("raw,units", [("五十万", MONEY_UNITS), ("12.5万美元", MONEY_UNITS), ("3年", None),
                                       ("12..5", MONEY_UNITS), ("NaN", None), ("三年", YEAR_UNITS)])
def test_bad_numbers_name_the_units(raw, units):
    with pytest.raises(CellError) as exc:
        parse_decimal(raw, units)
    assert exc.value.code == "invalid_number" and "不是数字" in exc.value.message
    if units:
        assert "、".join(units) in exc.value.message


def test_integers():
    assert parse_int("120人", COUNT_UNITS) == 120 and parse_int(" ７ ") == 7 and parse_int(None) is None
    with pytest.raises(CellError, match="整数") as exc:
        parse_int("2.5")
    assert exc.value.code == "invalid_number"


@pytest.mark.parametrize("raw,expected", [(3, 3), (3.0, 3), ("3", 3), ("３", 3), ("3级", 3), ("三级", 3), ("第三级", 3),
                                          ("等保三级", 3), ("等保3级", 3), ("二级", 2), ("等级保护四级", 4), ("7", 7),
                                          (None, None)])
def test_protection_levels(raw, expected):
    assert parse_level(raw) == expected


def test_bad_protection_level():
    with pytest.raises(CellError, match="1–5") as exc:
        parse_level("高")
    assert exc.value.code == "invalid_number"


def test_text_is_trimmed_and_numbers_become_text():
    assert parse_text("  县教育局  ") == "县教育局"
    assert parse_text(13800000000.0) == "13800000000" and parse_text(13800000000) == "13800000000"
    assert parse_text(12.5) == "12.5"
    assert parse_text("   ") is None and parse_text(None) is None
    assert is_blank(" \n ") and not is_blank(0)


def test_formatting_reads_back():
    assert format_bool(True) == "是" and format_bool(False) == "否" and format_bool(None) is None
    text = format_multi(["extranet", "internet"], Network)
    assert text == "电子政务外网、互联网" and parse_multi(text, Network) == [Network.extranet, Network.internet]
    assert format_multi([], Network) is None


def test_text_is_cleaned_nfc_without_controls_and_one_line_when_asked():
    assert parse_text("Cafe\u0301\x0b系\x00统\x1b") == "Caf\u00e9系统"
    assert parse_text("第一行\n第二行") == "第一行\n第二行"
    assert parse_text(" 第一行\r\n\t第二行 ", multiline=False) == "第一行 第二行"
    assert parse_text("\x0b\x00") is None


@pytest.mark.parametrize("text", ["无", "暂无", "/", "／", "—", "——", "－", "-", "--", "空", "无。", " 无 ", "暂无。",
                                  "N/A", "不适用", "没有", "\\"])
def test_not_applicable_marks(text):
    assert not_applicable(text)


@pytest.mark.parametrize("value", ["无线网", "否", "0", "", None, 0, "/公司", "1-2", "空调系统"])
def test_what_is_not_a_not_applicable_mark(value):
    assert not not_applicable(value)


def test_no_in_a_yes_no_column_stays_a_no():
    assert is_bool_mark("无") and is_bool_mark("×") and not is_bool_mark("/") and not is_bool_mark("暂无")
