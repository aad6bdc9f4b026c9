"""Several processes: two ranks on one machine, the Slurm launcher's commands, and two "nodes" on
localhost (two torchrun launchers meeting at a rendezvous, gloo on the CPU) that end with identical parameters."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLURM = ROOT / "recipes" / "slurm" / "train.slurm"
SMOKE = str(ROOT / "recipes" / "smoke.yaml")


@pytest.mark.skipif(sys.platform != "linux", reason="two gloo ranks on one CPU machine")
def test_two_ranks_finish_with_identical_parameters(tmp_path):
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        "29531",
        "-m",
        "recipes.train",
        SMOKE,
        f"output_dir={tmp_path}",
        "trainer.per_device_train_batch_size=4",
    ]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"summary-rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["global_step"] == ranks[1]["global_step"] == 3
    assert ranks[0]["parameter_checksum"] == ranks[1]["parameter_checksum"]


def _dry_run(*args, nodes="n1 n2 n3"):
    return subprocess.run(
        ["bash", str(SLURM), *args],
        cwd=ROOT,
        env={**os.environ, "DRY_RUN": "1", "NODES": nodes},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_slurm_launcher_trains_on_all_nodes_or_serves_vllm_from_the_last():
    plain = _dry_run("recipes/smoke.yaml", "zero3", "trainer.max_steps=5")
    assert plain.returncode == 0, plain.stderr
    assert "--nodelist=n1,n2,n3" in plain.stdout and "--num_machines 3 --num_processes 24" in plain.stdout
    assert "--main_process_ip n1" in plain.stdout and "--machine_rank $SLURM_PROCID" in plain.stdout
    assert "-m recipes.train recipes/smoke.yaml trainer.max_steps=5" in plain.stdout
    served = _dry_run("recipes/smoke.yaml", "ddp", "--vllm-node")
    assert served.returncode == 0, served.stderr
    server, train = served.stdout.strip().splitlines()
    assert "--nodelist=n3 trl vllm-serve --model tiny" in server
    assert "--nodelist=n1,n2" in train and "trainer.vllm_mode=server trainer.vllm_server_host=n3" in train


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["recipes/nope.yaml", "ddp"], "recipe recipes/nope.yaml not found"),
        (["recipes/smoke.yaml", "zero9"], "no recipes/accelerate/zero9.yaml"),
        (["recipes/smoke.yaml"], "give an accelerate config name"),
    ],
)
def test_the_slurm_launcher_refuses_bad_arguments(args, expected):
    result = _dry_run(*args)
    assert result.returncode != 0 and expected in result.stderr
    assert (
        _dry_run("recipes/smoke.yaml", "ddp", "--vllm-node", nodes="n1").returncode == 2
    )  # no node left to train


@pytest.mark.skipif(sys.platform != "linux", reason="two gloo ranks on one CPU machine")
def test_two_nodes_on_localhost_finish_with_identical_parameters(tmp_path):
    launchers = []
    for node in (0, 1):
        command = [
            sys.executable, "-m", "torch.distributed.run",
            "--nnodes", "2", "--node_rank", str(node), "--nproc_per_node", "1",
            "--master_addr", "127.0.0.1", "--master_port", "29533",
            "-m", "recipes.train", "recipes/smoke.yaml", f"output_dir={tmp_path}",
            "trainer.per_device_train_batch_size=4",
        ]  # fmt: skip
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
        launchers.append(
            subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
    outputs = [launcher.communicate(timeout=600)[0] for launcher in launchers]
    assert all(launcher.returncode == 0 for launcher in launchers), "\n".join(o[-2000:] for o in outputs)
    ranks = [json.loads((tmp_path / f"summary-rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["global_step"] == ranks[1]["global_step"] == 3
    assert ranks[0]["parameter_checksum"] == ranks[1]["parameter_checksum"]


@pytest.mark.skipif(sys.platform != "linux", reason="two gloo ranks on one CPU machine")
def test_fsdp_on_cpu_ranks_is_plain_data_parallel_and_says_so(tmp_path):
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29534",
        "-m", "recipes.train", "recipes/smoke.yaml", f"output_dir={tmp_path}",
        "trainer.per_device_train_batch_size=4", "trainer.fsdp=full_shard", "trainer.max_steps=1",
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "trainer.fsdp is set but accelerate runs MULTI_CPU" in result.stderr
    ranks = [json.loads((tmp_path / f"summary-rank{r}.json").read_text()) for r in (0, 1)]
    assert (
        ranks[0]["distributed"] == "MULTI_CPU x 2"
        and ranks[0]["parameter_checksum"] == ranks[1]["parameter_checksum"]
    )
