"""One module per notification channel behind the small interface in base.py.

The registry of all of them (and of the mirror's targets) is notifier/registry.py.
"""
