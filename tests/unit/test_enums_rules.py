"""Enumeration parsing and the pure inventory rules."""
from decimal import Decimal

import pytest

from control.systems.enums import Network, SharingMethod, SystemKind, SystemStatus, UsageFrequency, UseScope
from control.systems.rules import TRANSITIONS, transition_error, validate_system


@pytest.mark.parametrize("raw,expected", [
    ("电子政务外网", Network.extranet), (" 外网 ", Network.extranet), ("EXTRANET", Network.extranet),
    ("E-government extranet", Network.extranet), ("业务专网", Network.private), ("互联网", Network.internet),
    ("每　日", UsageFrequency.daily), ("每季度", UsageFrequency.quarterly), ("按需", UsageFrequency.on_demand),
    ("科室内部", UseScope.office), ("横向跨部门", UseScope.cross_department), ("ＡＰＩ接口", SharingMethod.api),
    ("正在运行", SystemStatus.running), ("其他", SystemStatus.registered), ("垂管", SystemKind.vertical),
])
def test_parse_accepts_values_labels_aliases_and_full_width(raw, expected):
    assert type(expected).parse(raw) is expected


def test_parse_error_lists_choices():
    with pytest.raises(ValueError, match="电子政务内网、电子政务外网、业务专网、互联网"):
        Network.parse("卫星")


def test_labels_by_locale():
    assert Network.private.label("zh_CN") == "业务专网"
    assert Network.private.label("en") == "Private business network"


def test_lifecycle_table():
    assert transition_error(SystemStatus.registered, SystemStatus.running) is None
    assert transition_error(SystemStatus.running, SystemStatus.stopped) is None
    assert transition_error(SystemStatus.stopped, SystemStatus.running) is None
    assert transition_error(SystemStatus.stopped, SystemStatus.decommissioned) is None
    assert "只能变更为" in transition_error(SystemStatus.running, SystemStatus.decommissioned)
    assert "不能再变更" in transition_error(SystemStatus.decommissioned, SystemStatus.running)
    assert len(TRANSITIONS) == 4


def _codes(data):
    return {(f, c) for f, _, c in validate_system(data)}


def test_reach_rules():
    base = {"name": "x"}
    assert _codes({**base, "can_reach_external": True}) == {("reach_method", "required")}
    assert _codes({**base, "can_reach_external": True, "reach_method": "other"}) == {("reach_method_other", "required")}
    assert _codes({**base, "can_reach_external": False}) == {("no_reach_reason", "required")}
    assert _codes({**base, "can_reach_external": False, "no_reach_reason": "物理隔离"}) == set()


def test_classified_and_vertical_minimal_fields():
    assert _codes({"name": "x", "is_classified": True, "classified_grade": "secret"}) == set()
    assert ("build_cost", "classified_minimal") in _codes({"name": "x", "is_classified": True,
                                                          "build_cost": Decimal(1)})
    assert _codes({"name": "x", "kind": SystemKind.vertical, "networks": ["extranet"]}) == set()
    assert ("approving_unit", "vertical_reduced") in _codes({"name": "x", "kind": SystemKind.vertical,
                                                            "approving_unit": "发改局"})


def test_numbers_and_codes():
    assert ("protection_level", "out_of_range") in _codes({"name": "x", "protection_level": 6})
    assert ("build_cost", "out_of_range") in _codes({"name": "x", "build_cost": Decimal("-1")})
    assert ("code", "invalid_code") in _codes({"name": "x", "code": "a b"})
    assert ("name", "required") in _codes({"name": "  "})
