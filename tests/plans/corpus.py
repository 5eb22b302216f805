"""Where the shared corpus of real documents lives: ``../shared/corpus`` beside the project.

The documents are other people's text, read in place and never copied here; tests that need
them skip, saying so, when the folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
REAL = SHARED / "real"

requires_shared = pytest.mark.skipif(
    not (REAL / "labels.json").is_file(),
    reason="the shared corpus is not beside the project (../shared/corpus): real documents not read",
)
