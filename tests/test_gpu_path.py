"""The GPU path, checked on the CPU: truncation by finish reason on every generation path, stop strings in
training and evaluation, the precision policy, and the GPU check itself (run here with --allow-cpu)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safetensors.torch import load_file

from recipes.callbacks import CompletionRecorder
from recipes.checks import parse_recipe
from recipes.recipe_yaml import load_recipe
from recipes.tiny_model import build_tokenizer
from rewards import get

ROOT = Path(__file__).resolve().parents[1]
R1 = str(ROOT / "recipes" / "r1zero_qwen2.5-math-1.5b.yaml")
LIMIT = 40
WELL_FORMED = " 7 </think> <answer>7</answer>"

# What each generation path hands the rewards for one completion: (token ids, decoded text). The tiny
# tokenizer has one token per character, padding 0 and EOS 1.
_tok = build_tokenizer()
PAD, EOS = _tok.pad_token_id, _tok.eos_token_id


def _ids(text: str) -> list[int]:
    return _tok(text, add_special_tokens=False)["input_ids"]


def _at_limit(text: str) -> str:
    return (text + " and the model writes on and on and on")[:LIMIT]


# (path, how it ended, ids, text, stop strings in force, truncated?)
CASES = [
    # transformers (TRL cuts after the first EOS, keeping it; the runner's trainer drops trailing padding)
    ("transformers", "EOS", _ids(WELL_FORMED) + [EOS], WELL_FORMED, (), False),
    ("transformers", "stop string, others ran on", _ids(WELL_FORMED), WELL_FORMED, ("</answer>",), False),
    (
        "transformers",
        "stop string, padded (pad is not EOS)",
        _ids(WELL_FORMED) + [PAD] * 3,
        WELL_FORMED,
        ("</answer>",),
        False,
    ),
    (
        "transformers",
        "stop string exactly at the limit",
        _ids(" " * (LIMIT - len(WELL_FORMED)) + WELL_FORMED),
        " " * (LIMIT - len(WELL_FORMED)) + WELL_FORMED,
        ("</answer>",),
        False,
    ),
    ("transformers", "the limit", _ids(_at_limit(WELL_FORMED)), _at_limit(WELL_FORMED), (), True),
    # vLLM, colocate and server alike: the tokens through EOS or the stop string, no padding
    ("vllm", "EOS", _ids(WELL_FORMED) + [EOS], WELL_FORMED, (), False),
    ("vllm", "stop string kept in the output", _ids(WELL_FORMED), WELL_FORMED, ("</answer>",), False),
    (
        "vllm",
        "stop string not kept in the output",
        _ids(WELL_FORMED),
        WELL_FORMED.removesuffix("</answer>"),
        ("</answer>",),
        False,
    ),
    ("vllm", "the limit", _ids(_at_limit(WELL_FORMED)), _at_limit(WELL_FORMED), ("</answer>",), True),
]


@pytest.mark.parametrize(
    ("path", "ending", "ids", "text", "stop", "truncated"), CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES]
)
def test_a_completion_is_truncated_only_when_generation_hit_the_length_limit(
    path, ending, ids, text, stop, truncated
):
    recorder = CompletionRecorder(None, end_token_ids={EOS, PAD}, max_completion_length=LIMIT, stop=stop)
    assert recorder.truncated([ids], [text]) == [truncated]
    # Dr. GRPO's R1 reward: a well-formed answer block, zero when truncated
    [reward] = recorder.wrap([get("accuracy", extract="answer_tag", zero_if_truncated=True)])
    expected = 1.0 if "<answer>7</answer>" in text and not truncated else 0.0
    assert reward(prompts=["p"], completions=[text], completion_ids=[ids], answer=["7"]) == [expected]


def test_stop_strings_reach_vllm_and_transformers_generation():
    from recipes.resolve import resolve_run

    def generation_kwargs(*overrides: str) -> dict:
        return resolve_run(R1, ["model.name_or_path=tiny", *overrides]).config.generation_kwargs

    assert generation_kwargs("trainer.use_vllm=true") == {
        "stop": ["</answer>"],
        "include_stop_str_in_output": True,
    }
    assert generation_kwargs("trainer.use_vllm=false") == {"stop_strings": ["</answer>"]}
    abel = generation_kwargs("trainer.use_vllm=false", "data.template=abel")
    assert abel == {"stop_strings": ["Question:", "Answer:"]}  # SimpleRL's evaluation stops (math_eval.py)


def test_evaluation_generates_with_the_template_stop_strings(tmp_path):
    from eval.generate import Sample
    from eval.run import evaluate

    seen = []

    class Recording:
        tokenizer = _tok

        def generate_batches(self, prompts, settings):
            seen.append(settings.stop)
            yield list(range(len(prompts))), [[Sample("The answer is 7.", 5, False)] for _ in prompts]

    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "What is 3 + 4?", "answer": "7 #### 7"}) + "\n")
    evaluate(
        "m",
        ["gsm8k"],
        template="abel",
        data_files={"gsm8k": str(questions)},
        out=tmp_path / "o",
        generator=Recording(),
    )
    assert seen == [("Question:", "Answer:")]


def _weights_changed_share(run: Path) -> float:
    old, new = (
        load_file(str(run / "tiny-model-init" / "model.safetensors")),
        load_file(str(run / "final" / "model.safetensors")),
    )
    changed = sum(
        int((old[k].to(new[k].dtype) != new[k]).sum()) for k in old
    )  # from the weights it started with
    return changed / sum(v.numel() for v in old.values())


def test_full_fine_tuning_keeps_fp32_master_weights_so_small_updates_land(tmp_path, monkeypatch):
    """On a GPU with bf16 the policy keeps fp32 weights and computes under bf16 autocast; forced here, on the
    CPU. Two steps at lr 1e-6 move nearly every weight; the same steps on bf16 weights round nearly all away."""
    import recipes.resolve
    import recipes.train as runner

    monkeypatch.setattr(recipes.resolve, "detect_hardware", lambda: "gpu-bf16")
    common = [
        "trainer.use_cpu=true",
        "trainer.max_steps=2",
        "trainer.learning_rate=1e-6",
        "trainer.save_steps=100",
    ]
    policy = runner.train(
        str(ROOT / "recipes" / "smoke.yaml"), [f"output_dir={tmp_path / 'policy'}", *common]
    )
    info = json.loads((tmp_path / "policy" / "run_info.json").read_text())["precision"]
    assert (info["weights"], info["compute"], info["masters"]) == ("float32", "bf16 autocast", True)
    assert policy["final_model"] and _weights_changed_share(tmp_path / "policy") > 0.9
    runner.train(
        str(ROOT / "recipes" / "smoke.yaml"),
        [f"output_dir={tmp_path / 'bf16'}", "model.dtype=bfloat16", *common],
    )
    assert _weights_changed_share(tmp_path / "bf16") < 0.1


def test_the_dry_run_shows_the_precision_and_warns_when_updates_would_round_away(capsys, monkeypatch):
    import recipes.resolve

    monkeypatch.setattr(recipes.resolve, "detect_hardware", lambda: "gpu-bf16")
    from recipes.dry_run import dry_run

    cpu = "trainer.use_cpu=true"  # GRPOConfig refuses bf16 on a machine without a GPU otherwise
    dry_run(R1, [cpu])
    printed = capsys.readouterr().out
    assert "precision: weights float32, compute bf16 autocast, fp32 master weights" in printed
    assert "round away" not in printed
    dry_run(R1, [cpu, "model.dtype=bfloat16"])
    assert "warning: model.dtype bfloat16 trains the weights themselves" in capsys.readouterr().out
    dry_run(R1, [cpu, "model.lora={}"])  # LoRA: a bf16 base is frozen, nothing to round away
    assert "round away" not in capsys.readouterr().out


PAPER_RECIPES = [
    "deepseekmath_grpo",
    "gsm8k_qwen2.5-0.5b-instruct",
    "math_drgrpo_qwen2.5-math-1.5b",
    "r1zero_qwen2.5-math-1.5b",
    "simplerl_zoo_qwen2.5-0.5b",
]


@pytest.mark.parametrize("name", PAPER_RECIPES)
def test_each_paper_recipe_states_its_truncation_rule_and_precision(name):
    recipe = parse_recipe(load_recipe(ROOT / "recipes" / f"{name}.yaml", []))
    listed = set(recipe.paper.settings) | set(recipe.paper.not_stated)
    assert "generation.truncated" in listed
    assert {"precision.compute", "precision.masters"} & listed or "precision.weights" in listed


def test_the_gpu_check_passes_on_the_cpu(tmp_path):
    """`make gpu-check` runs this on a GPU; here its three checks run on the CPU (--allow-cpu): the R1
    recipe's completions stop at </answer> and are paid, evaluation stops there too, small updates land."""
    from recipes.gpu_check import main

    assert main(["--allow-cpu", "--out", str(tmp_path)]) == 0
