"""The one exception type whose message is shown to the user as is."""


class PatchbotError(Exception):
    """A problem the user can fix (bad input, a wrong setting, data not there).

    The message is a single line naming the file, field or setting at fault; the CLI prints it
    without a traceback and exits non-zero.
    """
