"""Entry point of a worker process: ``python -m grader.execution._entry FD MEMORY_LIMIT [WARM_UP]``."""

import sys
from multiprocessing.connection import Connection

from grader.execution.workers import worker_main

if __name__ == "__main__":
    worker_main(Connection(int(sys.argv[1])), int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "")
