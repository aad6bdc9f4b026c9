"""Files that runs leave behind, written so that a crash or a full disk never leaves half a file.

Every JSON and YAML file a run writes (settings, metrics, summaries, reports, the resolved recipe) goes to
a temporary file beside its target and is renamed over it, so a reader sees the old file or the new one,
never a torn one. Append-only JSONL logs (evaluation samples, training completions) are repaired instead:
a last line cut off mid-write is dropped before the next append, and the work it held is redone.
"""

from __future__ import annotations

import json
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


def write_json(path: str | os.PathLike, value: Any) -> Path:
    return write_atomic(path, json.dumps(value, indent=2, default=str) + "\n")


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
