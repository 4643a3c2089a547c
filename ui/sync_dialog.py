"""File > Sync: the first sync asks for the server, the user name and the password (kept only until the
server has given its key); later syncs ask nothing. The work is cards/sync.py's, on the store's worker."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from cards import sync
from cards.wording import sentence


class SyncLogin(QDialog):
    def __init__(self, parent: QWidget | None, server: str | None, user: str | None, problem: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Sync with Anki")
        form = QFormLayout(self)
        intro = QLabel(
            "Sync with AnkiWeb or your own Anki sync server: AnkiDroid, AnkiMobile and Anki on your other "
            "computers then review the same cards. The password is sent once; it is not kept."
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        if problem:
            error = QLabel(problem)
            error.setObjectName("error")  # the theme's colour for what went wrong
            error.setWordWrap(True)
            form.addRow(error)
        self.server = QLineEdit("" if server in (None, sync.ANKIWEB) else server)
        self.server.setPlaceholderText("AnkiWeb, or http://your-server:8080/")
        self.user = QLineEdit(user or "")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Server:", self.server)
        form.addRow("User name:", self.user)
        form.addRow("Password:", self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        sync_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        sync_button.setText("Sync")
        self.user.textChanged.connect(lambda text: sync_button.setEnabled(bool(text.strip())))
        sync_button.setEnabled(bool(self.user.text().strip()))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        (self.password if self.user.text() else self.user).setFocus()
        self.setMinimumWidth(420)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        # As tall as the wrapped text needs at the width shown: sized before, it kept the height of a
        # narrower wrap, an empty band under the buttons.
        self.resize(self.width(), self.layout().heightForWidth(self.width()))

    def chosen_server(self) -> str:
        return self.server.text().strip() or sync.ANKIWEB


def choose_full_sync(parent: QWidget) -> str | None:
    """Anki asks for a whole upload or download: the learner says which side wins, or neither."""
    box = QMessageBox(parent)
    box.setWindowTitle("Which side wins?")
    box.setText(sentence(str(sync.FullSyncChoice())))
    upload = box.addButton("Upload: this computer wins", QMessageBox.ButtonRole.AcceptRole)
    download = box.addButton("Download: the server wins", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return "upload" if box.clickedButton() is upload else "download" if box.clickedButton() is download else None
