"""Django's makemessages, without fuzzy matching: a guessed translation is worse than none.

msgmerge's guesses ("Next update by" taking the text of "Updated") would need a translator
to spot each one; an empty entry is caught by the catalogue check instead.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
