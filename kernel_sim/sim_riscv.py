"""Build bare-metal RV32IMC kernels with riscv64-unknown-elf-gcc + picolibc and count their cycles on unicorn.

The RISC-V counterpart of ``sim.py`` (same API, same image layout, loader ``sim.load`` and ``Result``; ``sim.run``
hands ``core="riscv32"`` over to :func:`run`): ``build(sources, build, include_dirs=(), defines=()) -> Path`` and
``run(elf, set_globals={}, read={}, entry="bench_entry") -> Result``. The core id is ``riscv32``; the timing
table is :data:`TIMING` below (an ESP32-C3 model, see its docstring).

Build: ``-march=rv32imc -mabi=ilp32`` (the ESP32-C3 ISA; ESP-IDF adds ``_zicsr_zifencei``, which the kernels do
not use), picolibc for ``memcpy``/``memset``/``printf`` (its rv32im multilib: no compressed code in the libc),
libgcc for ``__clzsi2``. No ``__global_pointer$`` is defined, so no gp-relative relaxation (ESP-NN's kernels
reach their data through pointer arguments, so this does not change their inner loops).
"""
from __future__ import annotations

import functools
import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sim

CORE = "riscv32"
ARCH_FLAGS = ["-march=rv32imc", "-mabi=ilp32"]
CC = "riscv64-unknown-elf-gcc"
LINK_FLAGS = ["-nostartfiles", "--specs=picolibc.specs", "--oslib=dummyhost", "-Wl,--no-gc-sections",
              "-Wl,--no-warn-rwx-segments"]


@dataclass(frozen=True)
class Timing:
    """ESP32-C3 ("ESP-RISC-V", RV32IMC) cycle model. Espressif's ESP32-C3 Technical Reference Manual, chapter 1
    (ESP-RISC-V CPU), describes a 4-stage in-order scalar pipeline with zero-wait-state access to SRAM/cache and
    performance-counter events for load hazards (LD_HAZARD) and jump/branch hazards (JMP_HAZARD), but publishes
    no per-instruction cycle table (this summary is from memory of the TRM: no copy is in shared/reference, so
    check it before quoting it). Every number below is therefore ``derived``, not sourced:

    * ALU, LUI/AUIPC, stores, not-taken branches: 1 cycle (single issue, one instruction per cycle).
    * loads: 1 cycle, plus ``load_use`` = 1 stall when the next instruction of the block reads the loaded
      register (the LD_HAZARD event; a 4-stage pipeline without a load bypass into execute).
    * taken branches and jumps (JAL/JALR/RET): 1 cycle plus ``taken`` = 2 bubbles, 3 in all (target known at
      execute in a 4-stage pipeline; no branch predictor is documented).
    * MUL/MULH/MULHU/MULHSU: ``mul`` = 1 cycle (assumed: a single-cycle 32x32 multiplier). Sensitivity at the typical shapes: MUL 2 cycles -> conv, depthwise, fully connected,
      softmax +8 to +11 %; taken penalty 1 instead of 2 -> -3 to -9 %; no load-use stall -> -0 to -2 %.
    * DIV/DIVU/REM/REMU: ``div`` = 33 cycles (radix-2 iterative divider, one bit per cycle plus one; only the
      average pool divides per output: 17 cycles would make it 15 % cheaper).
    """

    load_use: int = 1
    taken: int = 2
    mul: int = 1
    div: int = 33


TIMING = Timing()
TIMING_SOURCE = ("a derived ESP32-C3 timing model (4-stage in-order RV32IMC; no published cycle table: assumed "
                 f"ALU/load/store 1, load-use +{TIMING.load_use}, taken branch/jump +{TIMING.taken}, "
                 f"MUL {TIMING.mul}, DIV {TIMING.div}; see kernel_sim/sim_riscv.py)")

_LOADS = {"lb", "lbu", "lh", "lhu", "lw", "c.lw", "c.lwsp"}
_MULS = {"mul", "mulh", "mulhu", "mulhsu"}
_DIVS = {"div", "divu", "rem", "remu"}
# forms whose first operand is read (two-address compressed ALU ops; register jumps)
_READS_FIRST = {"c.add", "c.addi", "c.and", "c.andi", "c.or", "c.xor", "c.sub", "c.slli", "c.srai", "c.srli",
                "c.addi16sp", "c.jr", "c.jalr", "jr"}
_STORES = {"sb", "sh", "sw", "c.sw", "c.swsp"}


def _regs(insn) -> list:
    """Registers of an instruction's operands in order (memory operands give their base register)."""
    from capstone import riscv_const as R

    out = []
    for op in insn.operands:
        if op.type == R.RISCV_OP_REG:
            out.append(op.reg)
        elif op.type == R.RISCV_OP_MEM:
            out.append(op.mem.base)
    return out


def _reads(insn) -> set:
    from capstone import riscv_const as R

    regs = _regs(insn)
    m = insn.mnemonic
    if m == "ret":
        return {R.RISCV_REG_RA}
    if m in _STORES or m.startswith("b") or m in ("c.beqz", "c.bnez") or m in _READS_FIRST:
        return set(regs)
    return set(regs[1:])


def block_cost(insns, timing: Timing = TIMING):
    """``timing.BlockCost``-compatible cost of one decoded block (base cycles, extra cycles if it exits taken)."""
    from timing import BlockCost

    base = 0
    for k, insn in enumerate(insns):
        m = insn.mnemonic
        if m in _MULS:
            base += timing.mul
        elif m in _DIVS:
            base += timing.div
        else:
            base += 1
        if m in _LOADS and k + 1 < len(insns):
            loaded = _regs(insn)[0]
            if loaded in _reads(insns[k + 1]):
                base += timing.load_use
    return BlockCost(base, timing.taken)


@functools.lru_cache(maxsize=1)
def disassembler():
    import capstone

    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV32 | capstone.CS_MODE_RISCVC)
    md.detail = True
    return md


@functools.lru_cache(maxsize=None)
def compiler_version() -> str:
    if shutil.which(CC) is None:
        raise FileNotFoundError(f"{CC} not installed (Debian: apt-get install gcc-riscv64-unknown-elf "
                                "picolibc-riscv64-unknown-elf)")
    return subprocess.run([CC, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]


def compile_flags(build: str, cxx: bool = False) -> list:
    if build not in sim.BUILDS:
        raise ValueError(f"unknown build {build!r}; known: {', '.join(sim.BUILDS)}")
    return [f"-{build}", *ARCH_FLAGS] + (["-std=gnu++17", "-fno-exceptions", "-fno-rtti"] if cxx else ["-std=gnu11"])


def cxx_header_dirs() -> list:
    """C++ standard headers for the RV32 build: Debian ships no libstdc++ for riscv64-unknown-elf, so the TFLM
    reference kernels (which use only header-only parts: <algorithm>, <limits>, <cmath>, <cstdint>) compile against
    the arm-none-eabi libstdc++ headers of the same GCC major (libstdc++-arm-none-eabi-newlib), their target
    ``bits/c++config.h`` included; nothing of libstdc++ is linked."""
    roots = sorted(Path("/usr/include/newlib/c++").glob("*/"))
    if not roots or not (roots[-1] / "arm-none-eabi").is_dir():
        raise FileNotFoundError("no C++ headers for the RV32 build (Debian: apt-get install "
                                "libstdc++-arm-none-eabi-newlib)")
    return [roots[-1], roots[-1] / "arm-none-eabi"]


def build(sources, build: str, include_dirs=(), defines=(), cxx: bool = False) -> Path:
    """Compile and link ``sources`` into a cached ELF (same cache folder and key scheme as ``sim.build``);
    ``cxx``: a C++ build with :func:`cxx_header_dirs`."""
    sources = [Path(s).resolve() for s in sources]
    cc = CC  # the gcc driver compiles .cc files as C++ and links no libstdc++ (Debian has none for this target)
    flags = compile_flags(build, cxx) + [f"-I{Path(d).resolve()}" for d in include_dirs] + [f"-D{d}" for d in defines]
    if cxx:
        flags += [f"-isystem{d}" for d in cxx_header_dirs()]
    deps = subprocess.run([cc, *flags, "--specs=picolibc.specs", "-MM", *map(str, sources)], capture_output=True,
                          text=True)
    if deps.returncode:
        raise RuntimeError(f"{CC} -MM failed:\n{deps.stderr}")
    digest = hashlib.sha256("\0".join([compiler_version(), *flags, *LINK_FLAGS, sim.LINKER_SCRIPT]).encode())
    for name in sorted({t for t in deps.stdout.replace("\\\n", " ").split() if not t.endswith(":")}):
        digest.update(name.encode() + Path(name).read_bytes())
    out_dir = sim.BUILD_DIR / f"rv32-{digest.hexdigest()[:16]}"
    elf = out_dir / "bench.elf"
    if not elf.is_file():
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "link.ld").write_text(sim.LINKER_SCRIPT)
        cmd = [cc, *flags, "-g0", *LINK_FLAGS, f"-T{out_dir / 'link.ld'}", "-o", f"{elf}.tmp", *map(str, sources)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(f"build failed ({' '.join(cmd)}):\n{proc.stderr}")
        Path(f"{elf}.tmp").rename(elf)
        (out_dir / "command.txt").write_text(" ".join(cmd) + "\n")
    return elf


def run(elf, set_globals: dict | None = None, read: dict | None = None, entry: str = "bench_entry",
        timeout_s: float = 300.0) -> sim.Result:
    """Call ``entry`` (no arguments) in ``elf`` and count its cycles with :data:`TIMING`."""
    from unicorn import UC_ARCH_RISCV, UC_HOOK_BLOCK, UC_MODE_RISCV32, Uc
    from unicorn import riscv_const as R

    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
    image = sim.load(uc, elf, set_globals)
    uc.reg_write(R.UC_RISCV_REG_SP, sim.STACK_BASE + sim.STACK_SIZE - 64)
    uc.reg_write(R.UC_RISCV_REG_RA, sim.MAGIC_RETURN)

    counts: dict = {}
    taken: dict = {}
    state = {"prev": None}

    def on_block(_uc, address, size, _data):
        key = (address, size)
        counts[key] = counts.get(key, 0) + 1
        prev = state["prev"]
        if prev is not None and prev[0] + prev[1] != address:  # the previous block left by a taken branch
            taken[prev] = taken.get(prev, 0) + 1
        state["prev"] = key

    uc.hook_add(UC_HOOK_BLOCK, on_block)
    uc.emu_start(image.symbols[entry][0], sim.MAGIC_RETURN, timeout=int(timeout_s * 1e6))
    if uc.reg_read(R.UC_RISCV_REG_PC) != sim.MAGIC_RETURN:
        raise RuntimeError(f"{entry} did not return (timeout {timeout_s} s or fault)")
    if state["prev"] is not None:  # the final return is a taken jump too
        taken[state["prev"]] = taken.get(state["prev"], 0) + 1

    cycles = instructions = 0
    for key, n in counts.items():
        cost, n_insns = _block(uc, key)
        cycles += n * cost.base + taken.get(key, 0) * cost.taken
        instructions += n * n_insns
    outputs = {name: bytes(uc.mem_read(image.symbols[name][0], nbytes)) for name, nbytes in (read or {}).items()}
    return sim.Result(cycles, instructions, outputs, sum(counts.values()))


_BLOCKS: dict = {}  # (code bytes, address) -> (BlockCost, n_instructions)


def _block(uc, key):
    address, size = key
    code = bytes(uc.mem_read(address, size))
    hit = _BLOCKS.get((code, address))
    if hit is None:
        insns = list(disassembler().disasm(code, address))
        if sum(i.size for i in insns) != size:
            raise RuntimeError(f"capstone could not decode the block at {address:#x} ({size} bytes)")
        hit = _BLOCKS[(code, address)] = (block_cost(insns), len(insns))
    return hit


sim.RUNNERS["riscv32"] = run  # sim.run(elf, "riscv32", ...) hands over to this module
