"""Pydantic's validation errors in zh-CN, for the API's problem+json and the pages' forms alike: never
pydantic's English, and, where a sentence stands on its own, the field named by its label."""
from __future__ import annotations

import re
from typing import Any

from control.core.labels import loc_entity, loc_label, value_enum

_CJK = re.compile(r"[\u4e00-\u9fff]")

_ZH = {
    "missing": "必填", "string_too_short": "必填", "int_parsing": "应为整数", "int_from_float": "应为整数",
    "int_type": "应为整数", "decimal_parsing": "应为数字", "float_parsing": "应为数字", "float_type": "应为数字",
    "decimal_type": "应为数字", "date_parsing": "日期格式应为 2024-01-31", "date_type": "日期格式应为 2024-01-31",
    "date_from_datetime_parsing": "日期格式应为 2024-01-31",
    "datetime_parsing": "时间格式应为 2024-01-31T08:00:00+08:00",
    "enum": "不是可选值之一", "literal_error": "不是可选值之一", "string_pattern_mismatch": "格式不正确",
    "bool_parsing": "应为“是”或“否”", "bool_type": "应为“是”或“否”", "string_type": "应为文本",
    "list_type": "应为列表", "dict_type": "应为对象", "model_type": "应为对象", "model_attributes_type": "应为对象",
    "extra_forbidden": "不接受此字段", "json_invalid": "JSON 格式有误", "int_parsing_size": "数值过大",
    "decimal_max_digits": "位数过多", "decimal_max_places": "小数位数过多", "decimal_whole_digits": "整数位数过多",
    "finite_number": "应为有限的数", "uuid_parsing": "格式不正确", "url_parsing": "网址格式不正确",
    "date_future": "应晚于今天", "date_past": "应早于今天", "datetime_future": "应晚于现在",
    "datetime_past": "应早于现在", "string_unicode": "应为文本", "bytes_type": "应为文件", "url_type": "应为网址",
    "none_required": "应为空", "is_instance_of": "格式不正确", "union_tag_invalid": "不是可选值之一",
    "missing_argument": "必填", "unexpected_keyword_argument": "不接受此字段", "frozen_field": "不可修改",
    "multiple_of": "不是规定的倍数", "bool_from_float": "应为“是”或“否”",
    "datetime_type": "时间格式应为 2024-01-31T08:00:00+08:00",
    "datetime_from_date_parsing": "时间格式应为 2024-01-31T08:00:00+08:00",
    "date_from_datetime_inexact": "应为日期，不含时刻", "time_parsing": "时刻格式应为 08:00",
    "time_type": "时刻格式应为 08:00", "timezone_naive": "不应带时区", "timezone_aware": "应带时区（如 +08:00）",
    "tuple_type": "应为列表", "set_type": "应为列表", "frozen_set_type": "应为列表", "iterable_type": "应为列表",
    "mapping_type": "应为对象", "string_not_ascii": "只能包含英文字母、数字和符号", "bytes_too_long": "内容过长",
    "bytes_too_short": "内容过短", "url_too_long": "网址过长", "url_scheme": "网址的协议不受支持",
    "url_syntax_violation": "网址格式不正确", "uuid_type": "格式不正确", "json_type": "JSON 格式有误",
}


def zh_message(error: dict[str, Any]) -> str:
    """One pydantic error (an item of ValidationError.errors()) as a zh-CN sentence without field names."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    bounds = {"less_than_equal": ("le", "不能大于 {}"), "less_than": ("lt", "应小于 {}"),
              "greater_than_equal": ("ge", "不能小于 {}"), "greater_than": ("gt", "应大于 {}"),
              "string_too_long": ("max_length", "不能超过 {} 个字符"), "too_long": ("max_length", "最多 {} 项"),
              "too_short": ("min_length", "至少 {} 项")}
    if kind in bounds:
        key, sentence = bounds[kind]
        return sentence.format(ctx[key]) if ctx.get(key) is not None else "超出允许的范围"
    if kind == "string_too_short" and (ctx.get("min_length") or 0) > 1:
        return f"至少 {ctx.get('min_length')} 个字符"
    if kind in ("value_error", "assertion_error"):
        text = str(error.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return text if _CJK.search(text) else "格式不正确"    # a library's English reason is no use to a reader
    if error.get("input", ...) is None and kind.endswith("_type"):
        return "不能为空"
    return _ZH.get(kind, "格式不正确")


def zh_error(error: dict[str, Any], locale: str = "zh_CN", entity_type: str | None = None) -> str:
    """One pydantic error as a sentence that names its field by label: 资源明细第 1 项 · vCPU（核）：不能大于 512;
    a value outside an enumeration lists the choices by their labels, not their keys. `entity_type`: whose
    fields the body holds (labels.entity_for_path of the request), when the caller knows."""
    loc = tuple(p for p in error.get("loc", ()) if p not in ("body", "query", "path"))
    where = loc_label(loc, locale, entity_type)
    message = zh_message(error)
    fields = [p for p in loc if isinstance(p, str)]
    enum = (value_enum(fields[-1], loc_entity(loc, entity_type))
            if fields and error.get("type") in ("enum", "literal_error") else None)
    if enum is not None:
        message += "：可选 " + "、".join(m.zh for m in enum)
    return f"{where}：{message}" if where else message
