from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

KIND_CHOICES = [
    ("region", _l("地区")),
    ("county", _l("县区")),
    ("township", _l("乡镇（街道）")),
    ("department", _l("部门")),
    ("office", _l("科室")),
]


ROBOT_CHOICES = [
    ("", _l("（无）")),
    ("wecom", _l("企业微信群机器人")),
    ("dingtalk", _l("钉钉群机器人")),
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
    robot_kind = SelectField(_l("群机器人"), choices=ROBOT_CHOICES, default="", validate_choice=False)
    #: never filled from the stored value: it carries the robot's key
    robot_url = StringField(_l("机器人 Webhook 地址（留空则不修改）"), validators=[Optional(), Length(max=500)])
    robot_secret = PasswordField(_l("钉钉加签密钥（留空则不修改）"), validators=[Optional(), Length(max=200)])
    clear_robot = BooleanField(_l("删除机器人"))
    sms_phone = StringField(_l("短信手机号"), validators=[Optional(), Length(max=32)])
    chase_weekly_cap = IntegerField(_l("每周催办上限（留空用系统设置，0 为不限）"),
                                    validators=[Optional(), NumberRange(0, 1000)])


class ImportForm(FlaskForm):
    file = FileField(_l("文件（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择文件。"))])
