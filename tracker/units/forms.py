from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

KIND_CHOICES = [
    ("region", _l("地区")),
    ("county", _l("县区")),
    ("township", _l("乡镇（街道）")),
    ("department", _l("部门")),
    ("office", _l("科室")),
]


class UnitForm(FlaskForm):
    name = StringField(_l("单位名称"), validators=[DataRequired(_l("请输入单位名称。")), Length(max=100)])
    code = StringField(_l("单位代码"), validators=[DataRequired(_l("请输入单位代码。")), Length(max=32)])
    kind = SelectField(_l("类型"), choices=KIND_CHOICES)
    parent_id = SelectField(_l("上级单位"), coerce=str)
    contact_email = StringField(_l("联系邮箱"), validators=[Optional(), Length(max=254)])
    leader_id = SelectField(_l("分管领导"), coerce=str)
    sort_order = IntegerField(_l("排序"), default=0, validators=[Optional(), NumberRange(-9999, 9999)])
    is_active = BooleanField(_l("启用"), default=True)
    #: other names plans use for the unit, separated by 、 or ；
    aliases = TextAreaField(_l("别名（计划里的其他叫法，用、或；分隔）"), validators=[Optional(), Length(max=5000)])


class ImportForm(FlaskForm):
    file = FileField(_l("文件（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择文件。"))])
