"""Bringing a status history in from elsewhere (WordPress, Statuspage, Cachet).

Importers parse a source into a plan, and apply it through the acts in `actions/` with
backdated times and no channels: an import never tells anyone. `SourceKey` remembers which
row each source item became, so importing the same source again updates and never duplicates.
"""
