"""recipes/model_card.py: the model card and the Hub push."""

from pathlib import Path


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
