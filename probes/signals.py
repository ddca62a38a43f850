from django.dispatch import Signal

# Sent by a runner once a batch of results is saved: sender, probe_ids (an iterable of ints).
results_recorded = Signal()
