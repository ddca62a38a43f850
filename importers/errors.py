from __future__ import annotations


class SourceError(ValueError):
    """A source the importer cannot read as it stands; the message names the file and the place."""

    def __init__(self, file_name: str, where: str, problem: str) -> None:
        self.file_name, self.where, self.problem = file_name, where, problem
        super().__init__(f"{file_name}, {where}: {problem}" if where else f"{file_name}: {problem}")
