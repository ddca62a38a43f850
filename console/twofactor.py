"""TOTP devices: each staff member has one, confirmed by entering a first code."""

from __future__ import annotations

import segno
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_device(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


@transaction.atomic
def reset_device(user: AbstractBaseUser) -> TOTPDevice:
    """Drop the user's devices and give them a new, unconfirmed one to set up at next login."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def qr_svg(device: TOTPDevice) -> SafeString:
    # Drawn here as inline SVG: the secret never leaves the server for a QR service.
    svg = segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)
    return mark_safe(svg)  # noqa: S308 - segno's own markup, no user input in it


def secret_base32(device: TOTPDevice) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode()
