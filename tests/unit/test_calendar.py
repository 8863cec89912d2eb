"""Working days across the 2026 Spring Festival and National Day, make-up days, unknown years and
administrator arrangements."""
from dataclasses import replace
from datetime import date

import pytest

from control.core.calendar import (
    CalendarLimits,
    UnknownYear,
    WorkingCalendar,
    YearArrangement,
    festival_day,
    library_arrangement,
    library_years,
)
from control.core.errors import ValidationFailed
from control.settings import Settings
from tests.calendar_samples import ARRANGEMENT_2027, arrangement_2027, without

CAL = WorkingCalendar()
D = date


@pytest.mark.parametrize("start,days,due", [
    # Spring Festival 2026: off 02-15..02-23; make-up working Saturdays 02-14 and 02-28.
    (D(2026, 2, 12), 1, D(2026, 2, 13)),
    (D(2026, 2, 13), 1, D(2026, 2, 14)),   # the make-up Saturday counts
    (D(2026, 2, 12), 5, D(2026, 2, 26)),   # Fri, Sat(make-up), then the holiday, then Tue Wed Thu
    (D(2026, 2, 14), 1, D(2026, 2, 24)),   # start on a make-up day: it does not count itself
    (D(2026, 2, 16), 1, D(2026, 2, 24)),   # start on a holiday
    (D(2026, 2, 16), 5, D(2026, 2, 28)),   # 24 25 26 27 and the make-up Saturday 28
    (D(2026, 2, 27), 1, D(2026, 2, 28)),
    # National Day 2026: off 10-01..10-07; make-up Sunday 09-20 and Saturday 10-10.
    (D(2026, 9, 18), 1, D(2026, 9, 20)),   # the make-up Sunday
    (D(2026, 9, 30), 1, D(2026, 10, 8)),
    (D(2026, 10, 3), 2, D(2026, 10, 9)),
    (D(2026, 10, 9), 1, D(2026, 10, 10)),  # the make-up Saturday
    (D(2026, 9, 25), 5, D(2026, 10, 9)),   # 28 29 30, 8, 9
    (D(2026, 9, 30), 15, D(2026, 10, 27)),  # 8 9 10(make-up) 12–16 19–23 26 27
    (D(2026, 3, 2), 0, D(2026, 3, 2)),
])
def test_add_working_days(start, days, due):
    assert CAL.add_working_days(start, days) == due
    assert CAL.working_days_between(start, due) == days


def test_between_is_exclusive_of_start_and_signed():
    assert CAL.working_days_between(D(2026, 2, 13), D(2026, 2, 13)) == 0
    assert CAL.working_days_between(D(2026, 2, 26), D(2026, 2, 12)) == -5


def test_day_kinds():
    assert CAL.day_kind(D(2026, 2, 14)) == ("makeup", "春节")
    assert CAL.day_kind(D(2026, 10, 1)) == ("holiday", "国庆节")
    assert CAL.day_kind(D(2026, 3, 7))[0] == "weekend"
    assert CAL.day_kind(D(2026, 3, 9))[0] == "workday"


def test_unknown_year_is_refused_naming_it():
    with pytest.raises(UnknownYear) as exc:
        CAL.is_workday(D(2027, 1, 4))
    assert exc.value.year == 2027 and "2027" in exc.value.detail
    # A 15-working-day deadline from mid-December 2026 already needs 2027.
    with pytest.raises(UnknownYear, match="2027"):
        CAL.add_working_days(D(2026, 12, 15), 15)
    assert CAL.add_working_days(D(2026, 12, 15), 5) == D(2026, 12, 22)
    with pytest.raises(UnknownYear, match="2027"):
        CAL.working_days_between(D(2026, 12, 1), D(2027, 1, 10))


def test_admin_arrangement_makes_a_year_known():
    cal = WorkingCalendar({2027: YearArrangement.from_mapping(ARRANGEMENT_2027)})
    assert cal.known_until() == D(2027, 12, 31)
    assert cal.add_working_days(D(2026, 12, 15), 15) == D(2027, 1, 6)  # 16..31: 12 days; 1-3 off; 4 5 6
    assert cal.is_workday(D(2027, 2, 14)) and not cal.is_workday(D(2027, 2, 8))
    assert cal.source_of(2027) == "admin" and cal.source_of(2026) == "chinesecalendar"


def test_arrangement_corrects_a_library_year():
    body = library_arrangement(2026)
    body["holidays"] = [h for h in body["holidays"] if h["name"] != "国庆节"] + [
        {"name": "国庆节", "from": "2026-10-01", "to": "2026-10-06"}, {"name": "临时", "from": "2026-03-02"}]
    cal = WorkingCalendar({2026: YearArrangement.from_mapping(body)})
    assert not cal.is_workday(D(2026, 3, 2))
    assert cal.is_workday(D(2026, 10, 7))  # the arrangement replaces the library's year entirely


@pytest.mark.parametrize("year", sorted(library_years()))
def test_every_published_year_accounts_for_its_statutory_holidays(year):
    """The rule holds for every arrangement the State Council published (2020: 国庆 and 中秋 share one)."""
    arr = YearArrangement.from_mapping(library_arrangement(year))
    assert WorkingCalendar({year: arr})._workdays == WorkingCalendar()._workdays


@pytest.mark.parametrize("body,field,message", [
    (without("春节", "中秋节"), "holidays", "缺少法定节假日：春节、中秋节"),
    ({"year": 2027, "holidays": [{"name": "元旦", "from": "2027-01-01"}], "workdays": ["2027-02-14"]}, "holidays",
     "缺少法定节假日：春节、清明节、劳动节、端午节、中秋节、国庆节"),
    (arrangement_2027(workdays=[]), "workdays", "未列出调休上班日"),
    (arrangement_2027(no_makeup_days=True), "no_makeup_days", "却又列出了调休上班日"),
    (arrangement_2027(holidays=[*without("国庆节")["holidays"], {"name": "国庆节", "from": "2027-10-02",
                                                                 "to": "2027-10-08"}]),
     "holidays.6", "国庆节）应包含国庆节当天 2027-10-01"),
    (arrangement_2027(holidays=[*without("春节")["holidays"], {"name": "春节", "from": "2027-02-09",
                                                               "to": "2027-02-15"}]),
     "holidays.6", "应包含或紧邻春节当天 2027-02-06"),
    (arrangement_2027(holidays=[*without("中秋节")["holidays"], {"name": "中秋", "from": "2027-09-18"}]),
     "holidays.6", "应包含或紧邻中秋节当天 2027-09-15"),
])
def test_an_incomplete_or_implausible_arrangement_is_refused_naming_what_is_missing(body, field, message):
    with pytest.raises(ValidationFailed, match=message) as exc:
        YearArrangement.from_mapping(body)
    assert field in [e["field"] for e in exc.value.errors]


def test_two_holidays_may_share_a_period_and_a_year_may_declare_no_makeup_days():
    shared = [h for h in ARRANGEMENT_2027["holidays"] if h["name"] not in ("中秋节", "国庆节")] + [
        {"name": "中秋节、国庆节", "from": "2027-09-15", "to": "2027-09-17"},
        {"name": "国庆节", "from": "2027-10-01", "to": "2027-10-07"}]
    assert YearArrangement.from_mapping(arrangement_2027(holidays=shared)).holidays[date(2027, 9, 16)]
    assert {"name": "国庆节、中秋节", "from": date(2020, 10, 1), "to": date(2020, 10, 8)} in \
        library_arrangement(2020)["holidays"]
    arr = YearArrangement.from_mapping(arrangement_2027(workdays=[], no_makeup_days=True))
    assert arr.workdays == {}
    old = YearArrangement.from_mapping({"year": 2005, "holidays": [  # before 2008: 元旦, 春节, 劳动节, 国庆节
        {"name": "元旦", "from": "2005-01-01", "to": "2005-01-03"}, {"name": "春节", "from": "2005-02-09",
                                                                     "to": "2005-02-15"},
        {"name": "劳动节", "from": "2005-05-01", "to": "2005-05-07"}, {"name": "国庆节", "from": "2005-10-01",
                                                                       "to": "2005-10-07"}],
        "workdays": ["2005-02-05"]})
    assert old.year == 2005


def test_beyond_the_lunar_tables_names_alone_are_checked():
    """A policy file may hold a year past lunardate's (2099) and the solar terms' (2100) reach."""
    assert [festival_day(h, 2150) for h in ("春节", "清明节", "端午节", "中秋节")] == [None] * 4
    days = {"元旦": "01-01", "春节": "02-02", "清明节": "04-04", "劳动节": "05-01", "端午节": "06-06",
            "中秋节": "09-09", "国庆节": "10-01"}
    body = {"year": 2150, "holidays": [{"name": h, "from": f"2150-{d}"} for h, d in days.items()],
            "no_makeup_days": True}
    assert len(YearArrangement.from_mapping(body).holidays) == 7


@pytest.mark.parametrize("bad,field,message", [
    ({"year": 2027, "workdays": ["2027-02-15"]}, "workdays.0.date", "应为周六或周日"),
    ({"year": 2027, "holidays": [{"name": "x", "from": "2028-01-01"}]}, "holidays.0", "不在 2027 年内"),
    ({"year": 2027, "holidays": [{"name": "x", "from": "2027-01-05", "to": "2027-01-01"}]}, "holidays.0.to", "早于"),
    ({"year": 2027, "holidays": [{"name": "x", "from": "2027-02-13"}], "workdays": ["2027-02-13"]},
     "workdays.0.date", "既是"),
    ({"year": 2027, "holidays": [{"name": "a", "from": "2027-02-01", "to": "2027-02-07"},
                                 {"name": "b", "from": "2027-02-07", "to": "2027-02-09"}]}, "holidays.1", "重叠"),
    ({"year": 2027, "workdays": ["2027-02-13", "2027-02-13"]}, "workdays.1.date", "重复"),
    ({"year": 0}, "year", "2000–2100"),
    ({"year": 2201}, "year", "2000–2100"),
    ({"holidays": []}, "year", "格式有误"),
    ({"year": 2027, "holidays": [{"from": "2027-01-01"}]}, "holidays.0.name", "格式有误"),
    ({"year": 2027, "holidays": [{"name": "x", "from": "2027-02-30"}]}, "holidays.0.from", "格式有误"),
    ({"year": 2027, "holidays": "元旦"}, "holidays", "格式有误"),
    ([], "", "格式有误"),
])
def test_bad_arrangements_name_the_field(bad, field, message):
    with pytest.raises(ValidationFailed, match=message) as exc:
        YearArrangement.from_mapping(bad, limits=CalendarLimits.of(Settings()))
    assert exc.value.status == 422 and field in [e["field"] for e in exc.value.errors]


def test_a_policy_file_keeps_to_the_dates_the_service_can_hold():
    with pytest.raises(ValidationFailed, match="1900–2200"):
        YearArrangement.from_mapping({"year": 0})


def test_arrangement_size_is_bounded():
    many = {"year": 2027, "holidays": [{"name": "x", "from": f"2027-03-{d:02d}"} for d in range(1, 32)]}
    with pytest.raises(ValidationFailed, match="最多 30 段"):
        YearArrangement.from_mapping(many, limits=replace(CalendarLimits.of(Settings()), max_holidays=30))


def test_a_policy_file_year_goes_through_the_same_rule(tmp_path):
    import yaml

    from control.core.policy import DEFAULT_POLICY, PolicyError, load_policy
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({**policy, "calendar_years": [without("国庆节")]}, allow_unicode=True),
                    encoding="utf-8")
    with pytest.raises(PolicyError, match="缺少法定节假日：国庆节"):
        load_policy(path)
    path.write_text(yaml.safe_dump({**policy, "calendar_years": [ARRANGEMENT_2027]}, allow_unicode=True),
                    encoding="utf-8")
    assert load_policy(path).calendar_arrangements()[0].year == 2027
