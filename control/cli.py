"""The yunzhang command line: the same service functions as the API, without HTTP."""
from __future__ import annotations

import errno
import getpass
import os
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.core import TyperOption

from control.core.accounts import Level
from control.core.auth import Actor
from control.core.enums import LabeledEnum
from control.core.errors import ServiceError
from control.core.messages import zh_message
from control.core.roles import Role
from control.migration.enums import PlanKind, PlanStatus
from control.networks.enums import NetworkState
from control.settings import get_settings
from control.systems.enums import Network, SystemStatus

DEBUG_VARIABLE = "YUNZHANG_DEBUG"


class Yunzhang(typer.Typer):
    """The CLI app: any error ends a command with one zh-CN line on stderr and a non-zero exit, never a
    traceback; YUNZHANG_DEBUG=1 lets errors through untouched (traceback and all) to find a bug."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
            return super().__call__(*args, **kwargs)
        try:
            code = super().__call__(*args, **{**kwargs, "standalone_mode": False})
        except NoArgsIsHelpError as exc:  # the help (rich prints it while it is made)
            if exc.format_message().strip():
                typer.echo(exc.format_message(), err=True)
            sys.exit(2)
        except (typer.Abort, KeyboardInterrupt):
            typer.echo("已取消", err=True)
            sys.exit(130)
        except Exception as exc:  # every error, of any layer, reaches the operator as one line
            message, code = explain(exc)
            typer.secho(" ".join(message.split()), fg=typer.colors.RED, err=True)
            sys.exit(code)
        sys.exit(code if isinstance(code, int) else 0)


def explain(exc: Exception) -> tuple[str, int]:
    """The zh-CN sentence and exit code for an error a command ended with."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError
    if isinstance(exc, UsageError):
        hint = f"（{exc.ctx.command_path} --help 查看用法）" if exc.ctx is not None else ""
        return usage_message(exc) + hint, 2
    if isinstance(exc, ClickException):
        return exc.format_message(), exc.exit_code
    if isinstance(exc, ServiceError):
        return service_message(exc), 1
    if isinstance(exc, ValidationError):
        return validation_message(exc), 1
    if isinstance(exc, OSError):
        return os_message(exc), 1
    if isinstance(exc, ArgumentError):
        return f"YUNZHANG_DATABASE_URL 不是可用的数据库地址：{exc}", 1
    if isinstance(exc, SQLAlchemyError):
        return database_message(exc), 1
    first = next(iter(str(exc).splitlines()), "")
    return f"内部错误（{type(exc).__name__}：{first}）；设置 {DEBUG_VARIABLE}=1 再运行可看到出错位置", 1


def param_name(param: Any) -> str:
    """An option as typed (--status), an argument as its help shows it (FILE)."""
    if isinstance(param, TyperOption):
        return max(param.opts, key=len)
    return str(param.metavar or param.name or "").upper()


def choice_words(choices: tuple[Any, ...]) -> str:
    return "、".join(f"{c.value}（{c.zh}）" if isinstance(c, LabeledEnum) else str(c) for c in choices)


def usage_message(exc: UsageError) -> str:
    """Click's usage errors, rebuilt in zh-CN from the parameter they concern."""
    if isinstance(exc, MissingParameter) and exc.param is not None:
        kind = "选项" if isinstance(exc.param, TyperOption) else "参数"
        return f"缺少{kind} {param_name(exc.param)}"
    if isinstance(exc, BadParameter) and exc.param is not None:
        name, cause = param_name(exc.param), exc.__cause__
        error = cause.errors()[0] if isinstance(cause, ValidationError) and cause.errors() else None
        got = f"，收到“{error['input']}”" if error and "input" in error else ""
        choices = exc.param.type_descriptor.choices
        if choices:
            return f"{name} 只能是：{choice_words(choices)}{got}"
        if error:
            return f"{name} {zh_message(error)}{got}"
        return f"{name} 的值无效：{exc.message}"
    if isinstance(exc, NoSuchOption):
        maybe = f"（是否想用 {'、'.join(sorted(exc.possibilities))}？）" if exc.possibilities else ""
        return f"没有选项 {exc.option_name}{maybe}"
    if isinstance(exc, BadOptionUsage):
        if "does not take" in exc.message:
            return f"选项 {exc.option_name} 不带值"
        return f"选项 {exc.option_name} 后面缺少值"
    if m := re.fullmatch(r"No such command '(.*)'\.(?: Did you mean (.*)\?)?", exc.message):
        known = "、".join(exc.ctx.command.list_commands(exc.ctx)) if exc.ctx is not None else ""
        similar = re.findall(r"'([^']*)'", m.group(2) or "")
        maybe = f"（是否想用 {'、'.join(similar)}？）" if similar else ""
        return f"没有命令 {m.group(1)}{maybe}" + (f"；可用的命令：{known}" if known else "")
    if m := re.fullmatch(r"Got unexpected extra argument\(s\) \((.*)\)", exc.message):
        return f"多余的参数：{m.group(1)}"
    if exc.message == "Missing command.":
        return "缺少子命令"
    return f"用法有误：{exc.message}"


def error_place(error: dict[str, Any]) -> str:
    """Where a file's error is: sheet, row and column, leaving out what the error does not name."""
    parts = [error.get("sheet"), f"第{error['row']}行" if error.get("row") is not None else None, error.get("column")]
    return " ".join(str(p) for p in parts if p not in (None, ""))


def service_message(exc: ServiceError, *, unplaced: bool = False) -> str:
    """A ServiceError's detail; a single listed error joins it on the same line when it names a place
    (a file's one bad cell) or, with `unplaced`, when it says more than the detail (a file that is no
    workbook at all)."""
    if len(exc.errors) == 1:
        e = exc.errors[0]
        place, message = error_place(e), str(e.get("message", ""))
        if place:
            return f"{exc.detail}（{place}）" if message in exc.detail else f"{exc.detail}：{place}：{message}"
        if unplaced and message not in exc.detail:
            return f"{exc.detail}：{message}"
    return exc.detail


# Labels of the model fields a command builds from what was typed (a model's own labels are the API's).
FIELD_LABELS = {"username": "用户名", "password": "密码", "display_name": "姓名", "role": "角色",
                "department_id": "部门", "locale": "界面语言"}


def validation_message(exc: ValidationError) -> str:
    """A pydantic error in zh-CN: settings by their YUNZHANG_* variable, other fields by their label."""
    parts = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error.get("loc") else ""
        label = f"YUNZHANG_{field.upper()}" if exc.title == "Settings" and field else FIELD_LABELS.get(field, "")
        parts.append(f"{label}：{zh_message(error)}" if label else zh_message(error))
    return "；".join(parts)


_ERRNO = {errno.ENOENT: "文件或目录不存在", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
          errno.EISDIR: "这是一个目录", errno.ENOTDIR: "路径中有一段不是目录", errno.ENOSPC: "磁盘空间不足",
          errno.EROFS: "文件系统只读", errno.EADDRINUSE: "地址已被占用", errno.ECONNREFUSED: "连接被拒绝"}


def os_message(exc: OSError) -> str:
    reason = _ERRNO.get(exc.errno, exc.strerror or str(exc))
    return f"无法读写 {exc.filename}：{reason}" if exc.filename else f"系统错误：{reason}"


def database_message(exc: Exception) -> str:
    """A database that is missing its tables, or cannot be reached."""
    text = str(getattr(exc, "orig", None) or exc)
    if "no such table" in text or "does not exist" in text and "relation" in text:
        return "数据库还没有建表或结构不是最新：请先运行 yunzhang db upgrade"
    first = next(iter(text.splitlines()), "")
    return f"无法使用数据库（YUNZHANG_DATABASE_URL）：{first}"


class Queue(LabeledEnum):
    """The stage queues `requests list --queue` can show."""
    review = ("review", "逐级审核", "Review")
    acceptance = ("acceptance", "受理审批", "Acceptance and approval")
    assessment = ("assessment", "评估", "Assessment")
    delivery = ("delivery", "交付", "Delivery")


app = Yunzhang(help="云长 yunzhang — 政务信息中心管控平台", no_args_is_help=True, add_completion=False,
               pretty_exceptions_enable=False)
db_app = typer.Typer(help="数据库 / database", no_args_is_help=True)
demo_app = typer.Typer(help="演示数据 / demo data", no_args_is_help=True)
user_app = typer.Typer(help="用户 / users", no_args_is_help=True)
systems_app = typer.Typer(help="信息系统清单 / inventory", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志 / audit log", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日日历 / working-day calendar", no_args_is_help=True)
requests_app = typer.Typer(help="云资源申请 / cloud resource requests", no_args_is_help=True)
metrics_app = typer.Typer(help="使用指标 / usage metrics", no_args_is_help=True)
zombies_app = typer.Typer(help="僵尸系统 / zombie systems", no_args_is_help=True)
networks_app = typer.Typer(help="业务专网 / private networks", no_args_is_help=True)
plans_app = typer.Typer(help="迁移计划 / migration plans", no_args_is_help=True)
devices_app = typer.Typer(help="网络设备 / network devices", no_args_is_help=True)
for sub, name in ((db_app, "db"), (demo_app, "demo"), (user_app, "user"), (systems_app, "systems"),
                  (audit_app, "audit"), (calendar_app, "calendar"), (requests_app, "requests"),
                  (metrics_app, "metrics"), (zombies_app, "zombies"), (networks_app, "networks"),
                  (plans_app, "plans"), (devices_app, "devices")):
    app.add_typer(sub, name=name)


def cli_actor() -> Actor:
    """The CLI acts with administrator rights under the operating-system user's name (audited)."""
    try:
        who = getpass.getuser()
    except OSError:
        who = "unknown"
    return Actor(id=None, username=f"cli:{who}", role=Role.admin, department_id=None, scope_path=None)


def engine():
    """The database's engine, its audit chain keyed (an unreadable key reference ends the command), and the
    cross-domain hooks installed (control/wiring.py) as in every process that writes."""
    from control.core import audit
    from control.core.db import make_engine
    from control.core.secrets import SecretError
    from control.wiring import install
    install()
    settings = get_settings()
    result = make_engine(settings.database_url, settings.pool_options())
    try:
        audit.use_key(result, settings.resolved_audit_key())
    except SecretError as exc:
        fail(f"审计密钥不可用：{exc}")
    return result


def fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def serve(host: str = "127.0.0.1", port: int = typer.Option(8000, min=1, max=65535), reload: bool = False) -> None:
    """启动服务 / serve the web UI, API and /metrics."""
    import uvicorn
    # Forwarded headers are read by the app from the proxies in YUNZHANG_TRUSTED_PROXIES only.
    uvicorn.run("control.app:create_app", factory=True, host=host, port=port, reload=reload,
                proxy_headers=False)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """升级数据库结构 / apply Alembic migrations."""
    from alembic.util import CommandError

    from control.core.migrate import upgrade
    url = get_settings().database_url
    try:
        upgrade(url, revision)
    except CommandError:
        fail(f"没有数据库结构版本 {revision}（可用 head 或 control/alembic/versions 中的版本号）")
    typer.echo(f"数据库已升级到 {revision}")


@demo_app.command("load")
def demo_load() -> None:
    """加载演示数据（数据库为空时）/ load the demo county."""
    from sqlmodel import Session

    from control.demo import load_demo
    with Session(engine(), expire_on_commit=False) as session:
        loaded = load_demo(session)
    from control.demo import DEMO_USERS
    if loaded:
        typer.echo("演示数据已加载。演示账号 / demo logins:")
    else:
        typer.echo("数据库已有数据，未加载演示数据。演示账号（若加载过）/ demo logins:")
    for username, role, _dept, password in DEMO_USERS:
        typer.echo(f"  {username:<12} {password:<16} {Role(role).zh}")


@user_app.command("add")
def user_add(username: str, role: Role = typer.Option(..., help="admin|bureau|infocenter|department|auditor|ops"),
             department: str | None = typer.Option(None, help="部门代码"),
             password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码"),
             display_name: str = "",
             reviewer: bool = typer.Option(False, "--reviewer", help="指定为本单位审核人（仅部门用户）")) -> None:
    """新增用户 / add a user."""
    from sqlmodel import Session

    from control.org import service
    from control.org.schemas import UserCreate
    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass("密码: ")
    with Session(engine(), expire_on_commit=False) as session:
        dept_id = None
        if department:
            dept = service.get_department_by_code(session, department.strip().upper())
            if dept is None:
                fail(f"部门代码 {department} 不存在")
            dept_id = dept.id
        user = service.create_user(session, cli_actor(), UserCreate(
            username=username, password=password, role=role, department_id=dept_id, display_name=display_name,
            reviewer=reviewer))
    typer.echo(f"已创建用户 {user.username}（{user.role.zh}）")


def _user_command(username: str, act):
    """Run act(session, actor, user) on the named user; a refusal reaches the one error handler."""
    from sqlmodel import Session

    from control.org import service
    with Session(engine(), expire_on_commit=False) as session:
        actor = cli_actor()
        return act(session, actor, service.get_user_by_username(session, actor, username))


@user_app.command("set")
def user_set(username: str,
             reviewer: bool | None = typer.Option(None, "--reviewer/--no-reviewer",
                                                  help="指定或取消本单位审核人（仅部门用户）"),
             display_name: str | None = typer.Option(None, help="姓名")) -> None:
    """修改用户的审核人指定或姓名 / set a user's reviewer designation or name."""
    from control.org import service
    from control.org.schemas import UserUpdate
    changes = {k: v for k, v in (("reviewer", reviewer), ("display_name", display_name)) if v is not None}
    if not changes:
        fail("没有要修改的内容：请给出 --reviewer/--no-reviewer 或 --display-name")
    user = _user_command(username, lambda s, a, u: service.update_user(s, a, u.id, UserUpdate(**changes)))
    typer.echo(f"已修改用户 {user.username}：{'审核人' if user.reviewer else '非审核人'}，姓名 {user.display_name}")


@user_app.command("unlock")
def user_unlock(username: str) -> None:
    """解除登录锁定（清除登录失败记录）/ end a user's login back-off."""
    from control.org import service
    user, forgotten = _user_command(username, lambda s, a, u: service.unlock_user(s, a, u.id))
    typer.echo(f"已解除 {user.username} 的登录锁定（清除登录失败记录 {forgotten} 条）")


@user_app.command("reset-password")
def user_reset_password(username: str) -> None:
    """设置临时密码（打印一次，下次登录须修改）/ give a user a temporary password."""
    from control.org import service
    user, temporary = _user_command(username, lambda s, a, u: service.reset_password(s, a, u.id))
    typer.echo(f"已为 {user.username} 设置临时密码（只显示这一次，登录后须立即修改）：")
    typer.echo(temporary)


@systems_app.command("import")
def systems_import(file: Path) -> None:
    """导入普查表 / import a census workbook (all or nothing)."""
    from control.systems.census import import_workbook
    _import_workbook(import_workbook, file)


def _import_workbook(import_workbook: Callable, file: Path) -> None:
    """Run a workbook import (census, plans): the errors by sheet, row and column and exit 2, or the counts."""
    from sqlmodel import Session

    from control.core.errors import ValidationFailed
    with Session(engine(), expire_on_commit=False) as session:
        try:
            result = import_workbook(session, cli_actor(), file.read_bytes())
        except ValidationFailed as exc:
            print_validation_errors(exc)
            raise typer.Exit(2) from None
    typer.echo(f"新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}")


@systems_app.command("export")
def systems_export(file: Path, department: str | None = typer.Option(None, help="部门代码（含下级）"),
                   status: SystemStatus | None = None, network: Network | None = None,
                   q: str | None = None) -> None:
    """导出普查表 / export the inventory to the census workbook layout."""
    from sqlmodel import Session

    from control.org.service import get_department_by_code
    from control.systems.census import export_workbook
    from control.systems.service import SystemFilter
    with Session(engine(), expire_on_commit=False) as session:
        dept_id = None
        if department:
            dept = get_department_by_code(session, department.strip().upper())
            if dept is None:
                fail(f"部门代码 {department} 不存在")
            dept_id = dept.id
        data = export_workbook(session, cli_actor(), SystemFilter(department_id=dept_id, status=status,
                                                                   network=network, q=q))
    file.write_bytes(data)
    typer.echo(f"已导出到 {file}")


@audit_app.command("verify")
def audit_verify(checkpoint: Path | None = typer.Option(
        None, "--checkpoint", help="auditor's checkpoint file: also fail when the chain no longer reaches it")) -> None:
    """校验审计日志哈希链 / verify the audit log hash chain (every problem by entry; exit 1 if any)."""
    from sqlmodel import Session

    from control.core.audit import verify_chain
    cp = read_checkpoint(checkpoint) if checkpoint else None
    settings = get_settings()
    with Session(engine()) as session:
        result = verify_chain(session, cp, settings.audit_verify_max_problems)
    if not result.ok:
        fail("\n".join([f"{result.headline}：", *([result.hint] if result.hint else []), *result.problems,
                        *([f"另有 {result.problem_count - len(result.problems)} 处问题未列出"]
                          if result.problem_count > len(result.problems) else [])]))
    typer.echo(result.message + (f"；已到达检查点的第 {cp.last_id} 条" if cp and cp.last_id else ""))


def read_checkpoint(path: Path):
    from control.core.audit import parse_checkpoint
    try:
        with path.open("rb") as f:
            data = f.read(65536)
        return parse_checkpoint(data.decode("utf-8", errors="replace"))
    except OSError as exc:
        fail(f"无法读取检查点文件 {path}：{_ERRNO.get(exc.errno, exc.strerror)}", 2)
    except ValueError as exc:
        fail(f"{path}：{exc}", 2)


@audit_app.command("checkpoint")
def audit_checkpoint(output: Path | None = typer.Option(None, "--output", "-o",
                                                        help="also write the checkpoint to this file")) -> None:
    """记录审计日志检查点 / print the chain's count, last id and head as JSON, for the auditor to keep
    outside yunzhang (the chain is verified first; no checkpoint of a broken chain)."""
    from sqlmodel import Session

    from control.core.audit import verify_chain
    with Session(engine()) as session:
        result = verify_chain(session, max_problems=get_settings().audit_verify_max_problems)
    if not result.ok:
        fail("\n".join([f"{result.headline}，未生成检查点：", *([result.hint] if result.hint else []),
                        *result.problems]))
    data = result.checkpoint().model_dump_json(indent=2)
    if output:
        output.write_text(data + "\n", encoding="utf-8")
    typer.echo(data)


def cloud_context(session):
    from control.cloud.service import Context
    from control.core.calendar import CalendarProvider
    from control.core.policy import load_policy
    policy = load_policy(get_settings().policy_file or None)
    return Context(calendar=CalendarProvider(policy.calendar_arrangements()).get(session), policy=policy)


@calendar_app.command("add-days")
def calendar_add_days(start: date, days: int) -> None:
    """N 个工作日后的截止日（起始日不计）/ the due date N working days after DATE."""
    from sqlmodel import Session
    with Session(engine()) as session:
        due = cloud_context(session).calendar.add_working_days(start, days)
    typer.echo(f"{start.isoformat()} 起 {days} 个工作日，截止：")
    typer.echo(due.isoformat())


@calendar_app.command("import")
def calendar_import(file: Path, replace: bool = typer.Option(
        False, "--replace", help="替换该年已导入的安排（替换前后记入审计日志）/ replace a stored year")) -> None:
    """导入某年的节假日与调休安排（YAML；须含全部法定节假日和调休上班日）/ add or correct a year's arrangement."""
    import yaml
    from sqlmodel import Session

    from control.core.calendar import CalendarLimits, CalendarYear, YearArrangement, save_arrangement
    from control.core.errors import ValidationFailed
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        arr = YearArrangement.from_mapping(data, source=f"cli:{file.name}", limits=CalendarLimits.of(get_settings()))
    except ValidationFailed as exc:
        fail(exc.detail)
    except (OSError, yaml.YAMLError) as exc:
        fail(f"无法读取 {file}：{exc}")
    with Session(engine(), expire_on_commit=False) as session:
        if session.get(CalendarYear, arr.year) is not None and not replace:
            fail(f"{arr.year} 年已有导入的安排；确认替换请加 --replace（替换前后记入审计日志）")
        result = save_arrangement(session, arr, cli_actor(), note=arr.note)
    typer.echo(f"{result['year']} 年：{result['holidays']} 个节假日，{result['workdays']} 个调休上班日")


@requests_app.command("list")
def requests_list(overdue: bool = typer.Option(False, "--overdue", help="只列出已超期的"),
                  queue: Queue | None = typer.Option(None, help="review|acceptance|assessment|delivery"),
                  limit: int = typer.Option(200, min=1, max=100_000)) -> None:
    """列出云资源申请（按截止日排序）/ list requests, soonest deadline first."""
    from sqlmodel import Session

    from control.cloud.service import RequestFilter, list_requests
    with Session(engine()) as session:
        items, total = list_requests(session, cli_actor(), RequestFilter(overdue=True if overdue else None,
                                                                         queue=queue), limit=limit)
    typer.echo(f"{'编号':<18}{'部门':<16}{'状态':<10}{'阶段':<10}{'截止':<12}时限 / 下一步")
    for i in items:
        sla = (i.sla_state.zh if i.sla_state else "") + (
            f" {i.sla_working_days} 个工作日" if i.sla_working_days else ""
        )
        typer.echo(f"{i.number:<18}{i.department_name[:14]:<16}{i.status.zh:<10}{(i.stage_name or ''):<10}"
                   f"{(i.due_date.isoformat() if i.due_date else '—'):<12}{sla}"
                   + (f" / {i.next_actor.text}" if i.next_actor else ""))
    typer.echo(f"共 {total} 条")


@requests_app.command("recompute")
def requests_recompute() -> None:
    """重新计算所有在办环节的时限状态（每小时自动执行）/ recompute SLA states now."""
    from sqlmodel import Session

    from control.cloud.service import recompute_sla
    with Session(engine(), expire_on_commit=False) as session:
        result = recompute_sla(session, cloud_context(session))
    typer.echo(f"在办环节 {result['open_stages']} 个，状态变化 {result['changed']} 个")


def print_validation_errors(exc: ServiceError, headline: str = "导入失败") -> None:
    """A refused file: one line when it has one error, else a headline and one line per error."""
    lead = f"{headline}：" if "未写入" in exc.detail else f"{headline}，未写入任何数据："
    if len(exc.errors) <= 1:
        typer.secho(lead + service_message(exc, unplaced=True), fg=typer.colors.RED, err=True)
        return
    typer.secho(lead + exc.detail, fg=typer.colors.RED, err=True)
    for e in exc.errors:
        place = error_place(e)
        typer.echo(f"  {place + '：' if place else ''}{e['message']}", err=True)


@metrics_app.command("import")
def metrics_import(file: Path) -> None:
    """导入使用指标 CSV（system_code,metric,day,value）/ import daily usage values."""
    from sqlmodel import Session

    from control.core.errors import ValidationFailed
    from control.zombies.usage import Limits, import_csv
    with Session(engine(), expire_on_commit=False) as session, file.open("rb") as stream:
        try:
            result = import_csv(session, cli_actor(), stream, Limits.of(get_settings()))
        except ValidationFailed as exc:
            print_validation_errors(exc)
            raise typer.Exit(2) from None
    typer.echo(f"已写入 {result['samples']} 个数值（{result['systems']} 个系统，{result['system_days']} 个系统日）")


@metrics_app.command("pull")
def metrics_pull(start: date | None = None, end: date | None = None,
                 url: str | None = typer.Option(None, help="Prometheus 地址，默认 YUNZHANG_PROMETHEUS_URL")) -> None:
    """从 Prometheus 拉取每日使用指标 / pull daily values from Prometheus."""
    from datetime import timedelta

    from sqlmodel import Session

    from control.core.clock import today
    from control.core.policy import load_policy
    from control.zombies.prometheus import pull
    from control.zombies.usage import Limits
    base = url or get_settings().prometheus_url
    if not base:
        fail("未配置 Prometheus 地址（--url 或 YUNZHANG_PROMETHEUS_URL）")
    if not base.startswith(("http://", "https://")):
        fail(f"Prometheus 地址应以 http:// 或 https:// 开头，收到“{base}”")
    last = end or today() - timedelta(days=1)
    first = start or last - timedelta(days=89)
    with Session(engine(), expire_on_commit=False) as session:
        Limits.of(get_settings()).check_range(first, last)
        result = pull(session, cli_actor(), base, load_policy(get_settings().policy_file or None).zombies,
                      first, last)
    typer.echo(
        f"{result['queries']} 个查询，写入 {result['samples']} 个数值；清单外系统 {len(result['unknown_systems'])} 个"
    )


@zombies_app.command("scan")
def zombies_scan(as_of: date | None = typer.Option(None, "--as-of", help="判定基准日（默认昨天，不能晚于今天）"),
                 as_json: bool = typer.Option(False, "--json", help="以 JSON 输出扫描结果与候选")) -> None:
    """运行一次僵尸系统扫描并保存 / run and keep a zombie scan."""
    import json

    from sqlmodel import Session

    from control.core.policy import load_policy
    from control.zombies import service
    from control.zombies.enums import Criterion
    with Session(engine(), expire_on_commit=False) as session:
        scan = service.run_scan(session, cli_actor(), load_policy(get_settings().policy_file or None).zombies,
                                as_of)
        items, total = service.verdicts(session, cli_actor(), scan.id, candidate=True, limit=1000)
        while len(items) < total:
            items += service.verdicts(session, cli_actor(), scan.id, candidate=True, limit=1000,
                                      offset=len(items))[0]
    if as_json:
        typer.echo(json.dumps({"scan": scan.model_dump(mode="json", exclude={"policy"}),
                               "candidates": [{"system_code": i["system_code"], "system_name": i["system_name"],
                                               "department": i["department_name"], "held": i["held"]}
                                              for i in items]}, ensure_ascii=False, indent=2))
        return
    typer.echo(f"扫描 #{scan.id}（基准日 {scan.as_of}）：{scan.scanned} 个在运行系统，疑似 {scan.candidates} 个，"
               f"数据不足 {scan.insufficient} 个，用时 {scan.duration_seconds:.2f} 秒")
    for i in items:
        held = "、".join(Criterion(k).zh for k in i["held"])
        typer.echo(f"  {i['department_name']} · {i['system_name']}（{i['system_code']}）：{held}")


@zombies_app.command("export")
def zombies_export(file: Path) -> None:
    """导出审计用僵尸系统清单（xlsx）/ the auditors' list."""
    from sqlmodel import Session

    from control.zombies.export import auditors_list
    with Session(engine()) as session:
        file.write_bytes(auditors_list(session, cli_actor()))
    typer.echo(f"已导出到 {file}")


if __name__ == "__main__":
    app()


def department_id_of(session, code: str | None) -> int | None:
    """The id of the department a --department code names (None: no filter); an unknown code ends the command."""
    from control.org.service import get_department_by_code
    if not code:
        return None
    dept = get_department_by_code(session, code.strip().upper())
    if dept is None:
        fail(f"部门代码 {code} 不存在")
    return dept.id


@networks_app.command("list")
def networks_list(department: str | None = typer.Option(None, help="部门代码（含下级）"),
                  state: NetworkState | None = None,
                  fiscal: bool | None = typer.Option(None, "--fiscal/--no-fiscal", help="是否财政资金建设"),
                  q: str | None = None, limit: int = typer.Option(200, min=1, max=100_000),
                  region: str | None = typer.Option(None, help="本部门的行政区划代码（- 为未填写）"),
                  level: Level | None = typer.Option(None, help="本部门的层级")) -> None:
    """列出业务专网 / list private networks."""
    from sqlmodel import Session

    from control.networks.service import NetworkFilter, list_networks
    with Session(engine()) as session:
        f = NetworkFilter(department_id=department_id_of(session, department), state=state, fiscal=fiscal, q=q,
                          region=region, level=level.value if level else None)
        items, total = list_networks(session, cli_actor(), f, limit=limit)
    typer.echo(f"{'编号':<8}{'部门':<16}{'状态':<8}{'财政':<6}名称")
    for i in items:
        fiscal = "是" if i.fiscal_funded else "否"
        typer.echo(f"{i.id:<8}{i.department_name[:14]:<16}{i.state.zh:<8}{fiscal:<6}{i.name}")
    typer.echo(f"共 {total} 条")


@networks_app.command("show")
def networks_show(network_id: int = typer.Argument(..., min=1)) -> None:
    """显示一个业务专网 / show one private network with its lines, sites and systems."""
    from sqlmodel import Session

    from control.networks.service import detail, get_network
    with Session(engine()) as session:
        n = detail(session, get_network(session, cli_actor(), network_id))
    typer.echo(f"{n.name}（{n.department_name}）状态：{n.state.zh}；财政资金建设：{'是' if n.fiscal_funded else '否'}")
    for label, day in (("联通日期", n.connected_on), ("开始迁移日期", n.migrating_on), ("撤并改日期", n.outcome_on)):
        if day:
            typer.echo(f"{label}：{day}")
    if n.outcome_note:
        typer.echo(f"撤并改说明：{n.outcome_note}")
    for line in n.lines:
        typer.echo(f"线路：{line.carrier} {line.count} 条，{line.bandwidth_mbps} Mbps，年租金 {line.yearly_rent} 万元")
    typer.echo(f"年租金合计：{n.yearly_rent_total} 万元；站点：{'、'.join(n.sites) or '—'}")
    typer.echo(f"承载系统：{'、'.join(s.name for s in n.systems) or '—'}")


@networks_app.command("act")
def networks_act(network_id: int = typer.Argument(..., min=1),
                 action: str = typer.Argument(..., help="connect|migrate|withdraw|merge|convert"),
                 on: date | None = typer.Option(None, "--on", help="发生日期（默认今天）"),
                 note: str = typer.Option("", help="说明（撤销、合并、改造必填）")) -> None:
    """登记专网的状态变更 / record a state change (connect, migrate, withdraw, merge, convert)."""
    from sqlmodel import Session

    from control.networks.schemas import ActionIn
    from control.networks.service import act
    with Session(engine(), expire_on_commit=False) as session:
        network = act(session, cli_actor(), network_id, action, ActionIn(on=on, note=note))
    typer.echo(f"{network.name}：{network.state.zh}")


def plan_filter(session, department: str | None, kind, stage, behind: bool, funding_stop: bool,
                region: str | None = None, level: Level | None = None):
    from control.migration.service import PlanFilter
    return PlanFilter(department_id=department_id_of(session, department), kind=kind, status=stage,
                      schedule="behind_plan" if behind else None, funding_stop=funding_stop, region=region,
                      level=level.value if level else None)


@plans_app.command("list")
def plans_list(behind: bool = typer.Option(False, "--behind", help="只列出滞后于计划的"),
               funding_stop: bool = typer.Option(False, "--funding-stop", help="只列出运维经费应停止拨付的（第十条）"),
               department: str | None = typer.Option(None, help="部门代码（含下级）"),
               kind: PlanKind | None = None, stage: PlanStatus | None = None,
               limit: int = typer.Option(200, min=1, max=100_000),
               region: str | None = typer.Option(None, help="本部门的行政区划代码（- 为未填写）"),
               level: Level | None = typer.Option(None, help="本部门的层级")) -> None:
    """列出迁移计划（按完成时限排序）/ list migration plans, nearest completion date first."""
    from sqlmodel import Session

    from control.migration.service import list_plans
    with Session(engine()) as session:
        items, total = list_plans(session, cli_actor(), plan_filter(session, department, kind, stage, behind,
                                                                      funding_stop, region, level), limit=limit)
    typer.echo(f"{'编号':<18}{'部门':<16}{'类型':<14}{'阶段':<14}{'完成时限':<12}滞后")
    for i in items:
        late = f"{i.days_behind} 天" if i.days_behind else "—"
        typer.echo(f"{i.number:<18}{i.department_name[:14]:<16}{i.kind.zh[:12]:<14}{i.status.zh[:12]:<14}"
                   f"{i.completion_date.isoformat():<12}{late}  {i.name}")
    typer.echo(f"共 {total} 条")


@plans_app.command("import")
def plans_import(file: Path) -> None:
    """导入迁移计划表 / import a plan workbook (all or nothing; re-importing changes nothing)."""
    from control.migration.workbook import import_workbook
    _import_workbook(import_workbook, file)


@plans_app.command("export")
def plans_export(file: Path, department: str | None = typer.Option(None, help="部门代码（含下级）"),
                 kind: PlanKind | None = None, stage: PlanStatus | None = None,
                 behind: bool = typer.Option(False, "--behind", help="只导出滞后于计划的"),
                 funding_stop: bool = typer.Option(False, "--funding-stop", help="只导出运维经费应停止拨付的")) -> None:
    """导出迁移计划表 / export plans in the plan workbook's layout."""
    from sqlmodel import Session

    from control.migration.workbook import export_workbook
    with Session(engine(), expire_on_commit=False) as session:
        data = export_workbook(session, cli_actor(), plan_filter(session, department, kind, stage, behind,
                                                                   funding_stop))
    file.write_bytes(data)
    typer.echo(f"已导出到 {file}")


@devices_app.command("list")
def devices_list(department: str | None = typer.Option(None, help="部门代码（含下级）"),
                 drifted: bool | None = typer.Option(None, "--drifted/--not-drifted", help="是否配置漂移"),
                 limit: int = typer.Option(200, min=1, max=100_000)) -> None:
    """列出网络设备 / list devices with their drift flag and last backup."""
    from sqlmodel import Session

    from control.devices.service import DeviceFilter, list_devices
    with Session(engine()) as session:
        f = DeviceFilter(department_id=department_id_of(session, department), drifted=drifted)
        items, total = list_devices(session, cli_actor(), f, limit=limit)
    typer.echo(f"{'编号':<8}{'名称':<20}{'地址':<24}{'部门':<16}{'漂移':<6}最近备份")
    for d in items:
        last = f"{d.last_backup_at:%Y-%m-%d %H:%M} {d.last_backup_outcome.zh}" if d.last_backup_at else "从未备份"
        typer.echo(f"{d.id:<8}{d.name[:18]:<20}{f'{d.host}:{d.port}'[:22]:<24}{d.department_name[:14]:<16}"
                   f"{'是' if d.drifted else '否':<6}{last}")
    typer.echo(f"共 {total} 台")


@devices_app.command("sync")
def devices_sync(file: Path = typer.Option(Path("inventory/devices.yaml"), "--file", help="设备清单文件")) -> None:
    """按清单文件同步设备 / create and update devices from inventory/devices.yaml (idempotent, audited)."""
    from sqlmodel import Session

    from control.devices.service import sync_inventory
    with Session(engine(), expire_on_commit=False) as session:
        try:
            result = sync_inventory(session, cli_actor(), file)
        except ServiceError as exc:
            print_validation_errors(exc, "同步失败")
            raise typer.Exit(1) from None
    for label, names in (("新增", result.created), ("更新", result.updated), ("未变化", result.unchanged),
                         ("清单中已没有", result.not_in_file)):
        typer.echo(f"{label}：{len(names)}" + (f"（{'、'.join(names)}）" if names and label != "未变化" else ""))


@devices_app.command("backup")
def devices_backup(name: str | None = typer.Argument(None, help="设备名称"),
                   all_devices: bool = typer.Option(False, "--all", help="备份全部设备")) -> None:
    """备份设备配置 / back up the running config of one device or of all (--all)."""
    from sqlmodel import Session

    from control.devices import backups, service
    if bool(name) == all_devices:
        fail("请给出一个设备名称，或用 --all 备份全部设备", 2)
    with Session(engine(), expire_on_commit=False) as session:
        actor = cli_actor()
        if all_devices:
            counts = backups.backup_all(session, actor)
            typer.echo(f"新版本 {counts['changed']} 台，未变化 {counts['unchanged']} 台，失败 {counts['failed']} 台")
            if counts["failed"]:
                raise typer.Exit(1)
            return
        result = backups.backup_device(session, actor, service.get_by_name(session, actor, name).id)
    drift = "（配置漂移：不是本平台的变更）" if result.drift else ""
    typer.echo(f"{name}：{result.outcome.zh}，当前为第 {result.backup.version} 版{drift}")
from control.automation.cli import register as register_automation  # noqa: E402  (its commands import this module)

register_automation(app)
