"""Why a plan source was refused.

The parser has no Flask and no translation catalogue, so an error carries a
stable ``code`` (and ``params``) that the app turns into a message in the
user's language; ``str(error)`` is the Chinese message for the CLI.
"""

from __future__ import annotations

MESSAGES_ZH = {
    "empty": "文件为空，没有可导入的内容。",
    "binary": "这不是文本或 Word/Excel 文件，无法导入。",
    "unknown_encoding": "无法识别文件的文字编码（支持 UTF-8、GB18030/GBK、Big5、UTF-16），请另存为 UTF-8 后重试。",
    "corrupt_docx": "Word 文件已损坏或不是有效的 .docx 文件。",
    "corrupt_xlsx": "Excel 文件已损坏或不是有效的 .xlsx 文件。",
    "zip_bomb": "文件解压后过大，已拒绝导入。",
    "too_large": "文件过大（上限 {limit_mb} MB）。",
    "unsupported_type": "不支持的文件类型：{ext}。支持 .txt、.md、.csv、.docx、.xlsx。",
    "no_items": "没有找到带编号的条目（如 一、 1、 （1）），请检查内容。",
    "no_table": "表格中没有找到“工作任务/具体措施”一列。",
    "table_empty": "表格只有表头，没有任务行。",
    "corrupt_csv": "CSV 文件格式有误，无法读取。",
    "legacy_office": "这是旧版 Word/Excel 文件（.doc/.xls）或加密文件，请另存为 .docx/.xlsx 后重试。",
}


class PlanInputError(ValueError):
    """A plan source that cannot be imported; nothing should be saved."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        template = MESSAGES_ZH.get(code, code)
        super().__init__(template.format(**params) if params else template)
