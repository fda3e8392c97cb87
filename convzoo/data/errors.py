"""The error bad data raises: one message naming the file and what was expected."""


class DataError(ValueError):
    """A dataset file or folder that cannot be used as it is; the message names it and says why."""


def unwrap_worker_error(e: BaseException) -> BaseException:
    """The original one-line error inside a DataLoader worker's re-raised exception.

    torch re-raises a worker's exception as the same type with the worker's whole traceback as its
    message ("Caught DataError in DataLoader worker process 0. Original Traceback ..."); this returns
    the same type with the original message only (the exception itself when it is not such a one)."""
    text = str(e)
    if "in DataLoader worker process" not in text or "Traceback" not in text:
        return e
    last = [line for line in text.strip().splitlines() if line.strip()][-1]
    message = last.split(": ", 1)[1] if ": " in last and not last.startswith(" ") else last.strip()
    try:
        return type(e)(message)
    except Exception:
        return RuntimeError(message)
