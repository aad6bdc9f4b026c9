"""Generation backends for evaluation: transformers (CPU or GPU, default) and vLLM (GPU, optional).

Both take rendered prompt strings and return, per prompt, ``n`` samples as ``Sample(text, tokens,
truncated)``. The transformers backend decodes with eval/decode.py, longest prompts first: ``batch_size``
prompts' rows in flight, each row leaving the batch when it ends (EOS, a stop string or the limit) and a
waiting prompt taking its place, shared prompt prefixes computed once; greedy tokens as ``generate`` picks
them. It halves its batch when the GPU runs out of memory. ``plain=True``, and a model with sliding-window
layers, use ``model.generate`` as it comes, on batches of ``batch_size`` prompts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from eval.cascade import CASCADE, shared_prefix_length, use_shared_prefix_attention
from eval.decode import ROOM, Decoded, decode_stream, decodes, kv_bytes_per_token

logger = logging.getLogger(__name__)

DEFAULT_MAX_NEW_TOKENS = (
    2048  # evaluation's generation limit unless a recipe or --max-new-tokens says otherwise
)
GPU_PROMPTS = (
    64  # prompts in flight on a GPU unless --batch-size says otherwise (halved when memory runs out)
)
PLAIN_CPU_PROMPTS = 32  # model.generate's batch on a CPU (plain=True)
# On a CPU a decoding step costs mostly reading the weights, so the more rows share a step the cheaper each
# token (docs/benchmarks.md): up to CPU_ROWS rows in flight, as many as fit CPU_CACHE_BYTES of KV cache. The
# demo's 400 held-out problems fit at once: 80 s against 83-95 s with 256 rows (measured, same process).
CPU_ROWS = 512
CPU_CACHE_BYTES = 3 * 2**30


@dataclass
class Sample:
    text: str
    tokens: int
    truncated: bool  # hit max_new_tokens before EOS


@dataclass
class GenerationSettings:
    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    seed: int = 0
    stop: tuple[str, ...] = ()  # generation also ends after any of these texts (kept in the output)


def cut_at_stop(text: str, stop: tuple[str, ...] | list[str]) -> tuple[str, bool]:
    """``text`` up to and including the first stop string, and whether one was found.

    >>> cut_at_stop("<think>x</think> <answer>4</answer> and more", ("</answer>",))
    ('<think>x</think> <answer>4</answer>', True)
    """
    ends = [text.find(s) + len(s) for s in stop if s and s in text]
    return (text[: min(ends)], True) if ends else (text, False)


def render_prompt(tokenizer: Any, prompt: str | list[dict[str, str]]) -> str:
    """A template's prompt as the model sees it: chat messages through the tokenizer's chat template."""
    if isinstance(prompt, str):
        return prompt
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(
            "this model's tokenizer has no chat template, so chat prompts can't be rendered; use a plain "
            "template for base models (--template r1_zero) or a model with a chat template"
        )
    return tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)


class TransformersBackend:
    """Batched ``model.generate``; ``batch_size`` counts prompts (each yields ``n`` sequences)."""

    def __init__(self, model: Any, tokenizer: Any, batch_size: int | None = None, plain: bool = False):
        import torch

        self.model, self.tokenizer, self.plain = model.eval(), tokenizer, plain
        self.device = next(model.parameters()).device
        self.batch_size = batch_size  # prompts at a time; None: chosen per call (_prompts_in_flight)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self._torch = torch

    def generate(self, prompts: list[str], settings: GenerationSettings) -> list[list[Sample]]:
        results: list[list[Sample] | None] = [None] * len(prompts)
        for indices, samples in self.generate_batches(prompts, settings):
            for i, s in zip(indices, samples, strict=True):
                results[i] = s
        return results  # type: ignore[return-value]

    def generate_batches(
        self, prompts: list[str], settings: GenerationSettings
    ) -> Iterator[tuple[list[int], list[list[Sample]]]]:
        """Yields (prompt indices, their samples) as prompts finish, longest prompts first."""
        lengths = [len(self.tokenizer(p, add_special_tokens=False)["input_ids"]) for p in prompts]
        self._warn_beyond_context(lengths, settings.max_new_tokens)
        order = sorted(range(len(prompts)), key=lambda i: -lengths[i])
        if self.plain or not decodes(self.model):
            yield from self._plain_batches(prompts, order, settings)
        else:
            yield from self._continuous(prompts, order, settings)

    def _continuous(
        self, prompts: list[str], order: list[int], settings: GenerationSettings
    ) -> Iterator[tuple[list[int], list[list[Sample]]]]:
        """eval/decode.py over every prompt, ``_prompts_in_flight`` prompts' rows at a time; finished prompts
        are handed on a quarter of that at a time (each hand-on is graded and written)."""
        switched = use_shared_prefix_attention(self.model)
        try:
            yield from self._continuous_rows(prompts, order, settings)
        finally:
            if switched:
                self.model.set_attn_implementation("sdpa")

    def _continuous_rows(
        self, prompts: list[str], order: list[int], settings: GenerationSettings
    ) -> Iterator[tuple[list[int], list[list[Sample]]]]:
        n, eos = settings.n, self.tokenizer.eos_token_id
        remaining = list(order)
        while remaining:
            rows = [
                ids
                for i in remaining
                for ids in [self.tokenizer(prompts[i], add_special_tokens=False)["input_ids"]] * n
            ]
            shared = shared_prefix_length(rows) if self.model.config._attn_implementation == CASCADE else 0
            in_flight = self._prompts_in_flight(
                n, max(map(len, rows)) - shared + settings.max_new_tokens + ROOM
            )
            got: dict[int, dict[int, Decoded]] = {}
            ready: list[int] = []
            try:
                stream = decode_stream(
                    self.model,
                    self.tokenizer,
                    rows,
                    settings.max_new_tokens,
                    {eos},
                    slots=in_flight * n,
                    temperature=settings.temperature,
                    top_p=settings.top_p,
                    stop=settings.stop,
                )
                for ended in stream:
                    for row, decoded in ended:
                        samples = got.setdefault(row // n, {})
                        samples[row % n] = decoded
                        if len(samples) == n:
                            ready.append(row // n)
                    if len(ready) >= max(1, in_flight // 4):
                        yield self._hand_on(remaining, ready, got, settings)
                        ready = []
            except self._torch.cuda.OutOfMemoryError as error:
                self._halve_batch(in_flight, error)
                if ready:
                    yield self._hand_on(remaining, ready, got, settings)
                handed = {remaining[p] for p, samples in got.items() if len(samples) == n}
                remaining = [i for i in remaining if i not in handed]
                continue
            if ready:
                yield self._hand_on(remaining, ready, got, settings)
            return

    def _halve_batch(self, prompts: int, error: Exception) -> None:
        """After the GPU ran out of memory with ``prompts`` in flight: half as many from now on (``error``
        re-raised when it was one already)."""
        if prompts == 1:
            raise error
        self._torch.cuda.empty_cache()
        self.batch_size = max(1, prompts // 2)
        logger.warning("out of GPU memory: generation batch lowered to %d prompts", self.batch_size)

    def _prompts_in_flight(self, n: int, columns: int) -> int:
        """Prompts decoded together: ``batch_size`` when given; on a GPU ``GPU_PROMPTS``; on a CPU as many
        rows as fit ``CPU_CACHE_BYTES`` of KV cache at ``columns`` tokens each, at most ``CPU_ROWS``."""
        if self.batch_size:
            return self.batch_size
        if self.device.type != "cpu":
            return GPU_PROMPTS
        rows = min(CPU_ROWS, CPU_CACHE_BYTES // (kv_bytes_per_token(self.model) * columns))
        return max(1, rows // n)

    def _hand_on(
        self,
        remaining: list[int],
        ready: list[int],
        got: dict[int, dict[int, Decoded]],
        settings: GenerationSettings,
    ) -> tuple[list[int], list[list[Sample]]]:
        samples = [
            [self._sample(d.tokens, d.ended == "eos", settings) for _, d in sorted(got[p].items())]
            for p in ready
        ]
        return [remaining[p] for p in ready], samples

    def _plain_batches(
        self, prompts: list[str], order: list[int], settings: GenerationSettings
    ) -> Iterator[tuple[list[int], list[list[Sample]]]]:
        """transformers' ``generate`` on batches of ``batch_size`` prompts, as a plain script runs it."""
        if not self.batch_size:
            self.batch_size = GPU_PROMPTS if self.device.type != "cpu" else PLAIN_CPU_PROMPTS
        start = 0
        while start < len(order):
            indices = order[start : start + self.batch_size]
            try:
                samples = self._generate([prompts[i] for i in indices], settings)
            except self._torch.cuda.OutOfMemoryError as error:
                self._halve_batch(self.batch_size, error)
                continue
            start += len(indices)
            yield indices, samples

    def _warn_beyond_context(self, lengths: list[int], max_new_tokens: int) -> None:
        """Prompts the model can't read whole, or can't answer within its context, are still scored (a
        score must count every problem); say how many, so that the number is read as what it is."""
        context = getattr(getattr(self.model, "config", None), "max_position_embeddings", None)
        if not isinstance(context, int):
            return
        over = [n for n in lengths if n + max_new_tokens > context]
        if over:
            logger.warning(
                "%d of %d prompts do not fit the model's context of %d tokens with %d new tokens (%d longer than "
                "the context by themselves; the longest has %d tokens): their completions are generated past "
                "what the model can attend to, and scored as they are",
                len(over),
                len(lengths),
                context,
                max_new_tokens,
                sum(n > context for n in over),
                max(over),
            )

    def _generate(self, prompts: list[str], settings: GenerationSettings) -> list[list[Sample]]:
        torch = self._torch
        self.tokenizer.padding_side = "left"
        encoded = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(
            self.device
        )
        encoded = {k: v.repeat_interleave(settings.n, dim=0) for k, v in encoded.items()}
        with torch.inference_mode():
            rows = self._plain_generate(encoded, settings)
        samples: list[list[Sample]] = []
        for index, (tokens, finished) in enumerate(rows):
            if index % settings.n == 0:
                samples.append([])
            samples[-1].append(self._sample(tokens, finished, settings))
        return samples

    def _sample(self, tokens: list[int], ended_on_eos: bool, settings: GenerationSettings) -> Sample:
        text = self.tokenizer.decode(tokens, skip_special_tokens=True)
        text, stopped = cut_at_stop(text, settings.stop)
        truncated = not (ended_on_eos or stopped) and len(tokens) >= settings.max_new_tokens
        return Sample(text=text, tokens=len(tokens), truncated=truncated)

    def _plain_generate(
        self, encoded: dict[str, Any], settings: GenerationSettings
    ) -> list[tuple[list[int], bool]]:
        """transformers' ``generate`` as it comes (``make bench``'s baseline): (tokens through EOS, ended on EOS)."""
        sampling = settings.temperature > 0
        kwargs: dict[str, Any] = {"do_sample": sampling, "max_new_tokens": settings.max_new_tokens}
        if settings.stop:
            kwargs.update(stop_strings=list(settings.stop), tokenizer=self.tokenizer)
        if sampling:
            kwargs.update(temperature=settings.temperature, top_p=settings.top_p)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        eos, pad = self.tokenizer.eos_token_id, self.tokenizer.pad_token_id
        output = self.model.generate(**encoded, pad_token_id=pad, eos_token_id=eos, **kwargs)
        rows = []
        for tokens in output[:, encoded["input_ids"].shape[1] :].tolist():
            if eos in tokens:
                rows.append((tokens[: tokens.index(eos) + 1], True))
            else:
                rows.append(([t for t in tokens if t != pad], False))
        return rows


class VLLMBackend:
    """vLLM generation (``--backend vllm``): needs vLLM and a GPU."""

    def __init__(self, model_path: str, **engine_kwargs: Any):
        try:
            from vllm import LLM
        except ImportError as error:
            raise RuntimeError(
                "--backend vllm needs vLLM: pip install vllm (on a machine with a GPU)"
            ) from error
        self.llm = LLM(model=model_path, **engine_kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        self.batch_size = 10**9

    def generate_batches(
        self, prompts: list[str], settings: GenerationSettings
    ) -> Iterator[tuple[list[int], list[list[Sample]]]]:
        from vllm import SamplingParams

        params = SamplingParams(
            n=settings.n,
            temperature=settings.temperature,
            top_p=settings.top_p,
            max_tokens=settings.max_new_tokens,
            seed=settings.seed,
            stop=list(settings.stop) or None,
            include_stop_str_in_output=True,
        )
        chunk = 512  # results are written after each chunk, so an interrupted run loses little
        for start in range(0, len(prompts), chunk):
            outputs = self.llm.generate(prompts[start : start + chunk], params)
            samples = [
                [Sample(o.text, len(o.token_ids), o.finish_reason == "length") for o in output.outputs]
                for output in outputs
            ]
            yield list(range(start, start + len(samples))), samples
