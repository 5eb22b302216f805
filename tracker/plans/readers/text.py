"""Text and Markdown sources: encodings verified before decoding, one block per source line."""

from __future__ import annotations

import codecs
import functools
from collections.abc import Callable

from ..errors import PlanInputError
from ..patterns import lazy
from .blocks import Block
from .flat import text_with_tables

_BINARY_MAGIC = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"%PDF",
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"\xd0\xcf\x11\xe0",
    b"\x1f\x8b",
    b"BZh",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
    b"MZ",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"OggS",
    b"ID3",
    b"fLaC",
    b"wOFF",
    b"\x00asm",
)
# Controls that never occur in text; \t \n \r \f \v are handled by normalisation.
_CONTROL_RE = lazy("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
#: what normalisation does to a character, once CR LF is LF: line ends become LF, zero-width and
#: control characters go, no-break and ideographic spaces become spaces (one table, not a pattern
#: per kind: compiling a class of non-Latin characters costs half a millisecond)
_NORMALIZE_TABLE = {
    **dict.fromkeys(map(ord, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\ufffe\uffff")),
    **dict.fromkeys(range(0x0E, 0x20)),
    **dict.fromkeys(range(0x7F, 0xA0)),
    **dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad")),
    **dict.fromkeys(map(ord, "\u00a0\u3000\u202f\u205f"), " "),
    **dict.fromkeys(range(0x2002, 0x200B), " "),
    **dict.fromkeys(map(ord, "\r\x0b\x0c\x85\u2028\u2029"), "\n"),
}
_NORMALIZE_NEEDED_RE = lazy(
    "[\r\x0b\x0c\x85\u2028\u2029\ufeff\u200b-\u200d\u2060\u00ad\x00-\x08\x0e-\x1f\x7f-\x9f"
    "\ufffe\uffff\u00a0\u3000\u2002-\u200a\u202f\u205f]"
)
#: decoded characters we look at to judge a legacy-encoding guess
_SAMPLE_CHARS = 20000


def decode_text(data: bytes) -> str:
    """Decode a text upload (UTF-8, UTF-16, GB18030/GBK, Big5) and normalise line ends and spaces.

    Only encodings whose result can be verified are accepted: strict UTF-8
    first, UTF-16 when the BOM or the NUL pattern says so, then GB18030 and
    Big5, each when the result reads like common Chinese in that encoding.
    Anything else is refused with ``unknown_encoding`` (or ``binary``)
    instead of being decoded to mojibake.
    """
    if not data.strip():
        raise PlanInputError("empty")
    text = _decode(data)
    text = normalize_text(text)
    if not text.strip():
        raise PlanInputError("empty")
    return text


def normalize_text(text: str) -> str:
    """LF line ends, no control or zero-width characters, ideographic/no-break spaces as spaces."""
    if _NORMALIZE_NEEDED_RE.search(text) is None:
        return text
    return text.replace("\r\n", "\n").translate(_NORMALIZE_TABLE)


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PlanInputError("unknown_encoding") from exc
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return _decode_wide(data, "utf-32")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_wide(data, "utf-16")
    if data.startswith(_BINARY_MAGIC):
        raise PlanInputError("binary")

    if b"\x00" in data:
        for encoding in _utf16_by_nuls(data):
            try:
                return _decode_wide(data, encoding)
            except PlanInputError:
                continue
        raise PlanInputError("binary")

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _control_share(text) > 0.02:
            raise PlanInputError("binary")
        return text

    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if _control_share(text) > 0.02:
            raise PlanInputError("binary")
        if _reads_like(text, _gb_class):
            return text
    # Traditional Chinese from Taiwan or Hong Kong: Big5 as Windows writes it (cp950)
    try:
        text = data.decode("cp950")
    except UnicodeDecodeError as exc:
        raise PlanInputError("unknown_encoding") from exc
    if _control_share(text) > 0.02:
        raise PlanInputError("binary")
    if not _reads_like(text, _big5_class):
        raise PlanInputError("unknown_encoding")
    return text


def _decode_wide(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise PlanInputError("unknown_encoding") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    if not _reads_like_unicode_text(text):
        raise PlanInputError("unknown_encoding")
    return text


def _utf16_by_nuls(data: bytes) -> list[str]:
    """UTF-16 guesses for text without a BOM, most likely first.

    ASCII characters put their NUL byte on one side; CJK characters such as
    一 (U+4E00) put a few on the other, so a text with little ASCII can have
    NULs on both sides. Each guess is verified by decoding.
    """
    if len(data) % 2:
        return []
    sample = data[:65536]
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    return ["utf-16-le", "utf-16-be"] if odd >= even else ["utf-16-be", "utf-16-le"]


def _control_share(text: str) -> float:
    """Share of characters no text file holds; a stray one or two in a short file is tolerated."""
    sample = text[:_SAMPLE_CHARS]
    count = len(_CONTROL_RE.findall(sample))
    if count <= 2:
        return 0.0
    return count / len(sample)


_UNICODE_TEXT_RE = lazy(
    "[\t\n\r\x0b\x0c\x20-\x7e\u00a0-\u024f\u2000-\u206f\u2100-\u218f\u2190-\u21ff\u2460-\u24ff"
    "\u2500-\u257f\u25a0-\u25ff\u2600-\u26ff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u4e00-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\ufeff]"
)


def _reads_like_unicode_text(text: str) -> bool:
    """A UTF-16 guess is right when nearly every character is in a block that plans use."""
    sample = text[:_SAMPLE_CHARS]
    if not sample:
        return True
    common = len(_UNICODE_TEXT_RE.findall(sample))
    return common >= 0.95 * len(sample)


_GOOD, _RARE, _BAD = 0, 1, 2


@functools.cache
def _gb_class(char: str) -> int:
    """Classify a non-ASCII character by where it sits in GB2312."""
    try:
        lead = char.encode("gb2312")[0]
    except UnicodeEncodeError:
        return _BAD  # GBK/GB18030 extension: rare characters, or a wrong guess
    if 0xB0 <= lead <= 0xD7 or lead in (0xA1, 0xA3):
        return _GOOD  # level-1 hanzi, CJK punctuation, full-width forms
    if 0xD8 <= lead <= 0xF7 or lead == 0xA2:
        return _RARE  # level-2 hanzi, enclosed numbers
    return _BAD  # kana, Greek, Cyrillic, pinyin, box drawing


@functools.cache
def _big5_class(char: str) -> int:
    """Classify a non-ASCII character by where it sits in Big5 (as Windows writes it, cp950)."""
    try:
        encoded = char.encode("cp950")
    except UnicodeEncodeError:
        return _BAD  # Microsoft's or HKSCS additions: rare characters, or a wrong guess
    code = int.from_bytes(encoded, "big") if len(encoded) == 2 else 0
    if 0xA140 <= code <= 0xC67E:
        return _GOOD  # punctuation, full-width forms, the frequently used hanzi (常用字)
    if 0xC940 <= code <= 0xF9FE:
        return _RARE  # the less frequently used hanzi (次常用字)
    return _BAD  # kana, Cyrillic and other symbols


def _reads_like(text: str, classify: Callable[[str], int]) -> bool:
    """Tell real Chinese in a legacy encoding from other bytes that happen to decode in it.

    Real Chinese text is dominated by the encoding's common characters (GB2312 level 1, Big5's
    frequently used hanzi); other encodings read this way land mostly on rare hanzi, extension
    characters, kana or Cyrillic.
    """
    sample = text[:_SAMPLE_CHARS]
    counts = [0, 0, 0]
    for char in sample:
        if char > "\x7f":
            counts[classify(char)] += 1
    non_ascii = sum(counts)
    if non_ascii == 0:
        return True
    return counts[_BAD] + 0.5 * counts[_RARE] <= 0.08 * non_ascii


# ---------------------------------------------------------------------------
# text and Markdown blocks


def text_blocks(text: str) -> list[Block]:
    """One block per line; the lines of a task table (tabs, pipes, one cell per line, glued) become rows."""
    return text_with_tables(text.split("\n"))


_MD_HEADING_RE = lazy(r"^(#{1,9})\s+(.*?)\s*#*\s*$")
_MD_BULLET_RE = lazy(r"^[-*+]\s+")
_MD_EMPHASIS_RE = lazy(r"\*\*|__")


def markdown_blocks(text: str) -> list[Block]:
    """Markdown: one block per line; # headings get a level, emphasis and bullets are dropped,
    tables are read as task tables."""
    lines = [_MD_EMPHASIS_RE.sub("", line) for line in text.split("\n")]
    blocks: list[Block] = []
    for raw in lines:
        line = raw.strip()
        heading = _MD_HEADING_RE.match(line)
        level = None
        if heading:
            level = len(heading.group(1))
            line = heading.group(2)
        else:
            line = _MD_BULLET_RE.sub("", line)
        blocks.append(Block(line.strip(), heading_level=level))
    return text_with_tables(lines, blocks)
