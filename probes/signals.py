"""What probes tell the rest of the project; receivers connect here (alerts, auto status).

    results_recorded.send(sender=ProbeResult, probe_ids=[...], location="oslo")

Sent after a batch's results are written (committed), with the ids of the probes that got a
new result; a receiver that fails is logged and does not stop the others or the batch.
"""

from __future__ import annotations

from django.dispatch import Signal

results_recorded = Signal()
