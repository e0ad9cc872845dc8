"""The error types the command line turns into one line and an exit code: bad input (2) and a stopped command."""


class InputError(Exception):
    """Bad input from a user: a scenario file, a --set value, a sweep directory.

    The message names the file (or option), the key and what is allowed, on one line.
    """


class CommandStopped(Exception):
    """A long command stopped after saving what it could (``experiments.session``): the message is
    one line naming what is kept and the command that resumes; the command line exits with ``code``
    (130 after Ctrl-C, 1 after a failed run, a lost executor or a full disk)."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code
