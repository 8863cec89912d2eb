"""Pure rules of changes: the state machine as a transition table (people's actions and the outcomes the
runs report), what the approval is pinned to, the config a device is expected to have after a change, and
whether a verify command's answer passes. No database, no device."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence

from control.automation.enums import ChangeStatus
from control.core.stages import Transitions

S = ChangeStatus

# (state, action or outcome) → next state. Actions are what people do (ACTIONS); outcomes are what the runs
# report back (check passed or failed, every device sent its commands, verified, failed, rolled back, ...).
TRANSITIONS: dict[tuple[ChangeStatus, str], ChangeStatus] = {
    (S.draft, "check"): S.draft,              # a check run is queued; its outcome moves the change
    (S.checked, "check"): S.checked,
    (S.approved, "check"): S.checked,         # a new check voids the approval
    (S.checked, "approve"): S.approved,
    (S.approved, "apply"): S.applying,
    (S.draft, "cancel"): S.cancelled,
    (S.checked, "cancel"): S.cancelled,
    (S.approved, "cancel"): S.cancelled,
    (S.applying, "cancel"): S.applying,       # takes effect between devices: the run ends cancelled
    (S.verifying, "cancel"): S.verifying,
    (S.failed, "rollback"): S.rolling_back,
    (S.succeeded, "rollback"): S.rolling_back,    # a change that turned out wrong is undone the same way
    (S.cancelled, "rollback"): S.rolling_back,
    (S.interrupted, "rollback"): S.rolling_back,
    (S.rollback_failed, "rollback"): S.rolling_back,
    (S.interrupted, "resume"): S.verifying,   # devices already applied are verified first, then the rest
    (S.failed, "resume"): S.verifying,        # a playbook change whose run failed (a device change: roll back)
    # outcomes
    (S.draft, "check_passed"): S.checked,
    (S.checked, "check_passed"): S.checked,
    (S.draft, "check_failed"): S.draft,
    (S.checked, "check_failed"): S.draft,
    (S.applying, "sent"): S.verifying,
    (S.verifying, "resumed"): S.applying,
    (S.verifying, "verified"): S.succeeded,
    (S.applying, "failed"): S.failed,
    (S.verifying, "failed"): S.failed,
    (S.applying, "cancelled"): S.cancelled,
    (S.verifying, "cancelled"): S.cancelled,
    (S.applying, "interrupted"): S.interrupted,
    (S.verifying, "interrupted"): S.interrupted,
    (S.rolling_back, "interrupted"): S.interrupted,
    (S.rolling_back, "rolled_back"): S.rolled_back,
    (S.rolling_back, "rollback_failed"): S.rollback_failed,
}
ACTION_LABELS = {"check": "检查", "approve": "批准", "apply": "执行", "rollback": "回退", "cancel": "取消",
                 "resume": "继续执行", "check_passed": "检查完成", "check_failed": "检查失败", "sent": "下发完成",
                 "resumed": "继续下发", "verified": "验证通过", "failed": "失败", "cancelled": "已取消",
                 "interrupted": "中断", "rolled_back": "回退完成", "rollback_failed": "回退失败"}
ACTIONS = ("check", "approve", "apply", "rollback", "cancel", "resume")
FLOW = Transitions(TRANSITIONS, ACTION_LABELS, noun="变更")
# People's part of the table: a refusal names only what a person can do next.
PEOPLE = Transitions({k: v for k, v in TRANSITIONS.items() if k[1] in ACTIONS}, ACTION_LABELS, noun="变更")
# A change in one of these has a run under way: no second action but cancel until it ends.
ACTIVE = (S.applying, S.verifying, S.rolling_back)
FINISHED = (S.succeeded, S.rolled_back, S.cancelled)
DEVICE_CHANGED = "设备配置自检查以来已变更"


def transition_error(state: ChangeStatus, action: str) -> str | None:
    return (PEOPLE if action in ACTIONS else FLOW).error(state, action)


def next_state(state: ChangeStatus, action: str) -> ChangeStatus:
    return FLOW.next(state, action)


def person_actions(state: ChangeStatus) -> list[str]:
    return PEOPLE.allowed(state)


def approval_digest(targets: Iterable[tuple[str, str | None, Sequence[str]]]) -> str:
    """What an approval is pinned to: every target's name, the digest of the config it was checked against and
    its rendered commands (a re-check that finds anything different gives another digest)."""
    body = json.dumps([[name, digest, list(commands)] for name, digest, commands in targets], ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# --- the expected config -----------------------------------------------------------------------------------

# Sub-commands whose new value replaces the old one (keyed by these leading words), as IOS does.
REPLACED = ("description", "name", "ip address", "switchport mode", "switchport access vlan",
            "switchport trunk allowed vlan", "ip helper-address", "ip access-group")
SECTION = re.compile(r"^(vlan|interface|router|line|ip access-list) ")


def _sections(config: str) -> list[list[str]]:
    """The config as blocks: a top-level line with its indented children (a `!` line closes a block)."""
    blocks: list[list[str]] = []
    for line in config.splitlines():
        if line.startswith(" ") and blocks and blocks[-1][0] != "!":
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def _key(child: str) -> str:
    words = child.strip()
    for prefix in REPLACED:
        if words == prefix or words.startswith(prefix + " "):
            return prefix
    return words


def expected_config(config: str, commands: Sequence[str]) -> str:
    """The running config `config` would become after `commands`, by IOS's usual merge rules: a section command
    opens (or creates) its block, `no <section>` removes it, `default interface` empties it, a sub-command
    replaces the one with the same key and `no <sub-command>` removes it, `ip route` lines are global. A
    preview for people to read, not an emulator: the verify commands decide whether the change worked."""
    blocks = _sections(config)
    tail = next((i for i, b in enumerate(blocks) if b[0] == "end"), len(blocks))
    body, end = blocks[:tail], blocks[tail:]
    current: list[str] | None = None

    def find(head: str) -> list[str] | None:
        return next((b for b in body if b[0] == head), None)

    def insert(block: list[str]) -> None:
        """After the last block of its kind (and the `!` closing it); routes follow each other unclosed."""
        kind = block[0].split()[0]
        same = [i for i, b in enumerate(body) if b[0].split()[:1] == [kind]]
        at = same[-1] + 1 if same else len(body)
        if same and kind != "ip" and at < len(body) and body[at] == ["!"]:
            at += 1
        body[at:at] = [block] if same and kind == "ip" else [block, ["!"]]

    for raw in commands:
        command = raw.rstrip()
        text = command.strip()
        if not text or text.startswith("!") or text in ("end", "exit"):
            current = None if text == "exit" else current
            continue
        if SECTION.match(text):
            current = find(text)
            if current is None:
                current = [text]
                insert(current)
        elif text.startswith("no ") and SECTION.match(text[3:]):
            found = find(text[3:])
            if found is not None:
                at = body.index(found)
                del body[at:at + (2 if at + 1 < len(body) and body[at + 1] == ["!"] else 1)]
            current = None
        elif text.startswith("default interface "):
            found = find(text[len("default "):])
            if found is not None:
                del found[1:]
            current = None
        elif text.startswith(("ip route ", "no ip route ")):
            current = None
            line = text[3:] if text.startswith("no ") else text
            if [line] in body:
                at = body.index([line])
                del body[at]
                if 0 < at < len(body) and body[at - 1] == body[at] == ["!"]:     # it was the only route
                    del body[at]
            if not text.startswith("no "):
                insert([line])
        elif current is not None:
            negated = text.startswith("no ")
            words = text[3:] if negated else text
            key = _key(words)
            current[1:] = [c for c in current[1:] if _key(c) != key and c.strip() != words]
            if not negated:
                current.append(" " + words)
    return "\n".join(line for block in body + end for line in block) + "\n"


def verify_failures(output: str, expect: Sequence[str], absent: Sequence[str]) -> list[str]:
    """The patterns a verify command's answer breaks (zh-CN), empty when it passes: each `expect` pattern must
    match a line, no `absent` pattern may."""
    problems = [f"未见“{p}”" for p in expect if not re.search(p, output, re.MULTILINE)]
    problems += [f"仍有“{p}”" for p in absent if re.search(p, output, re.MULTILINE)]
    return problems


def applicable(commands: Sequence[str], config: str) -> list[str]:
    """Rollback commands less the removals of what `config` does not hold (`no ip route`, `no interface`, `no
    vlan`, `default interface` of something absent): after a half-applied change those are already undone, and
    IOS refuses them ("%No matching route to delete"; the emulator drops the session)."""
    present = {line.rstrip() for line in config.splitlines() if line and not line.startswith(" ")}
    kept = []
    for command in commands:
        text = command.strip()
        subject = text[3:] if text.startswith("no ") else text[8:] if text.startswith("default ") else None
        if subject is not None and (SECTION.match(subject) or subject.startswith("ip route ")) \
                and subject not in present:
            continue
        kept.append(command)
    return kept
