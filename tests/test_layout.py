"""The package's layout rules: what each folder may import, and tests that cannot collide."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "convzoo"

# folder of convzoo -> the convzoo folders/modules it must not import (layers: anything outside layers)
FORBIDDEN: dict[str, set[str]] = {
    "layers": {p.stem for p in PACKAGE.iterdir() if p.stem not in {"layers", "__init__", "__pycache__"}},
    # the trainer is told how to prepare a model (convzoo.pipeline joins it to transfer's step)
    "train": {"transfer", "cli", "search"},
}


def convzoo_imports(source: str, module: str) -> set[str]:
    """The first component below convzoo of every convzoo import in `source`, the text of the
    module `module` (e.g. "convzoo.layers.conv"): {"registry"} for `from ..registry import x`."""
    package = module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                parts = base + (node.module.split(".") if node.module else [])
                names = [parts] if node.module else [[*parts, a.name] for a in node.names]
            else:
                names = [node.module.split(".")] if node.module else []
        elif isinstance(node, ast.Import):
            names = [a.name.split(".") for a in node.names]
        else:
            continue
        found.update(n[1] for n in names if len(n) > 1 and n[0] == "convzoo")
    return found


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_layers_import_only_torch_and_each_other():
    for path in sorted((PACKAGE / "layers").rglob("*.py")):
        bad = convzoo_imports(path.read_text(), module_name(path)) & FORBIDDEN["layers"]
        assert not bad, (
            f"{path.relative_to(ROOT)} imports convzoo.{sorted(bad)}: layers/ holds torch-only blocks"
        )


def test_the_trainer_never_reaches_into_transfer_search_or_the_cli():
    for path in sorted((PACKAGE / "train").rglob("*.py")):
        bad = convzoo_imports(path.read_text(), module_name(path)) & FORBIDDEN["train"]
        assert not bad, f"{path.relative_to(ROOT)} imports convzoo.{sorted(bad)}: it should be told instead"


def test_the_rule_sees_relative_and_absolute_imports():
    source = "import torch\nfrom ..registry import create_model\nimport convzoo.cards\nfrom . import conv\n"
    assert convzoo_imports(source, "convzoo.layers.probe") == {"registry", "cards", "layers"}
    assert convzoo_imports("from .. import weights\n", "convzoo.models.x") == {"weights"}


def test_every_test_folder_is_a_package_and_basenames_are_unique():
    folders = {p.parent for p in (ROOT / "tests").rglob("*.py")}  # fixture folders of data need none
    missing = sorted(str(d.relative_to(ROOT)) for d in folders if not (d / "__init__.py").is_file())
    assert not missing, f"test folders without __init__.py: {missing}"
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
