"""The one separation-of-duties rule, without a database: role, department, designation, authorship."""
from __future__ import annotations

import pytest

from control.core.auth import Actor
from control.core.duties import Step, check, refusal
from control.core.errors import Forbidden
from control.core.roles import Role

LEVEL = Step.review_level("本单位负责人审核", 7, "白水县教育局")
ACCEPTANCE = Step(name="受理审批", roles=(Role.bureau,))


def actor(username="head", role=Role.department, department_id=7, reviewer=True) -> Actor:
    return Actor(id=1, username=username, role=role, department_id=department_id, scope_path="/1/7/",
                 reviewer=reviewer)


def test_a_designated_reviewer_of_the_levels_department_may_sign_it():
    assert refusal(actor(), LEVEL, {"clerk"}) is None


@pytest.mark.parametrize("who,code,words", [
    (actor(reviewer=False), "not_designated", "白水县教育局的指定审核人"),
    (actor(department_id=8), "wrong_department", "白水县教育局的指定审核人"),
    (actor(role=Role.bureau, department_id=None), "wrong_role", "部门（用户单位）"),
    (actor(username="clerk"), "own_item", "申请人"),
])
def test_everyone_else_is_refused_with_the_reason(who, code, words):
    assert words in refusal(who, LEVEL, {"clerk", None})
    with pytest.raises(Forbidden) as err:
        check(who, LEVEL, {"clerk"})
    assert err.value.code == code and err.value.status == 403


def test_an_author_is_refused_at_a_role_stage_too_but_takes_their_own_steps():
    bureau = actor(username="b1", role=Role.bureau, department_id=None, reviewer=False)
    assert refusal(bureau, ACCEPTANCE, ()) is None
    assert "不能办理“受理审批”" in refusal(bureau, ACCEPTANCE, {"b1"})
    assert refusal(actor(username="clerk", reviewer=False), Step("撤销", (Role.department,))) is None
