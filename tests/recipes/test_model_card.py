"""recipes/model_card.py: the model card and the Hub push."""

from pathlib import Path

import yaml


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


ROOT = Path(__file__).resolve().parents[2]
SMOKE = str(ROOT / "recipes" / "smoke.yaml")
RUN_INFO = {
    "versions": {"trl": "1.16.0", "torch": "2.0", "vllm": None},
    "git_commit": "0123abc",
    "git_dirty": True,
    "python": "3.12.1",
}


def _card(recipe: str, overrides=(), **summary) -> str:
    from recipes.model_card import model_card
    from recipes.resolve import resolve_run

    summary = {"output_dir": "/runs/outputs/my-run", "global_step": 3, "eval": None, **summary}
    return model_card(resolve_run(recipe, list(overrides)), summary, RUN_INFO)


def _header(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


def test_a_grpo_card_says_the_method_the_data_the_rewards_and_the_run():
    card = _card(SMOKE)
    assert _header(card) == {
        "base_model": "tiny",
        "library_name": "transformers",
        "tags": ["grpo", "trl", "math", "reinforcement-learning"],
    }  # no datasets: the arithmetic set is generated, not a Hub data set
    assert "\n# my-run\n" in card
    assert (
        "GRPO fine-tune of `tiny` with the recipe `smoke.yaml` of grpo-math-recipes (TRL's GRPOTrainer"
        in card
    )
    assert "- Data: arithmetic (train, levels [1], first 64); prompt template `answer_is`" in card
    reward_lines = [line for line in card.splitlines() if line.startswith("- Reward ")]
    assert [line.split(",")[0] for line in reward_lines] == [
        "- Reward `accuracy`",
        "- Reward `format`",
        "- Reward `soft_overlong`",
    ]
    assert "weight 0.1" in reward_lines[2] and "'soft_punish_cache': 8" in reward_lines[2]
    assert "'max_completion_len': 16" in reward_lines[2]  # bound from trainer.max_completion_length
    assert "'answer_format': 'answer_is'" in reward_lines[1]  # the template's format, bound
    trainer_line = next(line for line in card.splitlines() if line.startswith("- Trainer settings"))
    assert "TRL 1.16.0's defaults" in trainer_line and "'num_generations': 4" in trainer_line
    assert "report_to" not in trainer_line
    assert "- Seed 0; 3 optimizer steps" in card
    assert "- Code: git commit `0123abc` (with local changes)" in card
    assert "Not evaluated by the run (the recipe has no eval section)." in card
    assert "- trl 1.16.0\n- torch 2.0\n- python 3.12.1" in card and "vllm" not in card


def test_an_online_rft_card_and_an_sft_card_say_their_method():
    online = _card(SMOKE, ["online_rft=true"])
    assert "Online RFT fine-tune of `tiny`" in online and "GRPO fine-tune" not in online
    assert "trained on its correct completions" in online
    assert _header(online)["tags"] == ["online-rft", "trl", "math", "reinforcement-learning"]
    sft = _card(str(ROOT / "recipes" / "sft_smoke.yaml"))
    assert "SFT fine-tune of `tiny` with the recipe `sft_smoke.yaml`" in sft and "TRL's SFTTrainer" in sft
    assert _header(sft)["tags"] == ["sft", "trl", "math"]  # not reinforcement learning
    assert "- Data: arithmetic (train, levels [1], first 64); prompt template `answer_is`" in sft
    assert "- Reward " not in sft  # an SFT recipe trains on no reward


def test_a_hub_data_set_is_named_in_the_header():
    source = "data={name: me/problems, question_field: q, answer_field: a, template: answer_is}"
    card = _card(SMOKE, [source])
    assert _header(card)["datasets"] == ["me/problems"]
    assert "- Data: me/problems (train); prompt template `answer_is`" in card


def test_the_card_holds_the_final_evaluation_when_the_run_has_one():
    evaluation = {
        "arithmetic": {"n_problems": 3, "pass@1": 1 / 3, "pass@1_ci95": [0.05, 0.8], "pass@1_lenient": 2 / 3},
        "math500": {"n_problems": 0},  # nothing scored: no row
    }
    eval_section = "eval={benchmarks: [arithmetic, math500], limit: 3, max_new_tokens: 8}"
    card = _card(SMOKE, [eval_section], eval=evaluation)
    assert "Not evaluated" not in card
    table = card.split("## Evaluation\n")[1].split("## Versions")[0]
    assert "| benchmark | problems | pass@1 (strict) | 95% CI | pass@1 (lenient) |" in table
    assert "| arithmetic | 3 | 33.3% | 5.0% - 80.0% | 66.7% |" in table
    assert "math500 |" not in table
    assert "Protocol (the recipe's eval section): `{'benchmarks': ['arithmetic', 'math500'], 'n': 1" in table
    assert "'limit': 3" in table and "'max_new_tokens': 8" in table


def test_a_paper_recipe_card_names_the_source_its_departures_and_its_published_numbers():
    from recipes.checks import parse_recipe
    from recipes.recipe_yaml import load_recipe

    r1 = ROOT / "recipes" / "r1zero_qwen2.5-math-1.5b.yaml"
    card = _card(str(r1), ["model.name_or_path=tiny"])
    paper = parse_recipe(load_recipe(r1, ["model.name_or_path=tiny"])).paper
    assert f"The recipe transcribes **{paper.title}**; it departs from that source on: " in card
    assert all(f"{d.setting} ({d.why})" in card for d in paper.departures) and paper.departures
    published = card.split("Published by the source (for comparison):")[1].split("## Training")[0]
    assert published.count("\n| ") == 2 + len(paper.published)  # header, rule, one row per result
    assert f"Protocol: {paper.protocol}" in card
