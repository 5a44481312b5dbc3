"""Runtime catalog: one TOML per inference runtime in ``power_models/runtimes/``, plus core classes in
``power_models/cores/``.

A runtime version names the kernel library it dispatches to (``kernels``, simulated per core in
``power_models/kernels/``, see :mod:`.kernels`) and the build of those kernels (``build``, ``--build`` changes it);
a closed runtime adds its ``*_ratio`` figures (cost per kernel kind relative to that library) and per-core
``core_factors``. Its per-MAC coefficients are cycles on the *reference core* (a Cortex-M4 with the DSP extension)
for the layers and cores no table covers; a core class scales those (``speed``), says how wide its SIMD is, how
dearly it pays for float32 and int16, how many bytes one flash access brings in, which simulated core stands in
for it (``kernel_proxy``) and how far real cycles were measured from the simulated ones (``kernel_timing_factor``).
Runtime versions: ``x-cube-ai@8.1``; without a version the newest (``default_version``) is used.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..datafile import as_figure, is_figure, load_toml
from ..errors import UserError, unknown
from ..paths import data_dir

#: coefficients every runtime version must end up with (after defaults are applied); units in the names
COEFFICIENTS = (
    "conv_cycles_per_mac",        # dense convolution (and transpose conv) inner loop
    "depthwise_cycles_per_mac",   # depthwise convolution
    "fc_cycles_per_mac",          # fully connected / batch matmul / RNN gates
    "requant_cycles_per_output",  # per output element of a MAC layer: requantize, clamp, store
    "im2col_cycles_per_element",  # per input element gathered per output pixel (convolutions)
    "elementwise_cycles_per_element",
    "pool_cycles_per_input",
    "activation_cycles_per_element",
    "softmax_cycles_per_element",
    "copy_cycles_per_byte",
    "quantize_cycles_per_element",
    "other_cycles_per_element",
    "layer_overhead_cycles",      # per operator: dispatch, parameter set-up
    "invoke_overhead_cycles",     # per inference
    "activity",                   # inference current relative to a CMSIS-NN-class runtime (power model)
)
SIZES = ("ram_overhead_bytes", "flash_overhead_bytes")
#: a closed runtime's cost per kernel kind as a multiple of its simulated baseline library (``kernels``) on the
#: same core: conv (dense and transpose), depthwise, fc (and matmul/RNN gates), other (pooling, element-wise, ...)
RATIOS = ("conv_ratio", "depthwise_ratio", "fc_ratio", "other_ratio")
#: the coefficients benchmarks/fit_cycle_model.py fits to measurements (the rest come from kernel structure)
FREE_COEFFICIENTS = ("conv_cycles_per_mac", "depthwise_cycles_per_mac", "fc_cycles_per_mac")


@dataclass(frozen=True)
class CoreClass:
    id: str
    name: str
    speed: float                  # multiplies the reference-core cycles of compute
    simd_lanes: int               # int8 lanes one SIMD MAC instruction covers (pads channel counts)
    float32_factor: float         # float32 MAC cost relative to int8
    int16_factor: float           # int16x8 MAC cost relative to int8
    flash_line_bytes: int         # bytes one flash (or cache-line) access brings in
    kernel_proxy: str = ""        # the simulated core whose kernel tables stand in where this one has none
    timing_factor: float = 1.0    # real cycles / simulated kernel cycles, where the calibration table measures it
    max_clock_hz: float = 0.0     # fastest clock a shipping part of this class reaches (0: not stated)
    assumptions: tuple = ()
    provenance: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Runtime:
    id: str
    name: str
    vendor: str
    cores: tuple
    versions: tuple               # oldest first
    default_version: str
    version: str                  # the version this object's coefficients belong to
    coefficients: dict            # name -> float (see COEFFICIENTS)
    ram_overhead_bytes: int
    flash_overhead_bytes: int
    source: str = ""
    notes: str = ""
    vendors: tuple = ()           # MCU vendors it supports (empty: any vendor with a listed core)
    interpreter: str = ""         # "tflm": RAM overhead is TFLM's persistent area, estimated per model
    version_note: str = ""        # set when a requested version was not characterised (see load_runtime)
    kernels: str = ""             # kernel library it dispatches to (power_models/kernels/<kernels>.toml), if any
    build: str = ""               # how those kernels are compiled (O2, Os, ...): the runtime's usual build
    kernel_ratios: dict = field(default_factory=dict)  # closed runtimes: RATIOS against the ``kernels`` baseline
    core_factors: dict = field(default_factory=dict)   # closed runtimes: core id -> its measured deviation from them
    kernels_by_core: dict = field(default_factory=dict)  # core id -> kernel library where it differs from ``kernels``
    kernel_overrides: dict = field(default_factory=dict)  # variant the library's wrapper picks -> what the runtime calls
    representative_kernels: bool = False  # its kernel table is a stand-in loop written for the harness, not its code
    assumptions: tuple = ()       # lines for figures that are estimates, not fits to measurements
    provenance: dict = field(default_factory=dict)
    arena_ratio: float = 1.0      # its peak activation memory over the TFLM-planned arena (own memory plan)

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"

    def kernels_for(self, core_id: str) -> str:
        """The kernel library this runtime dispatches to on ``core_id`` ('' where it has none)."""
        return self.kernels_by_core.get(core_id, self.kernels)


def _figures(table: dict, where: str, provenance: dict) -> dict:
    out = {}
    for key, node in table.items():
        if is_figure(node):
            fig = as_figure(node, f"{where}: {key}")
            out[key] = float(fig.value)
            provenance[key] = (fig.kind, fig.note)
    return out


@lru_cache(maxsize=None)
def _core_files() -> dict:
    return {p.stem: p for p in sorted((data_dir("power_models") / "cores").glob("*.toml"))}


@lru_cache(maxsize=None)
def load_core(core_id: str) -> CoreClass:
    files = _core_files()
    if core_id not in files:
        raise unknown("core class", core_id, files)
    raw = load_toml(files[core_id])
    prov: dict = {}
    figs = _figures(raw, str(files[core_id]), prov)
    need = ("speed", "simd_lanes", "float32_factor", "int16_factor", "flash_line_bytes")
    missing = [k for k in need if k not in figs]
    if missing:
        raise UserError(f"{files[core_id]}: missing {', '.join(missing)}")
    kind, note = prov.get("speed", ("", ""))
    notes = (f"core class {core_id}: speed {figs['speed']:g}x a Cortex-M4 per clock is an estimate ({note})",) \
        if kind == "derived" and note.startswith("estimate") else ()
    return CoreClass(
        id=core_id, name=raw.get("name", core_id), speed=figs["speed"], simd_lanes=int(figs["simd_lanes"]),
        float32_factor=figs["float32_factor"], int16_factor=figs["int16_factor"],
        flash_line_bytes=int(figs["flash_line_bytes"]), kernel_proxy=str(raw.get("kernel_proxy", "")),
        timing_factor=figs.get("kernel_timing_factor", 1.0),
        max_clock_hz=figs.get("max_clock_hz", 0.0),
        assumptions=notes, provenance=prov,
    )


def list_cores() -> list[CoreClass]:
    return [load_core(c) for c in _core_files()]


@lru_cache(maxsize=None)
def _runtime_files() -> dict:
    return {p.stem: p for p in sorted((data_dir("power_models") / "runtimes").glob("*.toml")) if not p.stem.startswith("_")}


@lru_cache(maxsize=None)
def _defaults() -> tuple[dict, dict]:
    path = data_dir("power_models") / "runtimes" / "_defaults.toml"
    prov: dict = {}
    return _figures(load_toml(path), str(path), prov), prov


@lru_cache(maxsize=None)
def _runtime_versions(runtime_id: str) -> dict:
    """version -> Runtime for one runtime id."""
    path = _runtime_files()[runtime_id]
    raw = load_toml(path)
    base_defaults, base_prov = _defaults()
    top_prov: dict = {}
    top = _figures(raw, str(path), top_prov)
    versions = raw.get("versions") or {}
    if not versions:
        raise UserError(f"{path}: a runtime needs at least one [versions.\"X\"] table")
    order = list(versions)
    default_version = raw.get("default_version", order[-1])
    if default_version not in versions:
        raise UserError(f"{path}: default_version '{default_version}' is not among {', '.join(order)}")
    out = {}
    for version, table in versions.items():
        prov = {**{k: v for k, v in base_prov.items()}, **top_prov}
        coeffs = {**base_defaults, **top}
        coeffs.update(_figures(table, f"{path} [versions.{version}]", prov))
        missing = [k for k in COEFFICIENTS + SIZES if k not in coeffs]
        if missing:
            raise UserError(f"{path} version {version}: missing {', '.join(missing)}")
        ratios = {k: coeffs[k] for k in RATIOS if k in coeffs}
        core_factors = _figures(table.get("core_factors", {}), f"{path} [versions.{version}.core_factors]", {})
        kernels = table.get("kernels", raw.get("kernels", ""))
        kernels_by_core = dict(kernels) if isinstance(kernels, dict) else {}
        kernels = str(kernels_by_core.pop("default", "")) if isinstance(kernels, dict) else str(kernels)
        build = str(table.get("build", raw.get("build", "")))
        estimated = [k for k in FREE_COEFFICIENTS
                     if prov.get(k, ("", ""))[0] == "derived" and not prov[k][1].startswith("fitted")]
        assumptions = ()
        if estimated and not kernels:  # with simulated kernels these are only the fallback of unsimulated cores
            values = ", ".join(f"{k.replace('_cycles_per_mac', '')} {coeffs[k]:g}" for k in estimated)
            assumptions = (f"runtime {runtime_id}@{version}: cycles per MAC ({values}) are estimates, not fitted to "
                           f"measurements ({prov[estimated[0]][1]})",)
        if (kernels or kernels_by_core) and not build:
            raise UserError(f"{path} version {version}: kernels = \"{kernels}\" needs build = \"O2\" (or Os, ...)")
        if (ratios or core_factors) and not kernels:
            raise UserError(f"{path} version {version}: kernel ratios need the baseline library (kernels = ...)")
        out[version] = Runtime(
            id=runtime_id, name=raw.get("name", runtime_id), vendor=raw.get("vendor", ""),
            cores=tuple(raw.get("cores", ())), versions=tuple(order), default_version=default_version,
            version=version, coefficients={k: coeffs[k] for k in COEFFICIENTS},
            ram_overhead_bytes=int(coeffs["ram_overhead_bytes"]), arena_ratio=coeffs.get("arena_ratio", 1.0),
            flash_overhead_bytes=int(coeffs["flash_overhead_bytes"]),
            source=raw.get("source", ""), notes=raw.get("notes", ""), vendors=tuple(raw.get("vendors", ())),
            interpreter=raw.get("interpreter", ""), kernels=kernels, build=build, kernel_ratios=ratios,
            core_factors=core_factors, kernels_by_core=kernels_by_core,
            kernel_overrides=dict(table.get("kernel_overrides", raw.get("kernel_overrides", {}))),
            representative_kernels=bool(raw.get("representative_kernels", False)),
            assumptions=assumptions, provenance=prov,
        )
    return out


def _version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else -1 for part in re.split(r"[.\-]", version.lstrip("v")))


def load_runtime(spec: str) -> Runtime:
    """``"x-cube-ai"`` (its default, the newest characterised version) or ``"x-cube-ai@8.1"``.

    A version written longer or shorter than the catalog's (``8.1.0``, ``8``) matches it. A version the catalog
    does not characterise is estimated with the nearest characterised release (the newest one not newer than it,
    else the oldest), and the returned runtime's ``version_note`` says so. An unknown id suggests valid ones."""
    runtime_id, _, version = spec.strip().lower().partition("@")
    files = _runtime_files()
    if runtime_id not in files:
        raise unknown("runtime", runtime_id, files, "see `energy runtimes`")
    versions = _runtime_versions(runtime_id)
    default = next(iter(versions.values())).default_version
    if not version:
        return versions[default]
    if version in versions:
        return versions[version]
    cleaned = version.lstrip("v")
    hits = [v for v in versions if cleaned == v or cleaned.startswith(v + ".") or v.startswith(cleaned + ".")]
    if hits:
        return versions[hits[-1]]
    if not re.fullmatch(r"v?\d+(\.\d+)*", version):
        raise unknown(f"version of {runtime_id}", version, versions)
    known = sorted(versions, key=_version_key)
    older = [v for v in known if _version_key(v) <= _version_key(cleaned)]
    chosen = older[-1] if older else known[0]
    note = (f"{runtime_id}@{version} is not characterised; estimated with {runtime_id}@{chosen} "
            f"(known versions: {', '.join(known)})")
    return dataclasses.replace(versions[chosen], version_note=note)


def list_runtimes() -> list[Runtime]:
    """Every runtime at its default version, sorted by id."""
    return [load_runtime(r) for r in _runtime_files()]


def with_build(runtime: Runtime, build: str, core) -> Runtime:
    """The runtime with its kernels compiled another way (``"Os"``, ``"O2"``; a leading ``-`` is accepted).
    Only builds simulated for the core are accepted, and only for runtimes whose own kernels were simulated."""
    from .kernels import builds as simulated_builds

    wanted = str(build).strip().lstrip("-")
    library = runtime.kernels_for(core.id)
    if runtime.kernel_ratios or not library:
        simulated = ", ".join(r.id for r in list_runtimes() if (r.kernels or r.kernels_by_core) and not r.kernel_ratios)
        why = "is costed as ratios fitted to its measured builds" if runtime.kernel_ratios else "has no simulated kernels"
        raise UserError(f"runtime '{runtime.label}' {why}, so --build does not apply to it; runtimes with simulated "
                        f"kernels: {simulated}")
    available = simulated_builds(library, core.id) or simulated_builds(library, core.kernel_proxy)
    if wanted not in available:
        raise unknown(f"build of {library} on {core.id}", wanted, available or [runtime.build])
    return dataclasses.replace(runtime, build=wanted)
