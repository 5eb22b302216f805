"""The Chinese fonts the PDFs embed, found at run time among the machine's installed fonts.

Each role of GB/T 9704 (仿宋 body, 小标宋 title, 黑体/楷体 headings, 宋体 page numbers) takes the
first family installed from its list: the standard's own fonts when an office has them, then
the free TrueType fonts Debian packages (fonts-arphic-uming, fonts-arphic-ukai,
fonts-wqy-zenhei). reportlab embeds TrueType outlines only, so OpenType/CFF files are skipped.
With none of them, the PDFs use the built-in CID font STSong-Light, which is not embedded:
``missing_roles()`` says so, and the outbox and admin pages show the warning.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: the built-in, non-embedded fallback
CID_FONT = "STSong-Light"

#: role -> families in order of preference (fontconfig family names)
FAMILIES: dict[str, tuple[str, ...]] = {
    "fangsong": ("FangSong_GB2312", "仿宋_GB2312", "FangSong", "仿宋", "AR PL UMing CN", "AR PL SungtiL GB"),
    "xiaobiaosong": ("FZXiaoBiaoSong-B05S", "方正小标宋简体", "AR PL UMing CN", "AR PL SungtiL GB"),
    "heiti": ("SimHei", "黑体", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei"),
    "kaiti": ("KaiTi_GB2312", "楷体_GB2312", "KaiTi", "楷体", "AR PL UKai CN", "AR PL KaitiM GB"),
    "song": ("SimSun", "宋体", "AR PL UMing CN", "AR PL SungtiL GB"),
}

#: how the pages name each role
ROLE_NAMES = {"fangsong": "仿宋", "xiaobiaosong": "小标宋", "heiti": "黑体", "kaiti": "楷体", "song": "宋体"}

#: used when fc-list is absent: Debian's paths of the free fonts above
KNOWN_FILES: dict[str, tuple[str, int]] = {
    "AR PL UMing CN": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    "AR PL UKai CN": ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    "WenQuanYi Zen Hei": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    "WenQuanYi Micro Hei": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
}


@dataclass(frozen=True)
class FontFile:
    family: str
    path: str
    index: int


_lock = threading.Lock()
_installed: dict[str, FontFile] | None = None
_registered: dict[str, str] = {}


def _fc_list() -> dict[str, FontFile]:
    """Installed TrueType faces by each of their family names."""
    found: dict[str, FontFile] = {}
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", "--format", "%{file}|%{index}|%{fontformat}|%{family}\n"],
                                 capture_output=True, text=True, timeout=20, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in out.splitlines():
            parts = line.split("|", 3)
            if len(parts) != 4 or parts[2] != "TrueType" or not parts[0].lower().endswith((".ttf", ".ttc")):
                continue
            for family in parts[3].split(","):
                found.setdefault(family.strip(), FontFile(family.strip(), parts[0], int(parts[1] or 0)))
    for family, (path, index) in KNOWN_FILES.items():
        if family not in found and os.path.exists(path):
            found[family] = FontFile(family, path, index)
    return found


def installed() -> dict[str, FontFile]:
    global _installed
    with _lock:
        if _installed is None:
            _installed = _fc_list()
        return _installed


def font_for(role: str) -> FontFile | None:
    faces = installed()
    return next((faces[f] for f in FAMILIES[role] if f in faces), None)


def missing_roles() -> list[str]:
    """The roles that fall back to the non-embedded CID font (empty when every PDF font embeds)."""
    return [role for role in FAMILIES if font_for(role) is None]


def missing_names() -> list[str]:
    """The missing roles as the pages name them (仿宋, 小标宋, …)."""
    return [ROLE_NAMES[role] for role in missing_roles()]


def pdf_font(role: str) -> str:
    """The reportlab font name for a role, registered on first use (embedded as a subset)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    with _lock:
        if role in _registered:
            return _registered[role]
    face = font_for(role)
    name = CID_FONT
    if face is not None:
        name = "GB-" + face.family.replace(" ", "")
        if name not in pdfmetrics.getRegisteredFontNames():
            try:
                pdfmetrics.registerFont(TTFont(name, face.path, subfontIndex=face.index))
            except Exception:  # a broken or CFF font file: fall back, loudly
                log.warning("font %s (%s) cannot be embedded", face.family, face.path, exc_info=True)
                name = CID_FONT
    if name == CID_FONT:
        log.warning("no embeddable font for %s: the PDF uses the built-in %s", role, CID_FONT)
        if CID_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    with _lock:
        _registered[role] = name
    return name


def reset() -> None:
    """Forget what was found (tests that change the installed fonts)."""
    global _installed
    with _lock:
        _installed = None
        _registered.clear()
