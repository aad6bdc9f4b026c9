"""Prompt templates: how a question becomes a prompt, and which answer format that prompt asks for.

Each template cites where it comes from and declares ``answer_format`` (checked by
``rewards.format_reward``) and ``think_prefilled`` (the prompt already opens ``<think>``). Chat templates
give a list of messages (the model's chat template renders them); plain templates give a string, for base
models without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."


@dataclass(frozen=True)
class Template:
    name: str
    source: str
    answer_format: str
    system: str | None = None
    user: str = "{question}"
    plain: str | None = None  # a base-model prompt string; used instead of messages when set
    think_prefilled: bool = False
    stop: tuple[
        str, ...
    ] = ()  # texts that end a completion, as the source generates (training and evaluation)

    def apply(self, question: str) -> str | list[dict[str, str]]:
        """The prompt for ``question``: a string for plain templates, else chat messages.

        >>> TEMPLATES["qwen_math_cot"].apply("1+1?")[0]["role"]
        'system'
        >>> TEMPLATES["r1_zero_prefill"].apply("1+1?").endswith("Assistant: <think>")
        True
        """
        if self.plain is not None:
            return self.plain.replace("{question}", question)
        messages = [{"role": "system", "content": self.system}] if self.system else []
        return messages + [{"role": "user", "content": self.user.replace("{question}", question)}]

    def write_answer(self, solution: str, answer: str) -> str:
        """A completion that follows this template: the worked ``solution``, then the final ``answer`` stated
        in the template's format (what SFT on reference solutions trains on).

        >>> TEMPLATES["answer_is"].write_answer("23 + 48 = 71", "71")
        '23 + 48 = 71\\nThe answer is 71.'
        >>> TEMPLATES["r1_drgrpo"].write_answer("23 + 48 = 71", "71")
        ' 23 + 48 = 71 </think> <answer>71</answer>'
        """
        from rewards.format import example_completion

        return example_completion(
            self.answer_format, answer, self.think_prefilled, reasoning=solution.strip()
        )

    @property
    def reward_params(self) -> dict[str, Any]:
        """Parameters for ``rewards.get("format", ...)`` that match this template."""
        return {"answer_format": self.answer_format, "think_prefilled": self.think_prefilled}


_R1_ZERO_INSTRUCTION = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with "
    "the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> "
    "</answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here "
    "</answer>."
)
_R1_ZERO = _R1_ZERO_INSTRUCTION + " User: {question}. Assistant:"

_R1_DRGRPO = (
    "A conversation between User and Assistant. The User asks a question, and the Assistant solves it. The Assistant "
    "first thinks about the reasoning process in the mind and then provides the User with the answer. The reasoning "
    "process is enclosed within <think> </think> and answer is enclosed within <answer> </answer> tags, respectively, "
    "i.e., <think> reasoning process here </think> <answer> answer here </answer>.\nUser: {question}\nAssistant: <think>"
)

TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in [
        Template(
            name="r1_zero",
            source="DeepSeek-R1 (arXiv:2501.12948), Table 1: the R1-Zero template for base models",
            answer_format="think_answer",
            plain=_R1_ZERO,
        ),
        Template(
            name="r1_zero_prefill",
            source="DeepSeek-R1 Table 1, with '<think>' prefilled after 'Assistant:' (as in Dr. GRPO / Oat-Zero)",
            answer_format="think_answer",
            plain=_R1_ZERO + " <think>",
            think_prefilled=True,
        ),
        Template(
            name="r1_zero_chatml",
            source="DeepSeek-R1 Table 1's R1-Zero text as the system turn of a ChatML conversation (the chat format of "
            "SmolLM2-Instruct and Qwen, written out as text), '<think>' prefilled and '</answer>' a stop, as Dr. GRPO "
            "generates: the R1-Zero prompt for an instruct model (make finding-r1zero)",
            answer_format="think_answer",
            # Written out rather than rendered from chat messages: TRL renders a chat prompt with the generation
            # prompt added, so an assistant turn already opened with <think> can't be continued that way.
            plain="<|im_start|>system\n"
            + _R1_ZERO_INSTRUCTION
            + "<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n<think>",
            think_prefilled=True,
            stop=("</answer>",),
        ),
        Template(
            name="r1_chat",
            source="open-r1 (huggingface/open-r1) system prompt for chat models",
            answer_format="think_answer",
            system=(
                "You are a helpful AI Assistant that provides well-reasoned and detailed responses. You first "
                "think about the reasoning process as an internal monologue and then provide the user with the "
                "answer. Respond in the following format: <think>\n...\n</think>\n<answer>\n...\n</answer>"
            ),
        ),
        Template(
            name="qwen_math_cot",
            source="Qwen2.5-Math evaluation, prompt type 'qwen25-math-cot' (system prompt)",
            answer_format="boxed",
            system=BOXED_INSTRUCTION,
        ),
        Template(
            name="qwen_boxed",
            source="SimpleRL-Zoo (hkust-nlp/simpleRL-reason), prompt 'qwen_boxed'",
            answer_format="boxed",
            system="You are a helpful assistant.",
            user="{question}\n" + BOXED_INSTRUCTION,
        ),
        Template(
            name="deepseekmath_cot",
            source="deepseek-ai/DeepSeek-Math README §5 and evaluation/run_subset_parallel.py @ b8b0f8c: no system "
            "prompt ('we DO NOT RECOMMEND including the system prompt'), the instruction after the question",
            answer_format="boxed",
            user="{question}\n" + BOXED_INSTRUCTION,
        ),
        Template(
            name="qwen_math_plain",
            source="sail-sg/understand-r1-zero train_zero_math.py @ dfca49d, apply_qwen_math_template (the Qwen-Math "
            "chat format written out as text, for base models; Dr. GRPO / Oat-Zero)",
            answer_format="boxed",
            plain="<|im_start|>system\n"
            + BOXED_INSTRUCTION
            + "<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n"
            "<|im_start|>assistant\n",
        ),
        Template(
            name="r1_drgrpo",
            source="sail-sg/understand-r1-zero train_zero_math.py @ dfca49d, apply_r1_template (= Dr. GRPO paper, "
            "arXiv:2503.20783 Template 1): the R1 text with '<think>' prefilled",
            # The R1 text shows "</think> <answer>", and the source's grader tests for exactly that substring.
            answer_format="oat_r1",
            plain=_R1_DRGRPO,
            think_prefilled=True,
            stop=(
                "</answer>",
            ),  # train_zero_math.py: sampling_params.stop = ["</answer>"], kept in the output
        ),
        Template(
            name="abel",
            source="hkust-nlp/simpleRL-reason examples/simplelr_math_eval/utils.py @ cf1c785, prompt 'abel' (SimpleRL-Zoo "
            "App. B.3: the simple prompt for models with weak instruction following, Qwen2.5-0.5B among them)",
            answer_format="stated",
            plain="Question:\n{question}\nAnswer:\nLet's think step by step.\n",
            # math_eval.py:271-272 @ cf1c785: stop_words.extend(["Question:", "Answer:"]) for abel, so that a base
            # model's invented next question is not graded (its other stop words are end-of-text tokens)
            stop=("Question:", "Answer:"),
        ),
        Template(
            name="gsm8k_hash",
            source="verl examples/data_preprocess/gsm8k.py instruction",
            answer_format="gsm8k_hash",
            user='{question} Let\'s think step by step and output the final answer after "####".',
        ),
        Template(
            name="answer_is",
            source="this repository: one short line of calculation, then 'The answer is N.' (the CPU demo)",
            answer_format="answer_is",
            system="Solve the problem. Write one short line of calculation, then: The answer is N.\n"
            "Example: What is 7 + 5?\n7 + 5 = 12\nThe answer is 12.",
        ),
    ]
}


def get_template(name: str) -> Template:
    if name not in TEMPLATES:
        raise KeyError(f"unknown template {name!r}; choose one of: {', '.join(TEMPLATES)}")
    return TEMPLATES[name]
