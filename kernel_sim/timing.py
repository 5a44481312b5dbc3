"""Cycle cost of executed Arm Thumb code, one published timing table per core.

The simulator (``sim.py``) counts how often each basic block ran and which block followed which. This module
turns one decoded block into ``BlockCost(base_cycles, taken_penalty_cycles)``: ``base`` is the cost when the
block falls through (its last branch, if any, not taken), ``taken`` the extra cycles when control leaves the
block by a taken branch (known from the block sequence). Memory is zero-wait-state (code and data in TCM/SRAM).

Sources and modelling choices, per core (the numbers below are the tables' values):

* **cortex-m0plus**: Cortex-M0+ TRM (ARM DDI 0484C) section 3.3 "Instruction set summary" timings: data
  processing 1, loads/stores 2, LDM/STM/PUSH/POP 1+N, POP {pc} 3+N, B/Bcc 2 taken (1 not taken), BL 3,
  BX/BLX 2, MULS 1 (the single-cycle multiplier option, which common parts such as STM32L0/G0, nRF52 family's
  M0+ parts and RP2040 implement).
* **cortex-m3**, **cortex-m4**: Cortex-M4 TRM (ARM DDI 0439B) table 3-1 "Cortex-M4 instruction set summary"
  (the Cortex-M3 TRM, ARM DDI 0337I table 18-1, gives the same core timings, except the long multiplies):
  data processing 1 (1+P when it writes the PC), MUL/SMLAD/SMLABB/SXTB16/PKHBT/QADD/SSAT 1, MLA/MLS 2,
  UMULL/SMULL/UMLAL/SMLAL 1 on M4 (M3: 3-5 and 4-7, modelled as 4 and 5), UDIV/SDIV 2-12 (data dependent,
  modelled as 7, the middle), LDR/LDRB/LDRH/STR... 2, but a single load or store that directly follows a
  single **load** whose result it does not use as an address pipelines to 1 (TRM note: "neighbouring load and
  store single instructions can pipeline their address and data phases"; nothing pipelines after a store),
  LDRD/STRD 3 (1+N, N=2), LDM/STM/PUSH/POP 1+N, POP {..., pc} and LDR pc 1+N+P, B/BL/BX/BLX/taken Bcc/CBZ 1+P,
  TBB/TBH 2+P, not-taken Bcc/CBZ 1, IT 0 (folded; skipped conditional instructions still cost 1 as they
  occupy the execute stage: counted because the whole block is counted). P, the pipeline refill, is "1 to 3
  depending on alignment and width of the target instruction"; we use P = 2, the middle.
* **cortex-m33**: the Armv8-M mainline Cortex-M33 TRM (ARM 100230) does not publish a per-instruction table;
  its pipeline is the same 3-stage in-order design as the M4 with the same DSP extension, so the M4 table is
  used (a documented assumption).
* **cortex-m7**: Arm publishes no per-instruction table for the M7; its timing is LLVM's Cortex-M7 scheduling model
  (``llvm/lib/Target/ARM/ARMScheduleM7.td``, contributed to LLVM by Arm: the dual-issue pipeline, its two ALUs, one
  load/store and one MAC pipe, each instruction's result latency and forwarding) as ``llvm-mca`` (LLVM 14, Debian's
  ``llvm`` package) evaluates it: a block's ``base`` is its cycles per pass in a long run of passes (``llvm-mca
  -mcpu=cortex-m7 -iterations=100``, total / 100: the steady state of a loop body; straight-line blocks overlap their
  neighbours the same way), with IT folded (``-arm-implicit-it=always``) and branches and calls as plain branches to
  the block's end (llvm-mca does not follow them). A taken branch costs 1 extra cycle (*assumed*: predicted by the
  branch target cache, no mispredictions). Only regenerating the M7 tables needs ``llvm-mca`` (``LLVM_MCA``); the
  tables are committed. The measured ``timing_factor`` of ``power_models/cores/cortex-m7.toml`` carries what this
  model and a board's memory system leave out.

FPU (single-precision VFP, the float32 kernels of ``lib_tflm_float``; cores without an FPU run libgcc's soft-float
routines, which are ordinary integer instructions costed by the tables above):

* **cortex-m4** (FPv4-SP): Cortex-M4 TRM (ARM DDI 0439B) section 7.2.3 table 7-1 "FPU instruction set":
  VADD/VSUB/VMUL/VNMUL/VABS/VNEG/VCMP(E)/VCVT/VMOV (register, immediate, one core register)/VMRS/VMSR 1,
  VMLA/VMLS/VNMLA/VNMLS and the fused VFMA/VFMS/VFNMA/VFNMS 3, VDIV/VSQRT 14, VLDR.32/VSTR.32 2, VLDR.64/VSTR.64 3,
  VLDM/VSTM/VPUSH/VPOP 1+N (.32) and 1+2N (.64), VMOV between two core registers and a double or two singles 2.
  FP loads/stores are not pipelined with neighbouring loads here (the TRM's pipelining note is about LDR/STR).
* **cortex-m33** (FPv5-SP): the M33 TRM publishes no FPU cycle table; the M4 table is used (same 3-stage
  in-order pipeline), with the Armv8-M additions VSEL/VRINT/VMAXNM/VMINNM/VCVTA at 1 (a documented assumption).
* **cortex-m7** (FPv5, double precision): LLVM's Cortex-M7 scheduling model, as the integer instructions above.
"""
from __future__ import annotations

from dataclasses import dataclass

import capstone
from capstone import arm_const as A

CORES = ("cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33")

#: Instruction-timing source quoted into the tables' ``simulated`` provenance.
TIMING_SOURCE = {
    "cortex-m0plus": "Cortex-M0+ TRM (DDI 0484C) instruction timings",
    "cortex-m3": "Cortex-M3 TRM (DDI 0337I) instruction timings, P=2",
    "cortex-m4": "Cortex-M4 TRM (DDI 0439B) instruction timings, P=2",
    "cortex-m33": "Cortex-M4 TRM (DDI 0439B) instruction timings applied to the M33 (same 3-stage pipeline), P=2",
    "cortex-m7": "LLVM 14 llvm-mca with the Cortex-M7 scheduling model (ARMScheduleM7.td, Arm), steady state per "
                  "block, taken branch +1",
}
#: FPU timing source, appended to TIMING_SOURCE in the provenance of float kernels built for the FPU
FPU_TIMING_SOURCE = {
    "cortex-m4": "FPU: Cortex-M4 TRM (DDI 0439B) table 7-1",
    "cortex-m33": "FPU: Cortex-M4 TRM (DDI 0439B) table 7-1 applied to the M33's FPv5-SP",
    "cortex-m7": "FPU: LLVM's Cortex-M7 scheduling model, as the integer instructions",
}

PIPELINE_REFILL = 2  # P of the M3/M4 TRM, 1 to 3 cycles: the middle value

_LOADS = {A.ARM_INS_LDR, A.ARM_INS_LDRB, A.ARM_INS_LDRH, A.ARM_INS_LDRSB, A.ARM_INS_LDRSH, A.ARM_INS_LDREX,
          A.ARM_INS_LDRT, A.ARM_INS_LDRBT, A.ARM_INS_LDRHT, A.ARM_INS_LDRSBT, A.ARM_INS_LDRSHT}
_STORES = {A.ARM_INS_STR, A.ARM_INS_STRB, A.ARM_INS_STRH, A.ARM_INS_STREX, A.ARM_INS_STRT, A.ARM_INS_STRBT,
           A.ARM_INS_STRHT}
_DOUBLE = {A.ARM_INS_LDRD, A.ARM_INS_STRD}
_MULTIPLE = {A.ARM_INS_LDM, A.ARM_INS_LDMDB, A.ARM_INS_STM, A.ARM_INS_STMDB, A.ARM_INS_PUSH, A.ARM_INS_POP}
_BRANCHES = {A.ARM_INS_B, A.ARM_INS_BL, A.ARM_INS_BX, A.ARM_INS_BLX, A.ARM_INS_CBZ, A.ARM_INS_CBNZ}
_TABLE_BRANCHES = {A.ARM_INS_TBB, A.ARM_INS_TBH}
_DIVIDES = {A.ARM_INS_SDIV, A.ARM_INS_UDIV}
_LONG_MUL = {A.ARM_INS_UMULL, A.ARM_INS_SMULL}
_LONG_MLA = {A.ARM_INS_UMLAL, A.ARM_INS_SMLAL}
_MLA = {A.ARM_INS_MLA, A.ARM_INS_MLS}

# --------------------------------------------------------------------------------------------- FPU (VFP)
_VFP_MAC = {A.ARM_INS_VMLA, A.ARM_INS_VMLS, A.ARM_INS_VNMLA, A.ARM_INS_VNMLS, A.ARM_INS_VFMA, A.ARM_INS_VFMS,
            A.ARM_INS_VFNMA, A.ARM_INS_VFNMS}
_VFP_DIV = {A.ARM_INS_VDIV, A.ARM_INS_VSQRT}
_VFP_SINGLE_MEM = {A.ARM_INS_VLDR, A.ARM_INS_VSTR}
_VFP_MULTIPLE = {A.ARM_INS_VLDMIA, A.ARM_INS_VLDMDB, A.ARM_INS_VSTMIA, A.ARM_INS_VSTMDB, A.ARM_INS_VPUSH,
                 A.ARM_INS_VPOP}
#: Cortex-M4 TRM table 7-1 (see the module docstring); multiply-accumulate and divide/sqrt as above
M4_FPU_CYCLES = {"data": 1, "mac": 3, "div_sqrt": 14, "single_mem_32": 2, "single_mem_64": 3, "vmov_two_core": 2}


def is_vfp(insn) -> bool:
    """A floating-point (VFP) instruction: every VFP mnemonic starts with 'v' in Thumb-2."""
    return insn.mnemonic.startswith("v")


def _is_double(insn) -> bool:
    return any(op.type == A.ARM_OP_REG and insn.reg_name(op.reg).startswith("d") for op in insn.operands)


def _vfp_words(insn) -> int:
    """32-bit words a VLDM/VSTM/VPUSH/VPOP moves (a D register is two)."""
    regs = [op for op in insn.operands if op.type == A.ARM_OP_REG]
    if insn.id not in (A.ARM_INS_VPUSH, A.ARM_INS_VPOP):
        regs = regs[1:]  # the base register
    return max(sum(2 if insn.reg_name(op.reg).startswith("d") else 1 for op in regs), 1)


def _vfp_m4(insn) -> int:
    i = insn.id
    if i in _VFP_MAC:
        return M4_FPU_CYCLES["mac"]
    if i in _VFP_DIV:
        return M4_FPU_CYCLES["div_sqrt"]
    if i in _VFP_SINGLE_MEM:
        return M4_FPU_CYCLES["single_mem_64" if _is_double(insn) else "single_mem_32"]
    if i in _VFP_MULTIPLE:
        return 1 + _vfp_words(insn)
    if i == A.ARM_INS_VMOV:
        names = [insn.reg_name(op.reg) for op in insn.operands if op.type == A.ARM_OP_REG]
        core_regs = sum(1 for n in names if not (n[:1] in ("s", "d") and n[1:].isdigit()))
        if core_regs >= 2:
            return M4_FPU_CYCLES["vmov_two_core"]
    return M4_FPU_CYCLES["data"]


def _reg_count(insn) -> int:
    """Registers transferred by LDM/STM/PUSH/POP (the list operands; the base register is not counted)."""
    regs = [op for op in insn.operands if op.type == A.ARM_OP_REG]
    if insn.id in (A.ARM_INS_PUSH, A.ARM_INS_POP):
        return len(regs)
    return max(len(regs) - 1, 1)


def _writes_pc(insn) -> bool:
    _, written = insn.regs_access()
    return A.ARM_REG_PC in written


def _address_regs(insn) -> set[int]:
    regs = set()
    for op in insn.operands:
        if op.type == A.ARM_OP_MEM:
            regs.update(r for r in (op.mem.base, op.mem.index) if r)
    return regs


@dataclass(frozen=True)
class BlockCost:
    base: float  # cycles when the block falls through to the next address
    taken: int   # extra cycles when it exits by a taken branch


def _m0plus(insns) -> BlockCost:
    base, taken = 0, 0
    for insn in insns:
        i = insn.id
        if i in _LOADS | _STORES:
            base += 2
        elif i in _MULTIPLE:
            base += 1 + _reg_count(insn)
            if i == A.ARM_INS_POP and _writes_pc(insn):
                base += 2
        elif i == A.ARM_INS_BL:
            base += 3
        elif i in (A.ARM_INS_BX, A.ARM_INS_BLX):
            base += 2
        elif i == A.ARM_INS_B:
            if insn.cc in (A.ARM_CC_AL, A.ARM_CC_INVALID):
                base += 2
            else:
                base, taken = base + 1, 1
        elif _writes_pc(insn):  # mov pc / add pc
            base += 2
        else:
            base += 1
    return BlockCost(base, taken)


def _m3m4(insns, core: str) -> BlockCost:
    p = PIPELINE_REFILL
    base, taken = 0, 0
    prev_load_dest: set[int] | None = None  # registers written by the previous single load, if it was one
    for insn in insns:
        i = insn.id
        this_load_dest = None
        if is_vfp(insn):
            cost = _vfp_m4(insn)
        elif i == A.ARM_INS_IT:
            cost = 0
        elif i in _LOADS | _STORES:
            pipelined = prev_load_dest is not None and not (_address_regs(insn) & prev_load_dest)
            cost = 1 if pipelined else 2
            if i in _LOADS:
                this_load_dest = set(insn.regs_access()[1])
            if _writes_pc(insn):
                cost += p
        elif i in _DOUBLE:
            cost = 3
        elif i in _MULTIPLE:
            cost = 1 + _reg_count(insn) + (p if _writes_pc(insn) else 0)
        elif i in _TABLE_BRANCHES:
            cost = 2 + p
        elif i in (A.ARM_INS_BL, A.ARM_INS_BX, A.ARM_INS_BLX):
            cost = 1 + p
        elif i in (A.ARM_INS_B, A.ARM_INS_CBZ, A.ARM_INS_CBNZ):
            if i == A.ARM_INS_B and insn.cc in (A.ARM_CC_AL, A.ARM_CC_INVALID):
                cost = 1 + p
            else:
                cost, taken = 1, p
        elif i in _DIVIDES:
            cost = 7
        elif i in _MLA:
            cost = 2
        elif i in _LONG_MUL:
            cost = 4 if core == "cortex-m3" else 1
        elif i in _LONG_MLA:
            cost = 5 if core == "cortex-m3" else 1
        else:
            cost = 1 + (p if _writes_pc(insn) else 0)
        base += cost
        prev_load_dest = this_load_dest
    return BlockCost(base, taken)


#: the llvm-mca of LLVM 14 (Debian's llvm package): the Cortex-M7 timing (see the module docstring)
LLVM_MCA = "llvm-mca"
MCA_ITERATIONS = 100
_MCA_FLAGS = ("-mtriple=thumbv7em-none-eabi", "-mcpu=cortex-m7", "-arm-implicit-it=always",
              f"-iterations={MCA_ITERATIONS}", "-instruction-info=0", "-resource-pressure=0")


def _mca_lines(insns) -> list[str]:
    """A block as llvm-mca input: IT dropped (folded; its conditional instructions assemble with implicit IT),
    branches and calls with an immediate target turned into a branch to the block's end (label ``1``), VCMPE
    written VCMP and a compare with #0 as one of the register with itself."""
    out = []
    for insn in insns:
        m, ops = insn.mnemonic, insn.op_str
        if insn.id == A.ARM_INS_IT:
            continue
        if m.startswith("vcmp"):
            # LLVM 14's M7 model has no class for VCMPE nor for a compare with #0: VCMP of the register with itself
            # is the same work (VCMPE only also signals on quiet NaNs)
            m = "vcmp" + m[len("vcmpe"):] if m.startswith("vcmpe") else m
            first, _, second = ops.partition(",")
            ops = f"{first}, {first}" if second.strip().startswith("#") else ops
        if insn.id in (A.ARM_INS_CBZ, A.ARM_INS_CBNZ):
            ops = ops.split(",")[0] + ", 1f"
        elif insn.id in (A.ARM_INS_B, A.ARM_INS_BL, A.ARM_INS_BLX) and ops.startswith("#"):
            m, ops = ("b.w" if insn.id != A.ARM_INS_B else m), "1f"
        out.append(f"  {m} {ops}")
    return out


def _mca(blocks) -> list[float]:
    """Steady-state cycles per pass of each block (lists of capstone instructions), one llvm-mca run for all."""
    import re
    import shutil
    import subprocess

    if shutil.which(LLVM_MCA) is None:
        raise RuntimeError(f"the Cortex-M7 timing needs {LLVM_MCA} (LLVM 14: apt-get install llvm); the committed "
                           "tables do not")
    src = ["  .syntax unified", "  .thumb"]
    for k, insns in enumerate(blocks):
        src += [f"# LLVM-MCA-BEGIN b{k}", *(_mca_lines(insns) or ["  nop"]), "# LLVM-MCA-END", "1:"]
    proc = subprocess.run([LLVM_MCA, *_MCA_FLAGS, "-"], input="\n".join(src) + "\n", capture_output=True, text=True)
    if proc.returncode != 0 or "error" in proc.stderr:
        if len(blocks) > 1:  # find the block llvm-mca rejects
            return [c for b in blocks for c in _mca([b])]
        raise RuntimeError("llvm-mca rejected a block:\n" + "\n".join(src) + "\n" + proc.stderr[:2000])
    cycles, region = {}, None
    for line in proc.stdout.splitlines():
        found = re.match(r"\[\d+\] Code Region - b(\d+)", line)
        if found:
            region = int(found.group(1))
        found = re.match(r"Total Cycles:\s+(\d+)", line)
        if found:
            cycles[region if region is not None else 0] = int(found.group(1)) / MCA_ITERATIONS
    if len(cycles) != len(blocks):
        raise RuntimeError(f"llvm-mca reported {len(cycles)} of {len(blocks)} blocks")
    return [cycles[k] for k in range(len(blocks))]


def _m7_taken(insns) -> int:
    last = insns[-1] if insns else None
    return int(last is not None and (last.id in _BRANCHES | _TABLE_BRANCHES or _writes_pc(last)))


def block_costs(blocks, core: str) -> list[BlockCost]:
    """:func:`block_cost` of many blocks at once (the Cortex-M7's llvm-mca runs once for all of them)."""
    if core == "cortex-m7":
        return [BlockCost(base, _m7_taken(insns)) for base, insns in zip(_mca(blocks), blocks)]
    return [block_cost(insns, core) for insns in blocks]


def block_cost(insns, core: str) -> BlockCost:
    """Cost of one basic block (a list of capstone instructions with details) on ``core``."""
    if core == "cortex-m0plus":
        return _m0plus(insns)
    if core in ("cortex-m3", "cortex-m4", "cortex-m33"):
        return _m3m4(insns, core)
    if core == "cortex-m7":
        return block_costs([insns], core)[0]
    raise ValueError(f"no timing table for core {core!r}; known: {', '.join(CORES)}")


def disassembler() -> capstone.Cs:
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    md.detail = True
    return md
