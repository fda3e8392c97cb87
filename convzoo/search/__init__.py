"""Architecture search: typed spaces, four strategies, Optuna studies that spread over machines.

from convzoo.search import run_search
study = run_search("blockqnn", "qlearning", trials=20)        # an Optuna study
create_model("best.yaml")                                      # a spec from `convzoo search export`
"""

from .run import run_search
from .spaces import SPACES, SearchSpace, get_space
from .spec import build_from_spec, make_spec, read_spec, spec_hash, write_spec
from .strategies import STRATEGIES, Strategy, make_strategy

__all__ = [
    "SPACES",
    "STRATEGIES",
    "SearchSpace",
    "Strategy",
    "build_from_spec",
    "get_space",
    "make_spec",
    "make_strategy",
    "read_spec",
    "run_search",
    "spec_hash",
    "write_spec",
]
