"""The one error type for bad input: the command line prints its message on one line and exits 2."""


class InputError(Exception):
    """Bad input from a user: a scenario file, a --set value, a sweep directory.

    The message names the file (or option), the key and what is allowed, on one line.
    """
