"""docs/ZOO.md is what the model cards say today."""

from pathlib import Path

from convzoo.docs_table import zoo_markdown

ZOO = Path(__file__).resolve().parents[1] / "docs" / "ZOO.md"


def test_zoo_page_is_current():
    assert ZOO.read_text() == zoo_markdown(), "regenerate with: python -m convzoo.docs_table > docs/ZOO.md"


def test_zoo_page_lists_every_model_with_its_exact_count():
    text = ZOO.read_text()
    assert "| `vgg16` | 138,357,544 | 3x224x224 |" in text
    assert "| `lenet5` | 60,000 | 1x32x32 |" in text
