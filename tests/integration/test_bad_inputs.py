"""Bad inputs, as a hostile user would try them (interruptions: test_signals_and_resume.py).

Every case asserts the exit code, that the message is one ``error:`` line naming the input and the fix,
that no traceback escapes, and that the corrected rerun then succeeds (from the same folder, where a
folder is involved: a failed run must not block the next one).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
from pathlib import Path

import pytest
import yaml

import recipes.train
from eval.compare import main as compare_main
from eval.run import main as eval_main
from eval.score import main as score_main
from recipes.tiny_model import save_tiny_model
from recipes.train import main as train_main

ROOT = Path(__file__).resolve().parents[2]
SMOKE = yaml.safe_load((ROOT / "recipes" / "smoke.yaml").read_text())
DELETE = object()


def _one_error_line(stderr: str, expected: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert "Traceback" not in stderr, stderr
    assert len(errors) == 1, stderr
    assert expected in errors[0], (expected, errors[0])


def _set(recipe: dict, dotted: str, value) -> None:
    keys = dotted.split(".")
    target = recipe
    for key in keys[:-1]:
        target = target.setdefault(key, {}) if not key.isdigit() else target[int(key)]
    last = keys[-1]
    if last.isdigit():
        target[int(last)] = value
    elif value is DELETE:
        target.pop(last, None)
    else:
        target[last] = value


# (id, change to the smoke recipe: {dotted path: value} or raw YAML text, what the message must say)
RECIPE_CASES = [
    ("yaml-syntax", "model:\n  name_or_path: tiny\ndata: [unclosed\n", "line 4, column 1"),
    ("yaml-tab", "model:\n\tname_or_path: tiny\n", "not tabs"),
    ("yaml-empty", "", "is empty"),
    ("yaml-list", "- model\n- data\n", "a recipe is a mapping of sections"),
    ("yaml-duplicate-key", "seed: 1\nseed: 2\n", "duplicate key 'seed'"),
    ("yaml-scalar", "just text\n", "a recipe is a mapping of sections"),
    ("unknown-top-level", {"modle": {}}, "unknown entry modle; did you mean model"),
    ("seed-text", {"seed": "abc"}, "seed must be a whole number, got 'abc'"),
    ("seed-fraction", {"seed": 1.5}, "seed must be a whole number"),
    ("output-dir-number", {"output_dir": 5}, "output_dir must be text, got 5"),
    ("trainer-not-mapping", {"trainer": 5}, "trainer must be a mapping"),
    ("model-not-mapping", {"model": "tiny"}, "model must be a mapping of name_or_path"),
    ("model-missing", {"model": DELETE}, "model is required"),
    ("data-missing", {"data": DELETE}, "data is required"),
    ("rewards-missing", {"rewards": DELETE}, "rewards: list at least one reward"),  # a GRPO recipe
    ("rewards-empty", {"rewards": []}, "list at least one reward"),
    ("model-name-missing", {"model.name_or_path": DELETE}, "model.name_or_path is required"),
    ("model-dtype", {"model.dtype": "float64"}, "model.dtype: 'float64' is not one of auto, float32"),
    ("model-path-missing", {"model.name_or_path": "./no/such/model"}, "is not a local folder"),
    (
        "model-path-not-model",
        {"model.name_or_path": "recipes"},
        "is not a model folder (it has no config.json)",
    ),
    (
        "model-freeze-text",
        {"model.freeze_embeddings": "yes please"},
        "freeze_embeddings must be true or false",
    ),
    ("lora-rank-zero", {"model.lora": {"r": 0}}, "model.lora.r must be at least 1"),
    ("lora-dropout", {"model.lora": {"dropout": 2}}, "model.lora.dropout must be at most 0.99"),
    ("lora-unknown", {"model.lora": {"rank": 4}}, "unknown entry model.lora.rank (valid: r, alpha"),
    ("data-name-typo", {"data.name": "arithmetc"}, "did you mean arithmetic"),
    ("data-file-missing", {"data.name": "no/such/file.jsonl"}, "file 'no/such/file.jsonl' does not exist"),
    (
        "data-custom-without-fields",
        {"data.name": "tests/fixtures/custom.jsonl", "data.levels": DELETE},
        "give its fields: question_field",
    ),
    ("data-split", {"data.split": "dev"}, "arithmetic has splits train, test"),
    ("data-levels-out-of-range", {"data.levels": [9]}, "arithmetic has levels [1, 2, 3, 4]; got [9]"),
    ("data-levels-text", {"data.levels": "1"}, "data.levels must be a list of whole numbers, got '1'"),
    (
        "data-levels-without-levels",
        {"data.name": "gsm8k", "data.levels": [1]},
        "gsm8k has no difficulty levels",
    ),
    ("data-limit-text", {"data.limit": "many"}, "data.limit must be a whole number, got 'many'"),
    ("data-limit-zero", {"data.limit": 0}, "data.limit must be at least 1"),
    ("data-template-typo", {"data.template": "answer_iss"}, "did you mean answer_is"),
    (
        "data-files-missing",
        {"data.name": "gsm8k", "data.levels": DELETE, "data.data_files": "nope.jsonl"},
        "'nope.jsonl' does not exist",
    ),
    ("data-max-prompt-zero", {"data.max_prompt_tokens": 0}, "data.max_prompt_tokens must be at least 1"),
    ("data-long-prompts", {"data.long_prompts": "cut"}, "'cut' is not one of drop, fail"),
    ("data-template-missing", {"data.template": DELETE}, "data.template is required"),
    ("data-extractor", {"data.answer_extractor": "regex"}, "is not one of gsm8k_hash, last_boxed, as_is"),
    ("data-unknown-key", {"data.levl": [1]}, "unknown entry data.levl; did you mean level"),
    (
        "data-sources-and-name",
        {"data.sources": [{"name": "arithmetic"}]},
        "inside each source, not beside the list",
    ),
    (
        "data-sources-bad-entry",
        {
            "data.name": DELETE,
            "data.levels": DELETE,
            "data.limit": DELETE,
            "data.sources": [{"name": "gsm9k"}],
        },
        "data.sources[0].name 'gsm9k' is not a named source; did you mean gsm8k",
    ),
    (
        "data-sources-not-list",
        {"data.name": DELETE, "data.levels": DELETE, "data.limit": DELETE, "data.sources": "gsm8k"},
        "data.sources must be a list of mappings",
    ),
    ("reward-typo", {"rewards": [{"name": "acuracy"}]}, "unknown reward 'acuracy'; did you mean accuracy"),
    (
        "reward-param-typo",
        {"rewards": [{"name": "format", "params": {"answer_fmt": "boxed"}}]},
        "unknown parameter 'answer_fmt'",
    ),
    (
        "reward-param-type",
        {"rewards": [{"name": "soft_overlong", "params": {"max_completion_len": "abc"}}]},
        "rewards[0].params.max_completion_len must be a whole number, got 'abc'",
    ),
    (
        "reward-param-value",
        {"rewards": [{"name": "format", "params": {"answer_format": "nonsense"}}]},
        "unknown answer_format 'nonsense'",
    ),
    (
        "reward-weight-text",
        {"rewards": [{"name": "accuracy", "weight": "high"}]},
        "rewards[0].weight must be a number, got 'high'",
    ),
    (
        "reward-weight-nan",
        {"rewards": [{"name": "accuracy", "weight": float("nan")}]},
        "rewards[0].weight must be a finite number",
    ),
    ("reward-entry-number", {"rewards": [5]}, "rewards[0] must be a mapping of name, weight, params"),
    (
        "reward-entry-key",
        {"rewards": [{"name": "accuracy", "wieght": 2}]},
        "unknown entry rewards[0].wieght; did you mean weight",
    ),
    (
        "reward-params-list",
        {"rewards": [{"name": "accuracy", "params": [1]}]},
        "rewards[0].params must be a mapping",
    ),
    ("reward-module-missing", {"rewards": [{"name": "nowhere.module:reward"}]}, "no module 'nowhere'"),
    ("reward-function-missing", {"rewards": [{"name": "tests.user_rewards:nope"}]}, "has no function 'nope'"),
    (
        "reward-without-kwargs",
        {"rewards": [{"name": "tests.user_rewards:without_kwargs"}]},
        "must accept **kwargs",
    ),
    (
        "reward-wrong-length",
        {"rewards": [{"name": "tests.user_rewards:wrong_length"}]},
        "one score per completion",
    ),
    ("reward-bad-colon", {"rewards": [{"name": ":reward"}]}, "write package.module:function"),
    ("lr-text", {"trainer.learning_rate": "fast"}, "trainer.learning_rate must be a number, got 'fast'"),
    ("lr-negative", {"trainer.learning_rate": -1}, "trainer.learning_rate must be at least 0"),
    (
        "batch-zero",
        {"trainer.per_device_train_batch_size": 0},
        "per_device_train_batch_size must be at least 1",
    ),
    (
        "batch-negative",
        {"trainer.per_device_train_batch_size": -4},
        "per_device_train_batch_size must be at least 1",
    ),
    (
        "batch-fraction",
        {"trainer.per_device_train_batch_size": 2.5},
        "per_device_train_batch_size must be a whole number",
    ),
    ("generations-null", {"trainer.num_generations": None}, "trainer.num_generations can't be null"),
    ("generations-one", {"trainer.num_generations": 1}, "trainer.num_generations must be at least 2"),
    (
        "batch-indivisible",
        {"trainer.per_device_train_batch_size": 6},
        "not divisible by num_generations (4); try",
    ),
    ("loss-type", {"trainer.loss_type": "ppo"}, "loss_type 'ppo' is not one TRL accepts"),
    ("scale-rewards", {"trainer.scale_rewards": "std"}, "scale_rewards 'std' is not one TRL accepts"),
    (
        "trainer-typo",
        {"trainer.learning_rat": 1e-3},
        "unknown entry trainer.learning_rat; did you mean learning_rate",
    ),
    ("trainer-output-dir", {"trainer.output_dir": "x"}, "set output_dir at the top level"),
    ("trainer-seed", {"trainer.seed": 3}, "set seed at the top level"),
    (
        "trainer-reward-weights",
        {"trainer.reward_weights": [1.0]},
        "set each reward's weight in the rewards section",
    ),
    ("temperature-zero", {"trainer.temperature": 0}, "trainer.temperature must be above 0"),
    ("top-p-high", {"trainer.top_p": 1.5}, "trainer.top_p must be at most 1"),
    (
        "scheduler-typo",
        {"trainer.lr_scheduler_type": "linearr"},
        "trl.GRPOConfig rejected the trainer section",
    ),
    ("max-steps-zero", {"trainer.max_steps": 0}, "trainer.max_steps must be -1"),
    ("report-to-number", {"trainer.report_to": 5}, "trainer.report_to must be"),
    (
        "bool-as-text",
        {"trainer.activation_checkpointing": "no"},
        "activation_checkpointing must be true or false",
    ),
    (
        "eval-benchmark-typo",
        {"eval": {"benchmarks": ["arithmetc"]}},
        "unknown benchmark 'arithmetc'; did you mean arithmetic",
    ),
    ("eval-benchmarks-missing", {"eval": {"n": 1}}, "eval.benchmarks is required"),
    (
        "eval-benchmarks-text",
        {"eval": {"benchmarks": "gsm8k"}},
        "eval.benchmarks must be a list of text entries",
    ),
    ("eval-greedy-n", {"eval": {"benchmarks": ["arithmetic"], "n": 4}}, "identical greedy samples"),
    ("eval-top-p", {"eval": {"benchmarks": ["arithmetic"], "top_p": 0}}, "eval.top_p must be above 0"),
    (
        "eval-template",
        {"eval": {"benchmarks": ["arithmetic"], "template": "r1"}},
        "eval.template 'r1' is unknown",
    ),
    (
        "eval-levels",
        {"eval": {"benchmarks": ["math500"], "levels": [9]}},
        "math500 has levels [1, 2, 3, 4, 5]; got [9]",
    ),
    (
        "eval-levels-gsm8k",
        {"eval": {"benchmarks": ["gsm8k"], "levels": [1]}},
        "gsm8k has no difficulty levels",
    ),
    (
        "eval-files-other",
        {"eval": {"benchmarks": ["arithmetic"], "data_files": {"gsm8k": "x.jsonl"}}},
        "eval.data_files.gsm8k: not one of eval.benchmarks",
    ),
    (
        "eval-files-missing",
        {"eval": {"benchmarks": ["gsm8k"], "data_files": {"gsm8k": "x.jsonl"}}},
        "eval.data_files.gsm8k: 'x.jsonl' does not exist",
    ),
    (
        "eval-max-tokens",
        {"eval": {"benchmarks": ["arithmetic"], "max_new_tokens": 0}},
        "eval.max_new_tokens must be at least 1",
    ),
    ("eval-n-negative", {"eval": {"benchmarks": ["arithmetic"], "n": -1}}, "eval.n must be at least 1"),
    ("guard-action", {"guard": {"action": "explode"}}, "guard.action: 'explode' is not one of stop, warn"),
    ("guard-patience", {"guard": {"patience": 0}}, "guard.patience must be at least 1"),
    ("guard-share", {"guard": {"min_zero_std_share": 2}}, "guard.min_zero_std_share must be at most 1"),
    ("paper-not-mapping", {"paper": "DeepSeekMath"}, "paper must be a mapping"),
    (
        "paper-old-name-not-mapping",
        {"source": "DeepSeekMath"},
        "paper must be a mapping",
    ),  # source: is read as paper:
    # --- what the dry run used to pass and the run then hit (issue #19) ---
    (
        "report-to-unknown",
        {"trainer.report_to": ["foo"]},
        "trainer.report_to 'foo' is not a tracker transformers knows",
    ),
    (
        "report-to-not-installed",
        {"trainer.report_to": ["clearml"]},
        "trainer.report_to 'clearml' is not installed or not configured",
    ),
    (
        "report-to-case",
        {"trainer.report_to": ["Wandb"]},
        "'Wandb' is not a tracker transformers knows; did you mean wandb",
    ),
    (
        "reward-returns-text",
        {"rewards": [{"name": "tests.user_rewards:returns_text"}]},
        "returned str '1.0' for the completion with the right answer",
    ),
    (
        "reward-fixed-count",
        {"rewards": [{"name": "tests.user_rewards:fixed_count"}]},
        "returned 2 scores for a batch of 8 completions (2 prompts x 4 generations)",
    ),
    (
        "reward-raises-on-some",
        {"rewards": [{"name": "tests.user_rewards:raises_on_empty"}]},
        "raised IndexError: list index out of range on the empty completion",
    ),
    (
        "reward-returns-inf",
        {"rewards": [{"name": "tests.user_rewards:returns_inf"}]},
        "returned inf for the completion",
    ),
    (
        "reward-returns-nan",
        {"rewards": [{"name": "tests.user_rewards:returns_nan"}]},
        "returned nan for the completion",
    ),
    (
        "reward-returns-nothing",
        {"rewards": [{"name": "tests.user_rewards:returns_nothing"}]},
        "must return a list with one score per completion, returned NoneType None",
    ),
    (
        "reward-bool-as-text",
        {"rewards": [{"name": "accuracy", "params": {"zero_if_truncated": "no"}}]},
        "rewards[0].params.zero_if_truncated must be true or false, got 'no'",
    ),
    (
        "reward-timeout-negative",
        {"rewards": [{"name": "accuracy", "params": {"timeout_s": -1}}]},
        "timeout_s must be a finite number of seconds above 0",
    ),
    (
        "reward-param-shadowed-by-column",
        {"rewards": [{"name": "tests.user_rewards:swallows", "params": {"answer": "7"}}]},
        "rewards[0].params.answer: every reward is called with the dataset column 'answer'",
    ),
    (
        "mixture-duplicate-source",
        {
            "data.name": DELETE,
            "data.levels": DELETE,
            "data.limit": DELETE,
            "data.sources": [{"name": "arithmetic", "limit": 8}, {"name": "arithmetic", "limit": 8}],
        },
        "data.sources[1] is the same source as data.sources[0]",
    ),
    (
        "eval-temperature-inf",
        {"eval": {"benchmarks": ["arithmetic"], "temperature": float("inf")}},
        "eval.temperature must be a finite number, got inf",
    ),
    ("lr-inf", {"trainer.learning_rate": float("inf")}, "trainer.learning_rate must be a finite number"),
]


@pytest.fixture(scope="module")
def custom_file():
    path = ROOT / "tests" / "fixtures" / "custom.jsonl"
    assert path.exists()
    return path


@pytest.mark.parametrize(("case", "change", "expected"), RECIPE_CASES, ids=[c[0] for c in RECIPE_CASES])
def test_bad_recipe_is_one_line_then_the_fixed_recipe_passes(
    case, change, expected, tmp_path, capsys, monkeypatch, custom_file
):
    monkeypatch.chdir(ROOT)
    path = tmp_path / "recipe.yaml"
    if isinstance(change, str):
        path.write_text(change)
    else:
        recipe = copy.deepcopy(SMOKE)
        for dotted, value in change.items():
            _set(recipe, dotted, value)
        path.write_text(yaml.safe_dump(recipe))
    assert train_main([str(path), "--dry-run"]) == 2
    _one_error_line(capsys.readouterr().err, expected)
    path.write_text(yaml.safe_dump(SMOKE))  # the corrected recipe
    assert train_main([str(path), "--dry-run"]) == 0
    assert "is valid" in capsys.readouterr().out


# (id, overrides of the smoke recipe, the warning the dry run prints): the run would do less than it seems
WARNING_CASES = [
    (
        "eval-every-steps-beyond-max-steps",
        ["eval={benchmarks: [arithmetic], every_steps: 10}"],
        "eval.every_steps=10 is more than trainer.max_steps=3: no evaluation runs during training",
    ),
    (
        "accuracy-extract-the-template-never-writes",
        ["data.template=r1_zero", "rewards=[{name: accuracy, params: {extract: boxed}}]"],
        "rewards[0] (accuracy) reads answers with extract=boxed, but template r1_zero asks for the think_answer format",
    ),
    (
        "format-reward-of-another-format",
        [
            "data.template=r1_zero",
            "rewards=[{name: accuracy}, {name: format, params: {answer_format: gsm8k_hash}}]",
        ],
        "rewards[1] (format) requires the gsm8k_hash format",
    ),
    (
        "evaluation-extract-the-template-never-writes",
        ["eval={benchmarks: [arithmetic], extract: boxed}"],
        "evaluation reads answers with extract=boxed, but template answer_is asks for the answer_is format",
    ),
    (
        "custom-reward-misspelt-param",
        ["rewards=[{name: 'tests.user_rewards:swallows', params: {scael: 2}}]"],
        "params.scael: the function names no parameter 'scael', so it lands in **kwargs and may be ignored; did you mean scale?",
    ),
]


@pytest.mark.parametrize(("case", "overrides", "expected"), WARNING_CASES, ids=[c[0] for c in WARNING_CASES])
def test_the_dry_run_warns_where_the_run_would_do_less_than_it_seems(
    case, overrides, expected, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    assert train_main(["recipes/smoke.yaml", *overrides, "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "error:" not in captured.err
    warnings = [line for line in captured.out.splitlines() if line.startswith("warning:")]
    assert any(expected in line for line in warnings), (expected, warnings)


def test_the_run_logs_the_dry_runs_warnings(tmp_path, caplog, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = [
        "recipes/smoke.yaml",
        f"output_dir={tmp_path}",
        "trainer.max_steps=1",
        "eval={benchmarks: [arithmetic], every_steps: 10, limit: 2, max_new_tokens: 4}",
    ]
    with caplog.at_level("WARNING"):
        assert train_main(argv) == 0
    assert "eval.every_steps=10 is more than trainer.max_steps=1" in caplog.text


def test_dry_run_may_come_before_the_overrides(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert (
        train_main(["recipes/smoke.yaml", "--dry-run", "seed=3", "data.limit=8"]) == 0
    )  # was "unrecognized arguments"
    assert "is valid" in capsys.readouterr().out


@pytest.fixture(scope="module")
def smoke_ids():
    import data

    return list(data.load("arithmetic", split="train", limit=64, levels=[1], seed=0)["id"])


def _rates(ids, rate=0.5) -> str:
    return "".join(json.dumps({"id": i, "pass_rate": rate}) + "\n" for i in ids)


# (id, the pass-rate file (a function of the training ids; "folder" for a folder), filter range, message)
PASS_RATE_CASES = [
    (
        "malformed-line",
        lambda ids: _rates(ids[:3]) + "{oops\n" + _rates(ids[3:]),
        (0.1, 0.9),
        "pass_rates.jsonl, line 4: not a JSON record",
    ),
    ("folder", "folder", (0.1, 0.9), "is a folder; give its pass_rates.jsonl file"),
    ("empty", lambda ids: "", (0.1, 0.9), "holds no pass rates"),
    (
        "rate-above-one",
        lambda ids: _rates(ids, 7.5),
        (0.1, 0.9),
        "line 1: pass_rate 7.5 is not a number from 0 to 1",
    ),
    (
        "rate-nan",
        lambda ids: _rates(ids).replace("0.5", "NaN"),
        (0.1, 0.9),
        "line 1: pass_rate nan is not a number from 0 to 1",
    ),
    ("no-id", lambda ids: json.dumps({"pass_rate": 0.5}) + "\n", (0.1, 0.9), "line 1: no problem id"),
    (
        "ids-match-no-row",
        lambda ids: _rates(["x" + i for i in ids]),
        (0.1, 0.9),
        "none of its 64 problem ids is one of the 64 training problems",
    ),
    (
        "filter-keeps-too-few",
        lambda ids: _rates(ids[:1], 0.5) + _rates(ids[1:], 0.0),
        (0.1, 0.9),
        "the pass-rate filter kept 1 of 64 training problems (63 below data.pass_rate.min",
    ),
]


@pytest.mark.parametrize(
    ("case", "content", "bounds", "expected"), PASS_RATE_CASES, ids=[c[0] for c in PASS_RATE_CASES]
)
def test_bad_pass_rate_files_fail_the_dry_run_naming_the_file(
    case, content, bounds, expected, smoke_ids, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    path = tmp_path / "pass_rates.jsonl"
    if content == "folder":
        path = tmp_path / "rates"
        (path / "arithmetic").mkdir(parents=True)
        (path / "arithmetic" / "pass_rates.jsonl").write_text(_rates(smoke_ids))
    else:
        path.write_text(content(smoke_ids))
    low, high = bounds
    argv = ["recipes/smoke.yaml", f"data.pass_rate={{file: {path}, min: {low}, max: {high}}}", "--dry-run"]
    assert train_main(argv) == 2
    _one_error_line(capsys.readouterr().err, expected)
    fixed = path / "arithmetic" / "pass_rates.jsonl" if content == "folder" else path
    fixed.write_text(_rates(smoke_ids))
    argv[1] = f"data.pass_rate={{file: {fixed}, min: {low}, max: {high}}}"
    assert train_main(argv) == 0
    assert "pass_rate_filter" in capsys.readouterr().out  # the dry run shows the filter's counts


def _unwritable(tmp_path: Path) -> tuple[Path, Path]:
    """A folder that refuses writes, and a writable one: root writes to any folder whatever its mode, so as
    root /sys stands in (sysfs refuses new files even to root)."""
    if os.geteuid() == 0:
        return Path("/sys/grpo-recipes-test"), tmp_path / "run"
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder / "run", tmp_path / "run"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("is-a-file", "is a file; set output_dir to a folder"),
        ("under-a-file", "is a file, so nothing can be made under it"),
        ("read-only", "can't be written"),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else None,
)
def test_an_output_dir_that_cant_be_written_fails_before_the_model_loads(
    case, expected, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    if case == "read-only":
        out, fixed = _unwritable(tmp_path)
    else:
        (tmp_path / "taken").write_text("a file")
        out = tmp_path / "taken" if case == "is-a-file" else tmp_path / "taken" / "run"
        fixed = out
    loaded = []
    monkeypatch.setattr(recipes.train, "load_model", lambda *args: loaded.append(args))
    assert train_main(["recipes/smoke.yaml", f"output_dir={out}"]) == 2  # the run, not only the dry run
    _one_error_line(capsys.readouterr().err, expected)
    assert loaded == []  # refused before the model loads
    (tmp_path / "taken").unlink(missing_ok=True)
    assert train_main(["recipes/smoke.yaml", f"output_dir={fixed}", "--dry-run"]) == 0


@pytest.mark.parametrize(
    ("case", "content", "expected"),
    [
        ("empty", "", "train.jsonl is empty; it needs one row per problem"),
        (
            "malformed-line",
            '{"q": "What is 1 + 1?", "a": "2"}\n{"q": "x", "a": \n',
            "train.jsonl, line 2: not JSON (Expecting value)",
        ),
        (
            "line-not-an-object",
            '{"q": "What is 1 + 1?", "a": "2"}\n[1, 2]\n',
            "train.jsonl, line 2: a list, not a JSON object",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 20 else None,
)
def test_unreadable_data_files_name_the_line_and_the_reason(
    case, content, expected, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    path = tmp_path / "train.jsonl"
    path.write_text(content)
    argv = [
        "recipes/smoke.yaml",
        f"data.name={path}",
        "data.question_field=q",
        "data.answer_field=a",
        "data.levels=null",
        "data.limit=null",
        "--dry-run",
    ]
    assert train_main(argv) == 2
    _one_error_line(capsys.readouterr().err, expected)
    _write_jsonl(path, [{"q": f"What is {i} + 1?", "a": str(i + 1)} for i in range(4)])
    assert train_main(argv) == 0


def _damaged_model(path: Path) -> Path:
    save_tiny_model(path)
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])  # a copy cut short
    return path


def test_a_truncated_checkpoint_fails_the_dry_run_then_the_recopied_one_trains(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    model = _damaged_model(tmp_path / "model")
    argv = [
        "recipes/smoke.yaml",
        f"model.name_or_path={model}",
        f"output_dir={tmp_path / 'run'}",
        "trainer.max_steps=1",
    ]
    assert train_main(argv) == 2
    _one_error_line(capsys.readouterr().err, "model.safetensors is damaged (Error while deserializing header")
    assert not (tmp_path / "run").exists()
    save_tiny_model(model)  # re-copied
    assert train_main(argv) == 0


def test_a_reward_value_no_reward_accepts_fails_the_run_before_the_model_loads(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = [
        "recipes/smoke.yaml",
        f"output_dir={tmp_path / 'run'}",
        "rewards=[{name: accuracy, params: {extract: BOXED}}]",
    ]
    assert train_main(argv) == 2  # the run, not the dry run: its warnings come before the reward check
    _one_error_line(
        capsys.readouterr().err, "rewards[0] (accuracy) raised ValueError: unknown extraction mode 'BOXED'"
    )
    assert not (tmp_path / "run").exists()
    assert train_main([*argv[:-1], "rewards=[{name: accuracy, params: {extract: boxed}}]", "--dry-run"]) == 0


def test_dynamic_sampling_on_two_processes_fails_the_dry_run(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = ["recipes/smoke.yaml", "dynamic_sampling={max_rounds: 2}", "--dry-run"]
    monkeypatch.setenv("WORLD_SIZE", "2")  # as torchrun --nproc_per_node 2 sets it
    assert train_main(argv) == 2
    _one_error_line(capsys.readouterr().err, "dynamic_sampling runs on one process, and this run has 2")
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert train_main(argv) == 0


def test_an_eval_file_without_usable_golds_fails_the_dry_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    path = _write_jsonl(
        tmp_path / "gsm8k.jsonl", [{"question": "What is 1 + 1?", "answer": "two, no hash mark"}]
    )
    argv = ["recipes/smoke.yaml", f"eval={{benchmarks: [gsm8k], data_files: {{gsm8k: {path}}}}}", "--dry-run"]
    assert train_main(argv) == 2
    _one_error_line(capsys.readouterr().err, "gsm8k.jsonl holds no problem with a usable gold answer")
    _write_jsonl(path, [{"question": "What is 1 + 1?", "answer": "1 + 1 = 2\n#### 2"}])
    assert train_main(argv) == 0


@pytest.mark.parametrize(
    ("case", "argv", "expected"),
    [
        ("recipe-folder", ["recipes"], "recipes is a folder; give a recipe file"),
        ("recipe-missing", ["recipes/nope.yaml"], "shipped recipes (in recipes/):"),
        (
            "override-without-equals",
            ["recipes/smoke.yaml", "trainer.learning_rate"],
            "must look like section.key=value",
        ),
        ("override-empty-key", ["recipes/smoke.yaml", "=5"], "has an empty key"),
        ("override-into-value", ["recipes/smoke.yaml", "seed.x=1"], "seed is not a section"),
        (
            "override-bad-yaml",
            ["recipes/smoke.yaml", "trainer.learning_rate=[1"],
            "override 'trainer.learning_rate=[1'",
        ),
        (
            "override-wrong-type",
            ["recipes/smoke.yaml", "data.limit=many"],
            "data.limit must be a whole number",
        ),
        ("no-recipe", [], "give a recipe"),
        ("grace-negative", ["recipes/smoke.yaml", "--grace", "-1"], "must be 0 or more"),
        ("unknown-flag", ["recipes/smoke.yaml", "--dryrun"], "unrecognized arguments: --dryrun"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_command_lines_of_the_trainer(case, argv, expected, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    try:
        code = train_main([*argv, "--dry-run"] if "--grace" not in argv and "--dryrun" not in argv else argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    assert code == 2
    _one_error_line(capsys.readouterr().err, expected)
    assert train_main(["recipes/smoke.yaml", "--dry-run"]) == 0


def test_non_utf8_recipe_names_line_and_column(tmp_path, capsys):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("seed: 1\nmodel:\n  name_or_path: caf\xe9\n".encode("latin-1"))
    assert train_main([str(path), "--dry-run"]) == 2
    _one_error_line(capsys.readouterr().err, "line 3, column 20: not UTF-8 text")


SMOKE_PATH = str(ROOT / "recipes" / "smoke.yaml")


def test_dry_run_reports_errors_without_a_traceback(capsys):
    assert train_main([SMOKE_PATH, "trainer.loss_type=ppo", "--dry-run"]) == 2
    assert "loss_type 'ppo'" in capsys.readouterr().err


def test_an_unreachable_hub_model_fails_at_start_with_what_to_pass(monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert train_main([str(ROOT / "recipes" / "gsm8k_qwen2.5-0.5b-instruct.yaml")]) == 2
    error = capsys.readouterr().err
    assert "Qwen/Qwen2.5-0.5B-Instruct" in error and "model.name_or_path=" in error and "make demo" in error


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
    assert train_main([SMOKE_PATH, override, "--dry-run"]) == 2
    assert expected in capsys.readouterr().err


# --- python -m eval ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("model") / "tiny")


EVAL_CASES = [
    ("n-zero", {"--n": "0"}, "argument --n: must be 1 or more, got 0"),
    ("n-negative", {"--n": "-1"}, "must be 1 or more, got -1"),
    ("n-text", {"--n": "abc"}, "expected a whole number, got 'abc'"),
    ("max-new-tokens-zero", {"--max-new-tokens": "0"}, "argument --max-new-tokens: must be 1 or more"),
    ("levels-text", {"--levels": "a,b"}, "expected comma-separated whole numbers"),
    ("levels-out-of-range", {"--levels": "9"}, "arithmetic has levels [1, 2, 3, 4]; got [9]"),
    ("temperature-negative", {"--temperature": "-1"}, "argument --temperature: must be 0 or more"),
    ("top-p-high", {"--top-p": "2"}, "argument --top-p: must be above 0 and at most 1"),
    ("benchmarks-empty", {"--benchmarks": ""}, "expected comma-separated names"),
    ("benchmarks-empty-entry", {"--benchmarks": "arithmetic,,gsm8k"}, "expected comma-separated names"),
    (
        "benchmark-typo",
        {"--benchmarks": "arithmetc"},
        "unknown benchmark 'arithmetc' (did you mean arithmetic",
    ),
    (
        "template-typo",
        {"--template": "answer_iss"},
        "--template 'answer_iss' is unknown (did you mean answer_is?)",
    ),
    ("model-path-missing", {"--model": "./no/such/checkpoint"}, "is not a local folder (no such path)"),
    ("model-folder-without-config", {"--model": "recipes"}, "is not a model folder"),
    ("data-files-format", {"--data-files": "gsm8k"}, "--data-files takes NAME=PATH"),
    ("data-files-other-benchmark", {"--data-files": "gsm8k=x.jsonl"}, "gsm8k is not one of --benchmarks"),
    ("greedy-n", {"--n": "2"}, "identical greedy samples"),
    ("limit-zero", {"--limit": "0"}, "argument --limit: must be 1 or more"),
    ("batch-size-zero", {"--batch-size": "0"}, "argument --batch-size: must be 1 or more"),
    ("backend", {"--backend": "jax"}, "invalid choice: 'jax'"),
    (
        "temperature-inf",
        {"--temperature": "inf", "--n": "2"},
        "argument --temperature: must be 0 or more (a finite number), got inf",
    ),
    (
        "temperature-nan",
        {"--temperature": "nan", "--n": "2"},
        "argument --temperature: must be 0 or more (a finite number), got nan",
    ),
]


def _eval_argv(model, out, changes=None):
    argv = {
        "--model": str(model),
        "--benchmarks": "arithmetic",
        "--template": "answer_is",
        "--limit": "2",
        "--max-new-tokens": "4",
        "--out": str(out),
    }
    argv.update(changes or {})
    return [item for pair in argv.items() for item in pair]


def _run(main, argv):
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


@pytest.mark.parametrize(("case", "change", "expected"), EVAL_CASES, ids=[c[0] for c in EVAL_CASES])
def test_bad_eval_arguments_leave_nothing_that_blocks_the_fixed_run(
    case, change, expected, tiny_model_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    assert _run(eval_main, _eval_argv(tiny_model_dir, out, change)) == 2
    _one_error_line(capsys.readouterr().err, expected)
    assert not (out / "settings.json").exists()
    assert _run(eval_main, _eval_argv(tiny_model_dir, out)) == 0  # the corrected command, same folder


@pytest.mark.parametrize(
    ("case", "damage", "expected"),
    [
        (
            "settings-corrupt",
            lambda out: (out / "settings.json").write_text("{not json"),
            "settings.json is corrupt (line 1, column 2",
        ),
        (
            "settings-not-object",
            lambda out: (out / "settings.json").write_text("[1]"),
            "is not a settings file",
        ),
        ("metrics-corrupt", lambda out: (out / "metrics.json").write_text("{"), "metrics.json is corrupt"),
        (
            "samples-corrupt-middle",
            lambda out: (out / "arithmetic" / "samples.jsonl").write_text("{bad\n{}\n"),
            "samples.jsonl, line 1: not a JSON record",
        ),
        (
            "other-settings",
            lambda out: (out / "settings.json").write_text(json.dumps({"model": "other"})),
            "holds results made with other settings (model: 'other'",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_damaged_eval_folders_are_one_line_errors(
    case, damage, expected, tiny_model_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    assert _run(eval_main, _eval_argv(tiny_model_dir, out)) == 0
    capsys.readouterr()
    damage(out)
    assert _run(eval_main, _eval_argv(tiny_model_dir, out)) == 2
    _one_error_line(capsys.readouterr().err, expected)
    assert _run(eval_main, _eval_argv(tiny_model_dir, tmp_path / "fresh")) == 0  # the fix the message names


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_vllm_backend_without_vllm_leaves_nothing_that_blocks_the_transformers_rerun(
    tiny_model_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    assert _run(eval_main, _eval_argv(tiny_model_dir, out, {"--backend": "vllm"})) == 2
    _one_error_line(capsys.readouterr().err, "--backend vllm needs vLLM, which is not installed here")
    assert not out.exists()
    assert _run(eval_main, _eval_argv(tiny_model_dir, out)) == 0  # same folder: was refused (backend changed)


def test_a_truncated_checkpoint_is_one_line_and_the_recopied_one_evaluates_into_the_same_folder(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    model, out = _damaged_model(tmp_path / "model"), tmp_path / "out"
    assert _run(eval_main, _eval_argv(model, out)) == 2
    _one_error_line(capsys.readouterr().err, "model.safetensors is damaged")
    assert not out.exists()
    save_tiny_model(model)
    assert _run(eval_main, _eval_argv(model, out)) == 0


def test_a_benchmark_file_without_usable_golds_is_an_error_not_a_table_of_nothing(
    tiny_model_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    path = _write_jsonl(
        tmp_path / "gsm8k.jsonl",
        [{"question": "What is 1 + 1?", "answer": None}, {"question": "What is 2 + 2?", "answer": "four"}],
    )
    out = tmp_path / "out"
    argv = _eval_argv(tiny_model_dir, out, {"--benchmarks": "gsm8k", "--data-files": f"gsm8k={path}"})
    assert _run(eval_main, argv) == 2
    _one_error_line(
        capsys.readouterr().err,
        "--benchmarks gsm8k: " + str(path) + " holds no problem with a usable gold answer",
    )
    assert not out.exists()
    _write_jsonl(path, [{"question": "What is 1 + 1?", "answer": "#### 2"}])
    assert _run(eval_main, argv) == 0


def test_prompts_longer_than_the_models_context_are_counted_in_a_warning(
    tiny_model_dir, tmp_path, caplog, monkeypatch
):
    monkeypatch.chdir(ROOT)
    question = (
        "What is " + " + ".join(["1"] * 1500) + "?"
    )  # about three times the tiny model's 1,024 positions
    path = _write_jsonl(
        tmp_path / "gsm8k.jsonl",
        [{"question": question, "answer": "#### 1500"}, {"question": "What is 1 + 1?", "answer": "#### 2"}],
    )
    with caplog.at_level("WARNING"):
        assert (
            _run(
                eval_main,
                _eval_argv(
                    tiny_model_dir,
                    tmp_path / "out",
                    {"--benchmarks": "gsm8k", "--data-files": f"gsm8k={path}"},
                ),
            )
            == 0
        )
    assert "1 of 2 prompts do not fit the model's context of 1024 tokens" in caplog.text


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("is-a-file", "is a file; give a folder for the results"),
        ("under-a-file", "is a file, so nothing can be made under it; give another --out"),
        ("read-only", "can't be written"),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else None,
)
def test_an_eval_out_folder_that_cant_be_written_is_one_line(
    case, expected, tiny_model_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    if case == "read-only":
        out, fixed = _unwritable(tmp_path)
    else:
        (tmp_path / "taken").write_text("a file")
        out = tmp_path / "taken" if case == "is-a-file" else tmp_path / "taken" / "out"
        fixed = out
    assert _run(eval_main, _eval_argv(tiny_model_dir, out)) == 2  # was a traceback
    _one_error_line(capsys.readouterr().err, expected)
    (tmp_path / "taken").unlink(missing_ok=True)
    assert _run(eval_main, _eval_argv(tiny_model_dir, fixed)) == 0


def test_a_torn_samples_line_is_redone_not_merged_into_the_next(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    assert _run(eval_main, _eval_argv(tiny_model_dir, out, {"--limit": "3"})) == 0
    samples = out / "arithmetic" / "samples.jsonl"
    lines = samples.read_text().splitlines()
    samples.write_text(lines[0] + "\n" + lines[1][:25])  # a crash mid-write
    assert _run(eval_main, _eval_argv(tiny_model_dir, out, {"--limit": "3"})) == 0
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    assert len(rows) == 3 and len({row["id"] for row in rows}) == 3


# --- python -m eval.score and eval.compare ------------------------------------------------------------------


SCORE_CASES = [
    ("missing", None, "does not exist"),
    ("folder", "folder", "is a folder; give one file of completions"),
    ("not-utf8", b"\xff\xfe{}", "is not UTF-8 text"),
    ("not-json", b'{"answer": "1", "completion": "1"}\n{oops\n', "line 2: not JSON"),
    ("deeply-nested", b"[" * 100000 + b"]" * 100000, "line 1: JSON nested too deeply"),
    ("not-an-object", b"[1, 2]\n", "line 1: each line must be a JSON object, got list"),
    ("no-completions", b'{"answer": "1"}\n', "row 0: needs 'completions' (a list) or 'completion'"),
    ("no-gold", b'{"completion": "1", "id": "nope"}\n', "row 0: no 'answer', and id 'nope'"),
    ("empty", b"\n", "holds no rows"),
    ("completion-not-text", b'{"completions": [1, 2], "answer": "1"}\n', "row 0: completions must be text"),
    (
        "null-gold",
        b'{"completions": ["The answer is 1."], "answer": null}\n',
        "none of its 1 rows has a gold answer the grader can read",
    ),
    (
        "harness-field-not-mapping",
        b'{"completions": ["The answer is 1."], "answer": "1", "harness": "x"}\n',
        "row 0: 'harness' is this tool's field for another harness's scores",
    ),
]


def _lm_eval_line(**changes) -> bytes:
    record = {
        "doc_id": 0,
        "doc": {"question": "What is 1 + 1?", "answer": "1 + 1 = 2\n#### 2"},
        "target": "1 + 1 = 2\n#### 2",
        "resps": [["1 + 1 = 2\n#### 2"]],
        "filtered_resps": ["2"],
        "filter": "strict-match",
        "metrics": ["exact_match"],
        "exact_match": 1.0,
    }
    record.update(changes)
    return (json.dumps(record) + "\n").encode()


SCORE_CASES += [
    (
        "lm-eval-unreadable-gold",
        _lm_eval_line(target=None, doc={"question": "What is 1 + 1?"}),
        "none of its 1 rows has a gold answer the grader can read",
    ),
    (
        "lm-eval-metric-as-text",
        _lm_eval_line(exact_match="1.0"),
        "line 1: metric 'exact_match' must be a number, got '1.0'",
    ),
    (
        "lm-eval-resps-as-text",
        _lm_eval_line(resps="1 + 1 = 2"),
        "line 1: 'resps' must be a list of lists of completions",
    ),
    (
        "lm-eval-metrics-as-text",
        _lm_eval_line(metrics="exact_match"),
        "line 1: 'metrics' must be a list, got 'exact_match'",
    ),
    ("lm-eval-doc-as-text", _lm_eval_line(doc="What is 1 + 1?"), "line 1: 'doc' must be a mapping"),
]


@pytest.mark.parametrize(("case", "content", "expected"), SCORE_CASES, ids=[c[0] for c in SCORE_CASES])
def test_bad_score_files_are_one_line_errors(case, content, expected, tmp_path, capsys):
    path = tmp_path / "completions.jsonl"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    assert _run(score_main, [str(path)]) == 2
    _one_error_line(capsys.readouterr().err, expected)
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text(json.dumps({"completions": ["The answer is 1."], "answer": "1"}) + "\n")
    assert _run(score_main, [str(fixed)]) == 0
    assert json.loads(capsys.readouterr().out)["pass@1"] == 1.0


@pytest.mark.parametrize(
    ("case", "content", "expected"),
    [
        ("missing", None, "metrics.json not found"),
        ("corrupt", "{", "metrics.json is corrupt"),
        ("not-metrics", "[1, 2]", "is not a metrics file of python -m eval"),
        ("not-utf8", b"\xff", "is not UTF-8 text"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_compare_inputs_are_one_line_errors(case, content, expected, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    if isinstance(content, bytes):
        (run / "metrics.json").write_bytes(content)
    elif content is not None:
        (run / "metrics.json").write_text(content)
    assert _run(compare_main, [str(run), "--png", str(tmp_path / "c.png")]) == 2
    _one_error_line(capsys.readouterr().err, expected)
    metrics = {"n_problems": 1, "pass@1": 1.0, "pass@1_ci95": [1.0, 1.0]}
    (run / "metrics.json").write_text(json.dumps({"settings": {}, "benchmarks": {"arithmetic": metrics}}))
    assert _run(compare_main, [str(run), "--png", str(tmp_path / "c.png")]) == 0


@pytest.mark.parametrize(
    ("case", "table", "expected"),
    [
        ("empty", {"doc": [], "model_response": [], "metric": []}, "holds no rows"),
        (
            "doc-as-text",
            {"doc": ["What is 1 + 1?"], "model_response": [{"text": ["2"]}], "metric": [{"em": 1.0}]},
            "row 0: 'doc' must be a struct",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 20 else None,
)
def test_bad_lighteval_files_are_one_line_errors(case, table, expected, tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as parquet

    path = tmp_path / "details_gsm8k.parquet"
    if table["doc"]:
        parquet.write_table(pa.table(table), path)
    else:
        doc = pa.struct(
            [("query", pa.string()), ("choices", pa.list_(pa.string())), ("gold_index", pa.int64())]
        )
        parquet.write_table(
            pa.table(
                {
                    "doc": pa.array([], doc),
                    "model_response": pa.array([], pa.struct([("text", pa.list_(pa.string()))])),
                    "metric": pa.array([], pa.struct([("em", pa.float64())])),
                }
            ),
            path,
        )
    assert _run(score_main, [str(path)]) == 2
    _one_error_line(capsys.readouterr().err, expected)
    fixture = ROOT / "tests" / "fixtures" / "harness" / "lighteval-0.13.0_gsm8k_details.parquet"
    path.write_bytes(fixture.read_bytes())  # the file lighteval wrote
    assert _run(score_main, [str(path)]) == 0


def _metrics_folder(path: Path, settings: dict, **metrics) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    entry = {"n_problems": 4, "pass@1": 0.5, "pass@1_ci95": [0.1, 0.9], **metrics}
    (path / "metrics.json").write_text(
        json.dumps({"settings": settings, "benchmarks": {"arithmetic": entry}})
    )
    return path


@pytest.mark.parametrize(
    ("case", "metrics", "expected"),
    [
        ("field-missing", {"pass@1_ci95": None}, "benchmarks.arithmetic lacks pass@1_ci95"),
        ("metric-as-text", {"pass@1": "0.5"}, "benchmarks.arithmetic pass@1 must be a number, got '0.5'"),
        ("interval-malformed", {"pass@1_ci95": [0.1]}, "pass@1_ci95 must be [low, high]"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 20 else None,
)
def test_compare_names_the_metrics_field_that_is_wrong(case, metrics, expected, tmp_path, capsys):
    run = _metrics_folder(tmp_path / "run", {}, **metrics)
    if metrics.get("pass@1_ci95", 0) is None:
        saved = json.loads((run / "metrics.json").read_text())
        del saved["benchmarks"]["arithmetic"]["pass@1_ci95"]
        (run / "metrics.json").write_text(json.dumps(saved))
    assert _run(compare_main, [str(run), "--png", str(tmp_path / "c.png")]) == 2
    _one_error_line(capsys.readouterr().err, expected)
    _metrics_folder(run, {})
    assert _run(compare_main, [str(run), "--png", str(tmp_path / "c.png")]) == 0


def test_compare_png_paths(tmp_path, capsys):
    run = _metrics_folder(tmp_path / "run", {})
    (tmp_path / "taken").write_text("a file")
    assert _run(compare_main, [str(run), "--png", str(tmp_path / "taken" / "c.png")]) == 2
    _one_error_line(capsys.readouterr().err, "taken is a file, so nothing can be made under it")
    unwritable, _ = _unwritable(tmp_path)
    assert _run(compare_main, [str(run), "--png", str(unwritable / "c.png")]) == 2
    _one_error_line(capsys.readouterr().err, "can't be written")
    assert capsys.readouterr().out == ""  # nothing printed before the error
    assert _run(compare_main, [str(run), "--png", str(tmp_path)]) == 0  # a folder holds compare.png
    assert (
        f"chart: {tmp_path / 'compare.png'}" in capsys.readouterr().out
        and (tmp_path / "compare.png").exists()
    )
    assert (
        _run(compare_main, [str(run), "--png", str(tmp_path / "chart")]) == 0
    )  # the printed path is the file
    assert f"chart: {tmp_path / 'chart.png'}" in capsys.readouterr().out and (tmp_path / "chart.png").exists()


def test_compare_warns_when_runs_differ_in_protocol(tmp_path, capsys):
    greedy = _metrics_folder(tmp_path / "greedy", {"n": 1, "temperature": 0.0, "max_new_tokens": 96})
    sampled = _metrics_folder(tmp_path / "sampled", {"n": 8, "temperature": 0.7, "max_new_tokens": 96})
    assert _run(compare_main, [str(greedy), str(sampled), "--png", str(tmp_path / "c.png")]) == 0
    err = capsys.readouterr().err
    assert "warning: the runs were evaluated differently" in err
    assert "n (greedy: 1, sampled: 8)" in err and "temperature (greedy: 0.0, sampled: 0.7)" in err
    assert "max_new_tokens" not in err  # equal settings are not named


def test_compare_labels_must_match_runs(tmp_path, capsys):
    assert _run(compare_main, [str(tmp_path), "--labels", "a", "b"]) == 2
    _one_error_line(capsys.readouterr().err, "2 labels for 1 runs")


# --- runs that can't train never report success ----------------------------------------------------------


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.mark.parametrize(
    ("case", "rows", "overrides", "expected"),
    [
        ("no-usable-rows", [{"q": "What is 1 + 1?", "a": None}] * 4, [], "0 usable training problems"),
        (
            "too-few-rows",
            [{"q": "What is 1 + 1?", "a": "2"}],
            [],
            "1 usable training problems, but one step samples 2",
        ),
        (
            "long-prompts-fail",
            [{"q": "What is 1 + 1? " + "pad " * 400, "a": "2"}] * 4,
            ["data.max_prompt_tokens=64", "data.long_prompts=fail"],
            "prompts are longer than data.max_prompt_tokens=64",
        ),
        (
            "long-prompts-dropped-to-nothing",
            [{"q": "x" * 200_000, "a": "2"}] * 4,
            [],
            "0 usable training problems",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_runs_without_enough_data_fail_before_the_model_loads(
    case, rows, overrides, expected, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    path = _write_jsonl(tmp_path / "train.jsonl", rows)
    argv = [
        "recipes/smoke.yaml",
        f"output_dir={tmp_path / 'run'}",
        f"data.name={path}",
        "data.question_field=q",
        "data.answer_field=a",
        "data.levels=null",
        "data.limit=null",
        *overrides,
    ]
    loaded = []
    real_load_model = recipes.train.load_model
    monkeypatch.setattr(recipes.train, "load_model", lambda *args: loaded.append(args))
    assert train_main(argv) == 2  # a 200,000-character prompt is measured by a prefix (test_training_data)
    _one_error_line(capsys.readouterr().err, expected)
    assert loaded == []  # refused before the model loads
    monkeypatch.setattr(recipes.train, "load_model", real_load_model)
    assert not (tmp_path / "run" / "final").exists() and not (tmp_path / "run" / "recipe.yaml").exists()
    _write_jsonl(path, [{"q": f"What is {i} + 1?", "a": str(i + 1)} for i in range(4)])
    fixed = argv[: len(argv) - len(overrides)]
    assert train_main([*fixed, "trainer.max_steps=1"]) == 0
    assert (tmp_path / "run" / "final").exists()


def test_long_prompts_are_dropped_and_counted(tmp_path, caplog, monkeypatch):
    monkeypatch.chdir(ROOT)
    rows = [{"q": f"What is {i} + 1?", "a": str(i + 1)} for i in range(4)] + [{"q": "pad " * 400, "a": "1"}]
    path = _write_jsonl(tmp_path / "train.jsonl", rows)
    argv = [
        "recipes/smoke.yaml",
        f"output_dir={tmp_path}",
        f"data.name={path}",
        "data.question_field=q",
        "data.answer_field=a",
        "data.levels=null",
        "data.limit=null",
        "data.max_prompt_tokens=400",
        "trainer.max_steps=1",
    ]
    with caplog.at_level("WARNING"):
        assert train_main(argv) == 0
    assert "dropped 1 of 5 prompts longer than data.max_prompt_tokens=400" in caplog.text


# --- SFT recipes whose data can't give completions --------------------------------------------------------


def _sft_rows(**fields) -> list[dict]:
    """Four problems in an SFT file; each keyword is a field: a function of the problem's number."""
    return [{key: value(i) for key, value in fields.items()} for i in range(4)]


QUESTION, ANSWER = (lambda i: f"What is {i} + 1?"), (lambda i: str(i + 1))
SOLUTION = lambda i: f"{i} + 1 = {i + 1}"  # noqa: E731
ANSWER_IS = lambda i: f"{i} + 1 = {i + 1}\nThe answer is {i + 1}."  # noqa: E731
FROM_FIELD = ["data.completion_field=completion"]

# (id, the file's rows (None: an empty file), overrides, what the message must say, overrides of the fixed run)
SFT_CASES = [
    (
        "no-solutions",
        _sft_rows(question=QUESTION, answer=ANSWER),
        [],
        "none of the 4 training rows has a reference solution; SFT needs them",
        [],
    ),
    ("empty-file", None, [], "is empty; it needs one row per problem", []),
    (
        "template-the-completions-dont-follow",
        _sft_rows(question=QUESTION, answer=ANSWER, completion=ANSWER_IS),
        [*FROM_FIELD, "data.template=qwen_math_cot"],
        "none of the 4 SFT completions in field 'completion' follows template qwen_math_cot's boxed format",
        FROM_FIELD,
    ),
    (
        "template-the-solutions-dont-fit",  # answer_is asks for one line of calculation
        _sft_rows(question=QUESTION, answer=ANSWER, solution=lambda i: f"{i} + 1 = {i + 1}\nso {i + 1}"),
        [],
        "none of the 4 SFT completions written from the reference solutions follows template answer_is's",
        [],
    ),
    (
        "no-question-for-the-template",
        _sft_rows(problem=QUESTION, answer=ANSWER, solution=SOLUTION),
        [],
        "row 0: no field 'question'; the rows have fields ['answer', 'problem', 'solution']",
        [],
    ),
    (
        "completion-field-missing",
        _sft_rows(question=QUESTION, answer=ANSWER, solution=SOLUTION),
        FROM_FIELD,
        "row 0: no field 'completion'; the rows have fields ['answer', 'question', 'solution']",
        FROM_FIELD,
    ),
    (
        "completion-field-empty",
        _sft_rows(question=QUESTION, answer=ANSWER, completion=lambda i: ""),
        FROM_FIELD,
        "none of the 4 training rows has a completion in field 'completion'",
        FROM_FIELD,
    ),
]


@pytest.mark.parametrize(
    ("case", "rows", "overrides", "expected", "fixed"), SFT_CASES, ids=[c[0] for c in SFT_CASES]
)
def test_sft_data_without_usable_completions_is_one_line_in_the_dry_run_and_the_run(
    case, rows, overrides, expected, fixed, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(ROOT)
    path = tmp_path / "sft.jsonl"
    path.write_text("") if rows is None else _write_jsonl(path, rows)
    argv = [
        "recipes/sft_smoke.yaml",
        f"output_dir={tmp_path / 'run'}",
        f"data.name={path}",
        "data.question_field=question",
        "data.answer_field=answer",
        "data.levels=null",
        "data.limit=null",
    ]
    assert train_main([*argv, *overrides, "--dry-run"]) == 2
    _one_error_line(capsys.readouterr().err, expected)
    assert train_main([*argv, *overrides]) == 2
    _one_error_line(capsys.readouterr().err, expected)
    assert not (tmp_path / "run" / "final").exists()
    _write_jsonl(path, _sft_rows(question=QUESTION, answer=ANSWER, solution=SOLUTION, completion=ANSWER_IS))
    assert train_main([*argv, *fixed, "--dry-run"]) == 0
    assert "is valid" in capsys.readouterr().out


# --- python -m data.rft ------------------------------------------------------------------------------------


def _only_wrong(row, n):
    return [("1 + 1 = 2\nThe answer is -1.", False)] * n


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "does not exist; give the --out folder of python -m eval"),
        ("not-an-evaluation", "is not an evaluation's output folder (no settings.json)"),
        (
            "no-correct-completion",
            "none of the 30 completions of arithmetic was graded correct and whole (30 wrong",
        ),
        ("not-jsonl", "--out"),
    ],
)
def test_bad_rft_inputs_are_one_line_errors(case, expected, tmp_path, capsys):
    from data.rft import main as rft_main
    from tests.fakes import evaluate_training_problems, right_wrong_and_cut

    folder = tmp_path / "samples"
    if case == "not-an-evaluation":
        folder.mkdir()
        (folder / "notes.txt").write_text("hi")
    elif case == "no-correct-completion":
        evaluate_training_problems(folder, _only_wrong)
    elif case == "not-jsonl":
        evaluate_training_problems(folder, right_wrong_and_cut)
    out = tmp_path / ("rft.txt" if case == "not-jsonl" else "rft.jsonl")
    assert rft_main([str(folder), "--out", str(out)]) == 2
    _one_error_line(capsys.readouterr().err, expected)
    assert not out.exists()
