"""Judge throughput: one forward pass per judgement vs the judge service's batcher.

A randomly initialised Llama-architecture LM of a given shape (``--shape``: ``0.5b`` is Qwen2-0.5B's
shape, ``small`` a 4-layer model for CPU) reads 256-token prompts and decides from its two
verdict tokens' logits, as ``grader.lm.judge.HFJudge`` does. ``callers`` threads judge
either directly, one request per pass, or through ``JudgeService`` (concurrent requests
share passes). Random weights give the cost, not the verdicts.

    python benchmarks/judge_throughput.py --shape small --out benchmarks/results/judge_cpu
    python benchmarks/judge_throughput.py --shape 0.5b --device cuda --n 4096   # on a GPU
    python benchmarks/judge_throughput.py --model default --out benchmarks/results/judge_default_cpu
    python benchmarks/judge_throughput.py --shape 0.5b --host-ceiling --n 8192 --callers 256 --max-batch 128

``--host-ceiling`` swaps the model for one whose forward pass costs nothing: what is left is the
host side (prompts, tokenizing, batching, the callers), the most judgements/s this machine can
feed a GPU however fast it is. ``--device-ms MS`` makes that forward pass a stand-in for one
device: it holds a lock (passes run one at a time) and sleeps MS per 64 prompts without the GIL,
as a thread waiting on CUDA does; ``--workers`` then shows what a second batcher thread gains.

``--model default`` measures the shipped cross-encoder judge (judge_model/default) instead, on
generated (question, reference, answer) pairs like those it is asked about: an extracted answer,
the reference and the question's end, at most 128 tokens.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lm_throughput import measure  # noqa: E402  (the same callers-and-latencies loop as the extractor's)

SHAPES = {  # hidden, layers, heads, kv heads, intermediate, vocab
    "small": (256, 4, 4, 2, 1024, 8000),
    "0.5b": (896, 24, 14, 2, 4864, 151936),
}


def build_tokenizer(shape: str, folder: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab_size = SHAPES[shape][5]
    words = ["[PAD]", "[EOS]", "[UNK]", "Correct", "Incorrect", *(f"w{i}" for i in range(vocab_size - 5))]
    tok = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", eos_token="[EOS]",
                            unk_token="[UNK]").save_pretrained(folder)


def build_model(shape: str, folder: Path) -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    hidden, layers, heads, kv, intermediate, vocab_size = SHAPES[shape]
    build_tokenizer(shape, folder)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                         num_attention_heads=heads, num_key_value_heads=kv, intermediate_size=intermediate,
                         max_position_embeddings=4096, pad_token_id=0, bos_token_id=1, eos_token_id=1)
    LlamaForCausalLM(config).save_pretrained(folder)


def free_forward_judge(shape: str, folder: Path, device_ms: float = 0.0):
    """An HFJudge whose model answers at once (every row's logits one vocabulary-wide view of zeros),
    or, with ``device_ms``, after a stand-in device's time: one pass at a time, MS per 64 prompts."""
    import time
    import types

    import torch
    from transformers import AutoTokenizer

    from grader.lm.judge import TEMPLATES, HFJudge

    vocab_size = SHAPES[shape][5]
    device = threading.Lock()

    class FreeForward(torch.nn.Module):
        def forward(self, input_ids, attention_mask=None, logits_to_keep=None):
            if device_ms:
                with device:
                    time.sleep(device_ms / 1000 * len(input_ids) / 64)
            return types.SimpleNamespace(logits=torch.zeros(1, 1, 1).expand(len(input_ids), 1, vocab_size))

    build_tokenizer(shape, folder)
    return HFJudge(FreeForward(), AutoTokenizer.from_pretrained(folder, local_files_only=True), TEMPLATES["plain"])


def requests(n: int, tokens: int, vocab: int):
    from grader.lm.judge import JudgeRequest
    rng = random.Random(0)

    def words(k: int) -> str:
        return " ".join(f"w{rng.randrange(vocab - 5)}" for _ in range(k))
    # The plain template adds about 20 words; the rest is question, reference and answer.
    return [JudgeRequest(words(tokens - 60), words(10), words(20)) for _ in range(n)]


def pair_requests(n: int):
    """Judge requests like the math verifier's: generated answer pairs, each with a question."""
    from grader.lm.judge import JudgeRequest
    from judge_model.data import generate

    return [JudgeRequest(p.question or "Find all real solutions of the equation.", p.reference, p.answer)
            for p in generate(n, 7)]


def forward_alone(judge, items, batch: int, passes: int = 5) -> float:
    """Judgements/s of the model alone: passes over one batch already tokenized and on the device,
    timed to the device's end. What no host-side change can exceed at this batch size."""
    import time

    import torch

    inputs = judge.model_inputs(judge.token_rows([judge.prompt(r.capped()) for r in items[:batch]]))
    sync = torch.cuda.synchronize if judge.device.startswith("cuda") else (lambda: None)
    with torch.inference_mode():
        judge.model(**inputs)  # warm
        sync()
        start = time.perf_counter()
        for _ in range(passes):
            judge.model(**inputs)
        sync()
    return round(passes * len(inputs["input_ids"]) / (time.perf_counter() - start), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="small")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n", type=int, default=64, help="judgements per measurement")
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--callers", type=int, default=32)
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--model", help="`default`: the shipped cross-encoder judge (or a judge_model folder) "
                                        "instead of a random --shape LM")
    parser.add_argument("--host-ceiling", action="store_true",
                        help="a model whose forward pass costs nothing: the host side's ceiling")
    parser.add_argument("--device-ms", type=float, default=0.0,
                        help="with --host-ceiling: a stand-in device taking this many ms per 64 prompts")
    parser.add_argument("--workers", type=int, default=None,
                        help="the judge's batcher threads (default: 2 on an accelerator, else 1)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--out", help="write OUT.md and OUT.json")
    args = parser.parse_args()
    if args.device_ms and not args.host_ceiling:
        parser.error("--device-ms stands in for the forward pass: it goes with --host-ceiling")
    import torch

    from grader.lm.judge import CrossEncoderJudge, HFJudge, JudgeService
    from grader.verifiers.base import ModelQuery

    if args.threads:
        torch.set_num_threads(args.threads)
    judge: HFJudge | CrossEncoderJudge
    if args.model:
        judge = CrossEncoderJudge.load(None if args.model == "default" else args.model, device=args.device)
        items = pair_requests(args.n)
        subject = f"the {'shipped' if args.model == 'default' else args.model} cross-encoder judge, generated pairs"
    else:
        with tempfile.TemporaryDirectory() as folder:
            if args.host_ceiling:
                judge = free_forward_judge(args.shape, Path(folder), args.device_ms)
            else:
                build_model(args.shape, Path(folder))
                judge = HFJudge.load(folder, "plain", device=args.device)
        items = requests(args.n, args.tokens, SHAPES[args.shape][5])
        free = (f"a stand-in device at {args.device_ms:g} ms per 64 prompts" if args.device_ms
                else "the forward pass free (the host's ceiling)")
        subject = (f"{args.shape}-shaped tokenizer, {free}" if args.host_ceiling
                   else f"random {args.shape}-shaped causal LM") + f", {args.tokens}-token prompts"
    judge.judge_batch(items[:2])  # warm
    lock = threading.Lock()

    def single(item):
        with lock:  # one pass at a time, as a model without a batcher serves concurrent callers
            return judge.judge_batch([item])

    one = measure(single, items, args.callers)
    service = JudgeService(judge, max_batch=args.max_batch, max_wait_ms=5, workers=args.workers)
    try:
        batched = measure(lambda r: service.ask(ModelQuery("judge", r.answer, question=r.question,
                                                           reference=r.reference)), items, args.callers)
    finally:
        service.close()
    measurable = isinstance(judge, HFJudge) and not args.host_ceiling
    alone = forward_alone(judge, items, args.max_batch) if measurable else None
    rows = {"model": args.model or ("free forward, " if args.host_ceiling else "random ") + args.shape,
            "device": args.device,
            "threads": torch.get_num_threads(), "tokens": "pairs, <= 128" if args.model else args.tokens,
            "callers": args.callers, "workers": service.batcher.workers if service.batcher else 1,
            "unbatched_per_s": one["seq_per_s"], "batched_per_s": batched["seq_per_s"],
            "ratio": round(batched["seq_per_s"] / one["seq_per_s"], 2),
            "unbatched_p50_ms": one["p50_ms"], "batched_p50_ms": batched["p50_ms"],
            "forward_alone_per_s": alone}
    print(json.dumps(rows, indent=2))
    if args.out:
        lines = [f"# Judge throughput: {subject}, {args.device} ({rows['threads']} threads), "
                 f"{args.callers} callers, {rows['workers']} batcher thread(s)", "",
                 "| path | judgements/s | p50 ms |", "|---|---:|---:|",
                 f"| one pass per judgement | {rows['unbatched_per_s']} | {rows['unbatched_p50_ms']} |",
                 f"| JudgeService (batched) | {rows['batched_per_s']} | {rows['batched_p50_ms']} |", "",
                 f"Batched / unbatched: {rows['ratio']}x."]
        if alone is not None:
            lines += ["", f"The forward pass alone (batches of {args.max_batch}, tokenized and on the device "
                          f"beforehand): {alone} judgements/s."]
        Path(args.out + ".md").write_text("\n".join(lines) + "\n")
        Path(args.out + ".json").write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
