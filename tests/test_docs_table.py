"""docs/ZOO.md is what the model cards say today."""

from pathlib import Path

from convzoo.docs_table import first_author, readme_count, with_current_zoo, zoo_markdown

ZOO = Path(__file__).resolve().parents[1] / "docs" / "ZOO.md"
README = Path(__file__).resolve().parents[1] / "README.md"


def test_zoo_page_is_current():
    assert ZOO.read_text() == zoo_markdown(), "regenerate with: python -m convzoo.docs_table > docs/ZOO.md"


def test_readme_zoo_summary_is_current():
    """The README's model count and family table are the cards' (a new model shows up in both)."""
    readme = README.read_text()
    assert with_current_zoo(readme) == readme, (
        "regenerate with: python -m convzoo.docs_table --readme README.md"
    )
    assert f"\n{readme_count()} " in readme


def test_first_author_is_the_first_surname():
    assert first_author("M. Tan, Q. V. Le") == "Tan et al."
    assert first_author("F. Chollet") == "Chollet"


def test_zoo_page_lists_every_model_with_its_exact_count():
    text = ZOO.read_text()
    assert "| `vgg16` | 138,357,544 | 3x224x224 |" in text
    assert "| `lenet5` | 60,000 | 1x32x32 |" in text


def test_results_from_elsewhere_than_the_paper_name_their_source():
    """NiN's paper has no ImageNet model (the number is its released model's); ViT's has no Ti/S."""
    import convzoo

    assert "Caffe Model Zoo" in convzoo.model_card("nin").results[0].source
    for name in ("vit_ti_16", "vit_s_16"):
        assert convzoo.model_card(name).results[0].source.startswith("Touvron et al. 2021")
    assert convzoo.model_card("vit_b_16").results[0].source == ""  # ViT's own Table 5
    text = zoo_markdown()
    assert (
        "| `nin` | 7,595,176 | 3x224x224 | top-1 error 40.64 (ILSVRC-2012 val; from the authors' Caffe"
        in text
    )
    assert "| `vit_s_16` | 22,050,664 | 3x224x224 | top-1 accuracy 79.8 (ImageNet val; from Touvron" in text


def test_a_stale_readme_summary_is_rewritten():
    table = "| family | paper | models | loads checkpoints of |\n| x |\n"
    stale = f"Intro.\n\n1 registered models in 1 families. More.\n\n{table}\nEnd.\n"
    fresh = with_current_zoo(stale)
    assert fresh.startswith(f"Intro.\n\n{readme_count()} More.\n\n| family | paper |") and fresh.endswith(
        "|\n\nEnd.\n"
    )
    assert "| x |" not in fresh and "| lenet | LeCun et al. 1998 |" in fresh
