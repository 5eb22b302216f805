"""Forms of the plan pages: import, save the reviewed outline, metadata, outline correction."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

PLAN_EXTENSIONS = ["txt", "md", "csv", "docx", "xlsx"]


class ImportForm(FlaskForm):
    text = TextAreaField(_l("粘贴计划文字"), validators=[Optional()])
    file = FileField(_l("或上传文件（.txt .md .csv .docx .xlsx）"), validators=[
        Optional(), FileAllowed(PLAN_EXTENSIONS, _l("只支持 .txt、.md、.csv、.docx、.xlsx 文件。"))])


class SaveForm(FlaskForm):
    """What the preview page posts: the edited outline, the source text, the upload's token."""

    outline_json = HiddenField(validators=[DataRequired(_l("缺少提纲数据，请重新预览。"))])
    source_text = HiddenField()
    token = HiddenField()


class PlanForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(_l("请输入标题。")), Length(max=200)])
    doc_number = StringField(_l("文号"), validators=[Optional(), Length(max=100)])
    issuer = StringField(_l("发文单位"), validators=[Optional(), Length(max=200)])
    issued_on = DateField(_l("印发日期"), validators=[Optional()])


class OutlineForm(FlaskForm):
    outline_json = HiddenField(validators=[DataRequired(_l("缺少提纲数据。"))])


class ActionForm(FlaskForm):
    """Only the CSRF token: state buttons."""
