"""Is the Hugging Face Hub usable right now? Checked before a hub load, so that a machine without a
network fails in seconds with a useful message, not after a minute of retries."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse


def offline_mode() -> bool:
    """HF_HUB_OFFLINE is set: only the local cache is used."""
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on")


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """A TCP connection to the Hub endpoint (HF_ENDPOINT, default huggingface.co) opens in time."""
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        with socket.create_connection((endpoint.hostname, endpoint.port or 443), timeout=timeout_s):
            return True
    except OSError:
        return False


def model_problem(name: str) -> str | None:
    """Why ``name`` can't be a model (a folder without config.json, a path that doesn't exist, text that
    is no hub id), or None when it may be one. Checks the shape only: nothing is downloaded.

    >>> model_problem("Qwen/Qwen2.5-0.5B") is None, model_problem("outputs/run/final") is not None
    (True, True)
    """
    import re
    from pathlib import Path

    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir() or not (path / "config.json").exists():
            return f"{name!r} exists but is not a model folder (it has no config.json)"
        return None
    if (
        name.startswith(("/", "./", "../", "~"))
        or name.endswith("/")
        or not re.fullmatch(r"[\w.-]+(/[\w.-]+)?", name)
    ):
        return f"{name!r} is not a local folder (no such path) and not a hub id (owner/name)"
    return None


def model_available(name: str) -> bool:
    """A local folder, or a hub id that can be downloaded now or is in the local cache."""
    from pathlib import Path

    if Path(name).exists() or (not offline_mode() and hub_reachable()):
        return True
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(name, "config.json"), str)
