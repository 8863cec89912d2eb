"""Each zombie criterion at its threshold: just under, at, just over, and with data missing."""
from datetime import date
from decimal import Decimal

import pytest

from control.core.policy import ZombiePolicy
from control.zombies import rules
from control.zombies.rules import SystemFacts, Usage, dice, evaluate, ngrams

P = ZombiePolicy()
AS_OF = date(2026, 11, 22)


def facts(**kw) -> SystemFacts:
    base = {
        "id": 1,
        "department_id": 1,
        "name": "系统",
        "function_description": "学籍登记与查询",
        "use_scopes": ["department"],
        "usage_frequency": "daily",
        "om_vendors": "某公司",
        "om_cost_yearly": Decimal("5"),
    }
    return SystemFacts(**{**base, **kw})


# (1) business disconnected: requests ≤ 1 on ≥ 95 % of the 90 days with data, or no logins at all.
@pytest.mark.parametrize("low_days,status", [(85, "not_held"), (86, "held"), (90, "held")])
def test_business_disconnected_share_of_quiet_days(low_days, status):
    # 86/90 = 95.6 % ≥ 95 %; 85/90 = 94.4 % just under.
    u = Usage(req_days=90, req_low_days=low_days, login_days=90, logins=300)
    assert rules.business_disconnected(u, P, AS_OF)["status"] == status


def test_business_disconnected_exactly_at_the_share():
    u = Usage(req_days=80, req_low_days=76, login_days=80, logins=10)   # 76/80 = 95 % exactly
    assert rules.business_disconnected(u, P, AS_OF)["status"] == "held"


def test_business_disconnected_no_logins_at_all():
    u = Usage(req_days=0, login_days=90, logins=0)
    r = rules.business_disconnected(u, P, AS_OF)
    assert r["status"] == "held" and "无任何登录" in r["sentence"]
    u.logins = 1
    assert rules.business_disconnected(u, P, AS_OF)["status"] == "not_held"


def test_business_disconnected_missing_data_is_never_held():
    # 71 days of 90 is under the 80 % coverage (72 days): insufficient even though every day is quiet.
    r = rules.business_disconnected(Usage(req_days=71, req_low_days=71, login_days=0), P, AS_OF)
    assert r["status"] == "insufficient_data"
    assert rules.business_disconnected(Usage(req_days=72, req_low_days=72), P, AS_OF)["status"] == "held"


# (2) replaceable: named replacement (held) or near-identical description (possible).
def test_replaceable():
    assert rules.replaceable(facts(replaced_by="省一体化平台"), None, P)["status"] == "held"
    assert rules.replaceable(facts(), ("另一系统", 0.8), P)["status"] == "possible"
    assert rules.replaceable(facts(), ("另一系统", 0.79), P)["status"] == "not_held"
    assert rules.replaceable(facts(function_description=""), ("x", 0.99), P)["status"] == "insufficient_data"


def ngram_similarity(a: str, b: str, n: int) -> float:
    return dice(ngrams(a, n), ngrams(b, n))


def test_ngram_similarity():
    assert ngram_similarity("学籍登记、转学、毕业管理", "学籍登记 转学 毕业管理", 2) == 1.0
    assert ngram_similarity("学籍登记", "疫苗接种", 2) == 0.0
    assert 0.8 <= ngram_similarity("全县中小学学籍登记与查询", "全县中小学学籍登记和查询", 2) < 1


# (3) idle resources: cpu ≤ 0.05 and net ≤ 5 MB on ≥ 90 % of 30 days.
@pytest.mark.parametrize("idle,status", [(26, "not_held"), (27, "held"), (30, "held")])
def test_idle_resources(idle, status):
    assert rules.idle_resources(Usage(idle_days_with_data=30, idle_days=idle), P, AS_OF)["status"] == status


def test_idle_resources_missing_data():
    r = rules.idle_resources(Usage(idle_days_with_data=23, idle_days=23), P, AS_OF)
    assert r["status"] == "insufficient_data"
    assert rules.explain({"idle_resources": r}, P, AS_OF)["idle_resources"]["window"]["days"] == 30


# (4) maintenance stopped.
def test_maintenance_stopped_paths():
    assert rules.maintenance_stopped(facts(om_vendors="", om_cost_yearly=Decimal(0)), Usage(), P, AS_OF)["status"] \
        == "held"
    ended = facts(om_vendors=None, om_cost_yearly=Decimal(3), build_date=date(2020, 1, 1), warranty_years=Decimal(3))
    assert rules.maintenance_stopped(ended, Usage(), P, AS_OF)["status"] == "held"
    observed_long = Usage(first_day=date(2025, 1, 1))
    assert rules.maintenance_stopped(facts(), observed_long, P, AS_OF)["status"] == "held"
    # A deployment 364 days ago (inside the window) vs 365 days ago (just outside).
    inside = Usage(first_day=date(2025, 1, 1), last_deployment_day=date(2025, 11, 23))
    outside = Usage(first_day=date(2025, 1, 1), last_deployment_day=date(2025, 11, 22))
    assert rules.maintenance_stopped(facts(), inside, P, AS_OF)["status"] == "not_held"
    assert rules.maintenance_stopped(facts(), outside, P, AS_OF)["status"] == "held"
    recent_change = Usage(first_day=date(2025, 1, 1), last_recorded_change=date(2026, 6, 1))
    assert rules.maintenance_stopped(facts(), recent_change, P, AS_OF)["status"] == "not_held"


def test_maintenance_stopped_short_observation_is_insufficient():
    assert rules.maintenance_stopped(facts(), Usage(first_day=date(2026, 9, 1)), P, AS_OF)["status"] \
        == "insufficient_data"


# (5) small scope, low frequency.
@pytest.mark.parametrize("low,status", [(80, "not_held"), (81, "held")])
def test_small_scope_by_active_users(low, status):
    f = facts(use_scopes=["office"], usage_frequency="daily")
    assert rules.small_scope_low_frequency(f, Usage(au_days=90, au_low_days=low), P, AS_OF)["status"] == status


def test_small_scope_by_census_frequency_and_missing():
    assert rules.small_scope_low_frequency(facts(use_scopes=["office"], usage_frequency="yearly"), Usage(), P,
                                           AS_OF)["status"] == "held"
    assert rules.small_scope_low_frequency(facts(use_scopes=["office", "department"]), Usage(), P, AS_OF)["status"] \
        == "not_held"
    assert rules.small_scope_low_frequency(facts(use_scopes=[]), Usage(), P, AS_OF)["status"] == "insufficient_data"
    assert rules.small_scope_low_frequency(facts(use_scopes=["office"], usage_frequency=None), Usage(), P,
                                           AS_OF)["status"] == "insufficient_data"


# The verdict.
def test_candidate_rules():
    quiet = Usage(req_days=90, req_low_days=90, login_days=90, logins=5, idle_days_with_data=30, idle_days=0,
                  first_day=date(2026, 1, 1))
    status, held, criteria = evaluate(facts(), quiet, P, AS_OF, None)
    assert status.value == "candidate" and held == ["business_disconnected"]
    assert set(criteria) == {"business_disconnected", "replaceable", "idle_resources", "maintenance_stopped",
                             "small_scope_low_frequency"}
    busy = Usage(req_days=90, req_low_days=0, login_days=90, logins=500, idle_days_with_data=30, idle_days=0,
                 au_days=90, au_low_days=90, first_day=date(2026, 1, 1))
    two = facts(use_scopes=["office"], usage_frequency="yearly", om_vendors="", om_cost_yearly=Decimal(0))
    assert evaluate(two, busy, P, AS_OF, None)[0].value == "candidate"          # (4) and (5)
    one = facts(use_scopes=["office"], usage_frequency="yearly")
    assert evaluate(one, busy, P, AS_OF, None)[0].value == "healthy"             # (5) alone
    assert evaluate(facts(), Usage(), P, AS_OF, None)[0].value == "insufficient_data"


def test_a_switched_off_criterion_never_holds():
    off = P.model_copy(deep=True)
    off.criteria.idle_resources.enabled = False
    idle = Usage(idle_days_with_data=30, idle_days=30, req_days=90, req_low_days=0, login_days=90, logins=9)
    status, held, criteria = evaluate(facts(), idle, off, AS_OF, None)
    assert criteria["idle_resources"]["status"] == "disabled" and status.value == "healthy"
