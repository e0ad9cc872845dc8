"""``coprod animate``: one GIF frame per month, written atomically; MP4 without ffmpeg is a clear error."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

from coprod.experiments.cli import main


def test_animate_writes_a_gif_with_one_frame_per_month(tmp_path, capsys):
    out = tmp_path / "x.gif"
    assert main(["animate", "npm", "--steps", "5", "--citizens", "200", "--out", str(out)]) == 0
    with Image.open(out) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == 5
        assert gif.size[0] > 400 and gif.size[1] > 300
    assert [p.name for p in tmp_path.iterdir()] == ["x.gif"]  # no temporary file left behind


def test_animate_side_by_side(tmp_path):
    out = tmp_path / "pair.gif"
    assert main(["animate", "traditional", "--compare", "npg_collective", "--steps", "3", "--citizens", "200",
                 "--language", "da", "--out", str(out)]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == 3


def test_mp4_without_ffmpeg_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    out = tmp_path / "x.mp4"
    assert main(["animate", "npm", "--steps", "2", "--citizens", "200", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "ffmpeg" in err and "MP4" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, words", [
    (["animate", "npm", "--out", "x.png"], "allowed: .gif or .mp4"),
    (["animate", "no_such_scenario", "--out", "x.gif"], "no such scenario"),
    (["animate", "npm", "--steps", "0", "--out", "x.gif"], "--steps"),
])
def test_bad_input_exits_2(tmp_path, monkeypatch, capsys, argv, words):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert words in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_failed_render_leaves_no_file(tmp_path, monkeypatch):
    from coprod.classroom import animate

    def broken(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(animate.Classroom, "step", broken)
    out = tmp_path / "x.gif"
    with pytest.raises(RuntimeError):
        main(["animate", "npm", "--steps", "2", "--citizens", "200", "--out", str(out)])
    assert list(tmp_path.iterdir()) == []


def test_a_single_run_is_titled_with_its_scenario_and_its_first_frame_shows_values():
    from coprod.classroom.animate import Classroom, Pictures
    from coprod.experiments.scenarios import load_scenario

    parameters = {**load_scenario("takeover").parameters, "n_citizens": 200}
    classroom = Classroom({"arms": [parameters], "seed": 0, "labels": ["takeover"]})
    pictures = Pictures(classroom, language="da")
    classroom.step()
    pictures.update()  # the first frame of an animation
    title = pictures.net[0]["ax"].get_title()
    assert title == "takeover: Medborger (New Public Governance)", title
    assert pictures.net[0]["title"].get_text().startswith("Måned 1 ·")
    for plot in pictures.plots:
        texts = [text.get_text() for text, _, _ in plot["values"]]
        # (Danish: decimal commas)
        assert all(texts) and all(float(t.replace(",", ".")) >= 0 for t in texts), (plot["name"], texts)
        dots = [line for line, _, _ in plot["lines"] if line.get_linestyle() == "None"]
        assert dots and all(len(dot.get_xdata()) == 1 for dot in dots), plot["name"]


def test_the_first_gif_frame_has_marks_in_every_plot(tmp_path):
    """Month 1 has one point per series: without the dot on the latest value the plots were blank."""
    import numpy as np

    out = tmp_path / "one.gif"
    assert main(["animate", "default", "--steps", "1", "--citizens", "200", "--out", str(out)]) == 0
    with Image.open(out) as gif:
        frame = np.asarray(gif.convert("RGB")).astype(int)
    height = frame.shape[0]
    plots = frame[int(0.45 * height):]  # the lower part: the six plots
    blue = (abs(plots[..., 0] - 0x1f) < 40) & (abs(plots[..., 1] - 0x4e) < 40) & (plots[..., 2] > 120)
    assert blue.sum() > 6 * 10, "the plots of the first frame are empty"
