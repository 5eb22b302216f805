from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField

DIGEST_CHOICES = [
    ("immediate", _l("逐条发送：每条提醒即时发出（催办、督办仍按天汇总）")),
    ("daily", _l("每日汇总：当天的提醒合并为一封，在每日汇总时间发出")),
]


class DigestForm(FlaskForm):
    digest_mode = RadioField(_l("提醒方式"), choices=DIGEST_CHOICES, validate_choice=False)
