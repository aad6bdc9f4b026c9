"""Bad inputs and interruptions, as a hostile user would try them.

Every case asserts the exit code, that the message is one ``error:`` line naming the input and the fix,
that no traceback escapes, and that the corrected rerun then succeeds (from the same folder, where a
folder is involved: a failed run must not block the next one).
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from eval.compare import main as compare_main
from eval.run import main as eval_main
from eval.score import main as score_main
from recipes.tiny_model import save_tiny_model
from recipes.train import main as train_main

ROOT = Path(__file__).resolve().parents[1]
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
    ("rewards-missing", {"rewards": DELETE}, "rewards is required"),
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
        "rewards[0] (soft_overlong) fails on a sample completion",
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
        "rewards[0].weight must be a number",
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
    ("source-not-mapping", {"source": "DeepSeekMath"}, "source must be a mapping"),
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
    started = time.monotonic()
    assert train_main(argv) == 2
    _one_error_line(capsys.readouterr().err, expected)
    assert (
        time.monotonic() - started < 60
    )  # a 200,000-character prompt is measured by a prefix, not tokenized whole
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


# --- interrupted and crashed runs ---------------------------------------------------------------------------


def test_resume_skips_a_checkpoint_cut_off_mid_write(tmp_path, caplog, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = ["recipes/smoke.yaml", f"output_dir={tmp_path}", "trainer.max_steps=4", "trainer.save_steps=2"]
    assert train_main(argv) == 0
    # checkpoint-4 as a kill or a full disk leaves it: no complete trainer_state.json
    state = tmp_path / "checkpoint-4" / "trainer_state.json"
    state.write_text(state.read_text()[:40])
    (tmp_path / "checkpoint-5").mkdir()  # and one with nothing in it at all
    summary = tmp_path / "summary.json"
    summary.unlink()
    with caplog.at_level("WARNING"):
        assert train_main(argv) == 0
    assert "checkpoint-5 is incomplete" in caplog.text and "checkpoint-4 is incomplete" in caplog.text
    resumed = json.loads(summary.read_text())
    assert resumed["resumed_from"].endswith("checkpoint-2") and resumed["global_step"] == 4
    steps = [json.loads(line)["step"] for line in (tmp_path / "completions.jsonl").open()]
    assert sorted(set(steps)) == [1, 2, 3, 4]
    assert all(steps.count(step) == steps.count(1) for step in (2, 3, 4))  # each step once, not redone twice


def _start(argv, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "recipes.train", *argv],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_line(process, text, timeout=120):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not seen: {''.join(seen)[-2000:]}")


def test_sigterm_during_data_preparation_exits_promptly_with_143(tmp_path):
    rows = [{"q": f"What is {i} + 1? " + "word " * 20, "a": str(i + 1)} for i in range(200_000)]
    path = _write_jsonl(tmp_path / "big.jsonl", rows)
    process = _start(
        [
            "recipes/smoke.yaml",
            f"output_dir={tmp_path / 'run'}",
            f"data.name={path}",
            "data.question_field=q",
            "data.answer_field=a",
            "data.levels=null",
            "data.limit=null",
        ]
    )
    _wait_for_line(process, "preparing data")
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 143, output
    assert time.monotonic() - sent < 30, "the signal waited for data preparation to finish"
    assert "stopped by SIGTERM before training started" in output and "Traceback" not in output
    assert not (tmp_path / "run" / "recipe.yaml").exists()


def test_a_second_signal_exits_at_once_without_a_checkpoint(tmp_path):
    process = _start(
        [
            "recipes/smoke.yaml",
            f"output_dir={tmp_path}",
            "trainer.max_steps=100000",
            "trainer.save_steps=100000",
            "trainer.max_completion_length=800",
            "model.name_or_path=tiny",
        ]  # steps of a second or more
    )
    _wait_for_line(process, "'loss'")  # training has started
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)  # two signals at the same instant are one signal to Python
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 130, output
    assert "second SIGINT: exiting now" in output
    assert not (tmp_path / "summary.json").exists()


def test_a_step_that_outlasts_the_grace_period_exits_without_a_checkpoint(monkeypatch):
    from recipes import train as train_module

    exits = []
    monkeypatch.setattr(train_module, "_exit_now", exits.append)
    signals = train_module.StopSignals(grace_s=0.05)
    signals.training = True
    signals._handle(signal.SIGTERM, None)
    time.sleep(0.5)
    assert exits == [143]
    signals._handle(signal.SIGTERM, None)  # and a second signal does not wait at all
    assert exits == [143, 143]
