"""Census enumerations (附件2/附件3), values stable in English, labels as printed on the forms."""
from __future__ import annotations

from control.core.enums import LabeledEnum


class SystemKind(LabeledEnum):
    self_built = ("self_built", "自建系统", "Self-built", "自建")
    vertical = ("vertical", "垂管系统", "Vertically managed", "垂管", "垂直管理")


class SystemStatus(LabeledEnum):
    """Lifecycle: registered → running ↔ stopped → decommissioned. On the census form the
    run status reads 正在运行 / 停止运行 / 其他; 其他 is a system registered but not yet running."""
    registered = ("registered", "其他", "Registered", "已登记", "其它", "待运行", "在建")
    running = ("running", "正在运行", "Running", "运行", "运行中", "在用")
    stopped = ("stopped", "停止运行", "Stopped", "停止", "停用", "已停止")
    decommissioned = ("decommissioned", "已下线", "Decommissioned", "下线", "已撤销", "已注销")


class Network(LabeledEnum):
    intranet = ("intranet", "电子政务内网", "E-government intranet", "内网", "政务内网")
    extranet = ("extranet", "电子政务外网", "E-government extranet", "外网", "政务外网")
    private = ("private", "业务专网", "Private business network", "专网")
    internet = ("internet", "互联网", "Internet", "公网", "因特网")


class ClassifiedGrade(LabeledEnum):
    secret = ("secret", "秘密", "Secret", "秘密级")
    confidential = ("confidential", "机密", "Confidential", "机密级")
    top_secret = ("top_secret", "绝密", "Top secret", "绝密级")


class ReachMethod(LabeledEnum):
    direct = ("direct", "直接连接", "Direct", "直连", "直接")
    other = ("other", "其他", "Other", "其它")


class UseScope(LabeledEnum):
    office = ("office", "科室内部", "Inside one office", "科室", "处室内部")
    department = ("department", "本部门或管理单位", "Whole department", "本部门", "本单位", "管理单位")
    cross_department = ("cross_department", "横向跨部门", "Across departments", "跨部门")
    grassroots = ("grassroots", "纵向到基层", "Down to grass-roots level", "到基层", "基层")


class UsageFrequency(LabeledEnum):
    daily = ("daily", "每日", "Daily", "每天", "日")
    weekly = ("weekly", "每周", "Weekly", "周")
    monthly = ("monthly", "每月", "Monthly", "月")
    quarterly = ("quarterly", "每季度", "Quarterly", "季度", "每季")
    yearly = ("yearly", "每年", "Yearly", "年", "每年度")
    on_demand = ("on_demand", "按需", "On demand", "不定期", "需要时")


class SharingDirection(LabeledEnum):
    provided = ("provided", "已向其他部门提供", "Provided to other departments", "已提供", "提供")
    obtained = ("obtained", "已从其他部门获取", "Obtained from other departments", "已获取", "获取")
    needed = ("needed", "需其他部门提供", "Needed from other departments", "需要", "需提供")


class SharingMethod(LabeledEnum):
    open_database = ("open_database", "开放数据库", "Open database", "数据库")
    exchange_server = ("exchange_server", "前置机数据交换", "Front-end exchange server",
                       "前置机", "前置机交换", "前置机中间数据交换")
    api = ("api", "API接口", "API", "接口", "API")
    removable_media = ("removable_media", "可移动存储介质拷贝", "Removable media",
                       "介质拷贝", "移动介质", "拷盘", "U盘")
    none = ("none", "不予共享", "Not shared", "不共享", "无")
