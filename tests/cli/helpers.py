"""Helpers shared by the command-line tests."""

from __future__ import annotations

import json


def last_json(capsys) -> dict:
    """The JSON document on the last line the command printed to stdout."""
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])
