"""Ids: the one pattern every run id, group id and preset `name` must match, and fresh ids.

An id becomes a file or folder name (runs/<id>/, groups/<id>.log), so it is checked where it
enters (a preset, `--set name=`, an imported file, a command-line reference) against one
strict pattern: 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit,
never containing '..'. Fresh ids end in a random suffix, so two launches in the same second
never share one.
"""

from __future__ import annotations

import re
import secrets
import time

from overfit_tui.core.errors import SpecError, show

ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_ID = re.compile(ID_PATTERN)
ID_RULE = "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..' (it names files)"
NAME_MAX = 64  # a preset name leaves room for the group id's time stamp and suffix within 128


def id_problem(value: object) -> str | None:
    """Why `value` is not a valid id, or None when it is."""
    if not isinstance(value, str):
        return f"expected a string id, got {show(value)}"
    if not _ID.fullmatch(value) or ".." in value:
        return f"{show(value)} is not a valid id: {ID_RULE}"
    return None


def is_id(value: object) -> bool:
    return id_problem(value) is None


def check_id(value: object, key: str = "id", source: str | None = None) -> str:
    """`value` if it is a valid id, else a SpecError naming `key` (and `source`)."""
    reason = id_problem(value)
    if reason:
        raise SpecError(key, reason, source)
    return value  # type: ignore[return-value]


def check_name(value: object, key: str = "name", source: str | None = None) -> str:
    """A preset/group name: an id of at most NAME_MAX characters."""
    name = check_id(value, key, source)
    if len(name) > NAME_MAX:
        raise SpecError(key, f"at most {NAME_MAX} characters (group ids add a time stamp to it)", source)
    return name


def suffix() -> str:
    """8 random hex digits: 4 billion values, so ids made in the same second do not collide."""
    return secrets.token_hex(4)


def new_group_id(name: str) -> str:
    return f"{name[:NAME_MAX]}-{time.strftime('%m%d-%H%M%S')}-{suffix()}"


def new_run_id(spec_hash: str) -> str:
    return f"{spec_hash[:8]}-{suffix()}"
