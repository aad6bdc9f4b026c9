"""Files that runs leave behind, written so that a crash or a full disk never leaves half a file.

Every JSON and YAML file a run writes (settings, metrics, summaries, reports, the resolved recipe) goes to
a temporary file beside its target and is renamed over it, so a reader sees the old file or the new one,
never a torn one. Append-only JSONL logs (evaluation samples, training completions) are repaired instead:
a last line cut off mid-write is dropped before the next append, and the work it held is redone.
"""

from __future__ import annotations

import errno
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any


class FileError(ValueError):
    """A file that can't be read as asked: the message names the file and the fix."""


_UMASK = os.umask(0)
os.umask(_UMASK)  # read once: os.umask can only be read by setting it


def write_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "a.json", "{}").read_text()
    '{}'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); results shared on a cluster must keep the usual mode
        os.chmod(temporary, 0o666 & ~_UMASK)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_problem(path: str | os.PathLike) -> str | None:
    """Why nothing can be written at ``path`` (a folder to make, or a file to write): a file where a folder
    must be, or a folder that refuses writes (read-only, no permission); None when a write can go ahead.
    Probed with a temporary file in the nearest folder that exists, so the answer is the system's.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_problem(folder / "new" / "run") is None
    True
    >>> (folder / "file").write_text("x") and write_problem(folder / "file" / "run")
    '... is a file, so nothing can be made under it'
    """
    path = Path(path)
    existing = path if path.is_dir() else path.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, so nothing can be made under it"
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        return f"{existing} can't be written ({error.strerror or error})"
    return None


def write_json(path: str | os.PathLike, value: Any) -> Path:
    """``value`` as JSON, through ``write_atomic``. JSON has no NaN or infinity (Python would write
    ``NaN`` / ``Infinity``, which other readers reject): such numbers are written as null.

    >>> import tempfile, pathlib
    >>> path = write_json(pathlib.Path(tempfile.mkdtemp()) / "m.json", {"loss": float("nan"), "x": [1.5]})
    >>> json.loads(path.read_text())
    {'loss': None, 'x': [1.5]}
    """
    return write_atomic(path, json.dumps(_finite(value), indent=2, default=str, allow_nan=False) + "\n")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


# errno of a write that failed because of where it writes, not what: the disk, a quota, a read-only mount
_STORAGE_ERRNOS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
}


def storage_failure(error: BaseException) -> str | None:
    """One line for a write that failed because the disk is full, over quota or read-only, wherever it
    happened (libraries wrap the OSError in their own errors, or only keep its text); None otherwise."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _STORAGE_ERRNOS:
            where = f" (writing {seen.filename})" if seen.filename else ""
            return f"{_STORAGE_ERRNOS[seen.errno]}{where}"
        seen = seen.__cause__ or seen.__context__
    text = str(error)
    for marker in ("No space left on device", "Disk quota exceeded", "Read-only file system", "StorageFull"):
        if marker in text:
            return f"{marker.lower() if marker != 'StorageFull' else 'no space left on device'} ({type(error).__name__})"
    return None


def read_json(path: str | os.PathLike, fix: str) -> Any:
    """The JSON value in ``path``; a missing, unreadable or corrupt file raises FileError naming ``fix``."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileError(f"{path} does not exist; {fix}") from None
    except IsADirectoryError:
        raise FileError(f"{path} is a folder, not a JSON file; {fix}") from None
    except UnicodeDecodeError as error:
        raise FileError(f"{path} is not UTF-8 text (byte {error.start}); {fix}") from None
    except json.JSONDecodeError as error:
        raise FileError(
            f"{path} is corrupt (line {error.lineno}, column {error.colno}: {error.msg}); {fix}"
        ) from None
    except RecursionError:
        raise FileError(f"{path} is nested too deeply to be a results file; {fix}") from None


def repair_jsonl(path: str | os.PathLike) -> int:
    """Cut a torn last line (a write cut off by a crash) from an append-only JSONL file, so the next
    append starts on a fresh line. Returns the number of bytes removed."""
    path = Path(path)
    if not path.exists():
        return 0
    with path.open("rb+") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return 0
        # Walk back to the last newline; everything after it is the torn line.
        position, chunk = size, 1 << 16
        while position > 0:
            start = max(0, position - chunk)
            handle.seek(start)
            block = handle.read(position - start)
            newline = block.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            position = start
        else:
            keep = 0
        handle.truncate(keep)
        return size - keep


def read_jsonl(path: str | os.PathLike, fix: str) -> list[dict[str, Any]]:
    """The records of a JSONL file written by this repository. A torn *last* line (a crash mid-write) is
    ignored; a corrupt line anywhere else raises FileError naming the line and ``fix``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except IsADirectoryError:
        raise FileError(f"{path} is a folder, not a JSONL file; {fix}") from None
    except UnicodeDecodeError as error:
        raise FileError(f"{path} is not UTF-8 text (byte {error.start}); {fix}") from None
    lines = text.split("\n")
    torn_tail = not text.endswith("\n")
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            if torn_tail and number == len(lines):
                break
            raise FileError(f"{path}, line {number}: not a JSON record; {fix}") from None
        if not isinstance(record, dict):
            raise FileError(f"{path}, line {number}: a record must be a JSON object; {fix}")
        records.append(record)
    return records
