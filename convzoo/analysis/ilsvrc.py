"""The ILSVRC classification winners' top-5 error by year, read from the model cards.

A winning entry's number belongs on the card of the model it used, and is read from there. The
challenge's own results table (Russakovsky et al., "ImageNet Large Scale Visual Recognition
Challenge", IJCV 2015, and the ILSVRC 2013-2015 result pages) is the fallback for entries with no
convzoo model (Clarifai 2013) and for cards that do not list the number yet; every point says
which of the two it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..registry import list_models, model_card

CHALLENGE = "ILSVRC results (Russakovsky et al. 2015; challenge result pages)"


@dataclass(frozen=True)
class Entry:
    """One ILSVRC classification entry: its top-5 test error as the challenge published it."""

    year: int
    team: str
    family: str | None  # the convzoo family whose cards should carry the number (None: not in the zoo)
    top5_error: float
    note: str
    winner: bool = True


ENTRIES = (
    Entry(2012, "SuperVision (AlexNet)", "alexnet", 15.3, "7 CNNs, 2 pre-trained on ImageNet Fall 2011"),
    Entry(2012, "SuperVision (AlexNet)", "alexnet", 16.4, "5 CNNs, no extra data", winner=False),
    Entry(2013, "Clarifai", None, 11.2, "ensemble, extra data; the ZFNet authors' company"),
    Entry(2014, "GoogLeNet", "inception", 6.67, "7 models, 144 crops"),
    Entry(2014, "VGG", "vgg", 7.32, "runner-up; 7 nets", winner=False),
    Entry(2015, "MSRA (ResNet)", "resnet", 3.57, "ensemble of 6 models"),
)


@dataclass(frozen=True)
class TimelinePoint:
    """An entry on the timeline and where its number was read."""

    year: int
    team: str
    top5_error: float
    note: str
    winner: bool
    source: str  # "card NAME" or the challenge's table

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def card_with(entry: Entry) -> tuple[str, float] | None:
    """(name, value) of the first card of the entry's family listing its top-5 test error, or None."""
    if entry.family is None:
        return None
    for name in list_models():
        card = model_card(name)
        if card.family != entry.family:
            continue
        for r in card.results:
            if r.metric == "top-5 error" and r.split == "test" and abs(r.value - entry.top5_error) < 0.005:
                return name, r.value
    return None


def timeline() -> list[TimelinePoint]:
    """Every entry of ENTRIES with its source: a model card where one lists it, else the challenge."""
    points = []
    for e in ENTRIES:
        found = card_with(e)
        source, value = (f"card {found[0]}", found[1]) if found else (CHALLENGE, e.top5_error)
        points.append(TimelinePoint(e.year, e.team, value, e.note, e.winner, source))
    return points
