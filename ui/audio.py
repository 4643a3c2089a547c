"""Plays a card's audio (Anki's [sound:name]) from the store, one file after another.

QtMultimedia is imported on the first sound, not at start: most cards have none, and on a
machine without its system libraries (libpulse) the rest of the app still runs.

Each sound is played from a file of a temporary folder, not from a QBuffer: the player's threads
read a QBuffer made in Python through PySide, which takes the interpreter's lock for every read,
while the window's thread holds that lock in its blocking calls to the player (stop, a new source).
The two waited on each other, or the process crashed: the audio test, with both cores busy, failed 16 times in
25 (segmentation faults, and a hang), and passes 50 times in 50 from files.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal


class AudioPlayer(QObject):
    """Plays named files of the store in turn. Emits problem(text) once for each reason audio
    cannot be heard (no multimedia libraries, no sound output, a file the store lacks)."""

    problem = Signal(str)

    def __init__(self, media: Callable[[str], bytes | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.media = media
        self.queue: list[str] = []
        self.playing: str | None = None
        self.played: list[str] = []  # every file started, in order: what the learner has heard
        self._player = None  # QMediaPlayer, made on the first sound
        self._output = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None  # the sounds played, as files
        self._told: set[str] = set()

    def play(self, names: list[str]) -> None:
        """Stop what plays and play these, in order."""
        self.stop()
        self.queue = list(names)
        self._next()

    def stop(self) -> None:
        self.queue = []
        self.playing = None
        if self._player is not None:
            self._player.stop()

    def _next(self) -> None:
        while self.queue:
            name = self.queue.pop(0)
            data = self.media(name)
            if data is None:
                self._tell(f"The sound {name} is not in this collection.")
                continue
            player = self._media_player()
            if player is None:
                self.queue = []
                return
            player.setSource(QUrl.fromLocalFile(str(self._as_file(name, data))))
            self.playing = name
            self.played.append(name)
            player.play()
            return
        self.playing = None

    def _as_file(self, name: str, data: bytes) -> Path:
        """The sound as a file of its own name (its extension tells the format), in a folder removed when
        the app ends; a name is the store's, so one written once is the same sound."""
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="studyplanner-audio-", ignore_cleanup_errors=True)
        path = Path(self._folder.name) / Path(name).name
        if not path.exists():
            path.write_bytes(data)
        return path

    def _media_player(self):
        if self._player is not None:
            return self._player
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer
        except ImportError as exc:  # Qt's multimedia needs system libraries (libpulse on Linux)
            self._tell(f"Audio cannot play on this machine: {exc}.")
            return None
        if not QMediaDevices.audioOutputs():
            self._tell("No sound output was found, so the card's audio plays silently.")
        self._player = QMediaPlayer(self)
        self._output = QAudioOutput(self)
        self._player.setAudioOutput(self._output)
        self._player.mediaStatusChanged.connect(self._status)
        self._player.errorOccurred.connect(self._failed)
        return self._player

    def _status(self, status) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if status in (QMediaPlayer.MediaStatus.EndOfMedia, QMediaPlayer.MediaStatus.InvalidMedia):
            self._next()

    def _failed(self, _error, text: str) -> None:
        self._tell(f"The sound {self.playing} cannot play: {text}")

    def _tell(self, text: str) -> None:
        if text not in self._told:
            self._told.add(text)
            self.problem.emit(text)
