"""The error bad data raises: one message naming the file and what was expected."""


class DataError(ValueError):
    """A dataset file or folder that cannot be used as it is; the message names it and says why."""
