"""The census fields in form order: one declaration drives the spreadsheet columns, the edit
form, the system page and the labels of validation errors."""
from __future__ import annotations

from dataclasses import dataclass

from control.core.enums import LabeledEnum
from control.systems.enums import ClassifiedGrade, Network, ReachMethod, SystemStatus, UsageFrequency, UseScope


@dataclass(frozen=True)
class CensusField:
    name: str            # attribute of InformationSystem / API field
    zh: str              # label as printed on the census form (spreadsheet header)
    en: str
    type: str            # text | longtext | enum | multienum | bool | int | decimal | date
    section: str         # basic | network | use | build | other
    enum: type[LabeledEnum] | None = None
    vertical: bool = False   # kept on the reduced vertical form (附件3)
    classified: bool = False  # kept for a classified system (minimal fields)
    required: bool = False
    hint: str = ""


SECTIONS = {
    "basic": ("一、系统基本情况", "Basic information"),
    "network": ("网络环境", "Network environment"),
    "use": ("使用情况", "Use"),
    "build": ("二、系统建设运维情况", "Build and O&M"),
    "other": ("其他需要说明的情况", "Other"),
}

CENSUS_FIELDS: list[CensusField] = [
    CensusField("name", "系统名称", "System name", "text", "basic", vertical=True, classified=True, required=True),
    CensusField("code", "系统编码", "System code", "text", "basic", vertical=True, classified=True,
                hint="留空则自动分配；指标、自动化与表格用它指称系统"),
    CensusField("status", "运行状态", "Run status", "enum", "basic", SystemStatus, vertical=True,
                classified=True, required=True),
    CensusField("function_description", "系统功能描述", "Function description", "longtext", "basic",
                vertical=True),
    CensusField("information_resources", "信息资源名称", "Information resources", "longtext", "basic",
                vertical=True),
    CensusField("networks", "运行网络", "Running networks", "multienum", "network", Network, vertical=True,
                hint="可多选，用“、”分隔"),
    CensusField("is_classified", "是否属于涉密网", "Classified network", "bool", "network", vertical=True,
                classified=True),
    CensusField("protection_level", "安全等级（等保级别）", "Protection level", "int", "network",
                hint="非涉密系统填等级保护级别 1–5"),
    CensusField("classified_grade", "涉密等级", "Classified grade", "enum", "network", ClassifiedGrade,
                classified=True, hint="涉密信息系统按分级保护密级填写"),
    CensusField("secrecy_clause", "保密条款名称或条款序号", "Secrecy clause", "text", "network"),
    CensusField("can_reach_external", "是否可连接到电子政务外网或者互联网", "Can reach extranet or internet",
                "bool", "network"),
    CensusField("reach_method", "连接方式", "How it connects", "enum", "network", ReachMethod),
    CensusField("reach_method_other", "其他连接方式说明", "Other connection method", "text", "network"),
    CensusField("no_reach_reason", "不可连接的原因", "Why it cannot connect", "text", "network"),
    CensusField("access_address", "访问入口地址", "Access address", "text", "network"),
    CensusField("site_consolidation", "网站集约化", "Site consolidation", "bool", "network"),
    CensusField("use_scopes", "使用范围", "Scope of use", "multienum", "use", UseScope),
    CensusField("use_scope_names", "使用范围涉及的科室/部门/基层名称", "Offices / departments in scope",
                "longtext", "use"),
    CensusField("user_count", "用户数量", "User count", "int", "use", hint="数字；用户量变动频繁填“不固定”"),
    CensusField("usage_frequency", "使用频度", "Usage frequency", "enum", "use", UsageFrequency),
    CensusField("responsible_name", "责任人姓名", "Responsible person", "text", "use"),
    CensusField("responsible_title", "责任人职务", "Responsible person's title", "text", "use"),
    CensusField("responsible_phone", "责任人电话", "Responsible person's phone", "text", "use"),
    CensusField("other_notes", "其他说明", "Other notes", "longtext", "use", vertical=True),
    CensusField("approving_unit", "审批单位", "Approving unit", "text", "build"),
    CensusField("approval_date", "审批时间", "Approval date", "date", "build"),
    CensusField("builder", "建设单位", "Builder", "text", "build"),
    CensusField("build_date", "建设时间", "Build date", "date", "build"),
    CensusField("warranty_years", "质保期（年）", "Warranty (years)", "decimal", "build"),
    CensusField("build_cost", "建设资金（万元）", "Build cost (10k CNY)", "decimal", "build"),
    CensusField("build_funding_source", "建设资金经费来源", "Build funding source", "text", "build"),
    CensusField("om_cost_yearly", "运维经费（万元/年）", "Yearly O&M cost (10k CNY)", "decimal", "build"),
    CensusField("om_funding_source", "运维经费经费来源", "O&M funding source", "text", "build"),
    CensusField("om_vendors", "运维单位", "O&M vendors", "text", "build"),
    CensusField("additional_notes", "其他需要说明的情况", "Other matters", "longtext", "other", vertical=True),
    CensusField("tech_support_contact", "技术支撑人员及联系方式", "Technical support contact", "text", "other",
                vertical=True),
]

FIELDS_BY_NAME = {f.name: f for f in CENSUS_FIELDS}
VERTICAL_FIELDS = {f.name for f in CENSUS_FIELDS if f.vertical}
CLASSIFIED_FIELDS = {f.name for f in CENSUS_FIELDS if f.classified}

