"""CLI: `yunzhang worker`, `yunzhang runs show ID [--follow]`, `yunzhang automation inventory --list`,
`yunzhang changes list|show|create|act`. The same service functions as the API and pages."""
from __future__ import annotations

import contextlib
import json
import signal
import threading
import time

import typer

runs_app = typer.Typer(help="自动化运行 / automation runs", no_args_is_help=True)
automation_app = typer.Typer(help="自动化 / automation", no_args_is_help=True)
changes_app = typer.Typer(help="自动化变更 / automation changes", no_args_is_help=True)
FOLLOW_SECONDS = 1.0


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.add_typer(runs_app, name="runs")
    app.add_typer(automation_app, name="automation")
    app.add_typer(changes_app, name="changes")


def worker(size: int | None = typer.Option(None, "--size", min=1, max=64,
                                           help="并发执行数（默认 YUNZHANG_AUTOMATION_WORKERS）")) -> None:
    """运行自动化执行进程 / run a pool of automation workers until stopped (Ctrl-C or SIGTERM)."""
    from control.cli import engine
    from control.core.runs import WorkerPool
    from control.settings import get_settings
    from control.wiring import install
    install()
    pool = WorkerPool(engine(), size or get_settings().automation_workers or 1).start()
    typer.echo(f"执行进程 {pool.id} 已启动（并发 {pool.size}）")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    typer.echo("正在停止：等待运行中的任务结束……")
    pool.stop(timeout=600)


def _print_events(events) -> None:
    from control.automation.enums import event_label
    for e in events:
        where = " ".join(x for x in (e.host, e.task) if x)
        flags = "".join((" [变更]" if e.changed else "", " [失败]" if e.failed else ""))
        typer.echo(f"{e.seq:>5} {e.at.astimezone().strftime('%H:%M:%S')} {event_label(e.event)} {where}{flags}")
        for line in e.stdout.strip("\r\n").splitlines():
            typer.echo(f"        {line.rstrip()}")


@runs_app.command("show")
def runs_show(run_id: int = typer.Argument(..., min=1),
              follow: bool = typer.Option(False, "--follow", "-f", help="持续输出新事件直到运行结束")) -> None:
    """显示一次运行及其事件 / show a run and its events (--follow: until it ends)."""
    from sqlmodel import Session

    from control.automation.service import run_events
    from control.cli import cli_actor, engine
    from control.core.runs import FINISHED, RunStatus
    eng, actor, after, header = engine(), cli_actor(), 0, False
    while True:
        with Session(eng) as session:
            run, events, more = run_events(session, actor, run_id, after)
        if not header:
            typer.echo(f"运行 #{run.id} {run.kind} {run.mode} 创建于 {run.created_at.astimezone():%Y-%m-%d %H:%M:%S}")
            header = True
        _print_events(events)
        after = events[-1].seq if events else after
        if more:
            continue
        if run.status in FINISHED or not follow:
            break
        time.sleep(FOLLOW_SECONDS)
    status = RunStatus(run.status)
    typer.echo(f"状态：{status.zh}" + (f"；{run.error}" if run.error else ""))
    if follow and status != RunStatus.succeeded:
        raise typer.Exit(1)


@automation_app.command("inventory")
def automation_inventory(list_: bool = typer.Option(False, "--list", help="输出全部主机（Ansible JSON 清单）"),
                         host: str | None = typer.Option(None, "--host", help="一台主机的变量")) -> None:
    """Ansible 主机清单 / Ansible's JSON inventory of the hosts the service knows (no classified systems)."""
    from sqlmodel import Session

    from control.automation.inventory import build_inventory
    from control.cli import engine, fail
    if not list_ and host is None:
        fail("请指定 --list 或 --host 主机名", 2)
    with Session(engine()) as session:
        inventory = build_inventory(session)
    out = inventory if list_ else inventory["_meta"]["hostvars"].get(host, {})
    typer.echo(json.dumps(out, ensure_ascii=False, indent=1, sort_keys=True))


@changes_app.command("list")
def changes_list(status: str | None = typer.Option(None, help="状态（draft、checked、approved、succeeded……）"),
                 limit: int = typer.Option(50, min=1, max=500)) -> None:
    """列出变更 / list changes, newest first."""
    from sqlmodel import Session

    from control.automation.enums import ChangeStatus
    from control.automation.service import list_changes
    from control.cli import cli_actor, engine, fail
    try:
        wanted = ChangeStatus.parse(status) if status else None
    except ValueError as exc:
        fail(str(exc), 2)
    with Session(engine()) as session:
        items, total = list_changes(session, cli_actor(), status=wanted, limit=limit)
    for c in items:
        typer.echo(f"#{c.id:<6} {c.status.zh:<6} {c.kind.value:<9} {c.title}  （{c.author}）")
    typer.echo(f"共 {total} 项")


@changes_app.command("show")
def changes_show(change_id: int = typer.Argument(..., min=1)) -> None:
    """显示变更：状态、各设备（主机）的命令、预计差异和状态、运行 / show a change."""
    from sqlmodel import Session

    from control.automation.service import detail, get_change
    from control.cli import cli_actor, engine
    with Session(engine()) as session:
        out = detail(session, get_change(session, cli_actor(), change_id))
    typer.echo(f"变更 #{out.id} {out.title}：{out.status.zh}（{out.kind.zh} {out.template or out.playbook}）")
    typer.echo(f"发起人 {out.author}" + (f"；批准人 {out.approved_by}" if out.approved_by else ""))
    if out.error:
        typer.echo(f"错误：{out.error}")
    for key, value in sorted(out.variables.items()):
        typer.echo(f"变量 {key} = {json.dumps(value, ensure_ascii=False)}")
    for t in out.targets:
        typer.echo(f"\n[{t.position + 1}] {t.name}：{t.status.zh}" + (f"；{t.error}" if t.error else ""))
        for key, value in sorted(t.variables.items()):
            typer.echo(f"  本设备变量 {key} = {json.dumps(value, ensure_ascii=False)}")
        for line in t.commands:
            typer.echo(f"    {line}")
        for line in t.expected_diff.splitlines():
            typer.echo(f"  {line}")
    if out.runs:
        typer.echo("\n运行：" + "、".join(f"#{r.id} {r.mode} {r.status.zh}" for r in out.runs))


@changes_app.command("create")
def changes_create(file: typer.FileText = typer.Argument(..., help="JSON：POST /api/v1/changes 的请求体")) -> None:
    """新建变更（草稿）/ create a draft change from a JSON body (as POST /api/v1/changes takes)."""
    from sqlmodel import Session

    from control.automation.schemas import ChangeIn
    from control.automation.service import create_change
    from control.cli import cli_actor, engine
    data = ChangeIn.model_validate_json(file.read())
    with Session(engine()) as session:
        change = create_change(session, cli_actor(), data)
        typer.echo(f"已建立变更 #{change.id}（草稿）")


@changes_app.command("act")
def changes_act(change_id: int = typer.Argument(..., min=1),
                action: str = typer.Argument(..., help="check、approve、apply、rollback、cancel、resume"),
                comment: str = typer.Option("", help="意见（记入审计日志）")) -> None:
    """对变更执行操作 / take an action on a change (its run goes to the workers; follow it with runs show)."""
    from sqlmodel import Session

    from control.automation.schemas import ChangeActionIn
    from control.automation.service import act
    from control.cli import cli_actor, engine
    from control.core.policy import load_policy
    from control.settings import get_settings
    with Session(engine()) as session:
        change = act(session, cli_actor(), load_policy(get_settings().policy_file or None), change_id, action,
                     ChangeActionIn(comment=comment))
        typer.echo(f"变更 #{change.id}：{change.status.zh}" + (f"；运行 #{change.run_id}" if change.run_id else ""))
