"""The staff write API (/api/staff/v1/): token-authenticated calls to the actions.

Kept apart from the read-only public API (incidents/api/), so the public side cannot write
by construction: nothing under incidents imports the actions.
"""
