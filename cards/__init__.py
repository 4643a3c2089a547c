"""The flashcard core: store, scheduling, review log, deck formats. No Qt here."""


def app_version() -> str:
    """The installed version, as `studyplanner --version` and Help > About say it."""
    import importlib.metadata

    try:
        return importlib.metadata.version("studyplanner")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"
