"""Where work runs: killable worker processes and a batched pool of them for asyncio servers."""
