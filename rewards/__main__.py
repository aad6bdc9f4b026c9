"""Grade one completion from the command line: ``python -m rewards COMPLETION GOLD`` (``-`` reads the
completion from stdin). Prints the extracted final answer and the accuracy and format rewards, so a
surprising reward in a training log can be reproduced and explained. Without arguments it grades a few
built-in examples that show the rules."""

from __future__ import annotations

import argparse
import sys

from rewards import accuracy_reward, extract_final_answer, format_reward

EXAMPLES = [
    ("<think>6 * 7 = 42</think><answer>42</answer>", "42"),
    ("Half of 4,250 is 2,125.\n#### 2,125", "2125"),
    (r"So the answer is $\boxed{\dfrac{2}{4}}$.", r"\frac{1}{2}"),
    (r"The interval is $\boxed{[-2,7]}$.", "[-2, 7]"),
    (r"<think>It is \boxed{42}.</think> Hmm, I am not sure.", "42"),
    ("It is either 7 or 8. The answer is 7 or 8.", "7"),
    ("The answer is not 7.", "7"),
    (r"\boxed{7}. The answer is 8.", "7"),
    (r"\boxed{47 \times 3}", "141"),
    (r"\boxed{9^{9^{9^{9}}}}", "7"),
]


def _show(completion: str, gold: str, prompt: str | None = None) -> None:
    answer = extract_final_answer(completion, prompt=prompt)
    [accuracy] = accuracy_reward([completion], [gold], prompts=[prompt])
    [fmt] = format_reward([completion])
    print(f"completion: {completion[:100]!r}{'...' if len(completion) > 100 else ''}")
    print(f"  final answer: {answer!r}   gold: {gold!r}   accuracy: {accuracy}   R1 format: {fmt}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("completion", nargs="?", help="the model's text, or - for stdin")
    parser.add_argument("gold", nargs="?", help="the gold final answer as the data set stores it")
    parser.add_argument(
        "--prompt", help="the prompt, as TRL passes it (sentences of it echoed back don't count)"
    )
    args = parser.parse_args()
    if args.completion is None:
        for completion, gold in EXAMPLES:
            _show(completion, gold)
        return
    if args.gold is None:
        parser.error("give the gold answer too: python -m rewards COMPLETION GOLD")
    _show(sys.stdin.read() if args.completion == "-" else args.completion, args.gold, args.prompt)


if __name__ == "__main__":
    main()
