"""The ``energy`` command: a thin typer app over the public API. Each command parses its flags, calls the
library and renders the result; every bad input becomes one line on stderr and exit status 2."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .errors import UserError

EXAMPLES = """\
Examples:

\b
  energy analyze model.tflite
  energy estimate model.tflite --mcu nrf52840 --duty 1/min --battery cr2032
  energy estimate model.tflite --mcu stm32l4r5 --runtime x-cube-ai@8.1 --clock-mhz 80 --json
  energy estimate model.tflite --mcu nrf52840 --profile vibration-anomaly --xlsx review.xlsx
  energy estimate model.tflite --mcu stm32l4r5 --duty 1/min --clock-mhz best
  energy compare model.tflite --mcu nrf52840,stm32l4r5,esp32s3 --duty 1/s --battery 2xaa-alkaline
  energy report model.tflite --mcu nrf52840 --mcu stm32u585 --duty 1/min --battery cr2032 -o review.html
  energy sweep models/ --mcu nrf52840,stm32l4r5 --clock-mhz 32,64 --duty 1/min,1/h --battery cr2032 -o rows.csv
  energy measure trace.jls --plot trace.png
  energy calibrate trace.jls --model model.tflite --mcu nrf52840 -o board.toml
  energy mcus | energy runtimes | energy profiles | energy batteries | energy validate
"""

CLOCK_HELP = ("Core clock in MHz (default: the part's default), or 'best': the clock with the lowest average "
              "current for the duty cycle (lowest energy per inference without one).")

app = typer.Typer(
    name="energy",
    help="What a quantized neural network costs on a microcontroller: latency, energy per inference, "
    "peak RAM, average current and battery life.\n\n" + EXAMPLES,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool):
    if value:
        typer.echo(f"joulescope_free {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
):
    """What a quantized neural network costs on a microcontroller."""


def _emit_json(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


# --------------------------------------------------------------------------------------------- analyze
@app.command()
def analyze(
    model: Path = typer.Argument(..., help="A .tflite file (or .keras/.h5/SavedModel folder with the tf extra)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    csv: Optional[Path] = typer.Option(None, "--csv", help="Write the layer table to this CSV file."),
    keep_tflite: Optional[Path] = typer.Option(None, "--keep-tflite", help="Save the converted .tflite (Keras input)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --csv file."),
):
    """Per-layer MACs, weights, bytes moved and the activation arena of a model."""
    from .model.analysis import analyze_path
    from .render.analysis import render_analysis
    from .render.export import refuse_overwrite

    refuse_overwrite(csv, force)
    result = analyze_path(model, keep_tflite=keep_tflite)
    if csv is not None:
        from .render.export import write_csv_safely

        write_csv_safely(csv, result.layers)
    if as_json:
        _emit_json(result.to_json())
    else:
        render_analysis(result)


# --------------------------------------------------------------------------------------------- estimate
#: the target options estimate, compare and report share
RUNTIME_OPTION = typer.Option(None, "--runtime", help="Runtime id, optionally @version (see `energy runtimes`).")
BUILD_OPTION = typer.Option(None, "--build", help="How the runtime's kernels are compiled: O2, Os (default: the runtime's usual build).")
CLOCK_OPTION = typer.Option(None, "--clock-mhz", help=CLOCK_HELP)
SUPPLY_OPTION = typer.Option(None, "--supply-v", help="Supply voltage in V (default: the part's default).")
DUTY_OPTION = typer.Option(None, "--duty", help="Inference rate: 1/min, 10/s, 0.5/h, 3/day, 1e-3/s, 1/10 min, "
                           "'2 per hour', 2Hz, 'every 90 s', continuous.")
PROFILE_OPTION = typer.Option(None, "--profile", help="Duty profile id or TOML file (see `energy profiles`).")
BATTERY_OPTION = typer.Option(None, "--battery", help="Battery id, e.g. cr2032 or 2xaa-alkaline (see `energy batteries`); default with a rate: 2xaa-alkaline; 'none' for no battery life.")
REGULATOR_OPTION = typer.Option(None, "--regulator", help="Regulator between battery and MCU: none, ldo, buck or a part such as tps63900 (default: the profile's, else none).")
SLEEP_OPTION = typer.Option(None, "--sleep", help="Sleep mode name (see `energy mcus ID`); default: the cheaper of keeping the state and a cold start.")
POWER_MODEL_OPTION = typer.Option(None, "--power-model", help="Calibration TOML written by `energy calibrate`.")
ACCELERATOR_OPTION = typer.Option(None, "--accelerator", help="npu or none: run the model on the part's neural accelerator, or on its CPU only (default: the NPU where the part has one; compare: npu,none for both).")
THREADS_OPTION = typer.Option(None, "--threads", help="Linux boards (rpi4, rpi5, ...): threads running the model, 1 to the board's cores (default 1).")
PERIPHERALS_OPTION = typer.Option(None, "--peripherals", help="Linux boards: peripherals on or off, e.g. 'hdmi,usb', 'ethernet=off' or 'none' (default: the set-up of the board's idle figure).")
WEIGHTS_IN_OPTION = typer.Option(None, "--weights-in", help="Memory that holds the weights: flash, sram, psram, tcm, qspi or a region of the part (default: the part's memory map; `energy mcus ID --json`).")
ARENA_IN_OPTION = typer.Option(None, "--arena-in", help="Memory that holds the tensor arena: sram, psram, tcm or a region of the part (default: the part's memory map).")
SUPPLY_PATH_OPTION = typer.Option(None, "--supply-path", help="How VDD reaches the core: ldo, smps or dcdc (default: the part's usual one, or the one its board implies, e.g. NUCLEO-L4R5ZI-P: smps).")


@app.command()
def estimate(
    model: Path = typer.Argument(..., help="A .tflite file (or a Keras model with the tf extra)."),
    mcu: str = typer.Option(..., "--mcu", help="MCU id or generic core (see `energy mcus`)."),
    runtime: Optional[str] = RUNTIME_OPTION,
    build: Optional[str] = BUILD_OPTION,
    clock_mhz: Optional[str] = CLOCK_OPTION,
    supply_v: Optional[float] = SUPPLY_OPTION,
    duty: Optional[str] = DUTY_OPTION,
    profile: Optional[str] = PROFILE_OPTION,
    battery: Optional[str] = BATTERY_OPTION,
    regulator: Optional[str] = REGULATOR_OPTION,
    sleep: Optional[str] = SLEEP_OPTION,
    power_model: Optional[Path] = POWER_MODEL_OPTION,
    accelerator: Optional[str] = ACCELERATOR_OPTION,
    weights_in: Optional[str] = WEIGHTS_IN_OPTION,
    arena_in: Optional[str] = ARENA_IN_OPTION,
    supply_path: Optional[str] = SUPPLY_PATH_OPTION,
    threads: Optional[int] = THREADS_OPTION,
    peripherals: Optional[str] = PERIPHERALS_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    xlsx: Optional[Path] = typer.Option(None, "--xlsx", help="Write a design-review workbook (live formulas)."),
    csv: Optional[Path] = typer.Option(None, "--csv", help="Write the layer table to this CSV file."),
    force: bool = typer.Option(False, "--force", help="Replace existing --xlsx/--csv files."),
):
    """Latency, energy per inference, RAM fit and (with --duty/--profile) battery life on a named MCU."""
    from .api import estimate as run_estimate
    from .render.export import refuse_overwrite

    if xlsx is not None and xlsx.suffix.lower() != ".xlsx":
        raise UserError(f"--xlsx {xlsx}: give a file name ending in .xlsx")
    refuse_overwrite(xlsx, force)
    refuse_overwrite(csv, force)
    result = run_estimate(
        model, mcu=mcu, runtime=runtime, clock_mhz=clock_mhz, supply_v=supply_v, duty=duty,
        profile=profile, battery=battery, power_model=power_model, build=build, regulator=regulator, sleep=sleep,
        accelerator=accelerator,
        weights_in=weights_in, arena_in=arena_in, supply_path=supply_path, threads=threads,
        peripherals=peripherals,
    )
    if xlsx is not None:
        result.to_excel(xlsx)
    if csv is not None:
        from .render.export import write_csv_safely

        write_csv_safely(csv, result.layers)
    if as_json:
        _emit_json(result.to_json())
    else:
        from .render.estimate import render_estimate  # rich tables: not imported for --json (cold start)

        render_estimate(result)
        if result.clock_search is not None:
            from .render.compare import render_clock_search

            render_clock_search(result.clock_search)


# --------------------------------------------------------------------------------------------- compare, report
#: the target options compare and report pass on to every estimate: (parameter, type, option)
TARGET_OPTIONS = (("runtime", Optional[str], RUNTIME_OPTION), ("clock_mhz", Optional[str], CLOCK_OPTION),
                  ("supply_v", Optional[float], SUPPLY_OPTION), ("duty", Optional[str], DUTY_OPTION),
                  ("profile", Optional[str], PROFILE_OPTION), ("battery", Optional[str], BATTERY_OPTION),
                  ("regulator", Optional[str], REGULATOR_OPTION), ("build", Optional[str], BUILD_OPTION),
                  ("sleep", Optional[str], SLEEP_OPTION), ("power_model", Optional[Path], POWER_MODEL_OPTION),
                  ("accelerator", Optional[str], ACCELERATOR_OPTION),
                  ("weights_in", Optional[str], WEIGHTS_IN_OPTION),
                  ("arena_in", Optional[str], ARENA_IN_OPTION), ("supply_path", Optional[str], SUPPLY_PATH_OPTION), ("threads", Optional[int], THREADS_OPTION),
                  ("peripherals", Optional[str], PERIPHERALS_OPTION))


def _with_target_options(command):
    """Give ``command`` (which takes ``**target``) the :data:`TARGET_OPTIONS` as typer parameters."""
    import inspect

    sig = inspect.signature(command)
    own = [p for p in sig.parameters.values() if p.kind != p.VAR_KEYWORD]
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
             for name, kind, option in TARGET_OPTIONS]
    command.__signature__ = sig.replace(parameters=own + extra)
    return command


@app.command()
@_with_target_options
def compare(
    model: Path = typer.Argument(..., help="A .tflite file (or a Keras model with the tf extra)."),
    mcu: List[str] = typer.Option(..., "--mcu", help="MCU ids, comma-separated or the flag repeated (see `energy mcus`)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list, one object per target."),
    csv: Optional[Path] = typer.Option(None, "--csv", help="Write the table to this CSV file."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --csv file."),
    **target,
):
    """Several MCUs side by side, longest battery life first: latency, energy, RAM/flash fit, current, life."""
    from .review import compare as run_compare
    from .render.compare import render_compare
    from .render.export import json_dumps, refuse_overwrite, write_csv_safely

    refuse_overwrite(csv, force)
    frame = run_compare(model, mcu, **target)
    if csv is not None:
        write_csv_safely(csv, frame)
    _emit_json(json_dumps(frame)) if as_json else render_compare(frame)


@app.command()
@_with_target_options
def report(
    model: Path = typer.Argument(..., help="A .tflite file (or a Keras model with the tf extra)."),
    mcu: List[str] = typer.Option(..., "--mcu", help="MCU id; repeat the flag or separate with commas for several."),
    output: Path = typer.Option(..., "-o", "--output", help="The HTML file to write (self-contained, offline)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing OUTPUT."),
    **target,
):
    """A design-review page: one offline HTML file with summary cards and charts for one or more MCUs."""
    from .review import report as run_report

    typer.echo(f"wrote {run_report(model, mcu, output=output, force=force, **target)}")


# --------------------------------------------------------------------------------------------- catalogs
#: command -> (help, lister, table renderer, JSON renderer), as "module:function" inside the package (lazy imports)
CATALOGS = {
    "mcus": ("List the MCU catalog (power_models/mcus).",
             "hardware.catalog:list_mcus", "render.catalog:render_mcus", "render.catalog:mcus_json"),
    "runtimes": ("List the inference runtimes and the cores they run on.",
                 "hardware.runtimes:list_runtimes", "render.catalog:render_runtimes", "render.catalog:runtimes_json"),
    "profiles": ("List the shipped duty profiles.",
                 "usage.profiles:list_profiles", "render.usage:render_profiles", "render.usage:profiles_json"),
    "batteries": ("List the batteries (prefix an id with Nx for N cells in series, e.g. 2xaa-alkaline).",
                  "usage.battery:list_batteries", "render.usage:render_batteries", "render.usage:batteries_json"),
}


def _function(spec: str):
    import importlib

    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)


def _catalog_command(name: str, help_text: str, lister: str, render: str, to_json: str) -> None:
    def command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
        items = _function(lister)()
        _emit_json(_function(to_json)(items)) if as_json else _function(render)(items)

    command.__doc__ = help_text
    app.command(name=name)(command)


for _name, _spec in CATALOGS.items():
    if _name not in ("profiles", "mcus"):  # profiles (--example) and mcus (ID): below
        _catalog_command(_name, *_spec)


@app.command(name="mcus")
def mcus(
    mcu_id: Optional[str] = typer.Argument(None, metavar="[ID]", help="One part: its figures and sleep modes."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """List the MCU catalog (power_models/mcus); with an ID, that part and its sleep modes (names for --sleep)."""
    _, lister, render, to_json = CATALOGS["mcus"]
    if mcu_id is None:
        items = _function(lister)()
        _emit_json(_function(to_json)(items)) if as_json else _function(render)(items)
        return
    from .hardware.catalog import load_mcu

    part = load_mcu(mcu_id)
    if as_json:
        from .render.catalog import mcu_record
        from .render.export import json_dumps

        _emit_json(json_dumps(mcu_record(part)))
    else:
        from .render.usage import render_mcu

        render_mcu(part)


@app.command(name="profiles")
def profiles(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    example: bool = typer.Option(False, "--example", help="Print a commented profile template that runs as it is "
                                 "(energy profiles --example > my.toml)."),
):
    """List the shipped duty profiles (--example prints a template to start your own)."""
    if example:
        from .usage.profiles import example_text

        sys.stdout.write(example_text())
        return
    _, lister, render, to_json = CATALOGS["profiles"]
    items = _function(lister)()
    _emit_json(_function(to_json)(items)) if as_json else _function(render)(items)


# --------------------------------------------------------------------------------------------- sweep
def _split(values) -> list | None:
    """``--mcu a,b --mcu c`` -> [a, b, c]; no flag -> None (the API's default)."""
    out = [v.strip() for value in values or [] for v in str(value).split(",") if v.strip()]
    return out or None


@app.command()
def sweep(
    models: List[Path] = typer.Argument(..., help=".tflite files and folders (searched for *.tflite at any depth)."),
    mcu: List[str] = typer.Option(..., "--mcu", help="MCU ids, comma-separated or the flag repeated."),
    output: Path = typer.Option(..., "-o", "--output", help="The table to write: .csv, or .parquet (parquet extra)."),
    runtime: List[str] = typer.Option([], "--runtime", help="Runtime ids (default: each part's)."),
    clock_mhz: List[str] = typer.Option([], "--clock-mhz", help="Clocks in MHz (default: each part's), or 'best': "
                                        "each row at the clock with its lowest average current."),
    supply_v: List[str] = typer.Option([], "--supply-v", help="Supply voltages in V."),
    duty: List[str] = typer.Option([], "--duty", help="Inference rates, e.g. 1/s,1/min,'every 10 min'."),
    battery: List[str] = typer.Option([], "--battery", help="Battery ids (default with a rate: 2xaa-alkaline)."),
    profile: List[str] = typer.Option([], "--profile", help="Duty profile ids or TOML files."),
    accelerator: List[str] = typer.Option([], "--accelerator", help="npu, none or npu,none: with and without the "
                                          "parts' neural accelerators (default: each part's NPU where it has one)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", help="Processes analysing models (default: the CPU count)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of a Dask scheduler, e.g. "
                                            "tcp://10.0.0.5:8786 (dask extra): models and row blocks run there."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Analyse every model again (the cache is by file hash "
                                  "in ~/.cache/joulescope_free or $JOULESCOPE_FREE_CACHE)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing OUTPUT."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
):
    """Every combination of models x MCUs x clocks x rates x batteries as one table (one row each; a model that
    cannot be read gives one error row, an impossible combination a row whose `error` says why)."""
    from .render.export import refuse_overwrite
    from .sweeps import AnalysisCache, check_names, sweep_models, write_table

    if output.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise UserError(f"-o {output}: give a file name ending in .csv or .parquet")
    refuse_overwrite(output, force)
    lists = {name: _split(value) for name, value in (("runtime", runtime), ("clock_mhz", clock_mhz),
                                                     ("supply_v", supply_v), ("duty", duty),
                                                     ("battery", battery), ("profile", profile),
                                                     ("accelerator", accelerator))}
    for acc in lists["accelerator"] or []:
        if acc.lower() not in ("npu", "none"):
            raise UserError(f"--accelerator must be npu, none or npu,none, not '{acc}'")
    check_names(_split(mcu), lists["runtime"], lists["duty"], lists["battery"], lists["profile"])
    client = None
    if scheduler is not None:
        try:
            from dask.distributed import Client
        except ImportError:
            raise UserError("--scheduler needs Dask: pip install 'joulescope-free[dask]'") from None
        try:
            client = Client(scheduler, timeout=10)
        except OSError as exc:
            raise UserError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True, disable=quiet or not sys.stderr.isatty()) as bar:
        task = bar.add_task("sweep", total=None)

        def progress(advance, total):
            bar.update(task, advance=advance, total=total)

        try:
            frame = sweep_models(models, _split(mcu), cache=None if no_cache else AnalysisCache(), jobs=jobs,
                                 client=client, progress=progress, **lists)
        finally:
            if client is not None:
                client.close()
    write_table(frame, output)
    failed = int(frame["error"].notna().sum())
    typer.echo(f"wrote {output}: {len(frame)} rows, {frame['model_path'].nunique()} models, "
               f"{failed} rows with an error")


# --------------------------------------------------------------------------------------------- validate
@app.command()
def validate(
    data: Optional[Path] = typer.Option(None, "--data", help="CSV of measurements (default: the shipped MLPerf Tiny table)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Compare the models against measured latency and energy: every row, the error summary and how often the
    error bands held."""
    from .validation import validate as run_validate
    from .render.validation import render_validation

    result = run_validate(data)
    _emit_json(result.to_json()) if as_json else render_validation(result)


# --------------------------------------------------------------------------------------------- measure
@app.command()
def measure(
    trace: Path = typer.Argument(..., help="A Joulescope .jls, PPK2 .ppk2/.ppk or CSV, Otii CSV or generic CSV trace; "
                                 "an EEMBC EnergyRunner run folder (or its trace1-energy.bin), or a folder tree of runs."),
    supply_v: Optional[float] = typer.Option(None, "--supply-v", help="Supply voltage in V when the file has none."),
    marker: Optional[str] = typer.Option(None, "--marker", help="Digital channel high around each inference, e.g. D0."),
    threshold_a: Optional[float] = typer.Option(None, "--threshold-a", help="Burst threshold in A (default: from the baseline)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Write a PNG of the trace with the events shaded."),
    csv: Optional[Path] = typer.Option(None, "--csv", help="Write the table (events; EnergyRunner: one row per run) to this CSV file."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --plot/--csv file."),
):
    """Find the inferences in a real power trace: bursts, their duration and energy, the sleep baseline; or read
    EEMBC EnergyRunner runs: energy per inference per window and its median beside the stated figures."""
    from .measure.api import measure as run_measure
    from .render.export import refuse_overwrite
    from .render.measure import render_measurement

    refuse_overwrite(csv, force)
    if plot is not None:  # checked before a long read, not after
        from .measure.eembc import is_energyrunner
        from .render.plot import check_plot_target

        if is_energyrunner(trace):
            raise UserError("--plot draws a sampled current trace; an EnergyRunner run has energy per 1 ms only "
                            "(leave out --plot)")
        plot = check_plot_target(plot)
        refuse_overwrite(plot, force)
    result = run_measure(trace, supply_v=supply_v, marker=marker, threshold_a=threshold_a, progress=not as_json)
    if plot is not None:
        from .render.plot import plot_measurement

        plot = plot_measurement(result, plot)
    if csv is not None:
        from .render.export import write_csv_safely
        from .render.measure import measurement_table

        write_csv_safely(csv, measurement_table(result))
    _emit_json(result.to_json()) if as_json else render_measurement(result)
    if plot is not None:  # where the picture is (on stderr beside JSON, which must stay parseable)
        typer.echo(f"wrote {plot}", err=as_json)


@app.command()
def calibrate(
    traces: List[Path] = typer.Argument(..., help="One or more traces of the same board (EnergyRunner run folders too)."),
    model: List[Path] = typer.Option(..., "--model", help="The model each trace ran (give once, or once per trace)."),
    mcu: str = typer.Option(..., "--mcu", help="MCU id."),
    runtime: Optional[str] = typer.Option(None, "--runtime", help="Runtime id."),
    clock_mhz: List[float] = typer.Option([], "--clock-mhz", help="Clock in MHz (once, or once per trace)."),
    supply_v: Optional[float] = typer.Option(None, "--supply-v", help="Supply voltage in V when the traces have none."),
    marker: Optional[str] = typer.Option(None, "--marker", help="Digital marker channel, e.g. D0."),
    threshold_a: Optional[float] = typer.Option(None, "--threshold-a", help="Burst threshold in A."),
    output: Path = typer.Option(..., "-o", "--output", help="The power-model override TOML to write."),
    force: bool = typer.Option(False, "--force", help="Overwrite OUTPUT if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
):
    """Fit measured inference duration, energy and sleep floor into a power-model override for a board."""
    from .measure.calibrate import calibrate as run_calibrate
    from .render.measure import render_calibration

    result = run_calibrate(
        traces, models=model, mcu=mcu, runtime=runtime, clock_mhz=clock_mhz, supply_v=supply_v,
        marker=marker, threshold_a=threshold_a, output=output, force=force,
    )
    _emit_json(result.to_json()) if as_json else render_calibration(result)


def main(argv: Optional[list] = None) -> None:
    """Console entry point: run the app; a :class:`UserError` is one line on stderr and exit status 2."""
    try:
        app(args=argv, standalone_mode=True)
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:  # pragma: no cover
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
