"""Builtin arithmetic task, data sources and the resumable stream."""

import json

import pytest

from reasoner.data.arithmetic import ArithmeticConfig, ArithmeticTask, corrupt, slipped, solve, split_of
from reasoner.data.sources import DataError, load_problems, problems_from_rows
from reasoner.data.stream import ProblemStream
from verifiers import get_verifier


def test_solution_steps_and_answer():
    sol = solve([7, 5, 3, 8], ["+", "-", "+"])
    assert [s.text for s in sol.steps] == ["7 + 5 = 12", "12 - 3 = 9", "9 + 8 = 17"]
    assert sol.answer == 17 and sol.labels == [True, True, True]
    assert sol.text.endswith("\\boxed{17}") and sol.text.count("\n") == 3


def test_splits_disjoint_by_construction():
    cfg = ArithmeticConfig(difficulty=2, digits=1)
    train = {p.metadata["canonical"] for p in ArithmeticTask(cfg, "train", 0).problems(2000)}
    test = {p.metadata["canonical"] for p in ArithmeticTask(cfg, "test", 0).problems(300)}
    assert train.isdisjoint(test)
    assert all(split_of(c, cfg.heldout_fraction) == "test" for c in test)


def test_seeded_and_difficulty_knob():
    a = ArithmeticTask(ArithmeticConfig(difficulty=3), "train", seed=1).problems(5)
    b = ArithmeticTask(ArithmeticConfig(difficulty=3), "train", seed=1).problems(5)
    c = ArithmeticTask(ArithmeticConfig(difficulty=3), "train", seed=2).problems(5)
    assert [p.prompt for p in a] == [p.prompt for p in b] != [p.prompt for p in c]
    assert all(len(p.metadata["step_labels"]) == 3 for p in a)


def test_reference_solutions_verify():
    v = get_verifier("numeric")
    for p in ArithmeticTask(ArithmeticConfig(difficulty=3, ops=("+", "-", "*")), "test", 0).problems(50):
        assert v(p.metadata["solution"], p.ground_truth).correct


def test_corrupted_solution_marks_first_error():
    import random

    rng = random.Random(0)
    v = get_verifier("numeric")
    for _ in range(50):
        ops, operands = ["+", "-", "+"], [rng.randint(1, 9) for _ in range(4)]
        bad = corrupt(operands, ops, rng)
        k = bad.first_error
        assert bad.labels == [i < k for i in range(3)]
        good = solve(operands, ops)
        assert bad.steps[:k] == good.steps[:k] and bad.steps[k] != good.steps[k]
        assert not v(bad.text, str(good.answer)).correct


def test_word_problems():
    p = ArithmeticTask(ArithmeticConfig(difficulty=2, word_problems=1.0), "train", 0).problem(0)
    assert "apples" in p.prompt[0]["content"]


def test_row_without_ground_truth_names_row(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text(json.dumps({"prompt": "1+1", "answer": "2"}) + "\n" + json.dumps({"prompt": "2+2"}) + "\n")
    with pytest.raises(DataError, match=r"d\.jsonl row 1: no ground truth under key 'answer'"):
        load_problems({"source": "jsonl", "train_path": str(f), "task": "math"}, "train")


def test_bad_json_line_names_line(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text('{"prompt": "1", "answer": "1"}\n{oops\n')
    with pytest.raises(DataError, match=r"d\.jsonl:2: invalid JSON"):
        load_problems({"source": "jsonl", "train_path": str(f)}, "train")


def test_rows_with_template_and_system():
    probs = problems_from_rows([{"q": "What is 2+2?", "a": "4", "id": 7}], "mem", "math", prompt_key="q",
                               answer_key="a", id_key="id", system_prompt="Be brief.",
                               prompt_template="{prompt} Box it.")
    p = probs[0]
    assert p.id == "7" and p.ground_truth == "4" and p.task == "math"
    assert p.prompt == [{"role": "system", "content": "Be brief."},
                        {"role": "user", "content": "What is 2+2? Box it."}]


def test_stream_resumes_exactly():
    probs = ArithmeticTask(ArithmeticConfig(), "train", 0).problems(10)
    a = ProblemStream(probs, seed=3)
    first = [p.id for p in a.next_batch(7)]
    state = a.state_dict()
    rest = [p.id for p in a.next_batch(9)]
    b = ProblemStream(probs, seed=3)
    b.load_state_dict(state)
    assert [p.id for p in b.next_batch(9)] == rest
    assert sorted(first + rest[:3]) == sorted(p.id for p in probs)  # one epoch covers every problem once


def test_answer_only_share_of_sft_targets():
    task = ArithmeticTask(ArithmeticConfig(difficulty=3, digits=1, answer_only=0.6), "train", 0)
    probs = task.problems(500)
    terse = [p for p in probs if p.metadata["solution"].startswith("\\boxed{")]
    assert 0.5 < len(terse) / len(probs) < 0.7
    v = get_verifier("numeric")
    for p in probs[:50]:  # terse or worked, the SFT target is right; the worked one is always kept
        assert v(p.metadata["solution"], p.ground_truth).correct
        assert p.metadata["worked_solution"].count("\n") == 3


@pytest.mark.parametrize("operands,ops,steps,first", [
    ([9, 9, 5, 3], ["+", "-", "+"], ["9 + 9 = 8", "8 - 5 = 3", "3 + 3 = 6"], 0),  # carry forgotten
    ([3, 4, 8, 2], ["+", "+", "-"], ["3 + 4 = 7", "7 + 8 = 5", "5 - 2 = 3"], 1),
    ([12, 5, 1], ["-", "+"], ["12 - 5 = 17", "17 + 1 = 18"], 0),  # borrow forgotten
    ([3, 8, 9], ["-", "-"], ["3 - 8 = -5", "-5 - 9 = -4"], 1),  # crossing zero is exact; -14 -> -4
    ([2, 3, 4], ["+", "*"], ["2 + 3 = 5", "5 * 4 = 20"], None),  # no carry: the exact solution
])
def test_sloppy_teacher_forgets_carries_and_borrows(operands, ops, steps, first):
    sol = slipped(operands, ops)
    assert [s.text for s in sol.steps] == steps
    assert sol.first_error == first
    assert sol.labels == [first is None or i < first for i in range(len(steps))]
    if first is None:
        assert sol.text == solve(operands, ops).text


def test_teacher_slips_share_changes_sft_targets_only():
    cfg = dict(difficulty=3, digits=1)
    exact = ArithmeticTask(ArithmeticConfig(**cfg), "train", 0).problems(400)
    noisy = ArithmeticTask(ArithmeticConfig(**cfg, teacher_slips=0.5), "train", 0).problems(400)
    v = get_verifier("numeric")
    wrong = 0
    for e, n in zip(exact, noisy):
        assert (e.prompt, e.ground_truth, e.metadata["worked_solution"]) == (
            n.prompt, n.ground_truth, n.metadata["worked_solution"])  # questions and answers stay exact
        wrong += not v(n.metadata["solution"], n.ground_truth).correct
    assert 0.2 < wrong / 400 < 0.4  # half the targets are sloppy; about half of those carry or borrow
