"""What people call the fields of departments and users, registered in core's label registry at start."""
from __future__ import annotations

from control.core import labels
from control.core.accounts import Level
from control.core.enums import LabeledEnum
from control.core.roles import Role


class UiLocale(LabeledEnum):
    """The values of User.locale (control/web/i18n.py LOCALES), as the audit log shows them."""
    zh_CN = ("zh_CN", "简体中文", "Chinese (Simplified)")
    en = ("en", "英文", "English")

DEPARTMENT: dict[str, labels.Label] = {
    "code": ("统一社会信用代码", "Unified social credit code"), "name": ("部门名称", "Department name"),
    "level": ("层级", "Level"), "parent_id": ("上级部门", "Parent department"), "path": ("层级路径", "Tree path"),
    "region": ("行政区划代码", "Region code"), "active": ("启用", "Active"),
}
USER: dict[str, labels.Label] = {
    "username": ("用户名", "Username"), "display_name": ("姓名", "Name"), "role": ("角色", "Role"),
    "department_id": ("所属部门", "Department"), "password": ("密码", "Password"),
    "password_hash": ("密码", "Password"), "active": ("启用", "Active"), "locale": ("界面语言", "Language"),
    "reviewer": ("本单位审核人", "Department reviewer"),
    "must_change_password": ("下次登录须修改密码", "Must change password at next login"),
    "login_failures": ("登录失败次数", "Failed sign-ins"),
}


def install() -> None:
    labels.register("department", DEPARTMENT, enums={"level": Level}, routes=("/api/v1/departments", "/departments"))
    labels.register("user", USER, enums={"role": Role, "locale": UiLocale}, routes=("/api/v1/users", "/users"))
