"""The TFLite Micro interpreter's cycles per inference and per operator, simulated from a transcription of its
Invoke() path (``tflm_interpreter_driver.cc``: what it transcribes and why it is not TFLM's own source), per core.

    python kernel_sim/interpreter_overhead.py            # prints the table
    python kernel_sim/interpreter_overhead.py --write    # and writes power_models/interpreters/tflm.toml

For each core and operator kind (``conv``: 3 inputs, 1 output, conv parameters, as the MAC operators; ``simple``:
1 input, 1 output) it runs Invoke() over graphs of 1, 4 and 16 operators and subtracts the graph set-up (the
``bench_setup`` entry): cycles = per_invoke + per_operator x n, fitted exactly by least squares (the model is
linear by construction; the residual is printed). Built -O2 (TFLM's make build) with -DNDEBUG. Also printed: the
per-operator cycles of code that calls the same Eval functions from a plain loop without the interpreter
(``RunDirect``, as Edge Impulse's EON output does); not written to the table.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import sim  # noqa: E402
import timing  # noqa: E402

THIRD_PARTY = getattr(sim, "THIRD_PARTY", Path("/work/shared/third_party"))
TFLM = THIRD_PARTY / "tflite-micro"
STUBS = HERE / "tflm_interpreter_stubs"  # the TfLiteType header the snapshot lacks
CORES = ("cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "riscv32")
KINDS = {"conv": 0, "simple": 1}
OPS = (1, 4, 16)
TABLE = HERE.parent / "power_models" / "interpreters" / "tflm.toml"


def elf(core: str) -> Path:
    if core == "riscv32":  # RV32IMC (sim_riscv): C++ against header-only libstdc++, abort() stubs
        import sim_riscv

        return sim_riscv.build([HERE / "tflm_interpreter_driver.cc", HERE / "rv32_abort_stubs.c"], "O2",
                               include_dirs=[STUBS, HERE / "tflm_reference_stubs", TFLM], defines=["NDEBUG"],
                               cxx=True)
    return sim.build([HERE / "tflm_interpreter_driver.cc"], core, "O2", include_dirs=[STUBS, HERE / "tflm_reference_stubs", TFLM], defines=["NDEBUG"],
                     cxx=True)


def invoke_cycles(core: str, kind: str, n_ops: int, direct: bool = False) -> int:
    g = {"g_n_ops": n_ops, "g_op_kind": KINDS[kind], "g_direct": int(direct)}
    path = elf(core)
    full = sim.run(path, core, g, {"g_status": 4})
    if int.from_bytes(full.outputs["g_status"], "little", signed=True) != 0:
        raise AssertionError(f"Invoke() did not return kTfLiteOk on {core} ({kind}, {n_ops} ops)")
    setup = sim.run(path, core, g, entry="bench_setup")
    return full.cycles - setup.cycles


def characterise(core: str, kind: str, direct: bool = False) -> tuple:
    """(per_invoke_cycles, per_operator_cycles, max residual cycles); ``direct``: no interpreter loop."""
    y = np.array([invoke_cycles(core, kind, n, direct) for n in OPS], dtype=float)
    a = np.column_stack([np.ones(len(OPS)), np.array(OPS, dtype=float)])
    (per_invoke, per_op), *_ = np.linalg.lstsq(a, y, rcond=None)
    return float(per_invoke), float(per_op), float(np.max(np.abs(a @ [per_invoke, per_op] - y)))


def provenance(core: str) -> str:
    if core == "riscv32":
        import sim_riscv

        flags = " ".join(sim_riscv.compile_flags("O2", True) + ["-DNDEBUG"])
        compiler, timing_source = sim_riscv.compiler_version() + " + picolibc", sim_riscv.TIMING_SOURCE
    else:
        flags = " ".join(sim.compile_flags(core, "O2", True) + ["-DNDEBUG"])
        compiler = sim.compiler_version(True).replace(" (15:12.2.rel1-1)", "")
        timing_source = timing.TIMING_SOURCE[core]
    return (f"kernel_sim/tflm_interpreter_driver.cc, a transcription of upstream TFLM's "
            f"MicroInterpreter::Invoke / MicroInterpreterGraph::InvokeSubgraph / kernel_util / conv Eval prologue "
            f"(not TFLM's own file: the micro framework is not in the shared snapshot) on the snapshot's "
            f"TfLiteContext/TfLiteNode/TfLiteEvalTensor and RuntimeShape; {compiler} {flags}, unicorn "
            f"{sim.unicorn_version()} x {timing_source}; graphs of {', '.join(map(str, OPS))} "
            "operators minus their set-up")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {TABLE.relative_to(HERE.parent)}")
    args = parser.parse_args(argv)
    rows = []
    print(f"{'core':14s} {'kind':7s} {'per invoke':>10s} {'per operator':>12s} {'residual':>8s}   "
          "without the interpreter loop (EON-style generated code): per operator")
    for core in CORES:
        for kind in KINDS:
            per_invoke, per_op, residual = characterise(core, kind)
            direct = characterise(core, kind, direct=True)[1]
            rows.append((core, kind, per_invoke, per_op))
            print(f"{core:14s} {kind:7s} {per_invoke:10.0f} {per_op:12.1f} {residual:8.1f}   {direct:8.1f}")
    if args.write:
        lines = ["# Written by `python kernel_sim/interpreter_overhead.py --write`; do not edit by hand.",
                 "# TFLite Micro interpreter cycles outside the kernels, per core (zero-wait-state memory):",
                 "# per_invoke_cycles once per Invoke(), per_operator_cycles per operator (conv-like: three inputs,",
                 "# one output; simple: one input, one output). The cycle model charges conv to the operators with",
                 "# weights (conv, depthwise, fully connected, transpose conv) and simple to the others.",
                 'runtime_interpreter = "tflm"', ""]
        for core, kind, per_invoke, per_op in rows:
            lines += ["[[overhead]]", f'core = "{core}"', f'operator = "{kind}"',
                      f"per_invoke_cycles = {per_invoke:.0f}", f"per_operator_cycles = {per_op:.1f}",
                      f'simulated = "{provenance(core)}"', ""]
        TABLE.parent.mkdir(parents=True, exist_ok=True)
        TABLE.write_text("\n".join(lines))
        print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
