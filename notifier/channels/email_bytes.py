"""A notice mail flattened to bytes once, with each subscriber's address and link spliced in.

Building and flattening the MIME tree costs about 0.8 ms a mail, three times the SMTP
exchange itself; splicing two values into bytes costs microseconds. The splice is only
valid where the bytes carry the values verbatim: the bodies in 7bit or 8bit (never
quoted-printable or base64, which would have to be re-encoded around them), no header
folded at them, and ASCII values without anything a header folds or an encoder rewrites.
`MailTemplate.build` checks all of that on the real flattened message and returns None
when it does not hold (a body with a line over 998 bytes goes quoted-printable, say);
`fits` says whether a subscriber's values can be spliced. Otherwise the caller builds the
message the slow way, which is always correct.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message

# Shapes that reach the wire unchanged: no spaces, commas or semicolons (where headers fold),
# nothing a MIME encoder would escape, and no non-ASCII (an IDN domain goes punycode).
SAFE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9.-]{1,190}")
SAFE_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+=%-]{1,400}")

ADDRESS_PLACEHOLDER = "subscriber-5f0c2e@placeholder.invalid"
URL_PLACEHOLDER = "https://placeholder.invalid/unsubscribe-5f0c2e/" + "0" * 40 + "/"
SPLICE_SAFE_ENCODINGS = {None, "7bit", "8bit"}
# The generator moves a header's value to a continuation line once "Name: value" passes 78
# characters. The placeholders sit on either side of that line (the address short, the link
# long), so values on the same side fold the same way and the splice is byte for byte what
# building the message in full gives. Real links are always long (a signed token).
LONGEST_UNFOLDED_ADDRESS = 78 - len("To: ") - 4  # a margin either side
SHORTEST_FOLDED_URL = 78 - len("List-Unsubscribe: <>") + 4


def fits(address: str, url: str) -> bool:
    """Whether these values can go into the pre-rendered bytes as they are."""
    return (
        len(address) <= LONGEST_UNFOLDED_ADDRESS
        and len(url) >= SHORTEST_FOLDED_URL
        and SAFE_ADDRESS.fullmatch(address) is not None
        and SAFE_URL.fullmatch(url) is not None
    )


@dataclass(frozen=True)
class MailTemplate:
    # The flattened message cut at each placeholder; `slots[i]` says which value follows
    # `pieces[i]` ("address" or "url").
    pieces: tuple[bytes, ...]
    slots: tuple[str, ...]

    @classmethod
    def build(cls, flatten: Callable[[str, str], tuple[Message, bytes]]) -> MailTemplate | None:
        """`flatten(address, url)` builds the real message for those values and its bytes."""
        mime, raw = flatten(ADDRESS_PLACEHOLDER, URL_PLACEHOLDER)
        for part in mime.walk():
            if part.get_content_maintype() == "multipart":
                continue
            encoding = part.get("Content-Transfer-Encoding")
            if (encoding.lower() if encoding else None) not in SPLICE_SAFE_ENCODINGS:
                return None
        # The text and HTML bodies each carry the link, the headers the address and the link:
        # a placeholder cut in two by folding would show up here as a missing one.
        if raw.count(ADDRESS_PLACEHOLDER.encode()) != 1 or raw.count(URL_PLACEHOLDER.encode()) < 3:
            return None
        tokens = re.split(
            b"(" + re.escape(ADDRESS_PLACEHOLDER.encode()) + b"|"
            + re.escape(URL_PLACEHOLDER.encode()) + b")",
            raw,
        )  # fmt: skip
        pieces = tuple(tokens[0::2])
        slots = tuple(
            "address" if token == ADDRESS_PLACEHOLDER.encode() else "url" for token in tokens[1::2]
        )
        return cls(pieces, slots)

    def render(self, address: str, url: str) -> bytes:
        """The message for one subscriber; only for values `fits` accepts."""
        values = {"address": address.encode("ascii"), "url": url.encode("ascii")}
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            out.append(values[slot])
            out.append(piece)
        return b"".join(out)
