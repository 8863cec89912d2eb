"""The label registry: every field an audit entry can record has a zh-CN and an English label, and the
readers (values, diffs, validation places, zombie evidence) never fall back to a key."""
from __future__ import annotations

import re

import pytest
from sqlmodel import SQLModel

from control.automation.models import Change
from control.cloud.models import CapacityPool, CloudRequest, DepartmentQuota, ResourceLine
from control.core import labels
from control.core.accounts import Department, User
from control.core.calendar import CalendarYear
from control.core.messages import zh_error, zh_message
from control.devices.models import Device
from control.migration.models import MigrationPlan, PlanException, PlanSystem
from control.navigation import install_labels
from control.networks.models import CarrierLine, NetworkSystem, PrivateNetwork
from control.systems.models import InformationSystem, SystemSharing
from control.zombies import rules, words
from control.zombies.chart import AXES, line_chart
from control.zombies.enums import Metric
from control.zombies.models import ZombieCase, ZombieScan

NOT_RECORDED = {"created_at", "updated_at", "started_at", "opened_at", "uploaded_at", "policy"}
# entity_type of the audit log → the tables whose columns its entries record
AUDITED: dict[str, list[type[SQLModel]]] = {
    "department": [Department], "user": [User], "system": [InformationSystem, SystemSharing],
    "cloud_request": [CloudRequest, ResourceLine], "cloud_capacity": [CapacityPool],
    "cloud_quota": [DepartmentQuota], "zombie_scan": [ZombieScan], "zombie_case": [ZombieCase],
    "calendar_year": [CalendarYear], "private_network": [PrivateNetwork, CarrierLine, NetworkSystem],
    "migration_plan": [MigrationPlan], "migration_plan_system": [PlanSystem], "migration_exception": [PlanException],
    "device": [Device], "change": [Change],
}


@pytest.fixture(autouse=True, scope="module")
def registry():
    install_labels()


@pytest.mark.parametrize("entity_type", sorted(AUDITED))
def test_every_audited_column_has_both_labels(entity_type):
    for model in AUDITED[entity_type]:
        for column in model.__table__.columns.keys():  # noqa: SIM118 (names, not Column objects)
            if column in NOT_RECORDED:
                continue
            assert labels.has_label(entity_type, column), (entity_type, column)
            zh, en = labels.field_label(column, "zh_CN", entity_type), labels.field_label(column, "en", entity_type)
            assert re.search(r"[\u4e00-\u9fff]", zh), (entity_type, column, zh)
            assert en != column, (entity_type, column)


def test_every_entity_type_and_action_has_a_label():
    assert set(AUDITED) | {"usage_metrics"} <= set(labels.ENTITY_TYPES)
    for action in ("create", "update", "approve", "return", "assess", "deliver", "reclaim", "open", "scan-update",
                   "plan_cleanup", "complete_cleanup", "respond"):
        assert labels.action_label(action) != action


def test_values_and_diffs_read_as_words():
    text = labels.describe_changes("zombie_case", {"state": [None, "candidate"], "scan_id": 1,
                                                   "held": [None, ["business_disconnected", "idle_resources"]]})
    assert text == "审核状态：待审核；扫描：1；符合的判定标准：使用与实际业务流程长期脱节、所占用资源长期处于空闲状态"
    text = labels.describe_changes("cloud_request", {
        "status": ["assessment", "delivery"], "comment": "",
        "trims": [{"line_id": 3, "from": {"count": 2, "vcpu": 4}, "reason": "够用"}]})
    assert "memory_gib" not in text and "line_id" not in text and "vcpu" not in text
    assert text.startswith("状态：评估中 → 交付中；") and "核减前：（数量：2，vCPU（核）：4）" in text
    assert labels.describe_changes("cloud_capacity", {"vcpu": [64, 128]}, "en") == "vCPUs: 64 → 128"


def test_validation_errors_name_the_field_by_label_in_zh_cn():
    error = {"type": "string_too_short", "loc": ("body", "username"), "msg": "String should have at least 3 "
             "characters", "ctx": {"min_length": 3}, "input": "ab"}
    assert zh_error(error) == "用户名：至少 3 个字符"
    nested = {"type": "less_than_equal", "loc": ("body", "lines", 0, "vcpu"), "msg": "...", "ctx": {"le": 512}}
    assert zh_error(nested) == "资源明细第 1 项 · vCPU（核）：不能大于 512"
    role = {"type": "enum", "loc": ("body", "role"), "msg": "Input should be 'admin', 'bureau'", "ctx": {}}
    assert zh_error(role).startswith("角色：不是可选值之一：可选 系统管理员、")
    kind = {"type": "enum", "loc": ("body", "lines", 1, "kind"), "msg": "Input should be 'vm'", "ctx": {}}
    assert zh_error(kind, entity_type="cloud_request").startswith(
        "资源明细第 2 项 · 资源类型：不是可选值之一：可选 云主机、")
    assert labels.entity_for_path("/api/v1/systems/7") == "system" and labels.entity_for_path("/cloud/new") \
        == "cloud_request" and labels.entity_for_path("/cloud/capacity") == "cloud_capacity"
    code = {"type": "string_too_long", "loc": ("body", "code"), "msg": "...", "ctx": {"max_length": 64}}
    assert zh_error(code, entity_type="system") == "系统编码：不能超过 64 个字符"
    assert zh_error(code, entity_type="department") == "统一社会信用代码：不能超过 64 个字符"
    english = {"type": "value_error", "loc": ("body", "needed_by"), "msg": "Value error, month must be in 1..12"}
    assert zh_message(english) == "格式不正确" and zh_error(english) == "需求日期：格式不正确"


def test_every_pydantic_error_type_has_a_zh_cn_sentence():
    import typing

    from pydantic_core.core_schema import ErrorType
    for kind in typing.get_args(ErrorType):
        for ctx in ({}, {"min_length": 3, "max_length": 9, "ge": 1, "le": 9, "gt": 0, "lt": 10}):
            text = zh_message({"type": kind, "ctx": ctx, "msg": "Input should be a valid thing", "input": "x"})
            assert re.search(r"[\u4e00-\u9fff]", text) and not re.search(r"[A-Za-z]{3,} [a-z]", text), (kind, text)
            assert "None" not in text, (kind, text)


def test_every_observed_value_and_threshold_has_words_and_a_unit():
    from datetime import date
    from pathlib import Path

    from control.core.policy import load_policy
    policy = load_policy(Path(__file__).parents[2] / "policy" / "default.yaml").zombies
    keys = set()
    for name in rules.CRITERIA:
        keys |= set(rules.thresholds(name, policy))
    facts = rules.SystemFacts(id=1, department_id=1, name="x", use_scopes=["office"], usage_frequency="yearly")
    usage = rules.Usage(req_days=90, req_low_days=90, login_days=90, idle_days_with_data=90, au_days=90)
    for name, criterion in rules.evaluate(facts, usage, policy, date(2026, 11, 22), ("甲", 0.9))[2].items():
        keys |= set(criterion["observed"])
        assert criterion["sentence_en"] and not re.search(r"[\u4e00-\u9fff]", criterion["sentence_en"]), name
    assert keys - {"warranty_ends"} <= set(words.MEASURES)
    assert words.describe({"days_with_requests": 90}) == ["有业务请求数据的天数：90 天"]
    assert words.describe({"max_network_bytes": 5e6, "share_of_days_idle": 0.95}) == [
        "每日网络流量上限：5 MB", "空闲天数占比：95%"]


def test_each_chart_has_a_title_with_its_unit_and_labelled_axes():
    from datetime import date, timedelta
    points = [(date(2026, 11, 1) + timedelta(days=i), 0.02 * i) for i in range(10)]
    assert set(AXES) == set(Metric)
    svg = line_chart(points, 0.05, Metric.cpu_p95)
    assert '<text class="chart-title"' in svg and "CPU 使用率 P95（%）" in svg
    assert ">使用率</text>" in svg and ">日期</text>" in svg and "阈值 5%" in svg
    svg = line_chart(points, None, Metric.requests, "en")
    assert "Business transactions (per day)" in svg and ">Date</text>" in svg


@pytest.mark.parametrize("key", ["³", "٣", "12", "x"])
def test_an_error_place_with_any_digit_like_key_is_named_without_failing(key):
    """'³'.isdigit() holds but int('³') fails: a dict key of a request body (device_variables.³) is a field name
    then, not a position (schemathesis found it as a 500)."""
    label = labels.loc_label(("body", "device_variables", key, "[key]"), "zh_CN", "change")
    assert label and "[key]" not in label
