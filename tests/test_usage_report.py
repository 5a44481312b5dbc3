"""The tables and JSON for profiles, batteries and the duty result; and the CLI listings."""
import io
import json
import types

from rich.console import Console

from joulescope_free.hardware.catalog import Mcu, SleepMode
from joulescope_free.render.usage import (batteries_json, profiles_json, render_batteries, render_duty,
                                          render_profiles)
from joulescope_free.usage.battery import list_batteries
from joulescope_free.usage.lifetime import duty_cycle
from joulescope_free.usage.profiles import list_profiles


def console():
    return Console(file=io.StringIO(), width=200, color_system=None)


def text(c):
    return c.file.getvalue()


def test_profiles_table_and_json():
    items = list_profiles()
    c = console()
    render_profiles(items, c)
    assert "vibration-anomaly" in text(c) and "every 10 min" in text(c)
    data = json.loads(profiles_json(items))
    vib = next(p for p in data if p["id"] == "vibration-anomaly")
    assert vib["rate_hz"] == 1 / 600 and vib["battery"] == "2xaa-alkaline"
    assert {ph["name"] for ph in vib["phases"]} == {"accelerometer", "fft-features", "ble-report"}
    mic = next(p for p in data if p["id"] == "kws-always-on")["phases"][0]
    assert mic["every_hz"] == "inf"  # always-on, JSON-safe


def test_batteries_table_and_json():
    items = list_batteries()
    c = console()
    render_batteries(items, c)
    assert "cr2032" in text(c) and "225 mAh" in text(c) and "15 mA" in text(c)
    data = json.loads(batteries_json(items))
    cr = next(b for b in data if b["id"] == "cr2032")
    assert cr["capacity_mah"] == 225 and cr["max_pulse_a"] == 15e-3 and cr["sources"]


def test_render_duty_shows_where_the_energy_goes_and_the_life():
    mcu = Mcu(id="toy", name="Toy", vendor="x", core="cortex-m4", isa=(), typical=False, default_runtime="tflm",
              max_clock_hz=64e6, default_clock_hz=64e6, sram_bytes=1 << 18, tcm_bytes=0, flash_bytes=1 << 20,
              flash_kind="internal", icache_bytes=0, dcache_bytes=0, flash_accelerator=False, flash_wait_states=(),
              supply_min_v=1.7, supply_max_v=3.6, supply_default_v=3.0, regulator="dcdc",
              run_current_per_hz_a=50e-12, run_fixed_current_a=0.0, run_reference_v=3.0,
              sleep_modes=(SleepMode("deep", 2e-6, 1 << 18, 20e-6),))
    inf = types.SimpleNamespace(latency_s=0.01, energy_j=0.01 * 4e-3 * 3.0, supply_v=3.0, clock_hz=64e6,
                                run_current_a=4e-3)
    r = duty_cycle(inf, mcu, rate_hz=1 / 600, battery={"capacity_mah": 1000, "nominal_v": 3.0}, supply_v=3.0,
                   ram_needed_bytes=1024)
    c = console()
    render_duty(r, c, assumptions=True)
    out = text(c)
    # sleep: 2 uA almost all the time vs 4 mA x 10 ms / 600 s = 66.7 nA for the inference -> sleep is 97 %
    assert "sleep" in out and "97" in out and "days" in out and "months" in out and "years" in out
    assert "sleep current (2 µA in deep) is 97 % of the budget" in out
    assert "assumption:" in out
    assert json.dumps(r.to_dict(), default=str)
