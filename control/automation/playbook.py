"""The `playbook` run kind: one playbook of playbooks/ through ansible-runner, in the run's mode. check is the
playbook with `--check --diff`, apply the playbook itself, verify its `.verify.yml` play and rollback its
`.rollback.yml` play (a playbook without one has no such mode). The change pipeline enqueues these runs."""
from __future__ import annotations

from sqlmodel import Session

from control.automation import ansible
from control.core import runs
from control.core.errors import ValidationFailed
from control.core.secrets import SecretError, resolve_secret

KIND = "playbook"
MODES = ("check", "apply", "verify", "rollback")
# What each shipped playbook does, in zh-CN (the change page lists these).
PLAYBOOKS = {
    "cloud_host_prepare": "准备云主机（目录、用户级服务单元与配置、系统代码标记）",
    "app_move": "迁移应用数据与服务（同步数据目录并校验、切换配置）",
    "health_check": "健康检查（HTTP、端口、文件）",
    "decommission": "下线旧主机（停止、打包归档、删除）",
    "zombie_cleanup": "僵尸系统清理（停止、打包归档、删除）",
}


def playbook_file(name: str, mode: str) -> str | None:
    """The file a mode of a playbook runs, or None when that playbook has no such mode."""
    if name not in PLAYBOOKS or mode not in MODES:
        return None
    file = f"{name}.yml" if mode in ("check", "apply") else f"{name}.{mode}.yml"
    if not (ansible.PLAYBOOKS_DIR / file).is_file():
        file = f"{name}.yml" if mode == "verify" and name == "health_check" else None
    return file


def enqueue(session: Session, name: str, mode: str, *, inventory: dict, extravars: dict | None = None,
            secret_vars: dict[str, str] | None = None, change_id: int | None = None,
            department_id: int | None = None) -> runs.Run:
    """Queue a playbook run. The inventory is Ansible's JSON form; classified hosts never get here (the
    service's inventory leaves them out, and the change pipeline refuses them before). `secret_vars` maps extra
    variables to secret references (control/core/secrets.py): only the references are stored, the values are
    read when the run starts and masked in its events."""
    if playbook_file(name, mode) is None:
        raise ValidationFailed(f"剧本“{name}”没有“{mode}”模式", code="playbook_mode",
                               errors=[{"field": "playbook", "message": "未知的剧本或模式"}])
    return runs.enqueue(session, KIND, mode, params=params(name, inventory, extravars, secret_vars),
                        change_id=change_id, department_id=department_id)


def params(name: str, inventory: dict, extravars: dict | None = None,
           secret_vars: dict[str, str] | None = None) -> dict:
    """A playbook run's parameters (what `handle` reads)."""
    return {"playbook": name, "inventory": inventory, "extravars": extravars or {}, "secret_vars": secret_vars or {}}


def handle(ctx: runs.RunContext) -> dict:
    return execute(ctx, ctx.run.mode)


def execute(ctx: runs.RunContext, mode: str) -> dict:
    """The run's playbook in `mode` (a change's apply run also runs the verify play); RunFailed when it fails."""
    params = ctx.run.params
    try:
        secrets = {name: resolve_secret(ref) for name, ref in (params.get("secret_vars") or {}).items()}
    except SecretError as exc:
        raise runs.RunFailed(f"剧本变量的密钥不可用：{exc}") from None
    result = ansible.run_playbook(playbook_file(params["playbook"], mode), inventory=params["inventory"],
                                  extravars={**(params.get("extravars") or {}), **secrets},
                                  check=mode == "check", emit=ctx.emit, cancelled=ctx.cancelled,
                                  secrets=list(secrets.values()))
    if result.status == "canceled":
        raise runs.Cancelled()
    if result.status != "successful":
        why = "：" + "；".join(result.failures[:3]) if result.failures else ""
        raise runs.RunFailed(f"剧本运行失败（{result.status}，返回码 {result.rc}）{why}"[:1800], result.as_dict())
    return result.as_dict()
