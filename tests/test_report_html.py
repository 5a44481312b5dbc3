"""``energy report``: the page as a person sees it. Headless Chromium renders the file to a PNG and to a DOM dump;
the page must not be blank, every chart must be there with its title, and the numbers on the cards must be those of
``energy estimate --json`` for the same inputs. Skips, saying why, when Chromium is not installed (``.ci/run``
installs the Debian ``chromium`` package)."""
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

import joulescope_free as jf
from helpers import run_cli
from joulescope_free.cli import app
from joulescope_free.render.usage import life_text
from joulescope_free.units import si_format

KWS = str(Path(__file__).parent / "data" / "mlperf_tiny" / "kws_ds_cnn_int8.tflite")
MCUS = ["stm32l4r5", "nrf52840"]
ARGS = ["--duty", "1/min", "--battery", "cr2032", "--clock-mhz", "best"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed "
                                    "(apt-get install chromium; .ci/run installs it)")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "review.html"
    result = CliRunner().invoke(app, ["report", KWS, "--mcu", ",".join(MCUS), *ARGS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def expected():
    """The same inputs through ``energy estimate --json``, one target at a time."""
    out = {}
    for mcu in MCUS:
        result = CliRunner().invoke(app, ["estimate", KWS, "--mcu", mcu, *ARGS, "--json"])
        assert result.exit_code == 0, result.output
        out[mcu] = json.loads(result.output)
    return out


def chromium(*args, timeout=120):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--disable-dev-shm-usage", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


class Dom(HTMLParser):
    """Card values (card id -> data-key -> (data-value, text)), charts (id -> caption, has svg), table rows."""

    def __init__(self):
        super().__init__()
        self.card, self.values, self.charts, self.rows = None, {}, {}, []
        self._span = self._chart = None
        self._caption = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class", "")
        if tag == "div" and cls == "card":
            self.card = a["id"].removeprefix("card-")
            self.values[self.card] = {}
        if tag == "span" and cls == "value" and self.card:
            self._span = [a["data-key"], a.get("data-value"), ""]
        if tag == "figure" and cls == "chart":
            self._chart = a["id"]
            self.charts[self._chart] = {"caption": "", "svg": False}
        if tag == "figcaption":
            self._caption = True
        if tag == "svg" and self._chart:
            self.charts[self._chart]["svg"] = True
        if tag == "tr" and "data-mcu" in a:
            self.rows.append(a["data-mcu"])

    def handle_endtag(self, tag):
        if tag == "span" and self._span:
            key, value, text = self._span
            self.values[self.card].setdefault(key, (value, text))
            self._span = None
        if tag == "figcaption":
            self._caption = False
        if tag == "figure":
            self._chart = None

    def handle_data(self, data):
        if self._span:
            self._span[2] += data
        if self._caption and self._chart:
            self.charts[self._chart]["caption"] += data


@pytest.fixture(scope="module")
def dom(page):
    if CHROMIUM is None:
        pytest.skip("headless Chromium not installed")
    done = chromium("--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    parser = Dom()
    parser.feed(done.stdout)
    return parser


@needs_chromium
def test_the_rendered_page_is_not_blank(page, tmp_path):
    png = tmp_path / "review.png"
    done = chromium(f"--screenshot={png}", "--window-size=1280,2400", page.as_uri())
    assert done.returncode == 0 and png.is_file(), done.stderr[-2000:]
    from matplotlib.image import imread

    pixels = imread(str(png))[..., :3]
    assert pixels.shape[:2] == (2400, 1280)
    ink = (pixels < 0.9).any(axis=2).mean()  # share of pixels that are not (near) white
    assert 0.03 < ink < 0.9
    colours = {tuple(p) for p in (pixels[::7, ::7] * 15).round().astype(int).reshape(-1, 3)}
    assert len(colours) > 20  # text, card frames and chart colours, not a flat page


@needs_chromium
def test_every_chart_is_there_with_its_title(dom):
    wanted = {"chart-targets": "side by side", "chart-phases": "Where the energy goes"}
    for i, mcu in enumerate(MCUS):
        wanted |= {f"chart-layers-{i}": f"{mcu}: latency and energy per operator type",
                   f"chart-current-{i}": f"{mcu}: current versus time over one period (60 s)",
                   f"chart-life-{i}": f"{mcu}: battery life versus inference rate"}
        if mcu != "nrf52840":  # a fixed-clock part's clock is a sentence, not a chart of one dot (issue 19)
            wanted[f"chart-clock-{i}"] = f"{mcu}: the energy-optimal clock"
    assert set(dom.charts) == set(wanted)
    for chart_id, title in wanted.items():
        assert dom.charts[chart_id]["svg"], chart_id
        assert title in dom.charts[chart_id]["caption"], (chart_id, dom.charts[chart_id]["caption"])


@needs_chromium
def test_card_numbers_are_the_json_numbers(dom, expected):
    assert set(dom.values) == set(MCUS)
    for mcu, data in expected.items():
        s, shown = data["summary"], dom.values[mcu]
        for key, unit in (("latency_s", "s"), ("energy_per_inference_j", "J"), ("average_current_a", "A")):
            value, text = shown[key]
            assert float(value) == pytest.approx(s[key], rel=1e-12)
            assert text == si_format(s[key], unit)
        value, text = shown["battery_life_days"]
        assert float(value) == pytest.approx(s["battery_life_days"], rel=1e-12)
        assert text == life_text(s["battery_life_days"])  # days, with months and years once they mean something
        assert float(shown["clock_hz"][0]) == pytest.approx(data["target"]["clock_hz"])
        assert int(float(shown["peak_ram_bytes"][0])) == s["peak_ram_bytes"]
        for low, high in (("battery_life_low_days", "battery_life_high_days"), ("latency_low_s", "latency_high_s")):
            if s.get(low) is not None and s.get(high) is not None:  # the band, when the estimate has one
                assert float(shown[low][0]) == pytest.approx(s[low], rel=1e-12)
                assert float(shown[high][0]) == pytest.approx(s[high], rel=1e-12)


@needs_chromium
def test_the_side_by_side_table_is_ordered_by_battery_life(dom, expected):
    by_life = sorted(MCUS, key=lambda m: -expected[m]["summary"]["battery_life_days"])
    assert dom.rows == by_life


def test_the_file_is_self_contained(page):
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") >= 9
    assert not re.search(r"<(script|link|img|iframe)\b", text, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text, re.I)
    assert "url(http" not in text


def test_api_returns_the_page_and_refuses_a_wrong_name(tmp_path, capsys):
    html = jf.report(KWS, "nrf52840")  # no duty cycle: cards, layers and notes only
    assert html.startswith("<!DOCTYPE html>") and 'id="chart-layers-0"' in html and "chart-life" not in html
    target = tmp_path / "review.pdf"
    code, _, _ = run_cli(capsys, "report", KWS, "--mcu", "nrf52840", "-o", target)
    assert code == 2 and not target.exists()


def test_a_fixed_clock_part_has_a_sentence_for_its_clock(page):
    """The nRF52840 runs at 64 MHz only: its clock section says so in words instead of a chart of a single dot."""
    html = page.read_text()
    i = MCUS.index("nrf52840")
    section = html[html.index(f'id="chart-clock-{i}"'):]
    section = section[:section.index("</section>")]
    assert "<svg" not in section and "fixed clock (64 MHz)" in section
