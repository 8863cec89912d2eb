"""judge() decides a whole scan with array arithmetic; the per-system functions are the specification.
On random systems drawn around every threshold the two must agree criterion by criterion."""
import random
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from control.core.policy import ZombiePolicy
from control.zombies import rules

AS_OF = date(2026, 11, 22)


def random_system(rng: random.Random, i: int) -> tuple[rules.SystemFacts, rules.Usage, float]:
    def day() -> date | None:
        return rng.choice([None, AS_OF - timedelta(days=rng.choice([0, 300, 363, 364, 365, 366, 800]))])
    f = rules.SystemFacts(
        id=i, department_id=1, name=f"系统{i}",
        function_description=rng.choice([None, "", "  ", "、", "学籍登记与查询"]),
        replaced_by=rng.choice([None, None, "", "省平台"]),
        use_scopes=rng.choice([[], ["office"], ["office", "department"], ["department"]]),
        usage_frequency=rng.choice([None, "daily", "weekly", "quarterly", "yearly", "on_demand"]),
        om_vendors=rng.choice([None, "", " ", "某公司"]),
        om_cost_yearly=rng.choice([None, Decimal(0), Decimal("0.00"), Decimal("3.5")]),
        build_date=rng.choice([None, date(2018, 1, 1), date(2024, 6, 1)]),
        warranty_years=rng.choice([None, Decimal(0), Decimal(2), Decimal("2.5"), Decimal(10)]))
    req_days, login_days = rng.choice([0, 71, 72, 80, 90]), rng.choice([0, 71, 72, 90])
    idle_with, au_days = rng.choice([0, 23, 24, 30]), rng.choice([0, 71, 72, 90])
    u = rules.Usage(req_days=req_days, req_low_days=rng.randint(0, req_days), login_days=login_days,
                    logins=rng.choice([0.0, 0.0, 1.0, 250.0]) if login_days else 0.0,
                    idle_days_with_data=idle_with, idle_days=rng.randint(0, idle_with),
                    au_days=au_days, au_low_days=rng.randint(0, au_days),
                    first_day=day(), last_deployment_day=day(), last_recorded_change=day())
    return f, u, rng.choice([0.0, 0.0, 0.5, 0.79, 0.8, 1.0])


@pytest.mark.parametrize("switched_off", [None, "idle_resources", "business_disconnected", "maintenance_stopped"])
def test_judge_agrees_with_the_per_system_rules(switched_off):
    p = ZombiePolicy()
    if switched_off:
        getattr(p.criteria, switched_off).enabled = False
    rng = random.Random(switched_off or "all")
    systems = [random_system(rng, i) for i in range(3000)]
    columns = rules.usage_columns(len(systems))
    for k, (_, u, _) in enumerate(systems):
        for name in rules.COUNTS:
            columns[name][k] = getattr(u, name)
        for name in rules.DAYS:
            columns[name][k] = getattr(u, name).toordinal() if getattr(u, name) else 0
    verdicts, statuses = rules.judge(rules.fact_columns([f for f, _, _ in systems]), columns,
                                     np.array([s for _, _, s in systems]), p, AS_OF)
    seen = set()
    for k, (f, u, score) in enumerate(systems):
        status, _, criteria = rules.evaluate(f, u, p, AS_OF, ("邻近系统", score) if score else None)
        assert rules.VERDICTS[verdicts[k]] == status, (f, u, score)
        for name in rules.CRITERIA:
            assert rules.STATUSES[statuses[name][k]] == criteria[name]["status"], (name, f, u, score)
            seen.add((name, criteria[name]["status"]))
    # The draw reached every outcome of every criterion (so the agreement means something).
    expected = {(name, s) for name in rules.CRITERIA for s in ("held", "not_held", "insufficient_data")}
    expected.add(("replaceable", "possible"))
    for name in rules.CRITERIA:
        if name == switched_off:
            expected = {e for e in expected if e[0] != name} | {(name, "disabled")}
    assert expected <= seen
