"""Nordic Power Profiler Kit II files as nRF Connect Power Profiler saves them, read natively and streamed.

``.ppk2`` (format version 2; Nordic's pc-nrfconnect-ppk, ``saveFileHandler.ts`` / ``loadFileHandler.ts``): a ZIP
holding ``metadata.json`` (``{"metadata": {"samplesPerSecond", "startSystemTime"}, "formatVersion": 2}``),
``session.raw`` and ``minimap.raw`` (an overview, not read). ``session.raw`` is a run of 6-byte frames: float32
little-endian current [µA], then a uint16 of the eight digital channels written big-endian; channel n sits in
bits 2n+1:2n: 1 = low, 2 = high, 3 = both within the sample (read as high), 0 = invalid (read as low).

``.ppk`` (the app's legacy format): a deflate stream of length-prefixed blocks (uint32 little-endian byte count):
BSON metadata (the sample rate as ``samplesPerSecond``, or ``samplingTime`` in µs), float32 currents [µA], and
uint16 digital bits (one bit per channel, D0 = bit 0) when the recording had them.

Both read the digital channels as ``D0`` .. ``D7``, as the app's CSV export names them, so ``--marker D0`` and
every figure are the same as for the CSV export of the same recording.
"""
from __future__ import annotations

import json
import math
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import UserError
from .trace import DEFAULT_CHUNK_SAMPLES, Chunk, TraceSource, _short

FRAME = np.dtype([("current_ua", "<f4"), ("bits", ">u2")])   # 6 bytes, no padding
CHANNELS = tuple(f"D{k}" for k in range(8))
UA = 1e-6
ZIP_MAGIC = b"PK\x03\x04"


def is_ppk2(path: Path, head: bytes) -> bool:
    return head.startswith(ZIP_MAGIC) and path.suffix.lower() == ".ppk2" or (
        head.startswith(ZIP_MAGIC) and b"session.raw" in head[:512])


def is_ppk(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".ppk" and not head.startswith(ZIP_MAGIC)


def _rate(value, where: str) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{where}: sample rate {value!r} is not a number") from None
    if not (math.isfinite(rate) and rate > 0):
        raise UserError(f"{where}: the sample rate is {rate:g} Hz; a trace needs a positive rate (the PPK2 records "
                        "at up to 100000 Hz): the file is damaged")
    return rate


def unpack_digital(bits: np.ndarray) -> dict:
    """``D0``..``D7`` as bool arrays (high, or both within the sample) from the 2-bit-per-channel uint16."""
    bits = bits.astype(np.uint16, copy=False)
    return {name: ((bits >> (2 * k + 1)) & 1).astype(bool) for k, name in enumerate(CHANNELS)}


class Ppk2Source(TraceSource):
    """``.ppk2``: ``session.raw`` read ``chunk_samples`` frames at a time from the ZIP (stored or deflated)."""

    format = "ppk2-file"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.notes = []
        name = self.path.name
        try:
            with zipfile.ZipFile(self.path) as zf:
                members = {i.filename: i for i in zf.infolist()}
                if "session.raw" not in members:
                    found = ", ".join(members) or "nothing"
                    raise UserError(f"{name}: no session.raw in the .ppk2 ZIP (found: {found}); save the recording "
                                    "again from nRF Connect Power Profiler, or export it as CSV")
                if "metadata.json" not in members:
                    raise UserError(f"{name}: no metadata.json in the .ppk2 ZIP, so no sample rate; save the "
                                    "recording again from nRF Connect Power Profiler")
                meta = json.loads(zf.read("metadata.json").decode("utf-8"))
                size = members["session.raw"].file_size
        except zipfile.BadZipFile as exc:
            raise UserError(f"{name}: not a readable .ppk2 (damaged ZIP: {_short(exc)})") from None
        except (ValueError, UnicodeDecodeError):
            raise UserError(f"{name}: metadata.json is not JSON; save the recording again") from None
        inner = meta.get("metadata", {}) if isinstance(meta, dict) else {}
        if "samplesPerSecond" not in inner:
            raise UserError(f"{name}: metadata.json has no metadata.samplesPerSecond; not a .ppk2 of format 2")
        self.sample_rate_hz = _rate(inner["samplesPerSecond"], name)
        version = meta.get("formatVersion")
        if version not in (None, 2):
            self.notes.append(f".ppk2 formatVersion {version}: read as version 2")
        extra = size % FRAME.itemsize
        if extra:
            raise UserError(f"{name}: session.raw ends in a partial {FRAME.itemsize}-byte frame ({extra} byte(s) left "
                            "over): the recording is truncated; save it again")
        self.n_samples = size // FRAME.itemsize
        if self.n_samples < 2:
            raise UserError(f"{name}: session.raw holds {self.n_samples} sample(s); a trace needs at least two")
        self.digital_names = CHANNELS
        self.progress_total = self.n_samples

    def chunks(self, chunk_samples: int = DEFAULT_CHUNK_SAMPLES) -> Iterator[Chunk]:
        dt = 1.0 / self.sample_rate_hz
        step = max(1, int(chunk_samples))
        self.progress_done = 0
        start = 0
        try:
            with zipfile.ZipFile(self.path) as zf, zf.open("session.raw") as raw:
                while start < self.n_samples:
                    want = min(step, self.n_samples - start) * FRAME.itemsize
                    block = raw.read(want)
                    if len(block) != want:
                        raise UserError(f"{self.path.name}: session.raw ended early at sample {start}; the file is "
                                        "truncated")
                    frames = np.frombuffer(block, dtype=FRAME)
                    current = frames["current_ua"].astype(np.float64) * UA
                    chunk = Chunk(None, dt, current, digital=unpack_digital(frames["bits"]), t0_s=start * dt)
                    start += len(frames)
                    self.progress_done = start
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise UserError(f"{self.path.name}: cannot read session.raw ({_short(exc)}); the file is damaged") from None


# ------------------------------------------------------------------------------------------ legacy .ppk
def _bson(data: bytes) -> dict:
    """The few BSON element types the app's metadata uses (double, string, document, array, bool, null, int32,
    int64, datetime, binary); the file's sample rate is all that is read from it."""
    def doc(pos: int):
        (size,) = struct.unpack_from("<i", data, pos)
        end, pos, out = pos + size - 1, pos + 4, {}
        while pos < end:
            kind = data[pos]
            pos += 1
            key_end = data.index(b"\x00", pos)
            key, pos = data[pos:key_end].decode("utf-8", "replace"), key_end + 1
            if kind == 0x01:
                value, pos = struct.unpack_from("<d", data, pos)[0], pos + 8
            elif kind == 0x02:
                (n,) = struct.unpack_from("<i", data, pos)
                value, pos = data[pos + 4:pos + 3 + n].decode("utf-8", "replace"), pos + 4 + n
            elif kind in (0x03, 0x04):
                value, pos = doc(pos)
                if kind == 0x04:
                    value = list(value.values())
            elif kind == 0x05:
                (n,) = struct.unpack_from("<i", data, pos)
                value, pos = data[pos + 5:pos + 5 + n], pos + 5 + n
            elif kind == 0x08:
                value, pos = bool(data[pos]), pos + 1
            elif kind == 0x0A:
                value = None
            elif kind == 0x10:
                value, pos = struct.unpack_from("<i", data, pos)[0], pos + 4
            elif kind in (0x09, 0x12):
                value, pos = struct.unpack_from("<q", data, pos)[0], pos + 8
            else:
                raise ValueError(f"BSON element type 0x{kind:02x}")
            out[key] = value
        return out, end + 1

    return doc(0)[0]


def _find(meta, key):
    if isinstance(meta, dict):
        if key in meta:
            return meta[key]
        for value in meta.values():
            hit = _find(value, key)
            if hit is not None:
                return hit
    return None


class _Inflated:
    """Sequential reads from a deflate stream (zlib-wrapped or raw), inflated at most ``n`` bytes at a time so
    memory stays bounded however well the data compresses."""

    def __init__(self, path: Path):
        self.fh = Path(path).open("rb")
        self.buf = bytearray()
        first = self.fh.read(2)
        self.fh.seek(0)
        wrapped = len(first) == 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        self.z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        self.eof = False

    def read(self, n: int) -> bytes:
        while len(self.buf) < n and not self.eof:
            data = self.z.unconsumed_tail or self.fh.read(1 << 16)
            if not data:
                self.buf += self.z.flush()
                self.eof = True
                break
            self.buf += self.z.decompress(data, max(n - len(self.buf), 1 << 16))
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def length(self, what: str, where: str) -> int:
        """The next block's uint32 little-endian byte count."""
        head = self.read(4)
        if len(head) != 4:
            raise UserError(f"{where}: the .ppk ends before its {what} block; the file is truncated")
        return struct.unpack("<I", head)[0]

    def skip(self, n: int, where: str) -> None:
        while n > 0:
            got = len(self.read(min(n, 1 << 20)))
            if got == 0:
                raise UserError(f"{where}: the .ppk ends inside its current block; the file is truncated")
            n -= got

    def close(self) -> None:
        self.fh.close()


class PpkSource(TraceSource):
    """Legacy ``.ppk``: the currents and (after all of them) the bits are read by two inflate streams side by
    side, so a long recording streams in bounded memory."""

    format = "ppk-legacy"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.notes = []
        name = self.path.name
        stream = _Inflated(self.path)
        try:
            meta = _bson(stream.read(stream.length("metadata", name)))
            data_len = stream.length("current", name)
        except (zlib.error, ValueError, struct.error, IndexError) as exc:
            raise UserError(f"{name}: not a readable legacy .ppk ({_short(exc)}); save it as .ppk2 or CSV") from None
        finally:
            stream.close()
        rate = _find(meta, "samplesPerSecond")
        if rate is None and _find(meta, "samplingTime") is not None:
            sampling_time = float(_find(meta, "samplingTime"))   # µs per sample
            rate = 1e6 / sampling_time if sampling_time > 0 else 0.0
        if rate is None:
            raise UserError(f"{name}: the .ppk metadata has no samplesPerSecond or samplingTime")
        self.sample_rate_hz = _rate(rate, name)
        if data_len % 4:
            raise UserError(f"{name}: the current block ends in a partial 4-byte sample; the file is truncated")
        self.n_samples = data_len // 4
        if self.n_samples < 2:
            raise UserError(f"{name}: {self.n_samples} sample(s); a trace needs at least two")
        self.digital_names = CHANNELS
        self.progress_total = self.n_samples

    def chunks(self, chunk_samples: int = DEFAULT_CHUNK_SAMPLES) -> Iterator[Chunk]:
        name = self.path.name
        dt = 1.0 / self.sample_rate_hz
        step = max(1, int(chunk_samples))
        self.progress_done = 0
        currents, bits = _Inflated(self.path), _Inflated(self.path)
        try:
            currents.read(currents.length("metadata", name))
            currents.length("current", name)
            bits.read(bits.length("metadata", name))
            bits.skip(bits.length("current", name), name)
            head = bits.read(4)
            has_bits = len(head) == 4 and struct.unpack("<I", head)[0] == 2 * self.n_samples
            if not has_bits:
                self.notes.append("no digital block in the .ppk: D0-D7 read as low")
            start = 0
            while start < self.n_samples:
                n = min(step, self.n_samples - start)
                block = currents.read(4 * n)
                if len(block) != 4 * n:
                    raise UserError(f"{name}: the currents end early at sample {start}; the file is truncated")
                current = np.frombuffer(block, dtype="<f4").astype(np.float64) * UA
                if has_bits:
                    word = np.frombuffer(bits.read(2 * n), dtype="<u2")
                    digital = {ch: ((word >> k) & 1).astype(bool) for k, ch in enumerate(CHANNELS)}
                else:
                    digital = {ch: np.zeros(n, dtype=bool) for ch in CHANNELS}
                yield Chunk(None, dt, current, digital=digital, t0_s=start * dt)
                start += n
                self.progress_done = start
        except zlib.error as exc:
            raise UserError(f"{name}: cannot inflate the .ppk ({_short(exc)}); the file is damaged") from None
        finally:
            currents.close()
            bits.close()
