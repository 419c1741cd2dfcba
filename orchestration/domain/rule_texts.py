"""What each validation and reading rule checks, said once: the sentence an issue carries (validation.py) and the
bilingual title the steward report shows beside the rule's code (reporting/report.py).

A rule whose issues always carry a sentence of their own (the parsers', the catalogue checks') has a title only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleText:
    title: str  # 中文 English, for the report's tables
    message: str | None = None  # the sentence, where the rule alone says what is wrong


RULES = {
    "expect_column_values_to_not_be_null": RuleText("缺少必填值 required value missing", "a value is required"),
    "expect_column_values_to_be_in_set": RuleText(
        "取值不在允许范围 value not in the catalogue or vocabulary", "value not allowed here (not in the catalogue or vocabulary)"
    ),
    "expect_column_values_to_match_regex": RuleText(
        "格式不符 value not in the required form", "value does not have the required form"
    ),
    "expect_column_values_to_not_match_regex": RuleText(
        "疑似表格公式 looks like a spreadsheet formula",
        "looks like a spreadsheet formula; formulas are not accepted in published figures",
    ),
    "duplicate_key": RuleText("键重复 duplicate key", "duplicate key within the file"),
    # issues of refreshes before GX saw distinct values only, still in dq.issues
    "expect_compound_columns_to_be_unique": RuleText("键重复 duplicate key", "duplicate key within the file"),
    "expect_column_values_to_be_between": RuleText("超出允许区间 outside the allowed range", "value outside the allowed range"),
    "expect_column_pair_values_to_be_equal": RuleText("与指标目录不一致 differs from the indicator catalogue"),
    "expect_column_pair_values_a_to_be_greater_than_b": RuleText("超出合理范围 outside the plausible range"),
    "parse_period": RuleText("期间无法识别 period not understood"),
    "parse_quantity": RuleText("数值无法识别 number not understood"),
    "parse_number": RuleText("数值无法识别 number not understood"),
    "parse_int": RuleText("整数无法识别 whole number not understood"),
    "parse_bool": RuleText("真假值无法识别 true/false not understood"),
    "parse_date": RuleText("日期无法识别 date not understood"),
    "parse_timestamp": RuleText("时间无法识别 date and time not understood"),
    "unit_conversion": RuleText("单位无法换算 unit cannot be converted"),
    "field_count": RuleText("字段数不符 wrong number of fields"),
    "columns": RuleText("表头不符 header not as required"),
    "empty_file": RuleText("空文件 empty file"),
    "no_rows": RuleText("没有数据行 no data rows"),
    "duplicate_across_files": RuleText("与其他文件重复 defined in another file too"),
    "layout_breakdown": RuleText("表头分组与版式不符 header names another part than the layout"),
    "breakdown_of": RuleText("分项指标定义有误 split indicator not as the catalogue allows"),
    "embargo_after_release": RuleText("已发布数据不能再设禁发期 embargo over figures already served"),
}

RULE_TITLES = {code: rule.title for code, rule in RULES.items()}


def rule_message(rule: str) -> str:
    """The issue's sentence for a rule; the rule's own code where it has none."""
    known = RULES.get(rule)
    return known.message if known and known.message else rule
