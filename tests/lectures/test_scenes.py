"""Lecture files: the seed lecture's scenes cover its slides in its order, and a file with an error is refused with
a message naming the line the error is on."""

from pathlib import Path

import pytest

from app.engines import ENGINES
from app.engines.code import step_code
from app.lectures.scenes import LectureError, line_of, parse_lecture
from app.run_config import RunConfig

SEED_LECTURE = Path(__file__).resolve().parents[2] / "app" / "lectures" / "pytorch.toml"
# The seed's slides that carry content: all but the title (1) and the outline shown again at each part (2, 8, 15,
# 32, 39), counted in the seed's order.
CONTENT_SLIDES = set(range(3, 39)) - {8, 15, 32}
PARTS = [
    "Review: linear regression",
    "Training a linear regression model using numpy",
    "The same example with PyTorch",
    "torch.nn: predefined neural net components",
]
MINIMAL = """title = "A lecture"

[[scene]]
part = "One"
title = "A line"
text = "The first scene."
lines = ["y_pred = X @ w"]
[scene.run]
engine = "linear"
steps = 100
"""


def test_the_seed_lecture_shows_every_content_slide_in_the_lectures_order() -> None:
    """22 scenes over the seed's 33 content slides, each slide shown, parts in the outline's order, slides rising."""
    lecture = parse_lecture(SEED_LECTURE.read_text())
    shown = [slide for scene in lecture.scenes for slide in scene.slides]
    assert set(shown) == CONTENT_SLIDES and len(CONTENT_SLIDES) == 33
    assert shown == sorted(shown)
    parts = [scene.part for scene in lecture.scenes]
    assert [part for i, part in enumerate(parts) if i == 0 or parts[i - 1] != part] == PARTS


def test_every_scene_starts_a_valid_run_and_marks_lines_of_its_engine() -> None:
    """Each scene's run (and the run beside it) is a config the server takes; each marked line is in its step."""
    for scene in parse_lecture(SEED_LECTURE.read_text()).scenes:
        for run in filter(None, (scene.run, scene.compare)):
            config = RunConfig.model_validate(run)
            assert config.pace is not None  # watched, not raced
        engine = ENGINES[RunConfig.model_validate(scene.run).engine]
        code = " ".join(line.text for line in step_code(engine.train, engine.param_names))
        assert all(line in code for line in scene.lines), scene.title


def test_a_scenes_run_is_kept_as_written_so_the_server_draws_the_rest() -> None:
    """The seed is not fixed by the file unless it says; the pace defaults to a watchable one."""
    [scene] = parse_lecture(MINIMAL).scenes
    assert scene.run == {"pace": 30, "engine": "linear", "steps": 100}
    assert scene.compare is None and scene.panel is None and scene.equation == ""


def line_with(text: str, words: str) -> int:
    """The 1-based number of the line holding `words`."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if words in line)


@pytest.mark.parametrize(
    ("change", "at", "says"),
    [
        (('engine = "linear"', 'engine = "jax"'), 'engine = "jax"', "engine"),
        (("steps = 100", "steps = -1"), "steps = -1", "greater than 0"),
        (('lines = ["y_pred = X @ w"]', 'lines = ["y = w * x"]'), "lines =", "is not a line of linear's step"),
        (('text = "The first scene."', 'text = "The first scene.'), 'text = "The first scene.', "line"),
        (('part = "One"', 'part = "One"\npanel = "slides"'), 'panel = "slides"', "panel"),
        (('part = "One"', 'part = "One"\ncolour = "red"'), 'colour = "red"', "Extra inputs"),
        (('title = "A line"\n', ""), "[[scene]]", "title: Field required"),
    ],
    ids=["engine", "steps", "code-line", "toml-syntax", "panel", "unknown-key", "missing-title"],
)
def test_an_error_names_its_line(change: tuple[str, str], at: str, says: str) -> None:
    """Each kind of mistake a lecturer makes is refused with the line it is on and what is wrong."""
    text = MINIMAL.replace(*change)
    with pytest.raises(LectureError) as caught:
        parse_lecture(text)
    assert caught.value.line == line_with(text, at), str(caught.value)
    assert str(caught.value).startswith(f"line {caught.value.line}: ")
    assert says in str(caught.value)


def test_an_error_in_a_later_scene_names_that_scenes_line() -> None:
    """The same key in several scenes: the line is the one of the scene at fault, counted as the author does."""
    second = MINIMAL.split("\n", 2)[2].replace("steps = 100", "steps = 0")
    text = MINIMAL + "\n" + second
    with pytest.raises(LectureError) as caught:
        parse_lecture(text)
    assert caught.value.line == line_with(text, "steps = 0")
    assert "scene 2, run" in str(caught.value)


def test_a_place_outside_the_file_has_no_line() -> None:
    """A file with no scene at all is wrong as a whole."""
    with pytest.raises(LectureError) as caught:
        parse_lecture('title = "Empty"\n')
    assert caught.value.line is None and "scene" in str(caught.value)
    assert line_of("", ("scene",)) is None
