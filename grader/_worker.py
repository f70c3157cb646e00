"""Entry point of a sandbox worker process: ``python -m grader._worker FD MEMORY_LIMIT``."""

import sys
from multiprocessing.connection import Connection

from grader.sandbox import worker_main

if __name__ == "__main__":
    worker_main(Connection(int(sys.argv[1])), int(sys.argv[2]))
