"""Device-change templates: `playbooks/network/<key>.j2`, a small YAML header (name, typed variables, verify
commands with the patterns their answer must or must not show, rollback commands), a line `---`, then the
commands. Every text is Jinja2 (sandboxed, undefined names are errors). A template is validated when it is
loaded: the header's shape, every Jinja text compiling, every name it uses declared. Variables are typed so
that what reaches a device is what IOS and the emulator take: ASCII names and descriptions, VLAN ids,
interface names, addresses and routes."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from jinja2 import StrictUndefined, TemplateError, meta
from jinja2 import Template as JinjaTemplate
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from control.core.errors import NotFound, ValidationFailed

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "playbooks" / "network"
SUFFIX = ".j2"
ENV = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
TEXT = re.compile(r"[!-~](?:[ -~]{0,198}[!-~])?")            # printable ASCII, no blank at either end
INTERFACE = re.compile(r"(FastEthernet|GigabitEthernet|TenGigabitEthernet|Ethernet)\d{1,2}(/\d{1,2}){1,2}")
ROUTE = re.compile(r"\s*(\S+)\s+via\s+(\S+)\s*")


class BadTemplate(ValueError):
    """A template file that cannot be used; the message names the file and what is wrong (zh-CN)."""


class Variable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["int", "vlan", "name", "text", "ipv4", "ipv4_interface", "interface", "route"]
    label: str
    list: bool = False
    required: bool = True
    min: int | None = None
    max: int | None = None
    help: str = ""


class Verify(BaseModel):
    model_config = ConfigDict(extra="forbid")
    command: str
    expect: list[str] = []
    absent: list[str] = []


class Header(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    variables: dict[str, Variable] = Field(min_length=1)
    verify: list[Verify] = Field(min_length=1)
    rollback: str


@dataclass(frozen=True)
class Route:
    network: ipaddress.IPv4Network
    next_hop: ipaddress.IPv4Address

    def __str__(self) -> str:
        return f"{self.network} via {self.next_hop}"


@dataclass(frozen=True)
class Rendered:
    commands: list[str]
    rollback: list[str]
    verify: list[dict]


@dataclass(frozen=True)
class Template:
    key: str
    header: Header
    body: str

    def convert(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The variables typed (ValidationFailed naming each bad one as variables.<name>); unknown names refused."""
        errors, values = [], {}
        for name in sorted(set(raw) - set(self.header.variables)):
            errors.append({"field": f"variables.{name}", "message": "模板没有这个变量", "code": "unknown"})
        for name, spec in self.header.variables.items():
            value = raw.get(name)
            if value is None or value == [] or value == "":
                if spec.required:
                    errors.append({"field": f"variables.{name}", "message": f"请填写{spec.label}", "code": "required"})
                values[name] = [] if spec.list else None
                continue
            items = value if spec.list else [value]
            if spec.list and not isinstance(value, list):
                errors.append({"field": f"variables.{name}", "message": f"{spec.label}应为列表", "code": "type"})
                continue
            try:
                typed = [_typed(spec, item) for item in items]
            except ValueError as exc:
                errors.append({"field": f"variables.{name}", "message": f"{spec.label}：{exc}", "code": "invalid"})
                continue
            values[name] = typed if spec.list else typed[0]
        if errors:
            raise ValidationFailed(f"模板“{self.header.name}”的变量有 {len(errors)} 处错误", code="bad_variables",
                                   errors=errors)
        return values

    def render(self, raw: dict[str, Any]) -> Rendered:
        values = self.convert(raw)
        try:
            return Rendered(commands=_lines(_compiled(self.body).render(values)),
                            rollback=_lines(_compiled(self.header.rollback).render(values)),
                            verify=[{"command": _compiled(v.command).render(values).strip(),
                                     "expect": _patterns(v.expect, values), "absent": _patterns(v.absent, values)}
                                    for v in self.header.verify])
        except TemplateError as exc:
            raise ValidationFailed(f"模板“{self.header.name}”无法生成命令：{exc}", code="render_failed") from None

    def describe(self) -> dict:
        return {"key": self.key, "name": self.header.name, "description": self.header.description,
                "variables": {k: v.model_dump() for k, v in self.header.variables.items()}}


@lru_cache(maxsize=1024)
def _compiled(source: str) -> JinjaTemplate:
    """A template text compiled once (from_string compiles on every call: most of a render's time, paid per
    device at check); a compiled template renders safely from several threads."""
    return ENV.from_string(source)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def _patterns(sources: list[str], values: dict) -> list[str]:
    """The rendered patterns; one that renders to several lines (a loop over a list) is several patterns, and
    to none (an empty list) none."""
    return [line for source in sources for line in _lines(_compiled(source).render(values))]


def _typed(spec: Variable, value: Any) -> Any:
    """One value of a variable's type, or ValueError with the reason (zh-CN)."""
    text = str(value).strip() if not isinstance(value, (dict, list, bool)) else value
    if spec.type in ("int", "vlan"):
        if isinstance(value, bool) or not re.fullmatch(r"-?\d{1,9}", str(text)):
            raise ValueError("应为整数")
        number = int(text)
        low, high = (2, 4094) if spec.type == "vlan" else (spec.min, spec.max)
        low, high = spec.min if spec.min is not None else low, spec.max if spec.max is not None else high
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValueError(f"应在 {low}–{high} 之间")
        return number
    if not isinstance(text, str):
        raise ValueError("应为文本")
    if spec.type == "name":
        if not NAME.fullmatch(text):
            raise ValueError("只能用英文字母、数字和 _ . -，以字母或数字开头，至多 32 个字符（设备不接受中文）")
        return text
    if spec.type == "text":
        if not TEXT.fullmatch(text) or "?" in text:
            raise ValueError("只能用英文、数字和常用符号（不含 ?），至多 200 个字符（设备不接受中文）")
        return text
    if spec.type == "interface":
        if not INTERFACE.fullmatch(text):
            raise ValueError("应为接口名，如 FastEthernet0/3")
        return text
    try:
        if spec.type == "ipv4":
            return ipaddress.IPv4Address(text)
        if spec.type == "ipv4_interface":
            if "/" not in text:
                raise ValueError("应为 地址/前缀长度，如 10.31.0.1/24")
            return ipaddress.IPv4Interface(text)
        found = ROUTE.fullmatch(text)
        if not found:
            raise ValueError("应为 目的网段 via 下一跳，如 10.32.0.0/16 via 10.31.0.254")
        return Route(ipaddress.IPv4Network(found.group(1)), ipaddress.IPv4Address(found.group(2)))
    except ipaddress.AddressValueError:
        raise ValueError("不是有效的 IPv4 地址") from None
    except ipaddress.NetmaskValueError:
        raise ValueError("前缀长度或掩码不正确") from None


def parse(key: str, text: str) -> Template:
    """A template from its file's text; BadTemplate naming what is wrong."""
    head, sep, body = text.partition("\n---\n")
    if not sep or not body.strip():
        raise BadTemplate(f"模板 {key}{SUFFIX}：缺少“---”分隔行或其后的命令")
    try:
        header = Header.model_validate(yaml.safe_load(head))
    except yaml.YAMLError as exc:
        raise BadTemplate(f"模板 {key}{SUFFIX}：文件头不是有效的 YAML（{exc.__class__.__name__}）") from None
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise BadTemplate(f"模板 {key}{SUFFIX}：文件头不正确（{where}）") from None
    texts = {"命令": body, "回退命令": header.rollback}
    for i, v in enumerate(header.verify, 1):
        texts[f"第 {i} 条验证命令"] = "\n".join([v.command, *v.expect, *v.absent])
    for what, source in texts.items():
        try:
            names = meta.find_undeclared_variables(ENV.parse(source))
        except TemplateError as exc:
            raise BadTemplate(f"模板 {key}{SUFFIX}：{what}的 Jinja2 语法错误（{exc}）") from None
        unknown = sorted(names - set(header.variables))
        if unknown:
            raise BadTemplate(f"模板 {key}{SUFFIX}：{what}用到未声明的变量 {', '.join(unknown)}")
    return Template(key=key, header=header, body=body)


@lru_cache(maxsize=1)
def load_all(folder: Path = TEMPLATES_DIR) -> dict[str, Template]:
    """Every template of the folder, by key (the file name without .j2); a bad one stops the load."""
    return {path.name[:-len(SUFFIX)]: parse(path.name[:-len(SUFFIX)], path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob(f"*{SUFFIX}"))}


def get(key: str) -> Template:
    found = load_all().get(key)
    if found is None:
        raise NotFound(f"没有名为 {key} 的设备变更模板")
    return found
