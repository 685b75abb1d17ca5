"""Package error classes.

Every error a user can see carries a Vietnamese message. ``StructuralError`` lists
*every* offending place (file, sheet, cell or column) in one message, so the analyst
fixes all problems in one pass instead of one per run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One structural problem at one place in one input file.

    ``message`` is Vietnamese and user-facing; the location fields are optional.
    """

    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    column: str = ""
    row: int | None = None

    def describe(self) -> str:
        where = []
        if self.file:
            where.append(f"tệp «{self.file}»")
        if self.sheet:
            where.append(f"trang «{self.sheet}»")
        if self.cell:
            where.append(f"ô {self.cell}")
        if self.row is not None and not self.cell:
            where.append(f"dòng {self.row}")
        if self.column:
            where.append(f"cột «{self.column}»")
        prefix = ", ".join(where)
        from parlib.core.text import scrub_identifiers  # pandas: imported when a message is written

        text = f"{prefix}: {self.message}" if prefix else self.message
        return scrub_identifiers(text)  # a message may quote a cell: no phone, e-mail, ID or street


class ParlibError(Exception):
    """Base class of every error parlib raises on purpose.

    ``str(err)`` is the Vietnamese message shown to the user; the CLI prints it and
    exits with status 2 instead of showing a traceback. It is scrubbed of phones, e-mails, ID
    numbers and street addresses (``scrub_identifiers``): messages quote offending cells.
    """

    def __str__(self) -> str:
        from parlib.core.text import scrub_identifiers

        return scrub_identifiers(super().__str__()) or ""


class StructuralError(ParlibError):
    """An input cannot be read as it is: a missing sheet, column, a broken hierarchy.

    Holds every problem found, so one run names all of them.
    """

    def __init__(self, title: str, problems: list[Problem]):
        self.title = title
        self.problems = list(problems)
        lines = [title] + [f"  - {p.describe()}" for p in self.problems]
        super().__init__("\n".join(lines))


class InputFormatError(StructuralError):
    """A file is not what its name says (not a workbook, empty, corrupt, encrypted)."""


class ConfigError(ParlibError):
    """A parameter or configuration file is invalid (unknown year, missing calendar...)."""
