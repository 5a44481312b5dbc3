"""EEMBC EnergyRunner runs (the harness behind MLPerf Tiny energy results): energy per inference per window,
their median, average power and the inference count, beside the figures EnergyRunner stated in ``results.txt``.

A run folder (``.../<benchmark>/energy/``) holds:

=========================  ==========================================================================================
``trace1-energy.bin``      byte 0 = 0xF1; bytes 1-4 = float32 little-endian sample rate [Hz] (1000.0 in every file
                           seen); then float32 little-endian energy in µJ per sample interval. No published
                           specification: decoded from the MLPerf Tiny v1.0/v1.1 results, whose stated window
                           energies the sums reproduce within 0.02 % (tests/data/traces/eembc/SOURCES.md)
``trace1-timestamps.json`` window edges [s] on the trace's clock: the first is the ``io dut timestamp`` mark, then
                           one (start, end) pair per ``io dut infer N W`` command; EnergyRunner numbers the windows
                           2, 4, 6 ... (the edge index of their end)
``log.txt``                the session log: ``io dut infer N W`` runs N timed inferences per window (after W
                           warm-ups, which fall before the window's start edge); ``emon: m-voltage-mv[3000]`` is
                           the supply the energy monitor gave the device (3.0 V here)
``results.txt``            optional: the stated window energies, powers, energy per inference and the median
=========================  ==========================================================================================

The energy of a window is the sum of the samples whose interval midpoint falls inside it (sample k covers
[k/fs, (k+1)/fs)). Inferences run back to back at a 1 kHz sampling rate, so single inferences are not resolved:
every per-inference figure is a window average (window energy / N, window duration / N).

Summary keys (units in the names): ``n_windows``, ``inferences_per_window``, ``n_inferences``,
``energy_per_inference_j`` (median over windows, the MLPerf figure), ``inference_duration_s`` (median window
duration / N), ``average_power_w`` (window energy / window duration over all windows), ``window_energy_j`` (median),
``stated_energy_per_inference_j`` / ``stated_power_w`` and ``*_difference`` (measured / stated - 1) when results.txt
is there, ``supply_v`` (given, else the log's emon voltage) and ``inference_current_a`` (= average_power_w /
supply_v), ``sample_rate_hz``, ``n_samples``, ``duration_s``, ``energy_j`` (whole trace), ``meter``,
``submitter``, ``system``, ``benchmark``.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import UserError
from ..render.export import json_dumps, jsonable

FORMAT = "eembc"
MAGIC = 0xF1
HEADER_BYTES = 5
UJ = 1e-6
BIN_GLOB = "trace*-energy.bin"

_INFER = re.compile(r'Command "io dut infer (\d+)(?: (\d+))?"')
_INFER_START = re.compile(r"m-infer-start-(\d+)")
_VOLTAGE = re.compile(r"emon: m-voltage-mv\[(\d+(?:\.\d+)?)\]")
_METER = re.compile(r"emon: m-regfile-fn\[[^\]]*\]-type\[emon\]-name\[([^\]]+)\]")
_WINDOW = re.compile(r"Energy data for window (\d+) at time ([\d.]+) for ([\d.]+) sec\.:\s*"
                     r".*?Energy\s*:\s*([\d.]+) uJ\s*.*?Power\s*:\s*([\d.]+) uW\s*.*?Energy/Inf\.\s*:\s*([\d.]+) uJ/inf",
                     re.S)
_MEDIAN = re.compile(r"Median energy cost is ([\d.]+) uJ/inf")


# ------------------------------------------------------------------------------------------ detection
def _bin_in(folder: Path) -> Optional[Path]:
    hits = sorted(folder.glob(BIN_GLOB))
    return hits[0] if hits else None


def is_energy_bin(path: Path) -> bool:
    """A ``*.bin`` whose first byte is the EnergyRunner mark 0xF1 (or named ``trace<N>-energy.bin``)."""
    if not path.is_file() or path.suffix.lower() != ".bin":
        return False
    if re.fullmatch(r"trace\d*-energy\.bin", path.name):
        return True
    with path.open("rb") as fh:
        return fh.read(1) == bytes([MAGIC])


def is_energyrunner(path) -> bool:
    """True for an EnergyRunner run folder, an energy .bin, or a folder tree holding such runs."""
    path = Path(path)
    if path.is_dir():
        return _bin_in(path) is not None or next(path.rglob(BIN_GLOB), None) is not None
    return is_energy_bin(path)


# ------------------------------------------------------------------------------------------ files
def read_energy_bin(path) -> tuple[float, np.ndarray]:
    """(sample rate [Hz], energy per sample [J] as a read-only memory map of float32 µJ scaled lazily).

    Returns the raw µJ memmap; callers sum slices and scale by :data:`UJ`, so the file is never loaded whole.
    """
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(HEADER_BYTES)
    if len(head) < HEADER_BYTES or head[0] != MAGIC:
        first = f"0x{head[0]:02X}" if head else "nothing"
        raise UserError(f"{path.name}: not an EnergyRunner energy trace (first byte {first}, expected 0xF1 then a "
                        "float32 sample rate); give the run's trace1-energy.bin or its folder")
    rate = float(np.frombuffer(head[1:5], dtype="<f4")[0])
    if not (math.isfinite(rate) and rate > 0):
        raise UserError(f"{path.name}: the header's sample rate is {rate:g} Hz; a trace needs a positive rate "
                        "(EnergyRunner writes 1000.0): the file is damaged or not an EnergyRunner trace")
    extra = (size - HEADER_BYTES) % 4
    if extra:
        raise UserError(f"{path.name}: ends in a partial 4-byte sample ({extra} byte(s) left over): the file is "
                        "truncated; copy it again from the run")
    n = (size - HEADER_BYTES) // 4
    if n == 0:
        raise UserError(f"{path.name}: header but no samples")
    return rate, np.memmap(path, dtype="<f4", mode="r", offset=HEADER_BYTES, shape=(n,))


def read_timestamps(path: Path) -> list[float]:
    if not path.is_file():
        raise UserError(f"{path.parent.name}: no {path.name} beside the energy trace: the window edges are in it; "
                        "copy it from the run folder (EnergyRunner writes it with trace1-energy.bin)")
    try:
        edges = json.loads(path.read_text(encoding="utf-8"))
        edges = [float(x) for x in edges]
    except (ValueError, TypeError):
        raise UserError(f"{path.name}: not a JSON list of window edges in seconds") from None
    if any(not math.isfinite(x) for x in edges) or any(b < a for a, b in zip(edges, edges[1:])):
        raise UserError(f"{path.name}: window edges must be finite and increasing, got {edges}")
    return edges


def read_log(path: Path) -> dict:
    """Inference count per window (``io dut infer N W``), the energy monitor's name and its supply voltage [V]
    (``emon voltage`` -> ``m-voltage-mv[...]``) from ``log.txt``."""
    if not path.is_file():
        return {"counts": [], "warmups": [], "meter": None, "supply_v": None}
    text = path.read_text(encoding="utf-8", errors="replace")
    found = _INFER.findall(text)
    counts = [int(n) for n, _ in found] or [int(n) for n in _INFER_START.findall(text)]
    warmups = [int(w) for _, w in found if w]
    meter = _METER.search(text)
    volts = _VOLTAGE.search(text)
    return {"counts": counts, "warmups": warmups, "meter": meter.group(1) if meter else None,
            "supply_v": float(volts.group(1)) / 1000.0 if volts else None}


def read_results(path: Path) -> dict:
    """Stated figures of ``results.txt``: per window (number, start [s], duration [s], energy [J], power [W],
    energy per inference [J]) and the median energy per inference [J]; empty if the file is absent."""
    if not path.is_file():
        return {"windows": {}, "median_j": None}
    text = path.read_text(encoding="utf-8", errors="replace")
    windows = {}
    for number, start, duration, energy, power, per_inf in _WINDOW.findall(text):
        windows[int(number)] = {"start_s": float(start), "duration_s": float(duration), "energy_j": float(energy) * UJ,
                                "power_w": float(power) * UJ, "energy_per_inference_j": float(per_inf) * UJ}
    median = _MEDIAN.search(text)
    return {"windows": windows, "median_j": float(median.group(1)) * UJ if median else None}


def _layout(folder: Path) -> dict:
    """submitter / system / benchmark from ``<submitter>/results/<system>/<benchmark>/energy``, where present."""
    parts = folder.resolve().parts
    out = {"submitter": None, "system": None, "benchmark": None}
    end = len(parts) - 1 if folder.name == "energy" else len(parts)   # the benchmark folder is above energy/
    if end < len(parts):
        out["benchmark"] = parts[end - 1]
    if "results" in parts[:end]:
        i = end - 1 - parts[:end][::-1].index("results")
        out["submitter"] = parts[i - 1] if i >= 1 else None
        out["system"] = "/".join(parts[i + 1:end - 1]) or None   # some submitters nest runtime/board
    return out


# ------------------------------------------------------------------------------------------ one run
@dataclass
class RunMeasurement:
    """One EnergyRunner run. ``windows`` columns: window, start_s, end_s, duration_s, n_inferences, energy_j,
    average_power_w, energy_per_inference_j, inference_duration_s and, with results.txt, stated_energy_j,
    stated_power_w, stated_energy_per_inference_j, energy_difference."""

    path: Path                       # the run folder
    data_file: Path                  # its trace1-energy.bin
    summary: object                  # pandas Series
    windows: object                  # pandas DataFrame
    notes: list = field(default_factory=list)
    format: str = FORMAT

    def to_dict(self) -> dict:
        return jsonable({"path": str(self.path), "format": self.format, "summary": self.summary,
                         "windows": self.windows, "notes": list(self.notes)})

    def to_json(self) -> str:
        return json_dumps(self.to_dict())

    def calibration_inputs(self) -> dict:
        """The figures ``energy calibrate`` fits, as window averages (an EnergyRunner run has no idle time)."""
        s = self.summary
        if s["supply_v"] is None:
            raise UserError(f"{self.path}: log.txt does not record the supply voltage (no 'emon: m-voltage-mv' "
                            "line); give --supply-v (the submission's system description states it, e.g. "
                            "'Operating at 3.0V')")
        return {"supply_v": s["supply_v"], "event_duration_s": s["inference_duration_s"],
                "event_energy_j": s["energy_per_inference_j"], "n_events": s["n_inferences"],
                "baseline_current_a": float("nan"), "floor_current_a": float("nan"),
                "note": f"{self.data_file.parent.name}/{self.data_file.name}: {s['sample_rate_hz']:g} Hz sampling "
                        "cannot resolve single inferences (they run back to back): calibrated from the averages of "
                        f"{s['n_windows']} windows of {s['inferences_per_window']} inferences"}


def measure_run(path, *, supply_v: Optional[float] = None) -> RunMeasurement:
    """Measure one EnergyRunner run given as its folder or its ``trace1-energy.bin``."""
    import pandas as pd

    path = Path(path)
    if supply_v is not None and not (math.isfinite(supply_v) and supply_v > 0):
        raise UserError(f"--supply-v must be a positive voltage in V, got {supply_v}")
    if path.is_dir():
        data_file = _bin_in(path)
        if data_file is None:
            raise UserError(f"{path}: no trace1-energy.bin in this folder; give an EnergyRunner run folder "
                            "(.../<benchmark>/energy/) or its trace1-energy.bin")
        folder = path
    else:
        data_file, folder = path, path.parent
    rate, samples = read_energy_bin(data_file)
    stem = data_file.name[: -len("-energy.bin")] if data_file.name.endswith("-energy.bin") else "trace1"
    edges = read_timestamps(folder / f"{stem}-timestamps.json")
    log = read_log(folder / "log.txt")
    stated = read_results(folder / "results.txt")
    notes = []

    if supply_v is None and log["supply_v"]:
        supply_v = log["supply_v"]
        notes.append(f"supply {supply_v:g} V as the energy monitor reported it in log.txt (emon: m-voltage-mv)")
    elif supply_v is not None and log["supply_v"] and abs(supply_v - log["supply_v"]) > 1e-3:
        notes.append(f"--supply-v {supply_v:g} V used; log.txt says the energy monitor supplied "
                     f"{log['supply_v']:g} V")
    counts = log["counts"]
    if not counts:
        raise UserError(f"{folder.name}: no log.txt with 'io dut infer N' lines: the inference count per window "
                        "is in it; copy log.txt from the run folder")
    pairs = _windows(edges, counts, folder)
    n = len(samples)
    duration = n / rate
    rows = []
    for (number, start, end), count in zip(pairs, counts):
        if end > duration + 1.0 / rate:
            raise UserError(f"{folder.name}: window {number} ends at {end:g} s but the trace is {duration:g} s long; "
                            "the timestamps belong to another recording")
        k0, k1 = int(round(start * rate)), int(round(end * rate))
        energy = float(np.sum(samples[k0:k1], dtype=np.float64)) * UJ
        win = end - start
        row = {"window": number, "start_s": start, "end_s": end, "duration_s": win, "n_inferences": count,
               "energy_j": energy, "average_power_w": energy / win if win > 0 else float("nan"),
               "energy_per_inference_j": energy / count, "inference_duration_s": win / count}
        said = stated["windows"].get(number)
        if said is not None:
            row.update({"stated_energy_j": said["energy_j"], "stated_power_w": said["power_w"],
                        "stated_energy_per_inference_j": said["energy_per_inference_j"],
                        "energy_difference": energy / said["energy_j"] - 1.0})
        rows.append(row)
    windows = pd.DataFrame(rows)
    if stated["windows"] and len(stated["windows"]) != len(rows):
        notes.append(f"results.txt states {len(stated['windows'])} windows, the timestamps give {len(rows)}")
    total_energy = float(windows["energy_j"].sum())
    total_time = float(windows["duration_s"].sum())
    per_window = sorted(set(counts))
    summary = {
        "n_windows": int(len(rows)),
        "inferences_per_window": per_window[0] if len(per_window) == 1 else per_window,
        "n_inferences": int(windows["n_inferences"].sum()),
        "energy_per_inference_j": float(windows["energy_per_inference_j"].median()),
        "inference_duration_s": float(windows["inference_duration_s"].median()),
        "average_power_w": total_energy / total_time,
        "window_energy_j": float(windows["energy_j"].median()),
        "stated_energy_per_inference_j": stated["median_j"],
        "energy_per_inference_difference": None,
        "stated_power_w": float(windows["stated_power_w"].mean()) if "stated_power_w" in windows else None,
        "power_difference": None,
        "supply_v": supply_v,
        "inference_current_a": total_energy / total_time / supply_v if supply_v else None,
        "sample_rate_hz": rate,
        "n_samples": int(n),
        "duration_s": duration,
        "energy_j": float(np.sum(samples, dtype=np.float64)) * UJ,
        "meter": log["meter"],
        **_layout(folder),
    }
    if summary["stated_energy_per_inference_j"]:
        summary["energy_per_inference_difference"] = (summary["energy_per_inference_j"]
                                                      / summary["stated_energy_per_inference_j"] - 1.0)
    if summary["stated_power_w"]:
        summary["power_difference"] = summary["average_power_w"] / summary["stated_power_w"] - 1.0
    if not stated["windows"]:
        notes.append("no results.txt: nothing stated to compare with" if not (folder / "results.txt").is_file()
                     else "results.txt has no 'Energy data for window' lines: nothing stated to compare with")
    notes.append(f"{rate:g} Hz sampling with inferences back to back: single inferences are not resolved; "
                 "per-inference figures are window averages (window energy / inferences)")
    if supply_v is None:
        notes.append("log.txt does not record the supply voltage (no emon voltage line): give --supply-v for a "
                     "current")
    return RunMeasurement(folder, data_file, pd.Series(summary, dtype=object), windows, notes)


def _windows(edges: list, counts: list, folder: Path) -> list:
    """(number, start_s, end_s) of each inference window: the first edge is the timestamp mark, then pairs."""
    if len(edges) == 2 * len(counts) + 1:
        marks = edges
    elif len(edges) == 2 * len(counts):
        marks = [None] + edges   # no leading timestamp mark: number the windows as EnergyRunner would
    else:
        raise UserError(f"{folder.name}: trace1-timestamps.json has {len(edges)} window edges but log.txt ran "
                        f"{len(counts)} inference windows (expected {2 * len(counts) + 1}); the files are from "
                        "different runs or cut short")
    return [(k, marks[k - 1], marks[k]) for k in range(2, len(marks), 2)]


# ------------------------------------------------------------------------------------------ many runs
ROW_KEYS = ("submitter", "system", "benchmark", "n_windows", "inferences_per_window", "energy_per_inference_j",
            "stated_energy_per_inference_j", "energy_per_inference_difference", "average_power_w", "stated_power_w",
            "inference_duration_s", "inference_current_a", "supply_v", "sample_rate_hz", "meter")


@dataclass
class RunTable:
    """Every EnergyRunner run under a folder, one row each (``runs`` DataFrame: ``run`` = folder relative to
    ``path``, then :data:`ROW_KEYS`, and ``error`` for a run that could not be read)."""

    path: Path
    runs: object
    notes: list = field(default_factory=list)
    format: str = FORMAT

    def to_dict(self) -> dict:
        return jsonable({"path": str(self.path), "format": self.format, "runs": self.runs,
                         "notes": list(self.notes)})

    def to_json(self) -> str:
        return json_dumps(self.to_dict())

    def calibration_inputs(self) -> dict:
        raise UserError(f"{self.path} holds {len(self.runs)} EnergyRunner runs; calibrate from one run folder per "
                        "--model (e.g. .../kws/energy)")


def run_row(m: RunMeasurement) -> dict:
    return {k: m.summary.get(k) for k in ROW_KEYS}


def measure_tree(path, *, supply_v: Optional[float] = None) -> RunTable:
    """One row per run folder under ``path``; a run that cannot be read keeps its row with the reason."""
    import pandas as pd

    path = Path(path)
    folders = sorted({b.parent for b in path.rglob(BIN_GLOB)})
    if not folders:
        raise UserError(f"{path}: no EnergyRunner runs (trace1-energy.bin) below this folder")
    rows, notes = [], []
    for folder in folders:
        row = {"run": str(folder.relative_to(path)) or "."}
        try:
            row.update(run_row(measure_run(folder, supply_v=supply_v)))
        except UserError as exc:
            row.update({k: None for k in ROW_KEYS})
            row["error"] = str(exc)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if "error" in frame:
        bad = int(frame["error"].notna().sum())
        notes.append(f"{bad} of {len(frame)} run(s) could not be read: see their error column")
        if bad == len(frame):
            raise UserError(f"{path}: no run could be read; first: {frame['error'].iloc[0]}")
    return RunTable(path, frame, notes)


def measure_energyrunner(path, *, supply_v: Optional[float] = None):
    """A run (its folder or .bin) -> :class:`RunMeasurement`; a folder tree of runs -> :class:`RunTable`."""
    path = Path(path)
    if path.is_dir() and _bin_in(path) is None:
        return measure_tree(path, supply_v=supply_v)
    return measure_run(path, supply_v=supply_v)
