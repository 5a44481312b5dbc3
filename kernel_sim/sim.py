"""Build bare-metal Arm kernels with arm-none-eabi-gcc and count their cycles on unicorn.

API (stable; the TFLM and other library modules use it):

``build(sources, core, build, include_dirs=(), defines=(), cxx=False, extra_flags=()) -> Path``
    Compile and link ``sources`` (C or C++ files) into an ELF for ``core`` (``cortex-m0plus``, ``cortex-m3``,
    ``cortex-m4``, ``cortex-m7``, ``cortex-m33``) at build ``O2``/``Os``/``O3``. Cached under
    ``kernel_sim/build/<hash>/`` by a hash of the compiler version, flags and the content of every file
    the preprocessor reads (``gcc -MM``), so an unchanged kernel is never rebuilt.
``run(elf, core, set_globals={}, read={}, entry="bench_entry", args=()) -> Result``
    Load the ELF into unicorn (the core's CPU model, Thumb), write globals by symbol name (an ``int`` is
    stored in the symbol's size, little endian; ``bytes``/numpy arrays are copied raw and must fit), call
    ``entry(*args)`` (up to 4 integer arguments) and return ``Result(cycles, instructions, outputs, blocks)``
    where ``outputs[name]`` holds ``read[name]`` bytes of that symbol after the call.
``load(uc, elf, set_globals) -> image``
    Map memory, copy the ELF and write the globals into a fresh unicorn (for runners of other architectures).
``symbols(elf)`` (name -> (address, size)); ``compile_flags(core, build, cxx)``, ``compiler_version()``,
``unicorn_version()`` for the provenance strings.

Cycles come from ``timing.block_costs`` for every executed basic block (decoded once with capstone), plus
the taken-branch penalty for every block exit that does not fall through. Memory is zero-wait-state.
The whole image (code, constants, data, bss) lives in one RAM region at 0x2000_0000; the stack in its own.
"""
from __future__ import annotations

import functools
import hashlib
import os
import shutil
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BUILD_DIR = HERE / "build"
#: the kernel library snapshots (CMSIS-NN, TFLite Micro, ESP-NN, ...): the shared folder beside the clone
#: (``<clone>/../shared/third_party``), or the folder named by the environment variable ``KERNELS_THIRD_PARTY``
THIRD_PARTY = Path(os.environ.get("KERNELS_THIRD_PARTY", HERE.parent.parent / "shared" / "third_party"))
BUILDS = ("O2", "Os", "O3")
CORES = ("cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33")

IMAGE_BASE, IMAGE_SIZE = 0x2000_0000, 8 << 20
STACK_BASE, STACK_SIZE = 0x3000_0000, 256 << 10
MAGIC_RETURN = 0x0FFF_F000  # `entry` returns here; the emulator stops when the PC reaches it

LINKER_SCRIPT = f"""
MEMORY {{ RAM (rwx) : ORIGIN = {IMAGE_BASE:#x}, LENGTH = {IMAGE_SIZE:#x} }}
ENTRY(__bss_start__)
SECTIONS
{{
  .text : {{ *(.text*) *(.rodata*) *(.glue_7*) *(.init) *(.fini) }} > RAM
  .ARM.exidx : {{ *(.ARM.exidx*) }} > RAM
  .data : {{ *(.data*) *(.init_array*) *(.fini_array*) }} > RAM
  .bss (NOLOAD) : {{ __bss_start__ = .; *(.bss*) *(COMMON) __bss_end__ = .; }} > RAM
  . = ALIGN(8); end = .; _end = .;
}}
"""

GCC_CPU = {core: core for core in CORES}
#: core -> ``run(elf, set_globals, read, entry, timeout_s) -> Result`` of another architecture, registered by its
#: module (``sim_riscv`` adds ``riscv32`` when imported: it imports this module, never the other way round)
RUNNERS: dict = {}


def gcc_cpu(core: str) -> str:
    if core not in GCC_CPU:
        raise ValueError(f"unknown core {core!r}; known: {', '.join(CORES)}")
    return GCC_CPU[core]


def compile_flags(core: str, build: str, cxx: bool = False) -> list[str]:
    """The compiler flags of a build (also quoted in the tables' ``simulated`` field)."""
    if build not in BUILDS:
        raise ValueError(f"unknown build {build!r}; known: {', '.join(BUILDS)}")
    flags = [f"-{build}", f"-mcpu={gcc_cpu(core)}", "-mthumb", "-mfloat-abi=soft"]
    return flags + (["-std=gnu++17", "-fno-exceptions", "-fno-rtti"] if cxx else ["-std=gnu11"])


def compiler(cxx: bool = False) -> str:
    name = "arm-none-eabi-g++" if cxx else "arm-none-eabi-gcc"
    if shutil.which(name) is None:
        raise FileNotFoundError(f"{name} not installed (Debian: apt-get install gcc-arm-none-eabi "
                                "libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib)")
    return name


def unicorn_version() -> str:
    import unicorn

    return unicorn.__version__


@functools.lru_cache(maxsize=None)
def compiler_version(cxx: bool = False) -> str:
    out = subprocess.run([compiler(cxx), "--version"], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[0]


def build(sources, core: str, build: str, include_dirs=(), defines=(), cxx: bool = False,
          extra_flags=()) -> Path:
    """Compile and link ``sources`` into a cached ELF; returns its path."""
    cc = compiler(cxx)
    sources = [Path(s).resolve() for s in sources]
    flags = compile_flags(core, build, cxx)
    if any(str(f).startswith("-mfloat-abi=") for f in extra_flags):  # an FPU build (lib_tflm_float): its own ABI,
        flags = [f for f in flags if not f.startswith("-mfloat-abi=")]  # else gcc links the soft-float multilib
    flags += [f"-I{Path(d).resolve()}" for d in include_dirs]
    flags += [f"-D{d}" for d in defines] + list(extra_flags)
    deps = subprocess.run([cc, *flags, "-MM", *map(str, sources)], capture_output=True, text=True)
    if deps.returncode:
        raise RuntimeError(f"{cc} -MM failed:\n{deps.stderr}")
    files = sorted({tok for tok in deps.stdout.replace("\\\n", " ").split() if not tok.endswith(":")})
    digest = hashlib.sha256()
    digest.update("\0".join([compiler_version(cxx), *flags, *map(str, sources), LINKER_SCRIPT]).encode())
    for name in files:
        digest.update(name.encode() + Path(name).read_bytes())
    out_dir = BUILD_DIR / digest.hexdigest()[:16]
    elf = out_dir / "bench.elf"
    if elf.is_file():
        return elf
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "link.ld").write_text(LINKER_SCRIPT)
    cmd = [cc, *flags, "-g0", "-nostartfiles", "--specs=nosys.specs", f"-T{out_dir / 'link.ld'}",
           "-Wl,--no-warn-rwx-segments", "-o", str(elf) + ".tmp", *map(str, sources), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"build failed ({' '.join(cmd)}):\n{proc.stderr}")
    Path(str(elf) + ".tmp").rename(elf)
    (out_dir / "command.txt").write_text(" ".join(cmd) + "\n")
    return elf


@dataclass
class Result:
    cycles: int
    instructions: int
    outputs: dict = field(default_factory=dict)
    blocks: int = 0


@dataclass(frozen=True)
class _Image:
    segments: tuple  # (address, bytes)
    symbols: dict    # name -> (address, size)


@functools.lru_cache(maxsize=64)
def _image(elf: str, mtime: float) -> _Image:
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as fh:
        ef = ELFFile(fh)
        segments = tuple((seg["p_vaddr"], seg.data()) for seg in ef.iter_segments()
                         if seg["p_type"] == "PT_LOAD" and seg["p_filesz"])
        symtab = ef.get_section_by_name(".symtab")
        syms = {s.name: (s["st_value"], s["st_size"]) for s in symtab.iter_symbols() if s.name}
    return _Image(segments, syms)


def symbols(elf) -> dict:
    elf = Path(elf)
    return _image(str(elf), elf.stat().st_mtime).symbols


def _cpu_model(core: str) -> int:
    from unicorn import arm_const as U

    return {"cortex-m0plus": U.UC_CPU_ARM_CORTEX_M0, "cortex-m3": U.UC_CPU_ARM_CORTEX_M3,
            "cortex-m4": U.UC_CPU_ARM_CORTEX_M4, "cortex-m7": U.UC_CPU_ARM_CORTEX_M7,
            "cortex-m33": U.UC_CPU_ARM_CORTEX_M33}[core]


_BLOCK_CACHE: dict = {}  # (elf, mtime, core, address, size) -> (BlockCost, n_instructions)


def _cost_blocks(uc, keys, core):
    """Decode and cost every block of ``keys`` not cached yet, in one batch (the Cortex-M7's llvm-mca runs once)."""
    from timing import block_costs, disassembler

    todo = sorted({k for k in keys if k not in _BLOCK_CACHE})
    decoded = []
    for key in todo:
        address, size = key[-2:]
        insns = list(disassembler().disasm(bytes(uc.mem_read(address, size)), address))
        if sum(i.size for i in insns) != size:
            raise RuntimeError(f"capstone could not decode the block at {address:#x} ({size} bytes)")
        decoded.append(insns)
    for key, insns, cost in zip(todo, decoded, block_costs(decoded, core) if decoded else []):
        _BLOCK_CACHE[key] = (cost, len(insns))


def _encode(name, value, size):
    if isinstance(value, (int, np.integer)):
        fmt = {1: "<b", 2: "<h", 4: "<i", 8: "<q"}.get(size)
        if fmt is None:
            raise ValueError(f"global {name!r} has size {size}: cannot store an int in it")
        value = int(value)
        if value >= 1 << (8 * size - 1):  # allow unsigned values
            value -= 1 << (8 * size)
        return struct.pack(fmt, value)
    data = value.tobytes() if isinstance(value, np.ndarray) else bytes(value)
    if len(data) > size:
        raise ValueError(f"global {name!r} holds {size} bytes, got {len(data)}")
    return data


def load(uc, elf, set_globals: dict | None = None) -> _Image:
    """Map the image, stack and magic-return regions into a fresh unicorn ``uc``, copy the ELF's loadable
    segments and write ``set_globals`` by symbol name; returns the image (``.symbols``: name -> (address, size)).
    Shared by every architecture's runner."""
    elf = Path(elf)
    image = _image(str(elf), elf.stat().st_mtime)
    uc.mem_map(IMAGE_BASE, IMAGE_SIZE)
    uc.mem_map(STACK_BASE, STACK_SIZE)
    uc.mem_map(MAGIC_RETURN & ~0xFFF, 0x1000)
    for address, data in image.segments:
        uc.mem_write(address, data)
    for name, value in (set_globals or {}).items():
        if name not in image.symbols:
            raise KeyError(f"no symbol {name!r} in {elf}")
        address, size = image.symbols[name]
        uc.mem_write(address, _encode(name, value, size))
    return image


def run(elf, core: str, set_globals: dict | None = None, read: dict | None = None,
        entry: str = "bench_entry", args=(), timeout_s: float = 300.0) -> Result:
    """Call ``entry`` in ``elf`` on ``core`` and count its cycles (see the module docstring). A core of another
    architecture goes to the runner its module registered in :data:`RUNNERS` (``sim_riscv`` for ``riscv32``)."""
    if core in RUNNERS:
        if args:
            raise ValueError(f"{core} entries take no arguments")
        return RUNNERS[core](elf, set_globals, read, entry, timeout_s)
    if core not in CORES:
        raise ValueError(f"unknown core {core!r}: Arm cores {', '.join(CORES)}; other architectures register a runner "
                         "in sim.RUNNERS when their module is imported (import sim_riscv for riscv32)")
    from unicorn import UC_ARCH_ARM, UC_HOOK_BLOCK, UC_MODE_THUMB, Uc
    from unicorn import arm_const as U

    elf = Path(elf)
    mtime = elf.stat().st_mtime
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(_cpu_model(core))
    image = load(uc, elf, set_globals)
    if entry not in image.symbols:
        raise KeyError(f"no entry function {entry!r} in {elf}")
    if len(args) > 4:
        raise ValueError("at most 4 integer arguments")
    for reg, value in zip((U.UC_ARM_REG_R0, U.UC_ARM_REG_R1, U.UC_ARM_REG_R2, U.UC_ARM_REG_R3), args):
        uc.reg_write(reg, int(value) & 0xFFFF_FFFF)
    uc.reg_write(U.UC_ARM_REG_SP, STACK_BASE + STACK_SIZE - 64)
    uc.reg_write(U.UC_ARM_REG_LR, MAGIC_RETURN | 1)

    edges: dict = {}
    state = {"prev": None}

    def on_block(_uc, address, size, _data):
        key = (state["prev"], address, size)
        edges[key] = edges.get(key, 0) + 1
        state["prev"] = (address, size)

    uc.hook_add(UC_HOOK_BLOCK, on_block)
    start = image.symbols[entry][0] | 1
    uc.emu_start(start, MAGIC_RETURN, timeout=int(timeout_s * 1e6))
    if uc.reg_read(U.UC_ARM_REG_PC) & ~1 != MAGIC_RETURN:
        raise RuntimeError(f"{entry} did not return (timeout {timeout_s} s or fault)")

    def cached(block):  # (BlockCost, n_instructions) of an (address, size) block of this ELF on this core
        return _BLOCK_CACHE[(str(elf), mtime, core, *block)]

    _cost_blocks(uc, [(str(elf), mtime, core, address, size) for _, address, size in edges], core)
    cycles = instructions = blocks = 0
    counts: dict = {}
    for (prev, address, size), n in edges.items():
        counts[(address, size)] = counts.get((address, size), 0) + n
        if prev is not None and prev[0] + prev[1] != address:  # the previous block left by a taken branch
            cycles += n * cached(prev)[0].taken
    last = state["prev"]
    if last is not None:  # the final return leaves by a taken branch too
        cycles += cached(last)[0].taken
    for (address, size), n in counts.items():
        cost, n_insns = cached((address, size))
        cycles += n * cost.base
        instructions += n * n_insns
        blocks += n
    outputs = {}
    for name, nbytes in (read or {}).items():
        address, size = image.symbols[name]
        if nbytes > size:
            raise ValueError(f"cannot read {nbytes} bytes of {name!r} ({size} bytes)")
        outputs[name] = bytes(uc.mem_read(address, nbytes))
    return Result(cycles, instructions, outputs, blocks)
