"""recipes/training_data.py: the training set a recipe describes: levels, mixtures,
decontamination, the pass-rate filter."""

import json
from pathlib import Path

import pytest

from eval.generate import Sample
from eval.run import evaluate
from recipes.checks import parse_recipe
from recipes.recipe_yaml import load_recipe
from recipes.schema import RecipeError
from recipes.training_data import load_training_data

ROOT = Path(__file__).resolve().parents[2]


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


SFT_SMOKE = str(ROOT / "recipes" / "sft_smoke.yaml")


def _sft_recipe(*overrides: str):
    return parse_recipe(load_recipe(SFT_SMOKE, list(overrides)))


def test_sft_rows_are_the_templates_prompt_and_the_reference_solution_in_its_answer_format():
    from recipes.training_data import sft_dataset

    recipe = _sft_recipe("data.limit=4")
    rows = sft_dataset(load_training_data(recipe), recipe)
    first = rows[0]
    assert first["prompt"][-1] == {"role": "user", "content": first["question"]}  # answer_is: chat messages
    assert first["completion"] == [
        {"role": "assistant", "content": f"{first['solution']}\nThe answer is {first['answer']}."}
    ]
    plain = _sft_recipe("data.limit=4", "data.template=r1_zero")
    text = sft_dataset(load_training_data(plain), plain)[0]["completion"]
    assert text == f"<think> {first['solution']} </think> <answer>{first['answer']}</answer>"


def _completions_file(tmp_path, completions: list) -> str:
    rows = [
        {"question": f"What is {i} + 1?", "answer": str(i + 1), "completion": completion}
        for i, completion in enumerate(completions)
    ]
    path = tmp_path / "completions.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def _from_file(path: str, *overrides: str):
    return _sft_recipe(
        f"data.name={path}", "data.question_field=question", "data.answer_field=answer", "data.levels=null",
        "data.limit=null", "data.completion_field=completion", *overrides,
    )  # fmt: skip


def test_sft_completions_from_a_field_are_used_as_they_are_and_empty_ones_dropped(tmp_path, caplog):
    from recipes.training_data import sft_dataset

    path = _completions_file(
        tmp_path, ["0 + 1 = 1\nThe answer is 1.  ", "", None, "2 + 1 = 3\nThe answer is 3."]
    )
    recipe = _from_file(path)
    with caplog.at_level("WARNING"):
        rows = sft_dataset(load_training_data(recipe), recipe)
    assert [turn[0]["content"] for turn in rows["completion"]] == [
        "0 + 1 = 1\nThe answer is 1.",
        "2 + 1 = 3\nThe answer is 3.",
    ]
    assert "dropped 2 of 4 rows without a completion" in caplog.text


def test_sft_completions_that_follow_some_other_template_are_refused(tmp_path, caplog):
    """Completions sampled with answer_is ("The answer is N.") under qwen_math_cot's prompts (a boxed answer):
    trained on, the model would learn to ignore the prompt's instruction."""
    from recipes.training_data import sft_dataset

    path = _completions_file(tmp_path, ["0 + 1 = 1\nThe answer is 1.", "1 + 1 = 2\nThe answer is 2."])
    recipe = _from_file(path, "data.template=qwen_math_cot")
    with pytest.raises(
        RecipeError,
        match="none of the 2 SFT completions in field 'completion' follows template qwen_math_cot's boxed format",
    ):
        sft_dataset(load_training_data(recipe), recipe)
    path = _completions_file(tmp_path, ["0 + 1 = 1\nThe answer is 1.", "so \\boxed{2}"])
    recipe = _from_file(path, "data.template=qwen_math_cot")
    with caplog.at_level("WARNING"):
        assert len(sft_dataset(load_training_data(recipe), recipe)) == 2
    assert "1 of 2 completions do not follow template qwen_math_cot's boxed format" in caplog.text
