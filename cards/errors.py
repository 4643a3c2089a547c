"""Errors the learner sees: each carries one clear sentence, never a traceback."""


class StudyPlannerError(Exception):
    """Base of every error the command line and the window show as a message."""


class StoreError(StudyPlannerError):
    """The store file cannot be opened or written (not SQLite, newer schema, read-only...)."""


class UnknownDeck(StudyPlannerError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no deck named {name!r}")
        self.name = name


class UnknownCard(StudyPlannerError):
    def __init__(self, card_id: int) -> None:
        super().__init__(f"no card with id {card_id}")
        self.card_id = card_id


class AnsweredElsewhere(StudyPlannerError):
    """The card was answered (or changed) by another review since it was shown: not answered twice."""


class NothingToUndo(StudyPlannerError):
    def __init__(self, message: str = "nothing to undo") -> None:
        super().__init__(message)


class SettingsError(StudyPlannerError):
    """A settings value out of range; says which setting and what is allowed."""


class FileFormatError(StudyPlannerError):
    """A deck, plan or import file that cannot be read; names the file and line."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}, line {line}" if line else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class Cancelled(StudyPlannerError):
    """The learner stopped a long piece of work; its transaction was rolled back."""

    def __init__(self) -> None:
        super().__init__("cancelled: nothing was changed")
