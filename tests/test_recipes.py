"""Paper recipes follow their sources: every stated setting resolves to the source's value or is a listed
departure, nothing drifts silently, and the capabilities the sources need work (levels, mixtures,
strict rewards, several updates per rollout, the R1-Zero recipe on the tiny model)."""

import json
from pathlib import Path

import pytest

from recipes.checks import parse_recipe
from recipes.dry_run import describe_batches
from recipes.provenance import compare, problems
from recipes.recipe_yaml import load_recipe
from recipes.resolve import resolve_run
from recipes.schema import RecipeError
from recipes.train import main, train

ROOT = Path(__file__).resolve().parents[1]
PAPER_RECIPES = sorted(p.name for p in (ROOT / "recipes").glob("*.yaml") if "\npaper:" in p.read_text())


def _rows(name, overrides=()):
    return compare(resolve_run(str(ROOT / "recipes" / name), list(overrides)))


def test_every_paper_recipe_has_a_source_section():
    assert set(PAPER_RECIPES) >= {
        "deepseekmath_grpo.yaml",
        "math_drgrpo_qwen2.5-math-1.5b.yaml",
        "simplerl_zoo_qwen2.5-0.5b.yaml",
        "gsm8k_qwen2.5-0.5b-instruct.yaml",
        "r1zero_qwen2.5-math-1.5b.yaml",
    }


@pytest.mark.parametrize("name", PAPER_RECIPES)
def test_resolved_settings_match_the_source_or_a_listed_departure(name):
    rows = _rows(name)
    assert len([r for r in rows if r.status == "follows"]) >= 15  # transcribed setting by setting
    assert not problems(rows), problems(rows)
    recipe = parse_recipe(load_recipe(ROOT / "recipes" / name))
    for departure in recipe.paper.departures:  # each departure says what, why and with what effect
        assert departure.paper and departure.here and departure.why and departure.effect
    assert recipe.paper.published and recipe.paper.protocol


@pytest.mark.parametrize(
    ("name", "override", "key"),
    [
        ("deepseekmath_grpo.yaml", "trainer.beta=0.0", "trainer.beta"),  # a value the source states
        ("deepseekmath_grpo.yaml", "trainer.use_bias_correction_kl=true", "trainer.use_bias_correction_kl"),
        ("deepseekmath_grpo.yaml", "trainer.steps_per_generation=128", "batch.updates_per_rollout"),
        ("math_drgrpo_qwen2.5-math-1.5b.yaml", "rewards=[{name: accuracy}]", "rewards.accuracy.extract"),
        ("simplerl_zoo_qwen2.5-0.5b.yaml", "eval.top_p=1.0", "eval.top_p"),  # the evaluation protocol
        ("gsm8k_qwen2.5-0.5b-instruct.yaml", "trainer.lr_scheduler_type=linear", "trainer.lr_scheduler_type"),
    ],
)
def test_an_edit_that_drifts_from_the_source_is_caught(name, override, key):
    found = problems(_rows(name, [override]))
    assert any(problem.startswith(key) for problem in found), found


def test_the_dry_run_shows_the_source_table(capsys):
    assert main([str(ROOT / "recipes" / "math_drgrpo_qwen2.5-math-1.5b.yaml"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "| trainer.adam_beta2 | 0.95 | 0.95 | follows | Table 6" in out
    assert "| batch.updates_per_rollout | 8 | 8 | follows |" in out
    assert "departs on data.levels" in out and "warning:" not in out


def test_the_batch_arithmetic_counts_updates_per_rollout(tmp_path):
    run = resolve_run(
        str(ROOT / "recipes" / "smoke.yaml"),
        [
            "trainer.per_device_train_batch_size=8",
            "trainer.gradient_accumulation_steps=1",
            "trainer.steps_per_generation=4",
        ],
    )
    described = describe_batches(run)
    assert described["rollout"] == "8 prompts x 4 completions = 32 completions"
    assert described["updates per rollout"].startswith("4 ")


# --- what the sources need ----------------------------------------------------------------------------------


def _math_file(tmp_path, rows):
    path = tmp_path / "math.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_levels_select_math_problems_in_training_and_are_refused_where_there_are_none(tmp_path):
    from recipes.training_data import load_training_data

    rows = [
        {
            "problem": f"P{i}",
            "solution": f"so \\boxed{{{i}}}",
            "level": f"Level {1 + i % 5}",
            "type": "Algebra",
        }
        for i in range(20)
    ]
    path = _math_file(tmp_path, rows)
    recipe = parse_recipe(
        load_recipe(
            ROOT / "recipes" / "smoke.yaml",
            [
                "data.name=math",
                f"data.data_files={path}",
                "data.split=test",
                "data.levels=[3, 4, 5]",
                "data.limit=null",
            ],
        )
    )
    dataset = load_training_data(recipe)
    assert sorted(set(dataset["level"])) == [3, 4, 5] and len(dataset) == 12
    with pytest.raises(RecipeError, match="gsm8k has no difficulty levels"):
        parse_recipe(load_recipe(ROOT / "recipes" / "smoke.yaml", ["data.name=gsm8k", "data.levels=[1]"]))


def test_a_mixture_takes_per_source_limits_and_is_decontaminated_against_the_eval_benchmarks(tmp_path):
    from recipes.training_data import load_training_data

    gsm8k = tmp_path / "gsm8k.jsonl"
    gsm8k.write_text(
        "".join(json.dumps({"question": f"Q{i}?", "answer": f"#### {i}"}) + "\n" for i in range(10))
    )
    held_out = tmp_path / "gsm8k_test.jsonl"
    held_out.write_text(json.dumps({"question": "q3?", "answer": "#### 3"}) + "\n")  # the same problem as Q3
    recipe = parse_recipe(
        load_recipe(
            ROOT / "recipes" / "smoke.yaml",
            [
                "data.name=null",
                "data.levels=null",
                "data.limit=null",
                f"data.sources=[{{name: gsm8k, data_files: {gsm8k}, limit: 5}}, {{name: arithmetic, levels: [1], limit: 4}}]",
                f"eval={{benchmarks: [gsm8k], data_files: {{gsm8k: {held_out}}}}}",
            ],
        )
    )
    dataset = load_training_data(recipe)
    assert list(dataset["source"]).count("gsm8k") == 4 and list(dataset["source"]).count("arithmetic") == 4
    assert "Q3?" not in dataset["question"]  # it is a test problem of the recipe's own evaluation


def test_the_runner_tells_rewards_which_completions_were_cut_off():
    from recipes.callbacks import CompletionRecorder
    from rewards import get

    recorder = CompletionRecorder(None, end_token_ids={2}, max_completion_length=2)
    [reward] = recorder.wrap([get("accuracy", zero_if_truncated=True)])
    scores = reward(
        prompts=["p", "p"],
        completions=["#### 4", "#### 4"],
        completion_ids=[[5, 2], [5, 6]],
        answer=["4", "4"],
    )
    assert scores == [1.0, 0.0]  # the second never reached EOS


def test_the_r1_zero_recipe_trains_on_the_tiny_model_on_a_cpu(tmp_path):
    summary = train(
        str(ROOT / "recipes" / "r1zero_qwen2.5-math-1.5b.yaml"),
        [
            f"output_dir={tmp_path}",
            "model.name_or_path=tiny",
            "data.name=arithmetic",
            "data.split=train",
            "data.levels=[1]",
            "data.limit=64",
            "eval=null",
            "trainer.use_vllm=false",
            "trainer.per_device_train_batch_size=8",
            "trainer.steps_per_generation=2",  # two optimizer updates per rollout, as the source's eight
            "trainer.num_generations=4",
            "trainer.max_completion_length=16",
            "trainer.max_steps=2",
            "trainer.learning_rate=1e-3",
            "trainer.save_steps=100",
            "trainer.report_to=[]",
        ],
    )
    assert summary["global_step"] == 2 and summary["final_model"]
    rows = [json.loads(line) for line in (tmp_path / "completions.jsonl").open()]
    assert rows and rows[0]["prompt"].endswith("Assistant: <think>")
