"""The bridge to Arm's Ethos-U compiler, Vela (``ethos-u-vela``, the ``[npu]`` extra).

Vela compiles a .tflite for an Ethos-U55/U65/U85 configuration (``--accelerator-config``) inside a system
configuration (NPU clock, the memories on its two AXI ports with their clock scale, burst length and latencies)
and estimates the NPU cycles of each operator and the bytes it moves per memory area; operators it cannot place on
the NPU stay on the CPU (it estimates no time for them). This module writes the part's system configuration
(``power_models/npu/ethos-u-systems.toml``, extensible with ``JOULESCOPE_FREE_ETHOSU_SYSTEMS=<file.toml>``) as a
Vela ini file, runs Vela in a child process (only for Ethos-U parts; nothing here is imported otherwise), reads its
summary and per-layer CSV files, and maps Vela's operators back onto the model's layers by their output tensor
names. Results are cached on disk by model SHA-256, configuration and Vela version (as the sweep's analysis cache).
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..datafile import as_figure, load_toml
from ..errors import UserError, unknown
from ..paths import data_dir

SYSTEMS_ENV = "JOULESCOPE_FREE_ETHOSU_SYSTEMS"
MEMORY_FIELDS = ("clock_scale", "burst_length", "read_latency", "write_latency", "max_reads", "max_writes")
#: Vela's name of a TFLite builtin where the two differ beyond case and underscores
_VELA_OP_NAMES = {"AVERAGE_POOL_2D": "avgpool", "MAX_POOL_2D": "maxpool", "RESIZE_BILINEAR": "resizebilinear"}
INSTALL_HINT = "pip install 'joulescope-free[npu]' (Arm's ethos-u-vela)"


def vela_version() -> str | None:
    """The installed ethos-u-vela version, or None (without importing Vela)."""
    from importlib import metadata

    try:
        return metadata.version("ethos-u-vela")
    except metadata.PackageNotFoundError:
        return None


# ------------------------------------------------------------------------------------------------ systems
@lru_cache(maxsize=None)
def _systems_file(path: str) -> dict:
    tree = load_toml(Path(path))
    out = {}
    for i, node in enumerate(tree.get("system", [])):
        where = f"{path} system {i + 1}"
        name = node.get("name")
        if not isinstance(name, str):
            raise UserError(f"{where}: each [[system]] needs a name")
        memories = {}
        for mem, fields in (node.get("memory") or {}).items():
            memories[mem] = {k: float(as_figure(fields[k], f"{where} memory.{mem}.{k}").value)
                             for k in MEMORY_FIELDS if k in fields}
        for port in ("axi0_port", "axi1_port"):
            if node.get(port) not in memories:
                raise UserError(f"{where}: {port} '{node.get(port)}' needs a [system.memory.{node.get(port)}] table")
        out[name] = {"core_clock_hz": float(as_figure(node["core_clock_hz"], f"{where} core_clock_hz").value),
                     "axi0_port": node["axi0_port"], "axi1_port": node["axi1_port"], "memory": memories,
                     "source": str(node["core_clock_hz"].get("source") or node["core_clock_hz"].get("derived"))}
    return out


def systems() -> dict:
    """Ethos-U system configurations: the shipped file, then a user's file named by ``JOULESCOPE_FREE_ETHOSU_SYSTEMS``
    (its entries add to or replace the shipped ones)."""
    out = dict(_systems_file(str(data_dir("power_models") / "npu" / "ethos-u-systems.toml")))
    user = os.environ.get(SYSTEMS_ENV)
    if user:
        if not Path(user).is_file():
            raise UserError(f"{SYSTEMS_ENV}={user}: no such file (a TOML of [[system]] tables as "
                            f"power_models/npu/ethos-u-systems.toml)")
        out.update(_systems_file(str(Path(user).resolve())))
    return out


def ini_text(system_name: str, clock_hz: float, memory_mode: str = "Shared_Sram") -> str:
    """The Vela ini file of one system configuration at NPU clock ``clock_hz`` plus its memory mode (Arm's
    ``Shared_Sram``: weights on AXI1, tensor arena and cache on AXI0; ``Sram_Only``: all on AXI0)."""
    table = systems()
    if system_name not in table:
        raise unknown("Ethos-U system configuration", system_name, table,
                      f"add one to a TOML file named by {SYSTEMS_ENV}")
    s = table[system_name]
    lines = [f"[System_Config.{system_name}]", f"core_clock={clock_hz:.6g}", f"axi0_port={s['axi0_port']}",
             f"axi1_port={s['axi1_port']}"]
    for mem in dict.fromkeys((s["axi0_port"], s["axi1_port"])):
        for k, v in s["memory"][mem].items():
            lines.append(f"{mem}_{k}={v:g}")
    modes = {"Shared_Sram": ("Axi1", "Axi0", "Axi0"), "Sram_Only": ("Axi0", "Axi0", "Axi0")}
    if memory_mode not in modes:
        raise unknown("Vela memory mode", memory_mode, modes)
    const, arena, cache = modes[memory_mode]
    lines += ["", f"[Memory_Mode.{memory_mode}]", f"const_mem_area={const}", f"arena_mem_area={arena}",
              f"cache_mem_area={cache}", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ running
CACHE_ENV = "JOULESCOPE_FREE_CACHE"  # the sweep's analysis cache lives there too (sweeps.default_cache_dir)


def _cache_dir() -> Path:
    root = os.environ.get(CACHE_ENV)
    return (Path(root) if root else Path.home() / ".cache" / "joulescope_free") / "vela"


def run_vela(model_path, accelerator_config: str, system_name: str, clock_hz: float,
             memory_mode: str = "Shared_Sram", cache: bool = True) -> dict:
    """Vela's summary (column -> value) and per-layer rows for one model and configuration, cached on disk."""
    version = vela_version()
    if version is None:
        raise UserError(f"this part's Ethos-U NPU is costed by Arm's Vela compiler, which is not installed: "
                        f"{INSTALL_HINT}; or --accelerator none for the CPU-only estimate")
    model_path = Path(model_path)
    try:
        data = model_path.read_bytes()
    except OSError:
        raise UserError(f"Vela needs the model file; cannot read {model_path} (give a .tflite path)") from None
    ini = ini_text(system_name, clock_hz, memory_mode)
    key = hashlib.sha256(b"\0".join([hashlib.sha256(data).digest(), accelerator_config.encode(), ini.encode(),
                                     memory_mode.encode(), version.encode()])).hexdigest()
    file = _cache_dir() / f"{key}.json"
    if cache and file.is_file():
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    result = _compile(data, accelerator_config, system_name, ini, memory_mode)
    result["vela_version"] = version
    if cache:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            tmp = file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(result), encoding="utf-8")
            os.replace(tmp, file)
        except OSError:
            pass
    return result


def _compile(data: bytes, accelerator_config: str, system_name: str, ini: str, memory_mode: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="jf-vela-") as tmp:
        tmp = Path(tmp)
        model = tmp / "model.tflite"
        model.write_bytes(data)
        (tmp / "system.ini").write_text(ini, encoding="utf-8")
        argv = [str(model), "--accelerator-config", accelerator_config, "--config", str(tmp / "system.ini"),
                "--system-config", system_name, "--memory-mode", memory_mode, "--output-dir", str(tmp / "out"),
                "--verbose-performance"]
        code = "import sys; from ethosu.vela.vela import main; sys.exit(main(sys.argv[1:]))"
        proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=600)
        out = tmp / "out"
        summary_files = sorted(out.glob("*_summary_*.csv")) if out.is_dir() else []
        layer_files = sorted(out.glob("*_per-layer.csv")) if out.is_dir() else []
        if proc.returncode != 0 or not layer_files:
            last = (proc.stderr or proc.stdout or "").strip().splitlines()[-1:] or ["no output"]
            raise UserError(f"Vela could not compile the model for {accelerator_config} ({system_name}): {last[0]}")
        with open(layer_files[0], newline="", encoding="utf-8") as fh:
            layers = list(csv.DictReader(fh))
        summary = {}
        if summary_files:  # none when no operator went to the NPU
            with open(summary_files[0], newline="", encoding="utf-8") as fh:
                summary = next(csv.DictReader(fh), {})
        return {"summary": summary, "layers": layers}


# ------------------------------------------------------------------------------------------------ mapping
def _norm_op(name: str) -> str:
    return _VELA_OP_NAMES.get(name, name.replace("_", "").lower())


def _output_names(model_path) -> list:
    """The first output tensor name of each operator of the main subgraph, in the analysis's layer order."""
    from ..model.reader import read_tflite

    model = read_tflite(Path(model_path).read_bytes(), str(model_path))
    graph = model.subgraphs[0]
    return [graph.tensors[op.outputs[0]].name if op.outputs and op.outputs[0] >= 0 else "" for op in graph.operators]


def map_layers(records: list, output_names: list, vela_layers: list) -> tuple:
    """(NPU cycles per layer, on_npu mask, per-layer SRAM/flash access cycles) from Vela's per-layer rows: a row
    belongs to the layer whose output tensor has the row's name; a row Vela named otherwise (an operator it
    decomposed, e.g. SOFTMAX) to the next layer after the last one matched whose operator is the row's original
    operator. A layer with any row on the NPU runs there."""
    n = len(records)
    cycles, on, cpu = np.zeros(n), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    access = {"npu_sram_access_cycles": np.zeros(n), "npu_flash_access_cycles": np.zeros(n)}
    by_name = {name: i for i, name in enumerate(output_names) if name}
    last = -1
    for row in vela_layers:
        i = by_name.get(row.get("Name", ""))
        if i is None:
            want = _norm_op(row.get("Original Operator", ""))
            i = next((j for j in range(max(last, 0), n) if _norm_op(str(records[j].get("op"))) == want), None)
            if i is None:
                continue
        last = i
        if row.get("Target") == "NPU":
            on[i] = True
            cycles[i] += float(row.get("Op Cycles") or 0)
            access["npu_sram_access_cycles"][i] += float(row.get("SRAM AC") or 0)
            access["npu_flash_access_cycles"][i] += float(row.get("OnFlash AC") or 0) + float(row.get("OffFlash AC") or 0)
        else:
            cpu[i] = True
    # a layer Vela shows no row for was folded into the NPU's command stream (RESHAPE, SQUEEZE, ...): on the NPU
    # when its neighbours are, at no cost
    seen = on | cpu
    for i, r in enumerate(records):
        if not seen[i] and str(r.get("kind")) in ("reshape", "data"):
            on[i] = (i > 0 and on[i - 1]) or (i + 1 < n and on[i + 1])
    return cycles, on, access


def vela_plan(npu, analysis, clock_hz: float) -> dict:
    """The fields of an Ethos-U part's :class:`.npu.NpuPlan` from Vela's estimate."""
    path = analysis.path
    if not path or not Path(path).is_file():
        raise UserError(f"the {npu.name} is costed by Vela, which needs the .tflite file: give the model as a path")
    # Vela counts NPU cycles with the memories' clocks as ratios of the NPU clock, so its cycle counts do not depend
    # on the clock itself: run once at the configuration's published clock, time = cycles / the NPU clock in use
    published_hz = systems()[npu.system_config]["core_clock_hz"] if npu.system_config in systems() else clock_hz
    result = run_vela(path, npu.accelerator_config, npu.system_config, published_hz, npu.memory_mode)
    records = analysis.records
    names = getattr(analysis, "_vela_output_names", None)
    if names is None:  # read once per analysis (a sweep asks at every clock and supply)
        names = _output_names(path)
        try:
            analysis._vela_output_names = names
        except AttributeError:
            pass
    cycles, on, access = map_layers(records, names, result["layers"])
    summary = result["summary"]
    total_cycles = float(summary.get("cycles_total") or 0.0)
    reasons = ["" if o else "Vela left it on the CPU (unsupported operator, type or constraint)" for o in on]
    scaled = "" if abs(published_hz - clock_hz) < 1e-6 * clock_hz else (
        f"; its cycles at the configuration's {published_hz / 1e6:g} MHz taken at {clock_hz / 1e6:g} MHz (the "
        f"memories' clock scales held)")
    notes = [f"{npu.name}: NPU time is Vela {result.get('vela_version')}'s own estimate ({npu.accelerator_config}, "
             f"system configuration {npu.system_config}, memory mode {npu.memory_mode}{scaled}); "
             f"Vela estimates no time for the operators it leaves on the CPU: the host's cycle model costs them"]
    extra = {"vela_cycles_total": total_cycles,
             "npu_sram_bytes": _num(summary, "sram_total_bytes"),
             "npu_off_chip_flash_bytes": _num(summary, "off_chip_flash_total_bytes"),
             "npu_on_chip_flash_bytes": _num(summary, "on_chip_flash_total_bytes"),
             "npu_dram_bytes": _num(summary, "dram_total_bytes"),
             "npu_weights_storage": summary.get("weights_storage_area")}
    warnings = [] if on.any() else [f"Vela placed no layer of this model on the {npu.name}: every layer runs on "
                                    f"the host"]
    return dict(on_npu=on, npu_cycles=cycles, npu_clock_hz=clock_hz,
                npu_total_s=total_cycles / clock_hz if summary else 0.0, reasons=reasons, notes=notes,
                warnings=warnings, extra_summary=extra, extra_columns=access)


def _num(summary: dict, key: str):
    try:
        return float(summary[key])
    except (KeyError, TypeError, ValueError):
        return None
