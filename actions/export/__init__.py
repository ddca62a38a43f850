"""Export the site as versioned JSON lines, and restore such a file into an empty site.

catalogue.py: what is exported (in order) and what is not (with why); rows.py: a row as
JSON and back; writing.py: the export; restoring.py: the restore.
"""

from actions.export.restoring import RestoreError, RestoreReport, SiteNotEmpty, restore_export
from actions.export.writing import FORMAT, VERSION, export_lines, write_export

__all__ = [
    "FORMAT",
    "VERSION",
    "RestoreError",
    "RestoreReport",
    "SiteNotEmpty",
    "export_lines",
    "restore_export",
    "write_export",
]
