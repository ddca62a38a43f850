"""One mail over an open smtplib connection, with MAIL, RCPT and DATA in one write (RFC 2920).

smtplib waits for each command's answer before sending the next: four round trips a mail.
A server that offers PIPELINING takes the envelope commands together, so a mail costs two
(the envelope, then the content). What the server accepts is unchanged, and so is when a
mail counts as sent: only after the server's answer to the content. Errors are raised as
smtplib.sendmail raises them, so callers handle both alike; a server without PIPELINING
gets smtplib.sendmail itself.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable

DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


def sendmail(
    smtp: smtplib.SMTP,
    sender: str,
    recipient: str,
    raw: bytes,
    *,
    before_content: Callable[[], None] = lambda: None,
) -> None:
    """Send `raw` from `sender` to `recipient`, as smtp.sendmail(sender, [recipient], raw).

    `before_content` runs before the server is given anything it could accept as a mail.
    """
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("pipelining") or not (sender + recipient).isascii():
        before_content()
        smtp.sendmail(sender, [recipient], raw)
        return
    size = f" SIZE={len(raw)}" if smtp.has_extn("size") else ""
    envelope = (
        f"MAIL FROM:{smtplib.quoteaddr(sender)}{size}\r\nRCPT TO:{smtplib.quoteaddr(recipient)}"
    )
    smtp.send(f"{envelope}\r\nDATA\r\n")
    mail, rcpt, data = smtp.getreply(), smtp.getreply(), smtp.getreply()
    if data[0] == 354 and (mail[0] != 250 or rcpt[0] not in (250, 251)):
        # The server took DATA although the envelope failed: end an empty message.
        smtp.send(b".\r\n")
        smtp.getreply()
    if mail[0] != 250:
        _abort(smtp, mail[0])
        raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
    if rcpt[0] not in (250, 251):
        _abort(smtp, rcpt[0])
        raise smtplib.SMTPRecipientsRefused({recipient: rcpt})
    if data[0] != 354:
        _abort(smtp, data[0])
        raise smtplib.SMTPDataError(*data)
    before_content()
    content = DOT_AT_LINE_START.sub(b"..", raw)
    if not content.endswith(b"\r\n"):
        content += b"\r\n"
    smtp.send(content + b".\r\n")
    code, message = smtp.getreply()
    if code != 250:
        _abort(smtp, code)
        raise smtplib.SMTPDataError(code, message)


def _abort(smtp: smtplib.SMTP, code: int) -> None:
    # As smtplib does: 421 means the server is closing; otherwise reset for the next mail.
    if code == 421:
        smtp.close()
    else:
        smtp._rset()
