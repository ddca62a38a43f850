"""How many SMS segments a text costs: GSM-7 when every character is in it, else UCS-2.

GSM 03.38 basic characters take one septet, those of its extension table two (an escape and
the character). A single message holds 160 septets (GSM-7) or 70 UTF-16 units (UCS-2); a
longer one is split into parts of 153 or 67, the rest of each part being the concatenation
header. A two-septet character or a surrogate pair is never split across parts, as phones
and providers (Twilio, 46elks) count them.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7 = "GSM-7"
UCS2 = "UCS-2"
SINGLE = {GSM7: 160, UCS2: 70}
PART = {GSM7: 153, UCS2: 67}
# Typographic characters editors type that GSM-7 lacks, and what it says instead: one curly
# quote would otherwise make the whole message UCS-2, at less than half the room per part.
PLAIN_FORMS = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
        "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "…": "...", "\u00a0": " ",
        "\u202f": " ", "\u2009": " ", "\t": " ",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Segments:
    count: int
    encoding: str  # GSM7 or UCS2

    def __str__(self) -> str:
        return f"{self.count} SMS segment{'' if self.count == 1 else 's'}, {self.encoding}"


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def plain(text: str) -> str:
    """The text with typographic quotes, dashes and spaces in their GSM-7 forms."""
    return text.translate(PLAIN_FORMS)


def units(char: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1  # UTF-16: outside the BMP, a surrogate pair


def segments(text: str) -> Segments:
    encoding = GSM7 if is_gsm7(text) else UCS2
    sizes = [units(char, encoding) for char in text]
    if sum(sizes) <= SINGLE[encoding]:
        return Segments(1, encoding)
    count, used = 1, 0
    for size in sizes:
        if used + size > PART[encoding]:
            count, used = count + 1, 0
        used += size
    return Segments(count, encoding)
