"""The change pipeline's pure rules: the transition table (every state reachable, refusals worded), the
approval digest, the expected config after a template's commands, rollback commands less the removals of what
is absent, verify patterns; and the templates: shipped ones load and render, bad ones are named clearly."""
from __future__ import annotations

import pytest

from control.automation import rules, templates
from control.automation.enums import ChangeStatus as S
from control.core.errors import ValidationFailed

CONFIG = """version 12.1
!
hostname sw01
!
vlan 1
!
interface FastEthernet0/3
!
interface FastEthernet0/4
 description old
!
end
"""


def test_the_table_reaches_every_state_and_words_refusals():
    reached = {S.draft} | set(rules.TRANSITIONS.values())
    assert reached == set(S)
    assert rules.next_state(S.checked, "approve") == S.approved
    assert rules.next_state(S.approved, "check") == S.checked           # a new check voids the approval
    assert rules.transition_error(S.draft, "apply") == "变更当前为“草稿”，不能“执行”；可执行：检查、取消"
    assert rules.transition_error(S.rolled_back, "rollback").startswith("变更当前为“已回退”，已无可执行的操作")
    assert rules.person_actions(S.interrupted) == ["rollback", "resume"]
    assert rules.person_actions(S.failed) == ["rollback", "resume"]
    for state in rules.FINISHED:
        assert rules.person_actions(state) in ([], ["rollback"])


def test_the_approval_digest_changes_with_the_backup_or_the_commands():
    one = rules.approval_digest([("sw01", "a" * 64, ["vlan 310"])])
    assert one == rules.approval_digest([("sw01", "a" * 64, ["vlan 310"])])
    assert one != rules.approval_digest([("sw01", "b" * 64, ["vlan 310"])])
    assert one != rules.approval_digest([("sw01", "a" * 64, ["vlan 311"])])


def test_expected_config_merges_like_ios():
    after = rules.expected_config(CONFIG, [
        "vlan 310", " name edu", "interface Vlan310", " description ic", " ip address 10.1.0.1 255.255.255.0",
        "interface FastEthernet0/4", " description new", " no shutdown", "ip route 10.2.0.0 255.255.0.0 10.1.0.2"])
    assert "vlan 1\n!\nvlan 310\n name edu\n!" in after
    assert "interface FastEthernet0/4\n description new\n!" in after and "description old" not in after
    assert "interface Vlan310\n description ic\n ip address 10.1.0.1 255.255.255.0\n!" in after
    assert after.endswith("!\nip route 10.2.0.0 255.255.0.0 10.1.0.2\n!\nend\n")      # as IOS shows it
    back = rules.expected_config(after, ["no ip route 10.2.0.0 255.255.0.0 10.1.0.2", "no interface Vlan310",
                                         "no vlan 310", "interface FastEthernet0/4", " description old"])
    assert back == CONFIG


def test_rollback_skips_removing_what_is_absent():
    commands = ["no ip route 10.2.0.0 255.255.0.0 10.1.0.2", "default interface FastEthernet0/3",
                "default interface FastEthernet0/9", "no interface Vlan310", "no vlan 1", "vlan 5"]
    assert rules.applicable(commands, CONFIG) == ["default interface FastEthernet0/3", "no vlan 1", "vlan 5"]


def test_verify_patterns():
    output = "310  edu-ic   active\n"
    assert rules.verify_failures(output, [r"^310\s+edu-ic\s"], []) == []
    assert rules.verify_failures(output, ["^311"], ["edu-ic"]) == ["未见“^311”", "仍有“edu-ic”"]


def test_shipped_templates_render_typed_variables():
    join = templates.get("join_extranet")
    rendered = join.render({"vlan_id": "310", "vlan_name": "edu-ic", "svi_description": "edu ic",
                            "svi_address": "10.31.0.1/24", "ports": ["FastEthernet0/3"],
                            "routes": ["10.32.0.0/16 via 10.31.0.254", "10.33.0.0/16 via 10.31.0.254"]})
    assert rendered.commands[:5] == ["vlan 310", " name edu-ic", "interface Vlan310", " description edu ic",
                                     " ip address 10.31.0.1 255.255.255.0"]
    assert rendered.commands[-1] == "ip route 10.33.0.0 255.255.0.0 10.31.0.254"
    assert "no vlan 310" in rendered.rollback and "end" not in rendered.commands
    patterns = [p for v in rendered.verify for p in v["expect"]]
    assert "^ip route 10.32.0.0 255.255.0.0 10.31.0.254$" in patterns
    with pytest.raises(ValidationFailed) as bad:
        join.render({"vlan_id": 1, "vlan_name": "教育", "svi_description": "x?", "svi_address": "10.1.1.1",
                     "ports": ["Gi0/1"], "routes": ["10.0.0.0/33 via 1.1.1.1"]})
    assert {e["field"] for e in bad.value.errors} == {f"variables.{n}" for n in (
        "vlan_id", "vlan_name", "svi_description", "svi_address", "ports", "routes")}


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\n", "缺少“---”分隔行"),
    ("name: [\n---\nvlan 1\n", "文件头不是有效的 YAML"),
    ("name: x\nvariables: {}\nverify: []\nrollback: ''\n---\nvlan 1\n", "文件头不正确"),
    ("name: x\nvariables: {v: {type: vlan, label: V}}\nverify: [{command: show vlan}]\nrollback: 'no vlan {{ v }}'"
     "\n---\nvlan {{ w }}\n", "命令用到未声明的变量 w"),
    ("name: x\nvariables: {v: {type: vlan, label: V}}\nverify: [{command: show vlan}]\nrollback: 'no vlan {{ v'"
     "\n---\nvlan {{ v }}\n", "回退命令的 Jinja2 语法错误"),
])
def test_a_bad_template_is_named_with_what_is_wrong(text, message):
    with pytest.raises(templates.BadTemplate) as bad:
        templates.parse("broken", text)
    assert str(bad.value).startswith("模板 broken.j2：") and message in str(bad.value)
