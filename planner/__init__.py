"""Study plans, their placement on dates, progress. No Qt here."""
