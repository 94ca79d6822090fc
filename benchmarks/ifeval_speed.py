"""How fast IFEval scoring runs: responses per second, strict + loose, one process.

    python benchmarks/ifeval_speed.py [--inputs input_data.jsonl] [--responses gpt4.jsonl] [--repeat 3]

Defaults to the shared IFEval data (../shared/data/ifeval). The first (cold) pass includes
loading langdetect's language profiles; the warm figure is the best of the repeats, each
with the language-detection cache emptied first.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.ifeval import load_inputs, score_ifeval  # noqa: E402
from verifiers import get_verifier  # noqa: E402
from verifiers.ifeval.text import detect_language  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ifeval"


def main() -> None:
    """Print cold and warm responses/s for score_ifeval and for the strict verifier alone."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", default=str(DATA / "input_data.jsonl"))
    parser.add_argument("--responses", default=str(DATA / "gpt4_responses_20231107.jsonl"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    report = score_ifeval(args.inputs, args.responses)
    cold = time.perf_counter() - start
    n = report.n_prompts
    warm = []
    for _ in range(args.repeat):
        detect_language.cache_clear()  # measure real work, not cache hits
        start = time.perf_counter()
        score_ifeval(args.inputs, args.responses)
        warm.append(time.perf_counter() - start)

    verify = get_verifier("ifeval")
    by_prompt = {r.prompt: r.response for r in report.results}
    pairs = [(by_prompt[x["prompt"]], x) for x in load_inputs(args.inputs)]
    detect_language.cache_clear()
    start = time.perf_counter()
    for response, row in pairs:
        verify(response, row, prompt=row["prompt"])
    strict_only = time.perf_counter() - start

    print(f"IFEval: {n} responses, {report.n_instructions} instructions "
          f"(prompt-level strict {100 * report.prompt_strict:.2f})")
    print(f"score_ifeval strict+loose, cold: {cold:.2f} s  ({n / cold:.0f} responses/s)")
    print(f"score_ifeval strict+loose, warm: {min(warm):.2f} s  ({n / min(warm):.0f} responses/s)")
    print(f"ifeval verifier (strict) only:   {strict_only:.2f} s  ({n / strict_only:.0f} responses/s)")


if __name__ == "__main__":
    main()
