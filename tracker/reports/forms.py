"""Forms of the reports feature: the import upload and its confirmation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField
from wtforms.validators import AnyOf, DataRequired

KIND_CHOICES = [("units", _l("单位")), ("users", _l("用户"))]


class ImportUploadForm(FlaskForm):
    kind = SelectField(_l("导入内容"), choices=KIND_CHOICES)
    file = FileField(_l("文件（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择文件。"))])


class ImportConfirmForm(FlaskForm):
    kind = HiddenField(validators=[AnyOf(["units", "users"])])
    token = HiddenField(validators=[DataRequired()])
