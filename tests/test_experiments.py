"""The experiments' pieces on the tiny model: the pass@k / maj@k curves against brute force, and the
make targets' wiring end to end (commands, reuse, report and figure)."""

import itertools
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from eval.statistics import curves, paired_gain
from experiments import r1zero, sharpening
from experiments.r1zero import tag_shares
from recipes.tiny_model import save_tiny_model

ROOT = Path(__file__).resolve().parents[1]


def _brute_force(records, n, k):
    """pass@k and maj@k as the mean over every k-subset of each problem's samples (numbers as answers:
    equal text is the same answer; ties go to the answer seen first)."""
    passes, majorities = [], []
    for record in records:
        subsets = list(itertools.combinations(range(n), k))
        passes.append(sum(any(record["correct"][i] for i in s) for s in subsets) / len(subsets))
        wins = 0
        for subset in subsets:
            answers = [record["answers"][i] for i in subset if record["answers"][i] is not None]
            if not answers:
                continue
            counts = Counter(answers)
            best = max(counts.values())
            winner = next(a for a in answers if counts[a] == best)
            wins += record["correct"][subset[[record["answers"][i] for i in subset].index(winner)]]
        majorities.append(wins / len(subsets))
    return sum(passes) / len(passes), sum(majorities) / len(majorities)


def test_curves_match_brute_force_enumeration():
    rng = random.Random(1)
    n = 5
    records = []
    for _ in range(12):
        answers = [rng.choice(["3", "4", "5", None]) for _ in range(n)]
        records.append({"answers": answers, "correct": [a == "4" for a in answers]})
    computed = curves(records, n, bootstrap=50)
    for k in range(1, n + 1):
        passed, majority = _brute_force(records, n, k)
        assert computed["pass"][k - 1] == pytest.approx(passed)
        assert computed["maj"][k - 1] == pytest.approx(majority)  # C(5, k) <= 20: every subset is taken
        low, high = computed["pass_band"]
        assert low[k - 1] <= computed["pass"][k - 1] <= high[k - 1]


def test_paired_gain_is_the_mean_difference_on_shared_problems_with_a_paired_interval():
    rng = random.Random(2)
    n = 4

    def records(p_correct, ids):
        rows = []
        for i in ids:
            answers = [rng.choice(["4", "5"]) if rng.random() > p_correct else "4" for _ in range(n)]
            rows.append({"id": i, "answers": answers, "correct": [a == "4" for a in answers]})
        return rows

    before = curves(records(0.2, range(20)), n, bootstrap=20)
    after = curves(records(0.7, range(5, 25)), n, bootstrap=20)  # problems 5..19 are shared
    shared = range(5, 20)
    for key in ("pass", "maj"):
        gain = paired_gain(before, after, key, bootstrap=200)
        for k in range(n):
            expected = (
                sum(after["per_problem"][i][key][k] - before["per_problem"][i][key][k] for i in shared) / 15
            )
            assert gain[k][0] == pytest.approx(expected)
            assert gain[k][1] <= gain[k][0] <= gain[k][2]
    # the same model against itself: every resample differs by exactly zero, so the interval has no width
    assert all(g == (0.0, 0.0, 0.0) for g in paired_gain(before, before, "pass", bootstrap=50))
    with pytest.raises(ValueError, match="share no problem"):
        paired_gain(before, curves(records(0.5, ["x"]), n, bootstrap=5), "pass")


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    return str(save_tiny_model(folder / "before", seed=0)), str(save_tiny_model(folder / "after", seed=1))


def test_the_sharpening_target_writes_its_report_and_figure(tiny_models, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    before, after = tiny_models
    argv = [
        "--model",
        before,
        "--after",
        after,
        "--n",
        "2",
        "--problems",
        "3",
        "--levels",
        "1",
        "2",
    ]
    assert sharpening.main([*argv, "--out", str(tmp_path)]) == 0
    report = (tmp_path / "report.md").read_text()
    assert "| 1 | before |" in report and "| 2 | after GRPO |" in report and "pass@n" in report
    assert "| 2 | maj@k |" in report and "k=2 |" in report  # the paired change table
    assert (tmp_path / "sharpening.png").stat().st_size > 0
    samples = [
        json.loads(line) for line in (tmp_path / "level2_after" / "arithmetic" / "samples.jsonl").open()
    ]
    assert len(samples) == 3 and all(len(s["completions"]) == 2 and s["level"] == 2 for s in samples)


def test_the_r1zero_target_trains_and_measures_the_format(tiny_models, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    before, _ = tiny_models
    train_args = [
        "trainer.per_device_train_batch_size=8",
        "trainer.num_generations=4",
        "trainer.max_completion_length=16",
        "trainer.learning_rate=1e-3",
        "trainer.report_to=[]",
        "data.limit=32",
    ]
    argv = [
        "--model",
        before,
        "--minutes",
        "0.05",
        "--limit",
        "4",
        "--out",
        str(tmp_path),
        "--train-args",
        *train_args,
    ]
    assert r1zero.main(argv) == 0
    report = (tmp_path / "report.md").read_text()
    assert "| before |" in report and "| after |" in report and "format compliance" in report
    assert (tmp_path / "r1zero.png").stat().st_size > 0
    summary = json.loads((tmp_path / "seed0" / "train" / "summary.json").read_text())
    assert summary["final_model"] and "guard.max_minutes" in summary["time_budget"]
    rows = [json.loads(line) for line in (tmp_path / "seed0" / "train" / "completions.jsonl").open()]
    assert set(rows[0]["rewards"]) == {"accuracy", "format", "tag_count"} and rows[0]["prompt"].endswith(
        "Assistant:"
    )


def test_train_once_reuses_a_finished_run_and_starts_an_unfinished_one_over(tmp_path, monkeypatch):
    """Runs are compared at equal minutes; a resume would restart guard.max_minutes, so no resuming here."""
    import experiments.runner as experiments

    calls = []

    def fake_run(command, log):
        calls.append(command)
        train = Path(next(a for a in command if a.startswith("output_dir=")).split("=", 1)[1])
        assert not (train / "checkpoint-3").exists(), "the unfinished run's checkpoint was resumed"
        train.mkdir(parents=True, exist_ok=True)
        (train / "summary.json").write_text(json.dumps({"final_model": str(train / "final")}))

    monkeypatch.setattr(experiments, "run_step", fake_run)
    run = tmp_path / "run"
    (run / "train" / "checkpoint-3").mkdir(parents=True)
    summary = experiments.train_once(run, ["seed=0"])
    assert summary["final_model"].endswith("final") and len(calls) == 1
    experiments.train_once(run, ["seed=0"])
    assert len(calls) == 1, "a finished run was trained again"


def test_tag_shares_count_completions_holding_each_tag(tmp_path):
    samples = tmp_path / "samples.jsonl"
    rows = [
        {"completions": ["<think>a</think><answer>1</answer>", "plain text"]},
        {"completions": ["<answer>2", "<think>b"]},
    ]
    samples.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert tag_shares(samples) == [0.5, 0.25, 0.5, 0.25]
