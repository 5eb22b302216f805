from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from tracker.auth.models import Role


class LoginForm(FlaskForm):
    email = StringField(_l("邮箱"), validators=[DataRequired(_l("请输入邮箱。")), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")), Length(max=128)])
    remember = BooleanField(_l("记住我"))


class SecondFactorForm(FlaskForm):
    code = StringField(_l("验证码"), validators=[DataRequired(_l("请输入验证码。")), Length(max=32)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。"))])
    new = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码。")), Length(max=128)])
    confirm = PasswordField(_l("确认新密码"), validators=[DataRequired(_l("请再次输入新密码。"))])


ROLE_CHOICES = [
    (Role.admin.value, _l("系统管理员")),
    (Role.supervisor.value, _l("督办人")),
    (Role.unit_lead.value, _l("责任单位负责人")),
    (Role.unit_member.value, _l("责任单位成员")),
    (Role.viewer.value, _l("领导（只读）")),
]


class UserForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(_l("请输入邮箱。")), Length(max=254)])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名。")), Length(max=64)])
    phone = StringField(_l("电话"), validators=[Optional(), Length(max=32)])
    role = SelectField(_l("角色"), choices=ROLE_CHOICES)
    unit_id = SelectField(_l("所属单位"), coerce=str, validate_choice=True)
    is_active = BooleanField(_l("启用"), default=True)
    password = PasswordField(_l("密码"), validators=[Optional(), Length(max=128)])


IMPORT_KIND_CHOICES = [("units", _l("单位")), ("users", _l("用户"))]


class ImportUploadForm(FlaskForm):
    kind = SelectField(_l("导入内容"), choices=IMPORT_KIND_CHOICES)
    file = FileField(_l("文件（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择文件。"))])


class ImportConfirmForm(FlaskForm):
    kind = HiddenField(validators=[AnyOf(["units", "users"])])
    token = HiddenField(validators=[DataRequired()])
