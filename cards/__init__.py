"""The flashcard core: store, scheduling, review log, deck formats. No Qt here."""
