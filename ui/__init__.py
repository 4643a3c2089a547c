"""The PySide6 window. Thin: it shows what the core computes and sends actions back."""
