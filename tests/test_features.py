"""What GRPO users ask for most, on the tiny model: difficulty filtering, dynamic sampling, evaluation
during training, model cards and the Hub push, trackers, and a time budget."""

import importlib.util
import json
from pathlib import Path

import pytest

from eval.generate import Sample
from eval.run import evaluate
from recipes.checks import parse_recipe
from recipes.recipe_yaml import load_recipe
from recipes.schema import RecipeError
from recipes.train import main, train
from recipes.training_data import load_training_data

ROOT = Path(__file__).resolve().parents[1]
SMOKE = str(ROOT / "recipes" / "smoke.yaml")


class SolvesEvenIds:
    """A canned policy: right on the problems whose question mentions an even first operand, else wrong."""

    def __init__(self):
        from recipes.tiny_model import build_tokenizer

        self.tokenizer = build_tokenizer()
        self.batch_size = 8

    def generate_batches(self, prompts, settings):
        import data

        rows = {r["question"]: r for r in data.load("arithmetic", split="train", limit=16, levels=[1])}
        for start in range(0, len(prompts), self.batch_size):
            batch = prompts[start : start + self.batch_size]
            samples = []
            for prompt in batch:
                row = next(r for q, r in rows.items() if q in prompt)
                first = int(row["question"].split()[2])
                right = f"1 + 1 = 2\nThe answer is {row['answer']}."
                wrong = "1 + 1 = 2\nThe answer is -1."
                texts = [right if first % 2 == 0 else wrong] * settings.n
                if first % 4 == 0:
                    texts[0] = wrong  # some problems are solved only sometimes
                samples.append([Sample(t, 9, False) for t in texts])
            yield list(range(start, start + len(batch))), samples


def test_pass_rates_measured_on_the_train_split_filter_the_training_problems(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    evaluate(
        "canned", ["arithmetic"], template="answer_is", n=4, temperature=0.7, limit=16, levels=[1], split="train",
        out=tmp_path / "rates", generator=SolvesEvenIds(),
    )  # fmt: skip
    path = tmp_path / "rates" / "arithmetic" / "pass_rates.jsonl"
    rates = {r["id"]: r["pass_rate"] for r in map(json.loads, path.open())}
    assert len(rates) == 16 and set(rates.values()) <= {0.0, 0.75, 1.0} and 0.75 in rates.values()
    recipe = parse_recipe(
        load_recipe(
            SMOKE, ["data.limit=16", "data.seed=0", f"data.pass_rate={{file: {path}, min: 0.1, max: 0.9}}"]
        )
    )
    kept = load_training_data(recipe)
    assert len(kept) == sum(0.1 <= r <= 0.9 for r in rates.values()) > 0
    assert all(rates[i] == 0.75 for i in kept["id"])


def test_dynamic_sampling_replaces_groups_without_reward_spread(tmp_path):
    summary = train(
        SMOKE,
        [
            f"output_dir={tmp_path}",
            "dynamic_sampling={max_rounds: 3}",
            "trainer.max_steps=2",
            "trainer.save_steps=100",
        ],
    )
    assert summary["global_step"] == 2
    logged = [e for e in json.loads((tmp_path / "log_history.json").read_text()) if "reward" in e]
    assert all(1 <= e["dynamic_sampling/rounds"] <= 3 for e in logged)
    assert all(0 <= e["dynamic_sampling/informative_groups"] <= 1 for e in logged)


def test_evaluation_during_training_is_logged_and_drawn_and_the_run_writes_a_model_card(tmp_path):
    eval_section = "eval={benchmarks: [arithmetic], levels: [1], limit: 3, every_steps: 2, during_training_limit: 3, max_new_tokens: 8}"
    summary = train(
        SMOKE, [f"output_dir={tmp_path}", eval_section, "trainer.max_steps=4", "trainer.save_steps=100"]
    )
    history = json.loads((tmp_path / "log_history.json").read_text())
    evaluations = [e for e in history if "eval/arithmetic/pass@1" in e]
    assert [e["step"] for e in evaluations] == [2, 4]
    assert all("eval/arithmetic/pass@1_lenient" in e for e in evaluations)
    assert (tmp_path / "eval_during_training" / "step-000002" / "arithmetic" / "samples.jsonl").exists()
    assert summary["eval"]["arithmetic"]["n_problems"] == 3  # the final evaluation, with the same code
    card = (tmp_path / "final" / "README.md").read_text()
    assert card.startswith("---\nbase_model: tiny") and "## Training" in card and "## Evaluation" in card
    assert "Reward `accuracy`, weight 1.0" in card and "| arithmetic | 3 |" in card and "- trl 1.16.0" in card


def test_the_hub_push_uploads_the_final_folder_with_its_card(tmp_path, monkeypatch):
    import huggingface_hub

    from recipes import model_card

    calls = []

    class FakeApi:
        def create_repo(self, repo_id, private=None, exist_ok=False):
            calls.append(("create", repo_id, exist_ok))
            return f"https://huggingface.co/{repo_id}"

        def upload_folder(self, folder_path, repo_id, commit_message):
            calls.append(("upload", Path(folder_path).name, repo_id))

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    (tmp_path / "final").mkdir()
    assert model_card.push(tmp_path / "final", "me/tiny-grpo") == "https://huggingface.co/me/tiny-grpo"
    assert calls == [("create", "me/tiny-grpo", True), ("upload", "final", "me/tiny-grpo")]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("trainer.push_to_hub=true", "push_to_hub needs the Hugging Face Hub"),
        pytest.param(
            "trainer.report_to=[wandb]",
            "trainer.report_to 'wandb' is not installed or not configured: make setup-tracking",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("wandb") is not None, reason="wandb is installed"
            ),
        ),
    ],
)
def test_trackers_and_the_hub_are_checked_before_the_model_loads(override, expected, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main([SMOKE, override, "--dry-run"]) == 2
    assert expected in capsys.readouterr().err


def test_a_time_budget_stops_the_run_as_finished(tmp_path):
    summary = train(SMOKE, [f"output_dir={tmp_path}", "trainer.max_steps=10000", "guard={max_minutes: 0.02}"])
    assert 1 <= summary["global_step"] < 10000 and summary["final_model"]
    assert "guard.max_minutes" in summary["time_budget"]


def test_a_bad_pass_rate_file_is_one_line(tmp_path):
    path = tmp_path / "rates.jsonl"
    path.write_text('{"problem": 1}\n')
    with pytest.raises(RecipeError, match="rates.jsonl, line 1: no problem id"):  # found by the recipe check
        parse_recipe(load_recipe(SMOKE, [f"data.pass_rate={{file: {path}}}"]))
