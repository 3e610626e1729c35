"""Process set-up for the faces (the CLI, the app, a script using the Python API): environment defaults
that keep the libraries we load offline and quiet. The library itself changes nothing process-wide;
a face calls `configure_process()` once, before models load.

    >>> configure_process({})["HF_HUB_OFFLINE"]
    '1'
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

DEFAULTS = {
    # no lookups of hub hosts that are not reachable (each costs seconds), no analytics calls
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    # tokenizers' thread pool warns and deadlocks after a fork (the test suite's forking indexer)
    "TOKENIZERS_PARALLELISM": "false",
    # else importing onnxruntime writes a device id under ~/.cache/Microsoft for its telemetry
    "ORT_DISABLE_TELEMETRY": "1",
}


def configure_process(environ: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    """Set `DEFAULTS` in `environ` (default: this process's environment) where they are not set."""
    env = os.environ if environ is None else environ
    for key, value in DEFAULTS.items():
        env.setdefault(key, value)
    return env
