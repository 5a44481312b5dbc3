"""Trace readers: a registry of format detectors, each streaming a power trace in bounded-memory chunks.

Every reader yields :class:`Chunk` objects of at most ``chunk_samples`` samples holding SI arrays
(``time_s``, ``dt_s``, ``current_a``, optional ``voltage_v`` / ``power_w``, ``digital`` channels as bool arrays).
``dt_s`` is the time each sample stands for (forward difference to the next sample; ``1/sample_rate_hz`` for
fixed-rate files), so ``sum(current_a * dt_s)`` is the charge in coulomb whatever the chunking.

Registered formats (detected in this order; add one with :func:`register`):

==========  ===============================================================================================
jls         Joulescope ``.jls`` v2 (pyjls): signals ``current`` [A], ``voltage`` [V], ``power`` [W], ``gpi[N]``
ppk2-file   nRF Connect Power Profiler native ``.ppk2`` (ZIP with ``session.raw``), see :mod:`.nordic`
ppk-legacy  its legacy ``.ppk`` (a deflate stream), see :mod:`.nordic`
ppk2        nRF Connect Power Profiler (PPK2) CSV: ``Timestamp(ms),Current(uA)[,D0-D7]`` (D0-D7 as a bit
            string or as separate ``D0``..``D7`` columns)
otii        Otii 3 CSV export: ``Timestamp (s),Main current (A)`` / ``Main voltage (V)`` / ``Main power (W)``
            / ``GPI1``
csv         generic CSV: ``time_s,current_a[,voltage_v]`` or unit-bearing headers (``Time (s)``,
            ``Current (mA)``, ``current_ua``, ``voltage_mv``, ``power_mw``)
==========  ===============================================================================================
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

import numpy as np

from ..errors import UserError
# the chunk and source types live in .trace: the native PPK2 readers of .nordic build on them without importing
# this registry back
from .trace import DEFAULT_CHUNK_SAMPLES, Chunk, TraceSource, _short  # noqa: F401 (public here too)


# ------------------------------------------------------------------------------------------ registry
@dataclass(frozen=True)
class Format:
    name: str
    detect: Callable[[Path, bytes], bool]   # (path, first bytes of the file) -> is it this format?
    open: Callable[[Path], TraceSource]
    description: str


FORMATS: dict[str, Format] = {}


def register(name: str, detect, opener, description: str) -> None:
    """Add a trace format; detectors run in registration order, the generic CSV last."""
    FORMATS[name] = Format(name, detect, opener, description)


HEAD_BYTES = 65536


def open_trace(path) -> TraceSource:
    """Detect the format of ``path`` and open it; anything unreadable is a :class:`UserError`."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path} is a folder; give a trace file (.jls, .ppk2 or .csv) or an EEMBC EnergyRunner "
                        "run folder (with trace1-energy.bin)")
    if not path.is_file():
        raise UserError(f"trace not found: {path}")
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    if not head:
        raise UserError(f"{path} is empty; expected a Joulescope .jls, PPK2/Otii CSV or time_s,current_a CSV")
    for fmt in FORMATS.values():
        if fmt.detect(path, head):
            return fmt.open(path)
    raise UserError(
        f"{path.name} is not a trace this tool reads; expected "
        + "; ".join(f"{f.name}: {f.description}" for f in FORMATS.values())
    )


# ------------------------------------------------------------------------------------------ units
UNIT_SCALES = {
    "time": {"s": 1.0, "sec": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ns": 1e-9},
    "current": {"a": 1.0, "ma": 1e-3, "ua": 1e-6, "µa": 1e-6, "μa": 1e-6, "na": 1e-9},
    "voltage": {"v": 1.0, "mv": 1e-3, "uv": 1e-6, "µv": 1e-6, "μv": 1e-6},
    "power": {"w": 1.0, "mw": 1e-3, "uw": 1e-6, "µw": 1e-6, "μw": 1e-6, "nw": 1e-9},
}
QUANTITY_WORDS = {
    "time": {"time", "timestamp", "t", "times", "seconds"},
    "current": {"current", "i", "curr", "amps", "ampere", "amperes"},
    "voltage": {"voltage", "v", "volt", "volts", "vbus", "vout"},
    "power": {"power", "p", "watts"},
}
_DIGITAL = re.compile(r"^(?:main\s+)?(d|gpi|gpio|in|din|digital|marker|logic|ch)\s*[\[\(_-]?\s*(\d+)?\s*[\]\)]?$")
_BRACKET_UNIT = re.compile(r"^(.*?)[\(\[]\s*([^\)\]]*?)\s*[\)\]]\s*$")
_ALL_UNITS = {u: q for q, table in UNIT_SCALES.items() for u in table}


def unit_scale(quantity: str, unit: str, where: str) -> float:
    """Factor from ``unit`` (``mA``, ``uV``...; case and spaces ignored) to SI for ``quantity`` (time, current,
    voltage, power); an unknown unit is a :class:`UserError` naming ``where`` it was found."""
    scales = UNIT_SCALES[quantity]
    key = unit.strip().lower().replace(" ", "")
    if key not in scales:
        valid = ", ".join(u for u in scales if u.isascii())
        raise UserError(f"{where}: unknown {quantity} unit '{unit}'; use one of {valid}")
    return scales[key]


def digital_key(name: str) -> Optional[str]:
    """Canonical ``d<N>`` key of a digital channel name (``D0``, ``gpi[0]``, ``in0`` -> ``d0``), or None."""
    m = _DIGITAL.match(name.strip().lower())
    if not m:
        return None
    return f"d{m.group(2)}" if m.group(2) is not None else m.group(1)


@dataclass(frozen=True)
class Column:
    """A recognised CSV column: quantity (time/current/voltage/power/digital/digital_packed) and SI scale."""

    index: int
    name: str
    quantity: str
    scale: float = 1.0
    unit_given: bool = True


def classify_column(index: int, header: str) -> Optional[Column]:
    """Recognise ``Time (s)``, ``current_ua``, ``Main voltage (V)``, ``D0``, ``D0-D7`` ...; None if unrelated.

    A column whose quantity is known but whose unit is not raises :class:`UserError`.
    """
    raw = header.strip().strip('"').strip()
    text = raw.lower()
    if re.fullmatch(r"d0\s*-\s*d7", text):
        return Column(index, raw, "digital_packed")
    if digital_key(text) is not None and not _BRACKET_UNIT.match(text):
        return Column(index, raw, "digital")
    unit = None
    m = _BRACKET_UNIT.match(text)
    if m:
        text, unit = m.group(1).strip(), m.group(2).strip().replace(" ", "")
        if digital_key(text) is not None and unit in ("", "digital", "bool", "state"):
            return Column(index, raw, "digital")
    else:
        sm = re.fullmatch(r"(.*?)[\s_]+([a-zµμ]+)", text)
        if sm and sm.group(2) in _ALL_UNITS and sm.group(1):
            text, unit = sm.group(1), sm.group(2)
    words = set(re.split(r"[^a-zµμ]+", text)) - {""}
    for quantity, vocabulary in QUANTITY_WORDS.items():
        if words & vocabulary:
            break
    else:
        return None
    if unit is None or unit == "":
        return Column(index, raw, quantity, 1.0, unit_given=False)
    return Column(index, raw, quantity, unit_scale(quantity, unit, f"column '{raw}'"))


# ------------------------------------------------------------------------------------------ CSV
def _decode_head(head: bytes) -> Optional[str]:
    if b"\x00" in head[:4096]:
        return None
    for enc in ("utf-8-sig", "latin-1"):
        try:
            return head.decode(enc)
        except UnicodeDecodeError:
            continue
    return None  # pragma: no cover


@dataclass
class CsvLayout:
    header_line: int      # 0-based line number of the header
    sep: str
    decimal: str
    columns: list         # of Column


def sniff_csv(head: bytes) -> Optional[CsvLayout]:
    """Find the header (skipping ``#`` comment lines), separator and recognised columns; None if not a CSV."""
    text = _decode_head(head)
    if text is None:
        return None
    lines = text.splitlines()
    for number, line in enumerate(lines[:50]):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        sep = max([",", ";", "\t"], key=line.count)  # a single column keeps ","
        fields = line.split(sep)
        if any(re.fullmatch(r"\s*[-+0-9.eE]+\s*", f) for f in fields):
            return None  # numbers where the header should be: no header row
        try:
            columns = [c for i, f in enumerate(fields) if (c := classify_column(i, f)) is not None]
        except UserError:
            columns = [c for i, f in enumerate(fields) if (c := _classify_quiet(i, f)) is not None]
        decimal = "."
        following = next((ln for ln in lines[number + 1:number + 5] if ln.strip()), "")
        if sep == ";" and "," in following and "." not in following:
            decimal = ","
        return CsvLayout(number, sep, decimal, columns)
    return None


def _classify_quiet(i, f):
    try:
        return classify_column(i, f)
    except UserError:
        return Column(i, f.strip(), "bad-unit")


def _header_text(head: bytes) -> str:
    layout = sniff_csv(head)
    if layout is None:
        return ""
    text = _decode_head(head) or ""
    return text.splitlines()[layout.header_line].lower()


def _is_ppk2(path: Path, head: bytes) -> bool:
    h = _header_text(head).replace(" ", "")
    return "timestamp(ms)" in h and "current(ua)" in h


def _is_otii(path: Path, head: bytes) -> bool:
    h = _header_text(head)
    return bool(re.search(r"\bmain (current|voltage|power)\b|\bgpi\d|\bsense (current|voltage)\b", h))


def _is_csv(path: Path, head: bytes) -> bool:
    layout = sniff_csv(head)
    return layout is not None and len(layout.columns) > 0


class CsvSource(TraceSource):
    """Chunked CSV reading with pandas' C parser; ``dt_s`` by forward difference, carried across chunks."""

    def __init__(self, path: Path, fmt: str):
        self.path = Path(path)
        self.format = fmt
        self.notes = []
        with self.path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
        layout = sniff_csv(head)
        if layout is None:
            raise UserError(f"{self.path.name}: no header row found; expected e.g. time_s,current_a[,voltage_v]")
        self.layout = layout
        # re-run the strict classifier so that a bad unit is reported clearly
        for c in layout.columns:
            if c.quantity == "bad-unit":
                classify_column(c.index, c.name)
        by_q: dict = {}
        for c in layout.columns:
            by_q.setdefault(c.quantity, []).append(c)
        found = ", ".join(c.name for c in layout.columns) or "none recognised"
        if "time" not in by_q:
            raise UserError(
                f"{self.path.name}: no time column (found: {found}); expected a header like time_s, "
                "Time (s) or Timestamp(ms)"
            )
        if "current" not in by_q and "power" not in by_q:
            raise UserError(
                f"{self.path.name}: no current column (found: {found}); expected a header like current_a, "
                "Current (mA), current_ua or Main current (A)"
            )
        self.time_col = by_q["time"][0]
        self.current_col = by_q.get("current", [None])[0]
        self.voltage_col = by_q.get("voltage", [None])[0]
        self.power_col = by_q.get("power", [None])[0]
        self.digital_cols = by_q.get("digital", [])
        self.packed_col = by_q.get("digital_packed", [None])[0]
        for c in (self.time_col, self.current_col, self.voltage_col, self.power_col):
            if c is not None and not c.unit_given:
                self.notes.append(f"column '{c.name}' has no unit; read as SI ({_SI[c.quantity]})")
        self.has_voltage = self.voltage_col is not None
        self.has_power = self.power_col is not None
        names = [c.name for c in self.digital_cols]
        if self.packed_col is not None:
            names += [f"D{k}" for k in range(8)]
        self.digital_names = tuple(names)
        self.progress_total = self.path.stat().st_size

    def chunks(self, chunk_samples: int = DEFAULT_CHUNK_SAMPLES) -> Iterator[Chunk]:
        import pandas as pd

        cols = [c for c in (self.time_col, self.current_col, self.voltage_col, self.power_col) if c is not None]
        cols += list(self.digital_cols)
        if self.packed_col is not None:
            cols.append(self.packed_col)
        usecols = sorted({c.index for c in cols})
        dtypes = {c.index: "float64" for c in cols}
        if self.packed_col is not None:
            dtypes[self.packed_col.index] = "str"
        self.progress_done = 0
        row = 0
        pending = None          # the last sample of the previous block, waiting for its dt
        last_dt = None
        with self.path.open("rb") as fh:
            try:
                reader = pd.read_csv(
                    fh, sep=self.layout.sep, decimal=self.layout.decimal, header=None,
                    skiprows=self.layout.header_line + 1, usecols=usecols, dtype=dtypes,
                    chunksize=max(1, int(chunk_samples)), comment="#", skip_blank_lines=True,
                    encoding="latin-1",
                )
                for frame in reader:
                    block = self._convert(frame, row)
                    self.progress_done = fh.tell()
                    row += len(frame)
                    if pending is not None:
                        block = _concat(pending, block)
                    if len(block["time_s"]) < 2:
                        pending = block
                        continue
                    t = block["time_s"]
                    dt = np.diff(t)
                    if (dt < 0).any():
                        k = int(np.flatnonzero(dt < 0)[0])
                        at = row - len(t) + k + 2 + self.layout.header_line
                        raise UserError(
                            f"{self.path.name}: time goes backwards near line {at} ({t[k]:.9g} s then "
                            f"{t[k + 1]:.9g} s); a trace needs increasing time stamps"
                        )
                    if self.sample_rate_hz is None:
                        positive = dt[dt > 0]
                        if positive.size:
                            self.sample_rate_hz = float(1.0 / np.median(positive))
                    last_dt = float(dt[-1])
                    out = {k: (v[:-1] if isinstance(v, np.ndarray) else {n: a[:-1] for n, a in v.items()})
                           for k, v in block.items()}
                    pending = {k: (v[-1:] if isinstance(v, np.ndarray) else {n: a[-1:] for n, a in v.items()})
                               for k, v in block.items()}
                    yield self._chunk(out, dt)
            except UserError:
                raise
            except pd.errors.EmptyDataError:
                raise UserError(f"{self.path.name}: header but no samples") from None
            except pd.errors.ParserError as exc:
                raise UserError(f"{self.path.name}: malformed CSV near data row {row + 1} ({_short(exc)})") from None
            except (ValueError, TypeError) as exc:
                raise self._not_a_number(row, usecols, exc) from None
        if pending is None:
            raise UserError(f"{self.path.name}: header but no samples")
        if last_dt is None:
            raise UserError(f"{self.path.name}: a single sample is not a trace")
        self.n_samples = row
        self.progress_done = self.progress_total
        yield self._chunk(pending, np.array([last_dt]))

    def _not_a_number(self, row0: int, usecols: list, exc) -> UserError:
        """The error for a cell that is not a number, naming its data row: the file is read again as text to find
        the first such cell at or after data row ``row0`` (pandas names no row; comment and blank lines are not
        data rows, as in the read itself)."""
        import pandas as pd

        numeric = [i for i in usecols if self.packed_col is None or i != self.packed_col.index]
        try:
            with self.path.open("rb") as fh:
                for block in pd.read_csv(fh, sep=self.layout.sep, header=None, usecols=numeric, dtype=str,
                                         skiprows=self.layout.header_line + 1, comment="#",
                                         skip_blank_lines=True, encoding="latin-1", chunksize=1 << 16):
                    for i in numeric:
                        text = block[i].str.strip()
                        if self.layout.decimal != ".":
                            text = text.str.replace(self.layout.decimal, ".", regex=False)
                        bad = (text.notna() & pd.to_numeric(text, errors="coerce").isna()).to_numpy() \
                            & (block.index.to_numpy() >= row0)
                        if bad.any():
                            k = int(np.flatnonzero(bad)[0])
                            return UserError(f"{self.path.name}: {block[i].iloc[k]!r} is not a number in data row "
                                             f"{int(block.index[k]) + 1} (column {i + 1}); repair or remove that "
                                             "sample")
        except (OSError, ValueError, pd.errors.ParserError):
            pass
        return UserError(f"{self.path.name}: a value is not a number at or after data row {row0 + 1} ({_short(exc)})")

    def _check_finite(self, frame, col, values, quantity: str, row0: int) -> None:
        """An empty, NaN or infinite sample is refused naming its data row and file line."""
        bad = ~np.isfinite(values)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            what = "empty or NaN" if np.isnan(values[k]) else f"infinite ({values[k]:g})"
            line = row0 + k + 2 + self.layout.header_line
            raise UserError(f"{self.path.name}: {what} {quantity} value in data row {row0 + k + 1} (line {line}); "
                            "remove or repair that sample")

    def _convert(self, frame, row0) -> dict:
        out = {"time_s": frame[self.time_col.index].to_numpy(np.float64) * self.time_col.scale}
        self._check_finite(frame, self.time_col, out["time_s"], "time", row0)
        for key, col in (("current_a", self.current_col), ("voltage_v", self.voltage_col), ("power_w", self.power_col)):
            if col is not None:
                values = frame[col.index].to_numpy(np.float64) * col.scale
                self._check_finite(frame, col, values, col.quantity, row0)
                out[key] = values
        digital = {}
        for col in self.digital_cols:
            digital[col.name] = np.nan_to_num(frame[col.index].to_numpy(np.float64)) > 0.5
        if self.packed_col is not None:
            bits = frame[self.packed_col.index].fillna("0").astype(str).str.strip().str.zfill(8)
            arr = np.frombuffer("".join(bits.str[-8:]).encode("ascii"), dtype=np.uint8).reshape(-1, 8)
            for k in range(8):  # the text reads D0 first (left), as the header D0-D7 does
                digital[f"D{k}"] = arr[:, k] == ord("1")
        out["digital"] = digital
        return out

    def _chunk(self, block: dict, dt) -> Chunk:
        current = block.get("current_a")
        power = block.get("power_w")
        voltage = block.get("voltage_v")
        if current is None:  # power only: current follows from the voltage (or the supply, applied later)
            current = power / voltage if voltage is not None else None
        return Chunk(block["time_s"], dt, current, voltage, power, block["digital"])


_SI = {"time": "s", "current": "A", "voltage": "V", "power": "W"}


def _concat(a: dict, b: dict) -> dict:
    out = {}
    for k, v in b.items():
        if isinstance(v, dict):
            out[k] = {n: np.concatenate([a[k][n], arr]) for n, arr in v.items()}
        else:
            out[k] = np.concatenate([a[k], v])
    return out


# ------------------------------------------------------------------------------------------ JLS
_JLS_MAGIC = b"jlsfmt\r\n"


def _is_jls(path: Path, head: bytes) -> bool:
    return head.startswith(_JLS_MAGIC) or path.suffix.lower() == ".jls"


def _jls_is_closed(path: Path) -> bool:
    """True if the JLS v2 header's file length equals the file size. The header is 16 bytes of identification,
    then the length as u64 little-endian, which stays 0 until the writer closes the file."""
    with path.open("rb") as fh:
        header = fh.read(32)
    if not header.startswith(_JLS_MAGIC):
        raise UserError(f"{path.name}: not a Joulescope .jls file (no jls header); give a .jls or a CSV trace")
    return int.from_bytes(header[16:24], "little") == path.stat().st_size


def _repairable_copy(path: Path) -> Path:
    """pyjls repairs (rewrites) a .jls that was not closed properly when it opens it; the user's recording
    must never change, so such a file is read from a temporary copy."""
    import shutil
    import tempfile

    size = path.stat().st_size
    folder = Path(tempfile.mkdtemp(prefix="jf-jls-"))
    if shutil.disk_usage(folder).free < size * 1.1:
        shutil.rmtree(folder, ignore_errors=True)
        raise UserError(f"{path.name}: the .jls was not closed properly and there is no room for a {size / 1e9:.1f} "
                        f"GB temporary copy to repair; copy it yourself and measure the copy")
    copy = folder / path.name
    shutil.copyfile(path, copy)
    return copy


_JLS_ROLES = {"current": {"current", "i", "current_a"}, "voltage": {"voltage", "v", "voltage_v"},
              "power": {"power", "p", "power_w"}}


class JlsSource(TraceSource):
    """Joulescope .jls v2 via ``pyjls.Reader``: fixed-rate signals read ``chunk_samples`` at a time."""

    format = "jls"

    def __init__(self, path: Path):
        from pyjls import Reader, SignalType

        self.path = Path(path)
        self.notes = []
        self._copy = None
        read_path = self.path
        if not _jls_is_closed(self.path):
            self._copy = read_path = _repairable_copy(self.path)
            self.notes.append("the .jls was not closed properly (interrupted recording?): read a repaired "
                              "temporary copy, the file itself is untouched")
        try:
            self._reader = Reader(str(read_path))
        except Exception as exc:  # pyjls raises RuntimeError/ValueError on a damaged or foreign file
            self.close()
            raise UserError(f"{self.path.name}: not a readable Joulescope .jls file ({_short(exc)})") from None
        fsr = {sid: s for sid, s in self._reader.signals.items()
               if s.signal_type == SignalType.FSR and sid != 0 and s.length > 0}
        self.roles: dict = {}
        self.digital: dict = {}
        for sid, sig in fsr.items():
            name = (sig.name or "").strip().lower()
            for role, names in _JLS_ROLES.items():
                if name in names and role not in self.roles:
                    self.roles[role] = sig
                    break
            else:
                if digital_key(name) is not None:
                    self.digital[sig.name] = sig
        found = ", ".join(s.name for s in fsr.values()) or "none"
        if "current" not in self.roles and "power" not in self.roles:
            self.close()
            raise UserError(f"{self.path.name}: no current or power signal (found: {found}); record 'current' "
                            "with the Joulescope")
        used = list(self.roles.values()) + list(self.digital.values())
        rates = {float(s.sample_rate) for s in used}
        if len(rates) != 1:
            self.close()
            raise UserError(f"{self.path.name}: signals have different sample rates {sorted(rates)}; "
                            "re-export at one rate")
        self.sample_rate_hz = rates.pop()
        self.n_samples = int(min(s.length for s in used))
        self.has_voltage = "voltage" in self.roles
        self.has_power = "power" in self.roles
        self.digital_names = tuple(self.digital)
        self.scales = {}  # signals in mA, mV, mW... are scaled to SI; no units are read as SI, unknown ones refused
        for role, sig in self.roles.items():
            unit = (sig.units or "").strip()
            if not unit:
                self.scales[role] = 1.0
                self.notes.append(f"signal '{sig.name}' has no units; read as SI ({_SI[role]})")
                continue
            try:
                self.scales[role] = unit_scale(role, unit, f"{self.path.name}: signal '{sig.name}'")
            except UserError:
                self.close()
                raise
        self.progress_total = self.n_samples

    def chunks(self, chunk_samples: int = DEFAULT_CHUNK_SAMPLES) -> Iterator[Chunk]:
        try:
            yield from self._chunks(chunk_samples)
        except (RuntimeError, ValueError, OSError) as exc:  # a damaged block inside the file
            raise UserError(f"{self.path.name}: cannot read the .jls data ({_short(exc)})") from None

    def _chunks(self, chunk_samples: int) -> Iterator[Chunk]:
        from pyjls import DataType

        step = max(8, int(chunk_samples) // 8 * 8)
        fs = self.sample_rate_hz
        dt = 1.0 / fs
        self.progress_done = 0
        for start in range(0, self.n_samples, step):
            n = min(step, self.n_samples - start)
            arrays = {}
            for role, sig in self.roles.items():
                # pyjls counts sample ids from the first recorded sample (0), whatever sample_id_offset is
                arrays[role] = np.asarray(self._reader.fsr(sig.signal_id, start, n), dtype=np.float64)
                if self.scales.get(role, 1.0) != 1.0:
                    arrays[role] *= self.scales[role]
            digital = {}
            for name, sig in self.digital.items():
                raw = self._reader.fsr(sig.signal_id, start, n)
                if sig.data_type == DataType.U1:
                    digital[name] = np.unpackbits(np.asarray(raw, dtype=np.uint8), bitorder="little")[:n].astype(bool)
                elif sig.data_type == DataType.U4:
                    raw = np.asarray(raw, dtype=np.uint8)
                    nib = np.empty(raw.size * 2, dtype=np.uint8)
                    nib[0::2], nib[1::2] = raw & 0x0F, raw >> 4
                    digital[name] = nib[:n] > 0
                else:
                    digital[name] = np.asarray(raw, dtype=np.float64) > 0.5
            current = arrays.get("current")
            voltage = arrays.get("voltage")
            power = arrays.get("power")
            if current is None and voltage is not None:
                current = power / voltage
            self.progress_done = start + n
            yield Chunk(None, dt, current, voltage, power, digital, t0_s=start * dt)

    def close(self) -> None:
        reader = getattr(self, "_reader", None)
        if reader is not None:
            reader.close()
            self._reader = None
        if getattr(self, "_copy", None) is not None:
            import shutil

            shutil.rmtree(self._copy.parent, ignore_errors=True)
            self._copy = None


# ------------------------------------------------------------------------------------------ registrations
register("jls", _is_jls, JlsSource, "Joulescope .jls (current, voltage or power signals)")


def _nordic(name: str):
    """The native PPK2 readers live in :mod:`.nordic` (imported when used)."""
    def call(*args):
        from . import nordic

        return getattr(nordic, name)(*args)
    return call


register("ppk2-file", _nordic("is_ppk2"), _nordic("Ppk2Source"), "nRF Power Profiler .ppk2 (ZIP with session.raw)")
register("ppk-legacy", _nordic("is_ppk"), _nordic("PpkSource"), "nRF Power Profiler legacy .ppk")
register("ppk2", _is_ppk2, lambda p: CsvSource(p, "ppk2"), "nRF PPK2 CSV 'Timestamp(ms),Current(uA)[,D0-D7]'")
register("otii", _is_otii, lambda p: CsvSource(p, "otii"), "Otii CSV 'Timestamp (s),Main current (A)'")
register("csv", _is_csv, lambda p: CsvSource(p, "csv"), "CSV 'time_s,current_a[,voltage_v]' or 'Time (s),Current (mA)'")
