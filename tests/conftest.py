import pathlib
import sys

# tests/accuracy.py is shared by the tests and by `python tests/accuracy.py`.
sys.path.insert(0, str(pathlib.Path(__file__).parent))
