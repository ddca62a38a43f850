"""Probes watch the components from outside: they run on the workers, record what they
saw, and raise alerts for staff (the alerts: probes/alerts.py)."""
