"""A probe: what to check, how often, and what a failure does."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from django import forms

from incidents.clean_text import CleanTextForm
from incidents.models import Component, ComponentStatus, DnsRecordType, Probe, ProbeKind, TlsMode

# A DNS name: labels of letters, digits and hyphens (not at either end), 63 at most each.
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)
DEFAULT_PORTS = {
    ProbeKind.HTTPS: 443,
    ProbeKind.SMTP: 25,
    ProbeKind.IMAP: 993,
    ProbeKind.POP: 995,
}
# The TLS each kind may use: HTTPS only from the first byte, DNS and plain TCP-with-STARTTLS never.
ALLOWED_TLS = {
    ProbeKind.HTTPS: {TlsMode.IMPLICIT},
    ProbeKind.SMTP: {TlsMode.NONE, TlsMode.IMPLICIT, TlsMode.STARTTLS},
    ProbeKind.IMAP: {TlsMode.NONE, TlsMode.IMPLICIT, TlsMode.STARTTLS},
    ProbeKind.POP: {TlsMode.NONE, TlsMode.IMPLICIT, TlsMode.STARTTLS},
    ProbeKind.DNS: {TlsMode.NONE},
    ProbeKind.TCP: {TlsMode.NONE, TlsMode.IMPLICIT},
}


def host_name_problem(host: str) -> str:
    """Why `host` is no host name or IP address; empty when it is one."""
    try:
        ipaddress.ip_address(host)
        return ""
    except ValueError:
        pass
    if "://" in host or "/" in host or ":" in host:
        return "Give the host alone (mail.runbox.com), without a scheme, port or path."
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(HOST_LABEL.match(label) for label in labels):
        return f"{host!r} is not a host name: letters, digits, hyphens and dots only."
    return ""


def dns_value_problem(record_type: str, value: str) -> str:
    if record_type in (DnsRecordType.A, DnsRecordType.AAAA):
        version = 4 if record_type == DnsRecordType.A else 6
        try:
            if ipaddress.ip_address(value).version == version:
                return ""
        except ValueError:
            pass
        return f"{value!r} is not an IPv{version} address (an {record_type} record holds one)."
    # MX: "mx.runbox.com" or "10 mx.runbox.com".
    parts = value.split()
    if len(parts) == 2 and parts[0].isdigit():
        parts = parts[1:]
    if len(parts) != 1 or host_name_problem(parts[0]):
        return f"{value!r} is not a mail server name (an MX record names one, e.g. mx.runbox.com)."
    return ""


class ProbeForm(CleanTextForm, forms.ModelForm):
    class Meta:
        model = Probe
        fields = [
            "component",
            "name",
            "kind",
            "host",
            "port",
            "tls",
            "path",
            "expected_status",
            "expected_text",
            "record_type",
            "expected_values",
            "login_user",
            "interval_seconds",
            "timeout_seconds",
            "retries",
            "sets_component_status",
            "status_on_failure",
            "enabled",
        ]
        labels = {
            "host": "Host",
            "tls": "TLS",
            "path": "Path (HTTPS)",
            "expected_status": "Expected HTTP status",
            "expected_text": "Expected text",
            "record_type": "Record type (DNS)",
            "expected_values": "Expected values (DNS)",
            "login_user": "Test account (IMAP, POP)",
            "interval_seconds": "Every (seconds)",
            "timeout_seconds": "Timeout (seconds)",
            "sets_component_status": "A failure sets the component's status by itself",
        }
        help_texts = {
            "port": "Empty for the usual one: 443, SMTP 25, IMAP 993, POP 995.",
            "expected_text": "HTTPS: the page must contain it; SMTP, IMAP, POP: the greeting.",
            "expected_values": "One per line: addresses (A, AAAA) or mail servers (MX).",
            "login_user": "Logs in as this account; its password is read from a *_FILE setting.",
            "retries": "Tries again within one run before the run counts as failed; an alert "
            "needs PROBE_FAILURES_IN_A_ROW failed runs in a row from a location.",
            "sets_component_status": "Shown on the status page and set back on recovery, "
            "unless someone changes it first. Subscribers are never told without a person.",
        }
        widgets = {"expected_values": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        component = self.fields["component"]
        assert isinstance(component, forms.ModelChoiceField)
        component.queryset = Component.objects.order_by("name")
        component.error_messages["invalid_choice"] = "Choose one of the components."
        self.fields["record_type"].required = False

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip().lower()
        if problem := host_name_problem(host):
            raise forms.ValidationError(problem)
        return host

    def clean_path(self) -> str:
        return self.cleaned_data["path"].strip()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind = data.get("kind")
        if kind:
            self._check_kind(kind, data)
        timeout, interval = data.get("timeout_seconds"), data.get("interval_seconds")
        if timeout and interval and timeout >= interval:
            self.add_error("timeout_seconds", "The timeout must be shorter than the interval.")
        if data.get("sets_component_status") and (
            data.get("status_on_failure") == ComponentStatus.OPERATIONAL
        ):
            self.add_error("status_on_failure", "Choose a status that says something is wrong.")
        return data

    def _check_kind(self, kind: str, data: dict[str, Any]) -> None:
        if data.get("port") is None and kind in DEFAULT_PORTS:
            data["port"] = DEFAULT_PORTS[ProbeKind(kind)]
        if kind == ProbeKind.TCP and data.get("port") is None:
            self.add_error("port", "A TCP check needs a port.")
        tls = data.get("tls")
        if tls and tls not in ALLOWED_TLS[ProbeKind(kind)]:
            self.add_error("tls", f"{TlsMode(tls).label} does not fit a {kind.upper()} check.")
        if kind == ProbeKind.HTTPS:
            path = data.get("path") or "/"
            if not path.startswith("/") or any(c.isspace() for c in path):
                self.add_error("path", "The path starts with / and has no spaces (/status).")
            data["path"] = path
            status = data.get("expected_status")
            if status is not None and not 100 <= status <= 599:
                self.add_error("expected_status", "An HTTP status is between 100 and 599.")
        if kind == ProbeKind.DNS:
            self._check_dns(data)
        if data.get("login_user") and kind not in (ProbeKind.IMAP, ProbeKind.POP):
            self.add_error("login_user", "Only IMAP and POP checks log in.")

    def _check_dns(self, data: dict[str, Any]) -> None:
        record_type = data.get("record_type")
        if not record_type:
            self.add_error("record_type", "A DNS check needs a record type: A, AAAA or MX.")
            return
        values = [line.strip() for line in data.get("expected_values", "").splitlines()]
        values = [value for value in values if value]
        if not values:
            self.add_error("expected_values", "Give at least one value the record must hold.")
            return
        problems = [p for value in values if (p := dns_value_problem(record_type, value))]
        if problems:
            self.add_error("expected_values", problems)
        data["expected_values"] = "\n".join(values)
