"""An object for ``tests/test_answering_processes.py`` to hold in answering processes: calls that take a while."""

import os
import time


class Sleeper:
    def __init__(self, label: str) -> None:
        self.label = label

    def pid(self) -> int:
        return os.getpid()

    def sleep(self, seconds: float) -> str:
        time.sleep(seconds)
        return f"{self.label} slept {seconds}"
