"""Holiday arrangements for tests: a complete one for 2027 (a year the library does not know), shaped as
the State Council publishes them, and ways to spoil it."""
from __future__ import annotations

import copy

ARRANGEMENT_2027 = {
    "year": 2027, "note": "国办发明电〔2026〕1号",
    "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"},
                 {"name": "春节", "from": "2027-02-06", "to": "2027-02-13"},
                 {"name": "清明节", "from": "2027-04-03", "to": "2027-04-05"},
                 {"name": "劳动节", "from": "2027-05-01", "to": "2027-05-05"},
                 {"name": "端午节", "from": "2027-06-09", "to": "2027-06-11"},
                 {"name": "中秋节", "from": "2027-09-15", "to": "2027-09-17"},
                 {"name": "国庆节", "from": "2027-10-01", "to": "2027-10-07"}],
    "workdays": [{"name": "春节调休", "date": "2027-02-14"}, {"name": "劳动节调休", "date": "2027-04-25"},
                 {"name": "劳动节调休", "date": "2027-05-08"}, {"name": "国庆节调休", "date": "2027-09-26"},
                 {"name": "国庆节调休", "date": "2027-10-09"}],
}
HOLIDAY_DAYS_2027 = 3 + 8 + 3 + 5 + 3 + 3 + 7


def arrangement_2027(**changes) -> dict:
    """A deep copy of the complete 2027 arrangement with top-level keys replaced."""
    return {**copy.deepcopy(ARRANGEMENT_2027), **changes}


def without(*names: str) -> dict:
    """The 2027 arrangement less the periods whose names are given."""
    return arrangement_2027(holidays=[h for h in ARRANGEMENT_2027["holidays"] if h["name"] not in names])


def as_yaml(arrangement: dict) -> str:
    """The arrangement as an administrator pastes it on the page or writes it for the CLI."""
    import yaml
    return yaml.safe_dump(arrangement, allow_unicode=True, sort_keys=False)
