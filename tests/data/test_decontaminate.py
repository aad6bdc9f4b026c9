"""data/decontaminate.py: overlap between training and held-out problems."""

from data import load, overlap


def test_overlap_reports_and_removes(tmp_path):
    train = load("arithmetic", split="train", limit=50, levels=[1])
    import datasets

    leaked = datasets.Dataset.from_list([{"question": "what is  " + train[3]["question"][8:].upper() + " "}])
    cleaned, report = overlap(train, {"leak": leaked, "none": leaked.select([])})
    assert report == {"leak": 1, "none": 0}
    assert len(cleaned) == 49 and train[3]["id"] not in cleaned["id"]
    kept, _ = overlap(train, {"leak": leaked}, remove=False)
    assert len(kept) == 50


def test_decontamination_keeps_operators_and_numbers():
    import datasets

    def questions(*texts):
        return datasets.Dataset.from_list([{"question": text} for text in texts])

    train = questions("What is 89 + 44?", "What is 10 + 77?", "What is $\\frac{1}{2}$ of 1,000?")
    held_out = questions("What is 89 - 44?", "What is 10 + 7 - 7?", "what is \\frac{1}{2}  of 1000")
    kept, report = overlap(train, {"test": held_out})
    # different problems stay; a true copy (case, spacing, delimiters, a thousands comma) goes
    assert report == {"test": 1} and kept["question"] == ["What is 89 + 44?", "What is 10 + 77?"]


def test_the_generated_arithmetic_sets_share_no_problem():
    # disjoint by construction: the demo's training set loses nothing to its held-out set
    train = load("arithmetic", split="train", levels=[1], limit=2000)
    _, report = overlap(train, {"arithmetic": load("arithmetic", split="test")}, remove=False)
    assert report == {"arithmetic": 0}
