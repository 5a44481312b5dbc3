"""Tables and JSON for ``energy mcus`` and ``energy runtimes``.

JSON schema of ``energy mcus --json`` (a list, one object per part; SI units as in the names):
``id, name, vendor, core, isa, typical, boards, aliases, max_clock_hz, default_clock_hz, sram_bytes, tcm_bytes,
flash_bytes, flash_kind, icache_bytes, dcache_bytes, flash_wait_states [[max_clock_hz, wait_states], ...],
supply_min_v, supply_max_v, supply_default_v, regulator, run_current_per_hz_a, run_fixed_current_a,
run_reference_v, inference_factor (the part's own inference/run current ratio, null: the power model's),
default_runtime, sleep_modes [{name, current_a, retains_ram_bytes, wakeup_s, wakeup_energy_j,
derived?}], run_ranges [{name, max_clock_hz, run_fixed_current_a, run_current_per_hz_a, flash_wait_states,
derived?}] (the voltage ranges of the usual supply path; empty without), supply_paths [{regulator,
run_current_per_hz_a, run_fixed_current_a, run_reference_v, boards, ranges, derived?}], derived, notes, sources,
assumptions``. Currents hold at ``run_reference_v``.

``derived`` marks every figure that is not the part's own datasheet (or other sourced) value: at the top level a
dict from each such key (``run_current_per_hz_a``, ``sram_bytes``, ...) to how it was derived; in a sleep mode or
supply path the same for its own figures (absent when all of them are sourced).
"""
from __future__ import annotations

import json
from typing import Iterable

from rich import box
from rich.console import Console
from rich.table import Table


def _num(x: float) -> str:
    """Compact table number: 3 significant digits, thousands separators for large values."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _sleep_for_table(mcu):
    """The lowest-current sleep mode that keeps some SRAM (else the lowest overall)."""
    return mcu.retaining_sleep(1) or mcu.retaining_sleep(0)


#: catalog file key -> JSON key, for the top-level and run figures
_JSON_KEYS = {"run.current_per_hz_a": "run_current_per_hz_a", "run.fixed_current_a": "run_fixed_current_a",
              "run.reference_supply_v": "run_reference_v", "run.inference_factor": "inference_factor"}
_PATH_KEYS = {"current_per_hz_a": "run_current_per_hz_a", "fixed_current_a": "run_fixed_current_a",
              "reference_supply_v": "run_reference_v"}


def _derived(mcu, prefix: str, rename: dict | None = None) -> dict:
    """JSON key -> how it was derived, for the figures under ``prefix`` ('' = top level and [run]) that carry no
    source of their own."""
    out = {}
    for key, (kind, note) in mcu.provenance.items():
        if kind == "source":
            continue
        if prefix:
            if not key.startswith(prefix + ".") or ".range[" in key[len(prefix):]:
                continue
            leaf = key[len(prefix) + 1:]
        elif key.startswith(("sleep[", "supply_path[", "run.range[")):
            continue
        else:
            leaf = key
        out[(rename or {}).get(leaf, _JSON_KEYS.get(leaf, leaf))] = note
    return out


def _with_derived(record: dict, derived: dict) -> dict:
    return {**record, "derived": derived} if derived else record


def _ranges(mcu, ranges, prefix: str) -> list:
    """The voltage ranges of a supply path as JSON records (``prefix``: 'run' or 'supply_path[i]')."""
    return [_with_derived({"name": r.name, "max_clock_hz": r.max_clock_hz, "run_fixed_current_a": r.run_fixed_current_a,
                           "run_current_per_hz_a": r.run_current_per_hz_a,
                           "flash_wait_states": [[hz, ws] for hz, ws in r.flash_wait_states]},
                          _derived(mcu, f"{prefix}.range[{i}]", _PATH_KEYS))
            for i, r in enumerate(ranges)]


def is_own_figure(mcu, key: str) -> bool:
    """Whether the figure at catalog key ``key`` ('run.current_per_hz_a', 'sleep[1].current_a') is sourced."""
    return mcu.provenance.get(key, ("source", ""))[0] == "source"


def _npu_record(mcu):
    """The part's NPU (hardware/npu.py) as a JSON-ready dict, or None."""
    from ..hardware.npu import npu_of

    npu = npu_of(mcu)
    if npu is None:
        return None
    return {"name": npu.name, "kind": npu.kind, "runtime": npu.runtime, "clock_hz": npu.clock_hz,
            "macs_per_cycle": npu.macs_per_cycle or None, "efficiency": npu.efficiency if npu.kind != "ethos-u" else None,
            "accelerator_config": npu.accelerator_config or None, "system_config": npu.system_config or None,
            "active_current_a": npu.active_current_a, "host_wait_current_a": npu.host_wait_current_a,
            "weight_memory_bytes": npu.weight_memory_bytes or None, "basis": npu.basis, "anchor": npu.anchor or None}


def mcu_record(mcu) -> dict:
    """One MCU as a JSON-ready dict (see the module docstring for the keys)."""
    from ..hardware.memory import memory_record

    return {
        "id": mcu.id, "name": mcu.name, "vendor": mcu.vendor, "core": mcu.core, "isa": list(mcu.isa),
        "typical": mcu.typical, "boards": list(mcu.boards), "aliases": list(mcu.aliases),
        "max_clock_hz": mcu.max_clock_hz, "default_clock_hz": mcu.default_clock_hz,
        "sram_bytes": mcu.sram_bytes, "tcm_bytes": mcu.tcm_bytes, "flash_bytes": mcu.flash_bytes,
        "flash_kind": mcu.flash_kind, "icache_bytes": mcu.icache_bytes, "dcache_bytes": mcu.dcache_bytes,
        "flash_wait_states": [[hz, ws] for hz, ws in mcu.flash_wait_states],
        "supply_min_v": mcu.supply_min_v, "supply_max_v": mcu.supply_max_v, "supply_default_v": mcu.supply_default_v,
        "regulator": mcu.regulator,
        "run_current_per_hz_a": mcu.run_current_per_hz_a, "run_fixed_current_a": mcu.run_fixed_current_a,
        "run_reference_v": mcu.run_reference_v, "inference_factor": mcu.inference_factor or None,
        "run_ranges": _ranges(mcu, mcu.run_ranges, "run"),
        "default_runtime": mcu.default_runtime,
        "sleep_modes": [
            _with_derived({"name": m.name, "current_a": m.current_a, "retains_ram_bytes": m.retains_ram_bytes,
                           "wakeup_s": m.wakeup_s, "wakeup_energy_j": m.wakeup_energy_j},
                          _derived(mcu, f"sleep[{i}]"))
            for i, m in enumerate(mcu.sleep_modes)
        ],
        "supply_paths": [
            _with_derived({"regulator": p.regulator, "run_current_per_hz_a": p.run_current_per_hz_a,
                           "run_fixed_current_a": p.run_fixed_current_a, "run_reference_v": p.run_reference_v,
                           "boards": list(p.boards), "ranges": _ranges(mcu, p.ranges, f"supply_path[{i}]")},
                          _derived(mcu, f"supply_path[{i}]", _PATH_KEYS))
            for i, p in enumerate(mcu.supply_paths)
        ],
        "memory": memory_record(mcu),
        "npu": _npu_record(mcu),
        "derived": _derived(mcu, ""),
        "notes": mcu.notes, "sources": list(mcu.sources), "assumptions": list(mcu.assumptions),
    }



def mcus_json(items: Iterable) -> str:
    """``energy mcus --json``: a JSON list of :func:`mcu_record` dicts."""
    return json.dumps([mcu_record(m) for m in items], indent=2, ensure_ascii=False)


def _mark(mcu, key: str, text: str) -> str:
    """A table cell, prefixed with '~' where the figure is not the part's own sourced value."""
    return text if is_own_figure(mcu, key) else "~" + text


def render_mcus(items: Iterable, console: Console | None = None) -> None:
    """Rich table of the MCU catalog; run µA/MHz is the total current at the default clock per MHz."""
    console = console or Console()
    wide = console.width >= 140          # narrow terminals: no name/runtime columns, typical parts marked '*'
    table = Table(title="MCU catalog (power_models/mcus)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  padding=(0, 1) if wide else (0, 1, 0, 0))
    columns = [("id", "left", True), ("name", "left", wide), ("core", "left", True), ("max\nMHz", "right", True),
               ("SRAM\nKiB", "right", True), ("flash\nKiB", "right", True), ("run\nµA/MHz", "right", True),
               ("sleep\nµA", "right", True), ("default\nruntime", "left", wide), ("typical", "center", wide)]
    for col, justify, shown in columns:
        if shown:
            table.add_column(col, justify=justify, no_wrap=col != "name", overflow="fold")
    n = 0
    for m in items:
        n += 1
        per_mhz = m.run_current_a(m.default_clock_hz) / (m.default_clock_hz / 1e6) * 1e6
        sleep = _sleep_for_table(m)
        cells = [
            m.id if wide or not m.typical else m.id + "*", m.name, m.core, _num(m.max_clock_hz / 1e6),
            _num(m.sram_bytes / 1024), _num(m.flash_bytes / 1024) if m.flash_bytes else "ext",
            _mark(m, "run.current_per_hz_a", _num(per_mhz)),
            _mark(m, f"sleep[{m.sleep_modes.index(sleep)}].current_a", _num(sleep.current_a * 1e6)) if sleep else "-",
            m.default_runtime + (f" + {_npu_record(m)['runtime']} (NPU)" if _npu_record(m) else ""),
            "yes" if m.typical else "",
        ]
        table.add_row(*[c for c, (_, _, shown) in zip(cells, columns) if shown])
    console.print(table)
    if not wide:
        console.print("* typical part standing for a core class (use it as --mcu when your part is not listed)")
    console.print(f"{n} entries. run µA/MHz: supply current at the default clock divided by that clock, at the "
                  "part's reference supply; sleep µA: lowest-current mode that keeps SRAM; ~: not the part's own "
                  "datasheet figure (derived or copied; how: energy mcus --json, key 'derived'). Details, sources "
                  "and assumptions: energy mcus --json")


# --------------------------------------------------------------------------------------------- runtimes
def _kernels(rt) -> str:
    """The kernel library (per core where it differs) and build the runtime's costs come from."""
    per_core = ", ".join(f"{lib} on {core}" for core, lib in getattr(rt, "kernels_by_core", {}).items())
    libs = ", ".join(x for x in (getattr(rt, "kernels", ""), per_core) if x)
    from ..hardware.npu import npu_runtime_ids

    if rt.id in npu_runtime_ids():  # an NPU runtime: its NPU's model costs the layers, the part's CPU runtime the rest
        kind = npu_runtime_ids()[rt.id]
        return "NPU: Vela (ethos-u-vela)" if kind == "ethos-u" else f"NPU: throughput model ({kind})"
    if not libs:
        return "per-MAC estimates"
    return f"{'x ratios of ' if getattr(rt, 'kernel_ratios', None) else ''}{libs} ({rt.build})"


def runtime_record(rt) -> dict:
    """One runtime as a JSON-ready dict: id, name, cores, versions (newest last), default_version, the kernel
    library its costs come from (``kernels``, ``build``, ``closed``: costed as ratios to that library), source,
    notes."""
    return {
        "id": rt.id, "name": rt.name, "cores": list(rt.cores), "versions": list(rt.versions),
        "default_version": rt.default_version, "kernels": getattr(rt, "kernels", "") or None,
        "kernels_by_core": dict(getattr(rt, "kernels_by_core", {})), "build": getattr(rt, "build", "") or None,
        "closed": bool(getattr(rt, "kernel_ratios", None)),
        "source": getattr(rt, "source", ""), "notes": getattr(rt, "notes", ""),
    }


def runtimes_json(items: Iterable) -> str:
    """``energy runtimes --json``: a JSON list of :func:`runtime_record` dicts."""
    return json.dumps([runtime_record(r) for r in items], indent=2, ensure_ascii=False)


def render_runtimes(items: Iterable, console: Console | None = None) -> None:
    """Rich table of the inference runtimes and the core classes they run on."""
    console = console or Console()
    table = Table(title="Inference runtimes (power_models/runtimes)", title_justify="left")
    for col in ("id", "name", "cores", "versions", "default", "kernel costs (default version)"):
        table.add_column(col, overflow="fold")
    for r in items:
        table.add_row(r.id, r.name, ", ".join(r.cores), ", ".join(r.versions), r.default_version, _kernels(r))
    console.print(table)
    console.print("Pick a version with --runtime ID@VERSION (default: the newest listed) and a build of simulated "
                  "kernels with --build (O2, Os).")
