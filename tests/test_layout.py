"""The layout holds: one registry names every command, no module imports another that imports it
back, and the quick commands start without the simulation's libraries."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from coprod.experiments.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "model", "agents", "experiments", "analysis", "reports", "classroom", "scenarios")


def module_name(package: str, path: Path) -> str:
    """``coprod.<package>.<sub>.<module>`` of a file inside a package folder (``__init__`` names the package)."""
    parts = path.relative_to(ROOT / package).with_suffix("").parts
    return ".".join(["coprod", package, *(parts[:-1] if parts[-1] == "__init__" else parts)])


def module_imports() -> dict[str, set[str]]:
    """Every coprod module and the coprod modules it imports anywhere (also inside functions)."""
    graph = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = module_name(package, path)
            found = set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("coprod."):
                    found.add(node.module)
                    found.update(f"{node.module}.{alias.name}" for alias in node.names)
                elif isinstance(node, ast.Import):
                    found.update(alias.name for alias in node.names if alias.name.startswith("coprod."))
            graph[name] = found
    return {name: {target for target in targets if target in graph and target != name}
            for name, targets in graph.items()}


def test_no_import_cycles():
    graph = module_imports()
    assert "coprod.experiments.sweep" in graph and "coprod.analysis.sensitivity" in graph
    state: dict[str, str] = {}
    cycles = []

    def visit(name, path):
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycles.append(path[path.index(target):] + [target] if target in path else [name, target])
            elif target not in state:
                visit(target, path + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_every_command_is_registered_once_and_builds():
    names = [command.name for command in COMMANDS]
    assert len(names) == len(set(names))
    parser = build_parser()  # every command's options, as the full command line has them
    subparsers = next(action for action in parser._actions if action.choices and "run" in action.choices)
    assert list(subparsers.choices) == names
    for name, sub in subparsers.choices.items():
        assert sub.get_default("func") is not None, f"{name} sets no func"
    # Every module with a command-line entry point is in the registry.
    registered = {command.where.split(":")[0] for command in COMMANDS}
    for package in PACKAGES:
        for path in (ROOT / package).glob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "\ndef register" in text:
                assert f"coprod.{package}.{path.stem}" in registered, (
                    f"{path} registers a command the CLI does not list")


@pytest.mark.parametrize("argv", [["--help"], ["params"], ["params", "--markdown"], ["scenarios"]])
def test_quick_commands_do_not_import_the_simulation(argv):
    code = ("import sys, runpy; sys.argv = ['coprod', *sys.argv[1:]]\n"
            "from coprod.experiments.cli import main\n"
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try: main(sys.argv[1:])\n"
            "    except SystemExit: pass\n"
            "print(sorted(m for m in ('mesa', 'numba', 'numpy', 'pandas', 'scipy', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_words_are_declared_once_with_the_parameter_and_the_paradigm():
    from coprod.classroom.dashboard import CHOICES, SLIDERS
    from coprod.core.parameters import PARADIGMS, PARAMETERS
    from coprod.model.paradigms import NAMES, SHORT_NAMES

    for p in PARAMETERS.values():
        assert not p.choices_da or len(p.choices_da) == len(p.choices), p.name
    for name in SLIDERS + CHOICES:  # every control on the page has its words on the parameter
        declared = PARAMETERS[name]
        assert declared.label and declared.label_da and declared.description_da, name
        assert declared.kind != "choice" or declared.choices_da, name
    for table in (NAMES, SHORT_NAMES):
        assert set(table) == {"en", "da"} and all(set(words) == set(PARADIGMS) for words in table.values())
    # No other module restates them.
    words = [w for p in PARAMETERS.values() for w in (p.label_da, p.description_da) if w]
    words += [w for table in (NAMES, SHORT_NAMES) for by in table.values() for w in by.values() if "Hybrid" not in w]
    declared_in = {ROOT / "core" / "parameters.py", ROOT / "model" / "paradigms.py"}
    for package in PACKAGES:
        for path in (ROOT / package).glob("*.py"):
            if path not in declared_in:
                text = path.read_text(encoding="utf-8")
                assert not [w for w in words if f'"{w}"' in text], f"{path} restates declared words"


# The house's floors, lowest first: a module may import its own floor and the floors below it.
FLOORS = {"core": 0, "scenarios": 0, "agents": 1, "model": 2, "analysis": 3, "reports": 4,
          "experiments": 5, "classroom": 6}


def test_arrows_point_down():
    """Infrastructure (core) under the model, the model under analysis, experiments, reports and the
    classroom; analysis reads tables, so it sits below the experiments that write them."""
    graph = module_imports()
    upward = []
    for name, targets in graph.items():
        floor = FLOORS[name.split(".")[1]]
        upward += [f"{name} -> {t}" for t in targets if FLOORS[t.split(".")[1]] > floor]
    assert upward == []
    # core imports nothing of ours but core
    assert all(t.startswith("coprod.core") for n, ts in graph.items() if n.startswith("coprod.core") for t in ts)


def test_analysis_and_reports_do_not_reach_into_the_experiments():
    """Tables in, tables out: analysis/ and reports/ import nothing from experiments/."""
    graph = module_imports()
    for name, targets in graph.items():
        if name.startswith(("coprod.analysis", "coprod.reports")):
            assert not [t for t in targets if t.startswith("coprod.experiments")], name


def test_no_private_name_is_imported_across_modules():
    """A name that starts with ``_`` is its module's own: another module imports only public names
    (a private one it needs is made public, with a docstring, in the module that owns it)."""
    crossing = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("coprod."):
                    crossing += [f"{module_name(package, path)} imports {node.module}.{alias.name}"
                                 for alias in node.names if alias.name.startswith("_")]
    assert crossing == []


# No function in package code is longer than this many lines, from its `def` to its last line
# (docstring and comments count: a long docstring is a sign the function does several things).
MAX_FUNCTION_LINES = 60


def function_lengths() -> dict[str, int]:
    """``"<folder>/<file>.py:<function>"`` -> its length in lines, for every function in package code."""
    lengths = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    where = f"{path.relative_to(ROOT).as_posix()}:{node.name}"
                    lengths[where] = max(lengths.get(where, 0), node.end_lineno - node.lineno + 1)
    return lengths


def test_no_function_is_longer_than_sixty_lines():
    lengths = function_lengths()
    assert "model/model.py:step" in lengths  # the walk found the package code
    long = {where: n for where, n in lengths.items() if n > MAX_FUNCTION_LINES}
    assert long == {}
