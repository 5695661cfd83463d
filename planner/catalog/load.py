"""Load a catalog folder (or a SkyPilot catalog) into a validated :class:`Catalog`.

A catalog folder holds ``accelerators.yaml``, ``providers.yaml`` and the offerings in
``offerings.csv`` (or ``offerings.yaml``, or several ``offerings*.csv``), and optionally
``datacenter.yaml`` (own data-center servers and site assumptions, read into
``Catalog.datacenter``). Other files in the folder (``SOURCES.md``, notes, ...) are ignored. Every
problem of every file is collected and raised as one CatalogError naming file, row (or YAML line)
and field.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from planner.catalog.catalog import OFFERING_FIELDS, Catalog
from planner.catalog.datacenter import DatacenterCatalog, PathLocator, datacenter_from_data
from planner.catalog.schema import Accelerator, Offering, Provider
from planner.catalog.skypilot import is_skypilot_catalog, load_skypilot
from planner.catalog.validate import (
    Locator,
    accelerator_index,
    capped,
    check_columns,
    cross_reference,
    problems_from_error,
)
from planner.errors import CatalogError, InputError, Problem
from planner.gc_pause import gc_paused
from planner.io import parse_yaml

ACCELERATORS_FILE = "accelerators.yaml"
PROVIDERS_FILE = "providers.yaml"
DATACENTER_FILE = "datacenter.yaml"
OFFERING_COLUMNS: tuple[str, ...] = OFFERING_FIELDS
REQUIRED_OFFERING_COLUMNS: tuple[str, ...] = tuple(
    name for name in OFFERING_FIELDS if Offering.model_fields[name].is_required()
)

_M = TypeVar("_M", bound=BaseModel)


def bundled_catalog_dir() -> Path:
    """Folder of the default catalog shipped with planner.

    ``catalogs/default`` at the repository root (an editable install or a source checkout),
    else ``planner/data/catalogs/default`` inside the installed package.
    """
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent / "catalogs" / "default", package / "data" / "catalogs" / "default"):
        if (candidate / ACCELERATORS_FILE).is_file():
            return candidate
    raise InputError(
        "the bundled default catalog is missing (looked for catalogs/default next to the planner "
        "package and planner/data/catalogs/default); reinstall planner or pass a catalog path"
    )


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load a catalog. None: the bundled default.

    `path` may be a catalog folder, a SkyPilot catalog folder (``<cloud>/vms.csv``, e.g.
    ``~/.sky/catalogs/v9``) or a single SkyPilot ``vms.csv``; SkyPilot catalogs take their
    accelerator specs and provider details from the bundled catalog.
    """
    if path is not None and (not isinstance(path, (str, Path)) or not str(path).strip()):
        raise InputError(f"a catalog is a folder (or SkyPilot vms.csv) path, got {path!r}")
    folder = bundled_catalog_dir() if path is None else Path(path).expanduser()
    if not folder.exists():
        raise InputError(f"catalog not found: {folder}")
    if folder.is_dir() and _is_planner_catalog(folder):
        return load_catalog_dir(folder)
    if is_skypilot_catalog(folder):
        base = load_catalog(None)
        catalog = load_skypilot(folder, base=base)
        catalog.datacenter = base.datacenter  # own-DC defaults come with the bundled specs
        return catalog
    raise InputError(
        f"{folder} is not a catalog: expected a folder with {ACCELERATORS_FILE}, {PROVIDERS_FILE} and "
        "offerings.csv, a SkyPilot catalog folder (<cloud>/vms.csv) or a SkyPilot vms.csv file"
    )


def _is_planner_catalog(folder: Path) -> bool:
    return any((folder / name).exists() for name in (ACCELERATORS_FILE, PROVIDERS_FILE)) or bool(
        offering_files(folder)
    )


def offering_files(folder: Path) -> list[Path]:
    """offerings*.csv and offerings*.yaml/.yml files of a catalog folder, sorted by name."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.name.startswith("offerings") and p.suffix in _OFFER_EXT
    )


_OFFER_EXT = frozenset({".csv", ".yaml", ".yml"})


def load_catalog_dir(folder: Path) -> Catalog:
    """Read, validate and cross-reference one catalog folder (see the module docstring).

    All problems are collected: schema problems of every file, then (when the accelerator and
    provider files are valid) unknown names and duplicates among the offering rows that passed.
    """
    with gc_paused():
        return _load_catalog_dir(folder)


def _load_catalog_dir(folder: Path) -> Catalog:
    present = offering_files(folder)
    missing = [n for n in (ACCELERATORS_FILE, PROVIDERS_FILE) if not (folder / n).is_file()]
    if missing or not present:
        what = [*missing, *([] if present else ["offerings.csv (or offerings*.csv / offerings*.yaml)"])]
        raise CatalogError(
            [
                Problem(
                    f"catalog folder lacks {', '.join(what)}: a catalog folder holds {ACCELERATORS_FILE}, "
                    f"{PROVIDERS_FILE} and offerings.csv (docs/catalog.md)",
                    source=str(folder),
                )
            ]
        )
    problems: list[Problem] = []
    accelerators, locate_acc = _read_yaml_models(
        folder / ACCELERATORS_FILE, Accelerator, "accelerators", problems
    )
    providers, locate_prov = _read_yaml_models(folder / PROVIDERS_FILE, Provider, "providers", problems)
    if problems:  # names cannot be checked against broken accelerator/provider files
        raise CatalogError(capped(problems))
    offerings: list[Offering] = []
    locators: list[tuple[int, Locator]] = []
    for file in present:
        if file.suffix == ".csv":
            found, locate = read_offerings_csv(file, problems)
        else:
            found, locate = _read_yaml_models(file, Offering, "offerings", problems)
        locators.append((len(offerings), locate))
        offerings += found
    datacenter, locate_dc = _read_datacenter(folder / DATACENTER_FILE, problems)
    by_acc, by_prov, resolved = cross_reference(
        accelerators,
        providers,
        offerings,
        locate_acc,
        locate_prov,
        _chain(locators),
        sources=(str(folder / ACCELERATORS_FILE), str(folder / PROVIDERS_FILE)),
        catalog=str(folder),
        problems=problems,
    )
    if datacenter is not None:  # its accelerators can be checked now that the catalog's are valid
        datacenter, dc_problems = datacenter_from_data(
            datacenter.model_dump(), accelerator_index(list(by_acc.values())), locate_dc
        )
        if dc_problems:
            raise CatalogError(capped(dc_problems))
    return Catalog(folder.name, by_acc, by_prov, resolved, path=folder, datacenter=datacenter)


def _read_datacenter(path: Path, problems: list[Problem]) -> tuple[DatacenterCatalog | None, PathLocator]:
    """datacenter.yaml validated against the schema (accelerator names are checked later, against
    the catalog's); None when absent or invalid, with its problems appended to `problems`."""
    source = str(path)
    if not path.is_file():
        return None, _path_locator(source, "")
    try:
        text = path.read_text(encoding="utf-8")
        data = parse_yaml(text, source=source, fast=True)
    except UnicodeDecodeError as exc:
        problems.append(Problem(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=source))
        return None, _path_locator(source, "")
    except InputError as exc:
        problems += exc.problems
        return None, _path_locator(source, "")
    locate = _path_locator(source, text)
    datacenter, found = datacenter_from_data(data, None, locate)
    problems += found
    return datacenter, locate


def _path_locator(source: str, text: str) -> PathLocator:
    """'servers.2.power_kw' -> (file, 'servers[2].power_kw (line 40)'); lines only when needed."""
    cache: list[yaml.Node | None] = []

    def locate(path: str | None) -> tuple[str | None, str | None]:
        if not path:
            return source, None
        if not cache:
            cache.append(_compose(text))
        parts: list[str | int] = [int(p) if p.isdigit() else p for p in path.split(".")]
        node = _node_at(cache[0], parts)
        line = f" (line {node.start_mark.line + 1})" if node is not None else ""
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
        return source, where + line

    return locate


def _chain(locators: Sequence[tuple[int, Locator]]) -> Locator:
    """Locator over offerings concatenated from several files (start index, file locator)."""

    def locate(index: int, field: str | None) -> tuple[str | None, str | None]:
        start, loc = next((s, f) for s, f in reversed(locators) if s <= index)
        return loc(index - start, field)

    return locate


# -- CSV -------------------------------------------------------------------------------------------


def read_offerings_csv(path: Path, problems: list[Problem]) -> tuple[list[Offering], Locator]:
    """Validate every row of an offerings CSV; problems are appended to `problems`.

    Rows are numbered as in a spreadsheet: the header is row 1. Blank rows are ignored; an empty
    cell means "not given" (the field's default). A row with more or fewer cells than the header
    is reported and not read (its values would land in the wrong columns); the other rows are.
    """
    source = str(path)
    table = _csv_table(path, source, problems)
    if table is None:
        return [], _row_locator(source, [])
    header, data = table
    file_problems = check_columns(header, source, OFFERING_COLUMNS, REQUIRED_OFFERING_COLUMNS)
    problems += file_problems
    if len(set(header)) != len(header) or not set(REQUIRED_OFFERING_COLUMNS) <= set(header):
        return [], _row_locator(source, [])  # rows cannot be read reliably: report the header only
    width = len(header)
    keep = [(i, name) for i, name in enumerate(header) if name in OFFERING_COLUMNS]
    records: list[dict[str, str]] = []
    rows: list[int] = []  # file row of each record (header = row 1)
    for number, cells in data:
        if len(cells) != width and not _fits(cells, width, source, number, problems):
            continue
        records.append({name: cells[i] for i, name in keep if cells[i] and not cells[i].isspace()})
        rows.append(number)
    locate = _row_locator(source, rows)
    offerings, kept = _validate_models(Offering, records, locate, problems)
    return offerings, _subset(locate, kept)


def _fits(cells: list[str], width: int, source: str, row: int, problems: list[Problem]) -> bool:
    """A row whose cell count differs from the header's: extra empty cells (a trailing comma) are
    harmless; extra non-empty cells or missing cells are a problem (values would shift)."""
    if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
        return True
    if len(cells) > width:
        fix = "quote a cell that contains a comma, or remove the extra cells"
    else:
        fix = "add the missing cells (leave a cell empty between two commas when a value is not given)"
    problems.append(
        Problem(
            f"{len(cells)} cells but the header has {width} columns: {fix}",
            source=source,
            location=f"row {row}",
        )
    )
    return False


def _csv_table(
    path: Path, source: str, problems: list[Problem]
) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """The stripped header and the non-blank data rows (spreadsheet row number, cells) of a CSV;
    None (with a problem) for a file that is empty, not UTF-8 or not valid CSV. A UTF-8 byte-order
    mark (spreadsheet exports write one) is dropped."""
    rows: list[tuple[int, list[str]]] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, strict=True)
            number = 0  # the last row read; a syntax error is in the next one
            header = next(reader, None)
            number = 1
            for number, cells in enumerate(reader, start=2):
                if any(cell and not cell.isspace() for cell in cells):
                    rows.append((number, cells))
    except UnicodeDecodeError as exc:
        problems.append(Problem(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=source))
        return None
    except csv.Error as exc:
        reason = str(exc)
        if "end of data" in reason:
            reason = 'a quoted cell is never closed; close its quote (")'
        else:
            reason = f"CSV syntax error: {reason}; check the quotes"
        problems.append(Problem(reason, source=source, location=f"row {number + 1}"))
        return None
    if not header:
        problems.append(Problem("empty file: expected a header row and at least one offering", source=source))
        return None
    return [h.strip() for h in header], rows


def _row_locator(source: str, rows: Sequence[int]) -> Locator:
    def locate(index: int, field: str | None) -> tuple[str | None, str | None]:
        row = rows[index] if index < len(rows) else index + 2
        return source, f"row {row}" + (f", column {field}" if field else "")

    return locate


# -- YAML ------------------------------------------------------------------------------------------


def _read_yaml_models(
    path: Path, model: type[_M], key: str, problems: list[Problem]
) -> tuple[list[_M], Locator]:
    """A YAML list of `model` (or a mapping {key: list}); problems carry YAML line numbers."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = parse_yaml(text, source=source, fast=True)
    except UnicodeDecodeError as exc:
        problems.append(Problem(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=source))
        return [], _yaml_locator(source, key, lambda: None)
    except InputError as exc:
        problems += exc.problems
        return [], _yaml_locator(source, key, lambda: None)
    nested = isinstance(data, dict) and set(data) == {key}
    if nested:
        data = data[key]

    def root() -> yaml.Node | None:  # composed only when a problem needs a line number
        node = _compose(text)
        return _mapping_value(node, key) if nested else node

    locate = _yaml_locator(source, key, root)
    if not isinstance(data, list):
        kind = "empty" if data is None else type(data).__name__
        problems.append(
            Problem(f"expected a list of {key} (or a mapping '{key}:' with a list), got {kind}", source)
        )
        return [], locate
    found, kept = _validate_models(model, data, locate, problems)
    return found, _subset(locate, kept)


def _validate_models(
    model: type[_M], records: list[Any], locate: Locator, problems: list[Problem]
) -> tuple[list[_M], list[int]]:
    """Validate records as one list (fast; all errors at once). Returns the valid models and
    their positions in `records`; problems of the others are appended to `problems`."""
    adapter: TypeAdapter[list[_M]] = _adapter(model)
    try:
        return adapter.validate_python(records), list(range(len(records)))
    except ValidationError as exc:
        problems += problems_from_error(exc, locate)
        bad = {e["loc"][0] for e in exc.errors() if e["loc"] and isinstance(e["loc"][0], int)}
    keep = [i for i in range(len(records)) if i not in bad]
    if not keep or not all(isinstance(records[i], dict) for i in keep):
        return [], []
    return adapter.validate_python([records[i] for i in keep]), keep


@functools.cache
def _adapter(model: type[_M]) -> TypeAdapter[list[_M]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _subset(locate: Locator, positions: Sequence[int]) -> Locator:
    """Locator for a filtered list: position k is the record at positions[k] of the original."""

    def sub(index: int, field: str | None) -> tuple[str | None, str | None]:
        return locate(positions[index], field)

    return sub


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def _mapping_value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return v
    return None


def _node_at(node: yaml.Node | None, path: Sequence[str | int]) -> yaml.Node | None:
    """Deepest node along `path` (list indices and mapping keys) that exists."""
    for part in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        elif isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
        if child is None:
            break
        node = child
    return node


def _yaml_locator(source: str, key: str, root: Callable[[], yaml.Node | None]) -> Locator:
    """index 3, field 'memory_gib' -> (file, 'accelerators[3].memory_gib (line 40)')."""
    cache: list[yaml.Node | None] = []

    def locate(index: int, field: str | None) -> tuple[str | None, str | None]:
        if not cache:
            cache.append(root())
        path: list[str | int] = [index, *(field.split(".") if field else [])]
        node = _node_at(cache[0], path)
        line = f" (line {node.start_mark.line + 1})" if node is not None else ""
        return source, f"{key}[{index}]" + (f".{field}" if field else "") + line

    return locate
