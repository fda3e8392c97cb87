"""--compile: torch.compile in training, evaluation and prediction gives the eager model's results."""

from __future__ import annotations

import pytest
import torch

from convzoo import create_model
from convzoo.cli import main
from convzoo.train import Trainer, resolve_config
from convzoo.train import compile as compile_mod

TINY = dict(data="mnist-mini", train_limit=256, test_limit=100, epochs=1, batch_size=64, threads=1)


pytestmark = pytest.mark.usefixtures("restore_threads")  # tests/conftest.py


@pytest.fixture
def graph_only(monkeypatch):
    """Capture graphs (dynamo + AOT autograd) without generating kernels: seconds, not minutes."""
    monkeypatch.setattr(compile_mod, "COMPILE_BACKEND", "aot_eager")
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def test_compiled_training_matches_eager(graph_only):
    runs = {}
    for compiled in (False, True):
        trainer = Trainer(resolve_config("lenet5_modern", {**TINY, "compile": compiled}), log=lambda _: None)
        result = trainer.fit()
        runs[compiled] = (trainer, result)
    trainer, result = runs[True]
    assert isinstance(trainer.net, torch._dynamo.eval_frame.OptimizedModule)
    assert isinstance(trainer.eval_net, torch._dynamo.eval_frame.OptimizedModule)
    eager = runs[False][1]
    assert result.final["top1"] == eager.final["top1"]
    for (name, a), b in zip(
        result.model.state_dict().items(), eager.model.state_dict().values(), strict=True
    ):
        assert not name.startswith("_orig_mod") and torch.allclose(a, b, atol=1e-5), name


@pytest.mark.slow
def test_cli_eval_compile_gives_the_same_output(graph_only, tmp_path, capsys):
    main(["train", "lenet5_modern", "--epochs", "1", "--train-limit", "256", "--test-limit", "100",
          "--threads", "1", "--out", str(tmp_path / "run")])  # fmt: skip
    ckpt = str(tmp_path / "run" / "checkpoints" / "last.safetensors")
    capsys.readouterr()
    outputs = []
    for extra in ([], ["--compile"]):
        main(["eval", ckpt, "--limit", "100", *extra])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and "top-1" in outputs[0]


@pytest.mark.slow
def test_inductor_eval_outputs_match_eager():
    torch._dynamo.reset()
    model = create_model("lenet5_modern").eval()
    x = torch.randn(8, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        eager = model(x)
        compiled = compile_mod.compile_model(model)(x)
    assert torch.allclose(compiled, eager, atol=1e-5)
