"""Mail after mail over one smtplib connection, one round trip each (RFC 2920 PIPELINING).

smtplib waits for each command's answer before sending the next: four round trips a mail.
A server that offers PIPELINING takes the envelope commands (MAIL, RCPT, DATA) together,
and RFC 2920 lets a message's content open a group: so each mail's content goes out in
one write with the next mail's envelope, and a mail costs one round trip. What the server
accepts is unchanged, and so is when a mail counts as sent: only after the server's
answer to its content. Errors are raised as smtplib.sendmail raises them, so callers
handle both alike; a server without PIPELINING gets smtplib.sendmail itself.

Content with 8-bit bytes goes only to a server that offers 8BITMIME, announced with
BODY=8BITMIME (RFC 6152); to any other it is refused here (SMTPNotSupportedError) before
a byte is sent: the caller must encode such bodies as quoted-printable or base64.
"""

from __future__ import annotations

import re
import smtplib
from functools import lru_cache
from typing import NamedTuple

DOT_AT_LINE_START = re.compile(rb"(?m)^\.")
# An address smtplib.quoteaddr would only wrap in angle brackets. quoteaddr parses every
# address with email.utils.parseaddr, which costs more than the rest of the exchange.
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


class Envelope(NamedTuple):
    sender: str
    recipient: str
    size: int
    eight_bit: bool = False  # the content has bytes above 127


def quoted(address: str) -> str:
    """`address` as smtplib.quoteaddr writes it in MAIL FROM and RCPT TO."""
    if PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return _quoted_by_smtplib(address)


# The sender is the same for every mail and often has a display name.
_quoted_by_smtplib = lru_cache(maxsize=64)(smtplib.quoteaddr)


class Pipeline:
    """Sends mails over `smtp`, announcing the next mail's envelope with each content.

    Once an envelope is announced the server may be waiting for that mail's content, where
    anything else we send (RSET, QUIT) would become part of a message: call `end()`
    before closing the connection.
    """

    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.smtp = smtp
        self.announced: Envelope | None = None

    def check_body(self, envelope: Envelope) -> None:
        """Refuse 8-bit content for a server that did not offer 8BITMIME (RFC 6152)."""
        self.smtp.ehlo_or_helo_if_needed()
        if envelope.eight_bit and not self.smtp.has_extn("8bitmime"):
            raise smtplib.SMTPNotSupportedError(
                "The mail server does not offer 8BITMIME: 8-bit content must be encoded"
            )

    def usable_for(self, envelope: Envelope) -> bool:
        self.smtp.ehlo_or_helo_if_needed()
        return (
            bool(self.smtp.has_extn("pipelining"))
            and (envelope.sender + envelope.recipient).isascii()
        )

    def _commands(self, envelope: Envelope) -> bytes:
        size = f" SIZE={envelope.size}" if self.smtp.has_extn("size") else ""
        body = " BODY=8BITMIME" if envelope.eight_bit else ""
        return (
            f"MAIL FROM:{quoted(envelope.sender)}{size}{body}\r\n"
            f"RCPT TO:{quoted(envelope.recipient)}\r\nDATA\r\n"
        ).encode()

    def send(self, envelope: Envelope, raw: bytes, then: Envelope | None = None) -> None:
        """Send one mail; `then`, the next mail's envelope, goes out with its content.

        Only announce `then` when that mail will be sent next on this pipeline, whatever
        becomes of this one, or else `end()` the pipeline.
        """
        smtp = self.smtp
        if self.announced is not None and self.announced != envelope:
            raise ValueError(f"announced {self.announced}, asked to send {envelope}")
        if envelope.eight_bit != (not raw.isascii()):
            raise ValueError(f"{envelope} does not say whether its content is 8-bit")
        if self.announced is None:
            self.check_body(envelope)
            if not self.usable_for(envelope):
                options = ["BODY=8BITMIME"] if envelope.eight_bit else []
                smtp.sendmail(envelope.sender, [envelope.recipient], raw, mail_options=options)
                return
            smtp.send(self._commands(envelope))
        self.announced = None
        self._read_envelope_replies(envelope)
        content = DOT_AT_LINE_START.sub(b"..", raw)
        if not content.endswith(b"\r\n"):
            content += b"\r\n"
        content += b".\r\n"
        if (
            then is not None
            and self.usable_for(then)
            and not (then.eight_bit and not smtp.has_extn("8bitmime"))
        ):
            content += self._commands(then)
            self.announced = then
        smtp.send(content)
        code, message = smtp.getreply()
        if code != 250:
            # With the next envelope out, the server has moved on to it: nothing to reset.
            if code == 421:
                smtp.close()
                self.announced = None
            elif self.announced is None:
                smtp._rset()  # type: ignore[attr-defined]  # smtplib's private, quiet RSET
            raise smtplib.SMTPDataError(code, message)

    def _read_envelope_replies(self, envelope: Envelope) -> None:
        smtp = self.smtp
        mail, rcpt, data = smtp.getreply(), smtp.getreply(), smtp.getreply()
        if data[0] == 354 and (mail[0] != 250 or rcpt[0] not in (250, 251)):
            # The server took DATA although the envelope failed: end an empty message.
            smtp.send(b".\r\n")
            smtp.getreply()
        if mail[0] != 250:
            self._abort(mail[0])
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], envelope.sender)
        if rcpt[0] not in (250, 251):
            self._abort(rcpt[0])
            raise smtplib.SMTPRecipientsRefused({envelope.recipient: rcpt})
        if data[0] != 354:
            self._abort(data[0])
            raise smtplib.SMTPDataError(*data)

    def _abort(self, code: int) -> None:
        # As smtplib does: 421 means the server is closing; otherwise reset for the next mail.
        if code == 421:
            self.smtp.close()
        else:
            self.smtp._rset()  # type: ignore[attr-defined]  # smtplib's private, quiet RSET

    def end(self) -> None:
        """Before QUIT: with an envelope announced, drop the connection instead.

        The server may be reading that mail's content, where QUIT would be a line of it;
        a mail whose content never ended is no mail.
        """
        if self.announced is not None:
            self.announced = None
            self.smtp.close()


def sendmail(smtp: smtplib.SMTP, sender: str, recipient: str, raw: bytes) -> None:
    """Send `raw` from `sender` to `recipient`, as smtp.sendmail(sender, [recipient], raw)."""
    Pipeline(smtp).send(Envelope(sender, recipient, len(raw), not raw.isascii()), raw)
