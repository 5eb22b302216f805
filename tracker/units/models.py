"""Responsible units (责任单位): a tree, region → county → township, and departments and offices."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import TimestampMixin, db, str_enum


class UnitKind(enum.Enum):
    region = "region"
    county = "county"
    #: 乡镇、街道: what 各乡镇（街道） in a plan expands to
    township = "township"
    department = "department"
    office = "office"


class Unit(TimestampMixin, db.Model):
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: short stable identifier used by imports and the CLI, e.g. "xq-jyj"
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind), default=UnitKind.department)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    #: 分管领导: copied on escalations
    leader_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: other names plans use for the unit (区政府办 for 区人民政府办公室); matched like the name
    aliases: Mapped[list] = mapped_column(sa.JSON, default=list, server_default=sa.text("'[]'"))
    #: the unit's work-chat group robot: "wecom" (企业微信) or "dingtalk" (钉钉); None: no robot
    robot_kind: Mapped[str | None] = mapped_column(sa.String(20))
    #: the robot's webhook address; it carries the robot's key, so it is shown masked
    robot_url: Mapped[str | None] = mapped_column(sa.String(500))
    #: 钉钉 加签 secret ("SEC…"); None: the robot is not signed
    robot_secret: Mapped[str | None] = mapped_column(sa.String(200))
    #: the unit's duty phone for SMS
    sms_phone: Mapped[str | None] = mapped_column(sa.String(32))
    #: chases a week before the rest is folded into the weekly digest; None: the configured default
    chase_weekly_cap: Mapped[int | None]
    #: emails about its tasks carry one-task links (签收 and report without an account); off: the
    #: signed-in page's address instead
    links_enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    parent = relationship("Unit", remote_side=[id], back_populates="children")
    children = relationship("Unit", back_populates="parent", order_by="(Unit.sort_order, Unit.id)")
    members = relationship("User", foreign_keys="User.unit_id", back_populates="unit")
    leader = relationship("User", foreign_keys=[leader_id])

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.code} {self.name}>"

    def ancestors(self) -> list[Unit]:
        chain, node, seen = [], self.parent, set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            chain.append(node)
            node = node.parent
        return chain

    @property
    def path_name(self) -> str:
        return " / ".join([u.name for u in reversed(self.ancestors())] + [self.name])
