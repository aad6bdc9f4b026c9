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
    """Why ``name`` can't be a model (a folder without config.json or with damaged weights, a path that
    doesn't exist, text that is no hub id), or None when it may be one. Reads no more than the weights'
    headers: nothing is downloaded.

    >>> model_problem("Qwen/Qwen2.5-0.5B") is None, model_problem("outputs/run/final") is not None
    (True, True)
    """
    import re
    from pathlib import Path

    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir() or not (path / "config.json").exists():
            return f"{name!r} exists but is not a model folder (it has no config.json)"
        return weights_problem(path)
    if (
        name.startswith(("/", "./", "../", "~"))
        or name.endswith("/")
        or not re.fullmatch(r"[\w.-]+(/[\w.-]+)?", name)
    ):
        return f"{name!r} is not a local folder (no such path) and not a hub id (owner/name)"
    return None


CHECKPOINT_FIX = "re-copy or re-download the checkpoint"


def weights_problem(folder) -> str | None:
    """What is wrong with a local model folder's safetensors weights (a file cut short by a copy or a full
    disk, a shard the index names that is missing), or None. Reads each file's header only: cheap."""
    import json
    from pathlib import Path

    from safetensors import safe_open

    folder = Path(folder)
    files = sorted(folder.glob("*.safetensors"))
    index = folder / "model.safetensors.index.json"
    if index.exists():
        try:
            shards = set(json.loads(index.read_text())["weight_map"].values())
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return f"{index} is damaged (not a safetensors index); {CHECKPOINT_FIX}"
        missing = sorted(shard for shard in shards if not (folder / shard).exists())
        if missing:
            return f"{folder} lacks {len(missing)} weight file(s) its index names ({', '.join(missing[:3])}); {CHECKPOINT_FIX}"
    for file in files:
        try:
            with safe_open(str(file), framework="pt"):
                pass
        except Exception as error:  # noqa: BLE001 - safetensors raises its own error type for a damaged file
            reason = " ".join(str(error).split())
            return f"{file} is damaged ({reason}); {CHECKPOINT_FIX}"
    return None


def checkpoint_errors() -> tuple[type[BaseException], ...]:
    """What ``from_pretrained`` raises for a damaged or incomplete checkpoint (not, say, out of memory)."""
    import pickle

    from safetensors import SafetensorError

    return (OSError, ValueError, pickle.UnpicklingError, SafetensorError)


def unreadable_model(name: str, error: BaseException) -> str:
    """One line for a model that failed to load after its checks passed (a damaged .bin, a bad config)."""
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"{name!r} can't be loaded ({type(error).__name__}: {first}); {CHECKPOINT_FIX}"


def model_available(name: str) -> bool:
    """A local folder, or a hub id that can be downloaded now or is in the local cache."""
    from pathlib import Path

    if Path(name).exists() or (not offline_mode() and hub_reachable()):
        return True
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(name, "config.json"), str)


def unavailable_model(name: str, pass_local: str) -> str | None:
    """Why a model can't be had here (not a local folder, no Hub, not in the cache), with how to pass a local
    copy where it was named (``--model path/to/model``, ``model.name_or_path=/path/to/model``); None when
    it can be had."""
    if model_available(name):
        return None
    return (
        f"model {name!r} is not a local folder, the Hugging Face Hub can't be reached, and it is not in the local "
        f"cache. Pass a local copy: {pass_local}. No network at all? `make demo` trains and evaluates a "
        "model that ships with this repository, offline."
    )
