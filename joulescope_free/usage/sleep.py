"""What must survive sleep, and what a cold start costs: the inputs of the duty model's sleep strategy.

* ``retain_bytes`` [bytes]: the runtime's persistent allocations (TFLM arena tail: ``runtime_overhead_bytes``;
  a code generator's catalog RAM overhead), the model's variable tensors (streaming state, ``variable_bytes``)
  and the application state (``app_state_bytes`` of ``power_models/cold_start.toml``). The activation arena is
  scratch: it need not survive. A profile's ``[sleep] retain_bytes`` replaces the whole sum.
* cold start: after a wake from a mode that loses them, the runtime starts again (interpreter construction,
  tensor allocation) for ``init_cycles_fixed + init_cycles_per_operator x operators +
  init_cycles_per_persistent_byte x persistent bytes`` cycles at the chosen clock and run current. Weights stay in
  flash and execute in place (internal, QSPI-mapped or MRAM), so nothing is copied; other storage is flagged.
  The mode's own wake-up (boot ROM, bootloader) is the catalog's ``wakeup_s``/``wakeup_energy_j``.
"""
from __future__ import annotations

from functools import lru_cache

from ..datafile import as_figure, load_toml
from ..paths import data_dir
from ..units import plain_number, si_format
from .lifetime import ColdStart

XIP_FLASH = ("internal", "external-qspi", "mram")
_KEYS = ("app_state_bytes", "init_cycles_fixed", "init_cycles_per_operator", "init_cycles_per_persistent_byte")


@lru_cache(maxsize=1)
def cold_start_figures() -> dict:
    """``power_models/cold_start.toml`` as {key: (value, note)}."""
    path = data_dir("power_models") / "cold_start.toml"
    table = load_toml(path)
    out = {}
    for key in _KEYS:
        fig = as_figure(table[key], f"{path.name}: {key}")
        out[key] = (float(fig.value), fig.note)
    return out


def persistent_bytes(summary: dict, rt) -> int:
    """The runtime's persistent RAM for this model (bytes): TFLM's estimated arena tail, else the catalog's."""
    return int(summary.get("runtime_overhead_bytes", 0)) if rt.interpreter == "tflm" else int(rt.ram_overhead_bytes)


def sleep_inputs(summary: dict, part, rt, clock_hz: float, profile=None):
    """(retain_bytes, how they were counted, ColdStart, assumption lines) for one model on one target."""
    figs = cold_start_figures()
    persistent = persistent_bytes(summary, rt)
    variables = int(summary.get("variable_bytes", 0))
    app = int(figs["app_state_bytes"][0])
    notes = []
    if profile is not None and profile.retain_bytes is not None:
        retain, how = int(profile.retain_bytes), f"profile {profile.id} [sleep] retain_bytes"
    else:
        retain = persistent + variables + app
        how = (f"{rt.id} persistent allocations {persistent} B + variable tensors {variables} B + application "
               f"state {app} B")
        notes.append(f"retained across sleep: {how}; the {int(summary.get('arena_bytes', 0))} B activation arena is "
                     f"scratch (application state: {figs['app_state_bytes'][1]})")
    n_ops = int(summary.get("n_layers", 0))
    cycles = (figs["init_cycles_fixed"][0] + figs["init_cycles_per_operator"][0] * n_ops
              + figs["init_cycles_per_persistent_byte"][0] * persistent)
    reinit_s = cycles / clock_hz
    note = (f"runtime start-up after a cold start: {plain_number(cycles, 4)} cycles ({n_ops} operators, {persistent} B "
            f"persistent) = {si_format(reinit_s, 's')} at {clock_hz / 1e6:g} MHz")
    notes.append(f"{note} (estimate, see power_models/cold_start.toml: "
                 f"{figs['init_cycles_per_operator'][1]})")
    if part.flash_kind in XIP_FLASH:
        notes.append(f"cold start: weights execute in place from {part.flash_kind} flash, nothing is copied")
    else:
        notes.append(f"cold start: weights on {part.flash_kind} storage are reloaded after each cold start; that "
                     "copy is not costed")
    return retain, how, ColdStart(reinit_s, note), notes
