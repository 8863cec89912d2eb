"""Demo data: a fictional county (白水县) with its city (青山市) and province (云岭省) above,
their departments, 60 information systems covering every status, network and frequency, and one
user per role. Loaded through the services, so the audit log starts with a valid chain."""
from __future__ import annotations

import random
from datetime import UTC, date
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from control.core.accounts import Department, Level
from control.core.auth import Actor
from control.core.roles import Role
from control.org import service as org_service
from control.org.codes import org_check_char, uscc_check_char
from control.org.schemas import DepartmentCreate, UserCreate
from control.systems import service as systems_service
from control.systems.enums import (
    ClassifiedGrade,
    Network,
    ReachMethod,
    SharingDirection,
    SharingMethod,
    SystemKind,
    SystemStatus,
    UsageFrequency,
    UseScope,
)
from control.systems.schemas import SharingLine, SystemCreate

DEMO_ACTOR = Actor(id=None, username="demo-loader", role=Role.admin, department_id=None, scope_path=None)

# (key, name, level, parent key, region code)
DEPARTMENTS = [
    ("prov", "云岭省大数据发展局", Level.province, None, "530000"),
    ("prov-ic", "云岭省电子政务中心", Level.province, "prov", "530000"),
    ("city", "青山市大数据发展局", Level.city, "prov", "530900"),
    ("city-ic", "青山市电子政务中心", Level.city, "city", "530900"),
    ("county", "白水县人民政府办公室", Level.county, "city", "530921"),
    ("bigdata", "白水县大数据发展局", Level.county, "county", "530921"),
    ("ic", "白水县电子政务中心", Level.county, "county", "530921"),
    ("edu", "白水县教育局", Level.county, "county", "530921"),
    ("health", "白水县卫生健康局", Level.county, "county", "530921"),
    ("police", "白水县公安局", Level.county, "county", "530921"),
    ("finance", "白水县财政局", Level.county, "county", "530921"),
    ("land", "白水县自然资源局", Level.county, "county", "530921"),
    ("agri", "白水县农业农村局", Level.county, "county", "530921"),
    ("water", "白水县水利局", Level.county, "county", "530921"),
    ("market", "白水县市场监督管理局", Level.county, "county", "530921"),
    ("hrss", "白水县人力资源和社会保障局", Level.county, "county", "530921"),
    ("civil", "白水县民政局", Level.county, "county", "530921"),
    ("audit", "白水县审计局", Level.county, "county", "530921"),
    ("town", "白水县城关镇人民政府", Level.township, "county", "530921"),
    ("school", "白水县城关镇中心学校", Level.township, "edu", "530921"),
    ("village", "城关镇东门村村民委员会", Level.village, "town", "530921"),
]

# (username, role, department key, password) — printed by `make run` and in the README.
DEMO_USERS = [
    ("admin", "admin", None, "admin-yz-2026"),
    ("bureau", "bureau", "bigdata", "bureau-yz-2026"),
    ("infocenter", "infocenter", "ic", "infocenter-yz-2026"),
    ("edu", "department", "edu", "edu-yz-2026"),
    ("auditor", "auditor", "audit", "auditor-yz-2026"),
    ("ops", "ops", "ic", "ops-yz-2026"),
    # Reviewers inside the requesting chain: 教育局's head and the county office above it.
    ("eduhead", "department", "edu", "eduhead-yz-2026"),
    ("countyoffice", "department", "county", "countyoffice-yz-2026"),
]
# Designated to sign review levels for their departments.
DEMO_REVIEWERS = {"eduhead", "countyoffice"}
# Each a person of their own, so the header and histories tell edu, eduhead and countyoffice apart.
DEMO_NAMES = {
    "admin": "系统管理员 赵磊", "bureau": "大数据局审批人 陈静", "infocenter": "信息中心经办人 刘洋",
    "edu": "教育局经办人 张敏", "auditor": "审计局审计员 周婷", "ops": "运维值班 吴刚",
    "eduhead": "教育局负责人 李华", "countyoffice": "县政府办公室 王强",
}

SYSTEM_NAMES = {
    "prov": ["省级政务数据共享交换平台", "省电子证照库", "省一体化在线政务服务平台"],
    "prov-ic": ["省政务云统一运维平台"],
    "city-ic": ["市电子政务外网接入管理系统"],
    "bigdata": ["县政务数据资源目录系统", "县一网通办综合受理平台"],
    "city": ["市级政务云管理平台", "市公共数据开放平台", "市12345政务服务便民热线"],
    "county": ["县政府门户网站", "县电子公文交换系统", "县督查督办系统", "县领导日程管理系统", "县值班应急管理系统"],
    "ic": ["县电子政务外网运维监控系统", "县政务云资源管理系统", "县统一身份认证平台"],
    "edu": ["县中小学学籍管理系统", "县教育资源公共服务平台", "县教师继续教育学分管理系统", "县校车安全监管系统"],
    "health": ["县全民健康信息平台", "县基层医疗卫生机构管理信息系统", "县疫苗接种管理系统", "县妇幼保健信息系统"],
    "police": ["县公安视频图像信息系统", "县户籍业务办理系统", "县警务综合平台", "县交通违法处理系统"],
    "finance": ["县预算管理一体化系统", "县国库集中支付系统", "县非税收入收缴系统", "县政府采购管理系统"],
    "land": ["县不动产登记信息系统", "县国土空间基础信息平台", "县耕地保护监管系统"],
    "agri": ["县农村土地承包经营权信息系统", "县农产品质量安全追溯系统", "县动物防疫监管系统"],
    "water": ["县山洪灾害监测预警系统", "县防汛抗旱指挥系统", "县河长制信息管理系统"],
    "market": ["县市场主体登记系统", "县食品安全监管系统", "县特种设备安全监察系统"],
    "hrss": ["县社会保险经办系统", "县就业创业服务系统", "县劳动保障监察系统"],
    "civil": ["县社会救助信息系统", "县婚姻登记管理系统", "县养老服务信息平台", "县殡葬管理系统"],
    "audit": ["县审计业务管理系统", "县审计数据分析平台"],
    "town": ["城关镇网格化社会治理系统", "城关镇便民服务中心系统"],
    "school": ["城关镇中心学校智慧校园平台", "城关镇中心学校食堂管理系统"],
    "village": ["东门村村务公开系统"],
}
VERTICAL = {"县户籍业务办理系统", "县警务综合平台", "县社会保险经办系统", "县市场主体登记系统", "县国库集中支付系统"}
CLASSIFIED = {"县电子公文交换系统", "县公安视频图像信息系统"}
FUNDING = ["县级财政预算", "市级财政预算", "省级财政专项", "中央财政转移支付", "自筹"]
VENDORS = ["青山数智科技有限公司", "云岭信息产业集团有限公司", "白水县鑫源网络技术有限公司", ""]


def department_code(region: str, seq: int) -> str:
    """A valid unified social credit code for a fictional government body (11 = 机关)."""
    body = f"D{seq:07d}"
    org = body + org_check_char(body)
    first17 = f"11{region}{org}"
    return first17 + uscc_check_char(first17)


def is_loaded(session: Session) -> bool:
    """Whether this database holds the demo (its loader wrote the first audit entries)."""
    from control.core.audit import AuditEntry
    return session.execute(select(AuditEntry.id).where(AuditEntry.actor == DEMO_ACTOR.username).limit(1)).first() \
        is not None


def demo_accounts() -> list[dict[str, object]]:
    """The demo logins as the login page lists them: username, password, name, department, role."""
    names = {key: name for key, name, *_ in DEPARTMENTS}
    return [{"username": username, "password": password, "name": DEMO_NAMES[username],
             "department": names.get(dept_key, ""), "role": Role(role)}
            for username, role, dept_key, password in DEMO_USERS]


def is_empty(session: Session) -> bool:
    return session.execute(select(func.count()).select_from(Department)).scalar_one() == 0


def load_demo(session: Session) -> bool:
    """Load the demo county into an empty database; returns False (and does nothing) otherwise."""
    if not is_empty(session):
        return False
    depts: dict[str, Department] = {}
    for seq, (key, name, level, parent, region) in enumerate(DEPARTMENTS, start=1):
        depts[key] = org_service.create_department(session, DEMO_ACTOR, DepartmentCreate(
            code=department_code(region, seq), name=name, level=level, region=region,
            parent_id=depts[parent].id if parent else None))
    for username, role, dept_key, password in DEMO_USERS:
        org_service.create_user(session, DEMO_ACTOR, UserCreate(
            username=username, password=password, role=Role(role), display_name=DEMO_NAMES[username],
            department_id=depts[dept_key].id if dept_key else None, reviewer=username in DEMO_REVIEWERS))
    rng = random.Random(20261123)
    statuses = list(SystemStatus)
    networks = list(Network)
    frequencies = list(UsageFrequency)
    n = 0
    for key, names in SYSTEM_NAMES.items():
        for name in names:
            data = _system(rng, depts[key], name, statuses[n % 4], networks[n % 4], frequencies[n % 6], n)
            systems_service.create_system(session, DEMO_ACTOR, data)
            n += 1
    _cloud_demo(session, depts)
    _migration_demo(session, depts)
    _automation_demo(session, depts)
    _usage_demo(session)
    return True


def _usage_demo(session: Session) -> None:
    """90 days of daily usage for the running systems — most busy, a few quiet or idle — and a first
    zombie scan, so the review pages have candidates to show."""
    from datetime import timedelta

    from control.core.clock import today
    from control.core.policy import load_policy
    from control.systems.models import InformationSystem
    from control.zombies import service as zombies
    from control.zombies import usage

    rng = random.Random(7)
    end = today() - timedelta(days=1)
    systems = session.execute(select(InformationSystem).where(InformationSystem.status == "running",
                                                              InformationSystem.is_classified.is_(False))
                              .order_by(InformationSystem.id)).scalars().all()
    samples = usage.Samples()
    for n, system in enumerate(systems):
        profile = "quiet" if n % 5 == 1 else "idle" if n % 5 == 3 else "busy"
        for i in range(90):
            day = end - timedelta(days=i)
            busy = profile == "busy"
            values = {
                "requests": rng.randint(200, 3000) if busy else (0 if profile == "quiet" else rng.randint(5, 40)),
                "logins": rng.randint(20, 300) if busy else (0 if profile == "quiet" else rng.randint(1, 6)),
                "cpu_p95": round(rng.uniform(0.2, 0.7) if profile != "idle" else rng.uniform(0.005, 0.03), 3),
                "memory_avg": round(rng.uniform(0.3, 0.8), 3),
                "network_bytes": rng.randint(5 * 10**8, 5 * 10**9)
                if profile != "idle"
                else rng.randint(10**5, 3 * 10**6),
                "active_users": rng.randint(10, 400) if busy else rng.randint(0, 4),
                "deployments": 1 if busy and day.weekday() == 3 and i % 14 < 7 else 0,
            }
            for metric, v in values.items():
                samples.add(system.id, metric, day, float(v))
    ops = _actor(session, "infocenter")
    usage.store(session, ops, samples, "demo")
    zombies.run_scan(session, _actor(session, "auditor"), load_policy().zombies, end)


def _actor(session: Session, username: str) -> Actor:
    from control.core.accounts import User
    from control.core.auth import actor_for
    return actor_for(session, session.execute(select(User).where(User.username == username)).scalar_one())


def _cloud_demo(session: Session, depts: dict[str, Department]) -> None:
    """Capacity pools, a quota and cloud requests at every stage, two of them filed weeks ago so the
    queues show a deadline slipping."""
    from datetime import datetime, timedelta

    from control.cloud import service as cloud
    from control.cloud.enums import Zone
    from control.cloud.schemas import ActionIn, CapacityIn, LineIn, QuotaIn, RequestIn
    from control.core import clock
    from control.core.calendar import CalendarProvider
    from control.core.policy import load_policy

    policy = load_policy()
    ctx = cloud.Context(calendar=CalendarProvider(policy.calendar_arrangements()).get(session), policy=policy)
    ic = _actor(session, "infocenter")
    for zone, vcpu in ((Zone.public, 512), (Zone.dedicated, 256), (Zone.internet_access, 128)):
        cloud.set_capacity(session, ic, zone, CapacityIn(vcpu=vcpu, memory_gib=vcpu * 4, storage_gib=vcpu * 200,
                                                         extranet_ips=200, internet_ips=32, bandwidth_mbps=2000))
    cloud.set_quota(session, ic, depts["edu"].id, QuotaIn(vcpu=64, memory_gib=256, storage_gib=20000))
    edu, head, office = (_actor(session, u) for u in ("edu", "eduhead", "countyoffice"))
    bureau = _actor(session, "bureau")
    vm = LineIn(kind="vm", count=2, vcpu=4, memory_gib=8, system_disk_gib=50, data_disk_gib=200, os_image="麒麟 V10")
    steps = {
        "draft": [],
        "review": [(edu, "submit")],
        "acceptance": [(edu, "submit"), (head, "approve"), (office, "approve")],
        "assessment": [(edu, "submit"), (head, "approve"), (office, "approve"), (bureau, "approve")],
        "delivery": [(edu, "submit"), (head, "approve"), (office, "approve"), (bureau, "approve"), (ic, "assess")],
    }
    plans = [("智慧校园平台扩容", "delivery", 0), ("教育资源平台迁移上云", "assessment", 0),
             ("学籍系统灾备", "acceptance", 25), ("校车监管视频存储", "acceptance", 2),
             ("继续教育学分系统上云", "review", 0), ("教师培训直播平台", "draft", 0)]
    for name, state, days_ago in plans:
        if days_ago:
            clock.set_now(datetime.now(UTC) - timedelta(days=days_ago))
        try:
            req = cloud.create_request(session, edu, RequestIn(
                department_id=depts["edu"].id, new_system_name=name, contact_name="李明", contact_phone="0870-6100008",
                purpose=f"{name}：部署应用与数据库", zone=Zone.public, protection_level=2, lines=[
                    vm, LineIn(kind="block_storage", size_gib=500), LineIn(kind="extranet_ip", quantity=2)]))
            for who, action in steps[state]:
                cloud.act(session, who, ctx, req.id, action, ActionIn(comment="同意"))
        finally:
            clock.set_now(None)



# Private networks (业务专网): (department key, name, fiscal money, the steps already taken).
DEMO_NETWORKS = [
    ("edu", "县教育城域网", True, ()),
    ("edu", "中小学视频监控专网", True, ()),
    ("edu", "教育系统视频会议专网", True, ()),
    ("health", "县医共体专网", True, ()),
    ("health", "疫苗冷链监测专网", False, ()),
    ("market", "食品安全监测专网", True, ()),
    ("agri", "农业物联网专网", True, ("connect", "migrate")),
    ("hrss", "社保经办专网", True, ("connect", "migrate", "merge")),
    ("civil", "社会救助专网", False, ("connect", "migrate", "convert")),
]
OUTCOME_NOTES = {"merge": "并入政务外网专用网络区", "convert": "改造为政务外网接入线路", "withdraw": "线路已退租"}
RESPONSIBLE = {"leader_title": "副局长", "leader_phone": "0870-6100100", "office": "办公室",
               "liaison_phone": "13800000001"}


def _migration_demo(session: Session, depts: dict[str, Department]) -> None:
    """Private networks in every state and plans of both kinds, dated relative to the demo's clock:
    教育局's network plan behind at its migrate stage, its cloud plan on plan with a migrated system and an
    approved exception, a completed network plan, 卫生健康局's plan past its completion date with a fiscal
    network not migrated (O&M funding stops), a late cloud plan of 自然资源局 and a draft on plan."""
    from datetime import timedelta

    from control.core import clock
    from control.core.calendar import CalendarProvider
    from control.core.policy import load_policy
    from control.core.workflow import Procedure
    from control.migration import rules as plan_rules
    from control.migration import service as plans
    from control.migration.schemas import ActionIn, ExceptionDecisionIn, ExceptionIn, PlanIn, SystemActionIn, SystemIn
    from control.networks import service as networks
    from control.networks.schemas import ActionIn as NetworkActionIn
    from control.networks.schemas import NetworkCreate
    from control.systems.models import InformationSystem

    start = clock.now()
    today = clock.today()

    def ago(days: int):
        return clock.moved_to(start - timedelta(days=days))

    def on(days: int):
        return today + timedelta(days=days)

    policy = load_policy()
    proc = Procedure(subject=plan_rules.SUBJECT, calendar=CalendarProvider(policy.calendar_arrangements()).get(session),
                     policy=policy.migration_plans)
    ic, edu, head, office, bureau = (_actor(session, u) for u in ("infocenter", "edu", "eduhead", "countyoffice",
                                                                   "bureau"))
    net: dict[str, int] = {}
    with ago(400):
        for key, name, fiscal, _ in DEMO_NETWORKS:
            net[name] = networks.create_network(session, ic, NetworkCreate(
                department_id=depts[key].id, name=name, purpose=f"{depts[key].name}业务专网", fiscal_funded=fiscal,
                sites=[f"{depts[key].name}机房"])).id
    for _, name, _, steps in DEMO_NETWORKS:
        for n, action in enumerate(steps):
            with ago(380 - 30 * n):
                networks.act(session, ic, net[name], action, NetworkActionIn(note=OUTCOME_NOTES.get(action, "")))
    system_ids = dict(session.execute(select(InformationSystem.name, InformationSystem.id)).all())

    def plan(actor: Actor, key: str, **fields):
        leader = {"leader_name": f"{depts[key].name[3:]}负责人", "liaison_name": "联络员"}
        return plans.create_plan(session, actor, PlanIn(department_id=depts[key].id, content=fields["name"],
                                                        **RESPONSIBLE, **leader, **fields)).id

    def approve(pid: int) -> None:
        plans.act(session, edu, proc, pid, "submit", ActionIn())
        for who in (head, office, bureau):
            plans.act(session, who, proc, pid, "approve", ActionIn(comment="同意"))

    def step(pid: int, action: str, days: int) -> None:
        plans.act(session, ic, proc, pid, action, ActionIn(evidence=f"{plan_rules.ACTION_LABELS[action]}佐证材料",
                                                           on=on(-days)))

    with ago(200):      # behind plan: connected on time, the migrate stage planned 20 days ago
        pid = plan(edu, "edu", kind="private_network", name="教育专网迁移计划", target="extranet_dedicated",
                   network_ids=[net["县教育城域网"], net["中小学视频监控专网"]], connect_by=on(-150),
                   migrate_by=on(-20), completion_date=on(60))
        approve(pid)
    with ago(160):
        step(pid, "connect", 160)
    with ago(300):      # completed: connected, migrated, the network withdrawn
        pid = plan(edu, "edu", kind="private_network", name="视频会议专网撤并计划", target="extranet_public",
                   network_ids=[net["教育系统视频会议专网"]], connect_by=on(-250), migrate_by=on(-200),
                   completion_date=on(-150))
        approve(pid)
    with ago(260):
        step(pid, "connect", 260)
    with ago(210):
        step(pid, "migrate", 210)
    with ago(170):
        networks.act(session, ic, net["教育系统视频会议专网"], "withdraw",
                     NetworkActionIn(note=OUTCOME_NOTES["withdraw"]))
        step(pid, "withdraw", 170)
    with ago(120):      # entered from the workbook 卫生健康局 mailed in, never submitted: funding stops
        plan(ic, "health", kind="private_network", name="医共体专网迁移计划", target="extranet_dedicated",
             network_ids=[net["县医共体专网"]], completion_date=on(-10))
        plan(ic, "market", kind="private_network", name="食品安全监测专网迁移计划", target="extranet_public",
             network_ids=[net["食品安全监测专网"]], connect_by=on(60), migrate_by=on(120), completion_date=on(180))
        plan(ic, "land", kind="cloud", name="自然资源局信息系统上云计划", completion_date=on(90),
             systems=[SystemIn(system_id=system_ids[n], target_date=on(-5)) for n in ("县不动产登记信息系统",
                                                                                     "县国土空间基础信息平台")])
    cloud_systems = ["县中小学学籍管理系统", "县教育资源公共服务平台", "县教师继续教育学分管理系统",
                     "县校车安全监管系统"]
    with ago(120):      # on plan: one system migrated, one migrating, one kept in-house by an approved exception
        pid = plan(edu, "edu", kind="cloud", name="教育局信息系统迁移上云计划", completion_date=on(150),
                   systems=[SystemIn(system_id=system_ids[n], target_date=on(90)) for n in cloud_systems])
        plans.request_exception(session, edu, pid, system_ids["县教育资源公共服务平台"], ExceptionIn(
            reason="very_large", justification="资源库约 200TB，须本地部署，逐步迁移"))
        plans.decide_exception(session, bureau, pid, system_ids["县教育资源公共服务平台"], ExceptionDecisionIn(
            approve=True, comment="同意逐步迁移", later_target_date=on(600),
            interfaces=[{"name": "教育资源目录查询接口", "evidence": "接口文档 v1.0，已在共享平台注册"}]))
        approve(pid)
    with ago(100):
        for n in cloud_systems[::2]:
            plans.system_action(session, ic, pid, system_ids[n], "start", SystemActionIn(note="资源已交付"))
    with ago(60):
        plans.system_action(session, edu, pid, system_ids[cloud_systems[0]], "finish", SystemActionIn(note="已切换"))

# Demo switches: (name, department key, private network or None, site, port). Their credentials are references to
# secrets no demo sets, so nothing ever connects to them (a backup fails on the missing secret before any SSH,
# recorded once on the device); serve fake switches on these ports and set the secrets to try them for real.
DEMO_DEVICES = [
    ("demo-ic-core-01", "ic", None, "白水县政务服务中心机房", 10221),
    ("demo-edu-agg-01", "edu", "县教育城域网", "白水县教育局机房", 10222),
    ("demo-health-agg-01", "health", "县医共体专网", "白水县卫生健康局机房", 10223),
]
DEMO_DEVICE_NOTE = "（演示设备：未设置其密钥，不会连接）"
DEMO_SECRETS = ("secret:demo-switch", "secret:demo-switch-enable")


def _automation_demo(session: Session, depts: dict[str, Department]) -> None:
    """Demo switches and a draft of each device-change template, ready to be checked: joining 教育局's network
    (each switch with its own interconnect address), changing the interconnect's routes for the step 教育专网迁移计划
    is at, and withdrawing 卫生健康局's network. Nothing is checked here: a check connects to the devices."""
    from control.automation import service as changes
    from control.automation.enums import ChangeKind
    from control.automation.schemas import ChangeIn
    from control.core.workflow import WorkflowStage
    from control.devices import service as devices
    from control.devices.enums import Zone
    from control.devices.schemas import DeviceCreate
    from control.migration import rules as plan_rules
    from control.migration.models import MigrationPlan
    from control.networks.models import PrivateNetwork
    from control.wiring import install

    install()                                    # the plan step a change serves is checked through its link
    networks = dict(session.execute(select(PrivateNetwork.name, PrivateNetwork.id)).all())
    ids = {}
    for name, key, network, site, port in DEMO_DEVICES:
        ids[name] = devices.create_device(session, DEMO_ACTOR, DeviceCreate(
            name=name, host="127.0.0.1", port=port, site=site + DEMO_DEVICE_NOTE, department_id=depts[key].id,
            network_id=networks.get(network), zone=Zone.extranet_dedicated, username="netops",
            password_ref=DEMO_SECRETS[0], enable_secret_ref=DEMO_SECRETS[1])).id
    ic = _actor(session, "infocenter")
    join = {"vlan_id": 310, "vlan_name": "edu-ic-310", "svi_description": "edu metro interconnect",
            "ports": ["FastEthernet0/3"], "routes": ["10.131.0.0/16 via 10.31.0.254"]}
    changes.create_change(session, ic, ChangeIn(
        kind=ChangeKind.device, template="join_extranet", title="县教育城域网接入电子政务外网", variables=join,
        device_ids=[ids["demo-edu-agg-01"], ids["demo-ic-core-01"]],
        device_variables={ids["demo-edu-agg-01"]: {"svi_address": "10.31.0.2/24"},
                          ids["demo-ic-core-01"]: {"svi_address": "10.31.0.1/24", "ports": ["FastEthernet0/7"]}}))
    plan_id = session.execute(select(MigrationPlan.id).where(MigrationPlan.name == "教育专网迁移计划")).scalar_one()
    step = session.execute(select(WorkflowStage.id).where(
        WorkflowStage.subject == plan_rules.SUBJECT, WorkflowStage.subject_id == plan_id,
        WorkflowStage.active)).scalar_one()
    changes.create_change(session, ic, ChangeIn(
        kind=ChangeKind.device, template="interconnect_update", title="教育专网业务切换：互联路由改指向外网",
        variables={"vlan_id": 310, "description": "edu metro via extranet", "old_description":
                   "edu metro interconnect", "add_routes": ["10.132.0.0/16 via 10.31.0.254"],
                   "remove_routes": []}, device_ids=[ids["demo-ic-core-01"]], plan_step_id=step))
    changes.create_change(session, ic, ChangeIn(
        kind=ChangeKind.device, template="withdraw_network", title="撤除县医共体专网", variables={
            "vlan_id": 320, "vlan_name": "health-med-320", "svi_description": "health medical alliance",
            "svi_address": "10.32.0.1/24", "ports": ["FastEthernet0/5"],
            "routes": ["10.133.0.0/16 via 10.32.0.254"]}, device_ids=[ids["demo-health-agg-01"]]))


def _system(rng: random.Random, dept: Department, name: str, status: SystemStatus, network: Network,
            frequency: UsageFrequency, n: int) -> SystemCreate:
    base = {"department_id": dept.id, "name": name, "status": status, "networks": [network]}
    if name in CLASSIFIED:
        return SystemCreate(**{**base, "networks": []}, is_classified=True,
                            classified_grade=ClassifiedGrade.secret)
    if name in VERTICAL:
        return SystemCreate(**base, kind=SystemKind.vertical, function_description=f"上级部门垂直部署的{name[1:]}",
                            information_resources=f"{name[1:-2]}业务数据", other_notes="由上级主管部门统一运维")
    networks_extra = [network]
    if n % 5 == 0 and network != Network.internet:
        networks_extra = [network, Network.internet]
    reach = network != Network.private or n % 3 == 0
    approval = date(2012 + n % 12, 1 + n % 12, 1 + n % 27)
    build_cost = Decimal(rng.choice([18, 35, 52.5, 80, 120, 260, 480]))
    om_vendor = rng.choice(VENDORS)
    return SystemCreate(
        **{**base, "networks": networks_extra},
        function_description=f"{dept.name}{name.replace(dept.name[:3], '')}的业务办理、统计与查询",
        information_resources=f"{name[1:-2] if name.startswith('县') else name}数据",
        protection_level=1 + n % 3 + (1 if "平台" in name else 0),
        can_reach_external=reach,
        reach_method=(ReachMethod.direct if n % 4 else ReachMethod.other) if reach else None,
        reach_method_other=None if not reach or n % 4 else "经安全隔离网闸连接",
        no_reach_reason=None if reach else "业务专网物理隔离，尚未与电子政务外网联通",
        access_address=f"http://10.{53 + n % 3}.{n % 250}.{10 + n % 200}/" if network != Network.internet
        else f"https://{n}.baishui.gov.example/",
        site_consolidation=n % 3 == 0,
        use_scopes=[list(UseScope)[n % 4]],
        use_scope_names={0: "信息科、办公室", 1: dept.name, 2: "县直各部门", 3: "各乡镇、村（社区）"}[n % 4],
        user_count=None if n % 7 == 0 else rng.choice([3, 8, 25, 60, 150, 1200]),
        user_count_varies=n % 7 == 0,
        usage_frequency=frequency,
        responsible_name=rng.choice(["李明", "王芳", "张伟", "刘洋", "陈静", "杨帆"]),
        responsible_title=rng.choice(["科长", "副局长", "信息股股长", "主任"]),
        responsible_phone=f"0870-{6100000 + n * 137}",
        approving_unit=rng.choice(["白水县发展和改革局", "青山市发展和改革委员会", "白水县大数据发展局"]),
        approval_date=approval,
        builder=rng.choice(VENDORS[:3]),
        build_date=date(approval.year + (1 if n % 2 else 0), approval.month, approval.day),
        warranty_years=Decimal(rng.choice([1, 2, 3])),
        build_cost=build_cost,
        build_funding_source=rng.choice(FUNDING),
        om_cost_yearly=Decimal(0) if not om_vendor else (build_cost * Decimal("0.08")).quantize(Decimal("0.01")),
        om_funding_source=rng.choice(FUNDING) if om_vendor else None,
        om_vendors=om_vendor or None,
        tech_support_contact=f"{rng.choice(['赵工', '钱工', '孙工'])} 138{n:08d}",
        sharing=[SharingLine(direction=SharingDirection.provided, resource_name=f"{name[1:-2]}基础信息",
                             counterpart="白水县大数据发展局", method=list(SharingMethod)[n % 4])]
        if n % 2 == 0 else [],
    )
