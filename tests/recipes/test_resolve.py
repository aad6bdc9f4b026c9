"""recipes/resolve.py: a recipe resolved once into what the run is made of."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
R1 = str(ROOT / "recipes" / "r1zero_qwen2.5-math-1.5b.yaml")


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
