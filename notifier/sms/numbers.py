"""Phone numbers as readers type them, made E.164 (+4791234567); only mobiles take SMS."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _

MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    # North American numbers do not tell mobiles from landlines.
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


class BadNumber(ValueError):
    """A number we cannot send SMS to; the message says why, for the reader."""


def e164(text: str, region: str | None = None) -> str:
    """The number in E.164; without a country code it is taken as SMS_DEFAULT_REGION's."""
    region = region or settings.SMS_DEFAULT_REGION
    typed = text.strip()
    if not typed:
        raise BadNumber(_("Enter the mobile number the notices should go to."))
    if typed.startswith("00"):
        typed = "+" + typed[2:]
    try:
        number = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException:
        raise BadNumber(
            _(
                "That does not look like a phone number. Write it with its country code, "
                "e.g. +47 912 34 567."
            )
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise BadNumber(
            _(
                "That number does not exist. Check the digits and the country code "
                "(without one we take it as a number in %(region)s)."
            )
            % {"region": region}
        )
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise BadNumber(_("That is not a mobile number: SMS can only reach mobile phones."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
