"""Score responses with the benchmark's verifier: per-sample records for the JSONL and metrics.

Math and code go through a `VerifierPool` (worker processes, a hard per-item timeout,
nothing raises; the math verifier answers most items on its in-process fast path).
IFEval goes through `evals.ifeval.score_ifeval`, which gives strict and loose verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reasoner.types import Problem
from verifiers import Verdict, VerifierPool, get_verifier


def vote_key(verdict: Verdict) -> str | None:
    """The answer a sample votes for in maj@k: its normalised extracted answer (numbers by value)."""
    if verdict.extracted is None:
        return None
    from verifiers.math import normalize
    from verifiers.math.numbers import parse_number

    norm = str(verdict.info.get("normalized") or normalize(str(verdict.extracted)))
    try:
        num = parse_number(norm)
    except Exception:  # noqa: BLE001 - unparsable is just not a number
        num = None
    if num is not None and not getattr(num, "percent", False):
        return f"num:{num.value}"
    return f"str:{norm}"


def _trim_info(info: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(info)
    if "tests" in out:  # code: keep each test's status and a short detail
        out["tests"] = [{"index": t.get("index"), "status": t.get("status"),
                         "detail": str(t.get("detail"))[:300]} for t in out["tests"]]
    return out


class Scorer:
    """Turns (problem, responses) into per-sample records; reuse it across batches, then `close`."""

    def __init__(self, bcfg: Mapping[str, Any], workers: int = 2, timeout_s: float | None = None) -> None:
        self.kind = str(bcfg.get("loader"))
        self.majority = bool(bcfg.get("majority", False))
        self.verifier = str(bcfg["verifier"])
        self.timeout_s = float(timeout_s or bcfg.get("scoring_timeout_s") or 30.0)
        self.pool: VerifierPool | None = None
        if self.kind != "ifeval":
            options = dict(bcfg.get("verifier_options") or {})
            # options the pool itself takes (e.g. the code verifier's own timeout_s) cannot go by
            # name: hand the pool a built (picklable) verifier instead
            target: Any = get_verifier(self.verifier, **options) if options else self.verifier
            self.pool = VerifierPool(target, workers=workers, timeout_s=self.timeout_s)

    def score(self, items: Sequence[tuple[Problem, Sequence[str]]]) -> list[list[dict[str, Any]]]:
        """For each (problem, responses): one record per response, in order."""
        flat = [(p, r) for p, responses in items for r in responses]
        if self.kind == "ifeval":
            records = self._ifeval(flat)
        else:
            assert self.pool is not None
            verdicts = self.pool.map([(r, p.ground_truth) for p, r in flat])
            records = [self._record(v) for v in verdicts]
        out, pos = [], 0
        for _, responses in items:
            out.append(records[pos : pos + len(responses)])
            pos += len(responses)
        return out

    def _record(self, v: Verdict) -> dict[str, Any]:
        return {"extracted": v.extracted, "vote": vote_key(v) if self.majority else None,
                "correct": bool(v.correct), "score": float(v.score), "reason": v.reason,
                "info": _trim_info(v.info)}

    @staticmethod
    def _ifeval(flat: Sequence[tuple[Problem, str]]) -> list[dict[str, Any]]:
        from evals.ifeval import score_ifeval

        if not flat:
            return []
        rows = [{"key": p.metadata.get("key"), "prompt": p.metadata["fields"]["prompt"], **p.ground_truth}
                for p, _ in flat]
        report = score_ifeval(rows, [r for _, r in flat])
        out = []
        for res in report.results:
            ok = bool(all(res.strict))
            broken = [i for i, s in zip(res.instruction_id_list, res.strict, strict=True) if not s]
            out.append({"extracted": None, "vote": None, "correct": ok, "score": float(ok),
                        "reason": None if ok else "not followed (strict): " + ", ".join(broken),
                        "strict": list(res.strict), "loose": list(res.loose),
                        "instruction_id_list": list(res.instruction_id_list)})
        return out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()

    def __enter__(self) -> Scorer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
