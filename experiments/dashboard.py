"""``coprod dashboard``: a classroom dashboard in the browser (Mesa SolaraViz, served by solara).

The page lets a class pick a paradigm (client, customer, co-citizen or hybrid), move the levers
that matter most, step or play the months, and see the network of citizens and the five value
dimensions change; a second paradigm can run beside the first on the same seed, and presets
tell the stories of the source material. Labels switch between English and Danish.

The command starts ``python -m solara run <this file>`` in a subprocess bound to 127.0.0.1 by
default; Ctrl-C stops it. The solara page itself is built by ``build_page`` only when solara
executes this file (as ``__main__``), so ``coprod`` stays quick to start for every other command.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from pathlib import Path
from typing import Any

from coprod.experiments.errors import InputError
from coprod.model.parameters import PARAMETERS, PARADIGMS
from coprod.model.paradigms import paradigm_values

# The levers on the page. Ranges and defaults come from PARAMETERS; a paradigm's rule set gives
# the starting value of the levers it sets.
SLIDERS = ("savings_target", "budget_per_citizen", "frontline_autonomy", "process_openness", "outreach",
           "output_target_pressure", "facilitation_orientation", "facilitation_skill")
CHOICES = ("cp_level", "power_sharing", "initiative_response", "ngo_relation")
CITIZEN_CHOICES = (500, 1000, 2000, 5000)
DEFAULT_CITIZENS = 2000

LABEL_EN = {
    "savings_target": "Savings target", "budget_per_citizen": "Budget per citizen",
    "frontline_autonomy": "Frontline autonomy", "process_openness": "Openness of processes",
    "outreach": "Outreach", "output_target_pressure": "Output target pressure",
    "facilitation_orientation": "Facilitator role", "facilitation_skill": "Facilitation skill",
    "cp_level": "Co-production level", "power_sharing": "Power sharing",
    "initiative_response": "Response to citizens' initiatives", "ngo_relation": "Relation to NGOs",
    "paradigm": "Paradigm",
}
# Danish labels where the declaration has none, and Danish one-line explanations for hovering.
LABEL_DA = {"facilitation_skill": "Facilitatorkompetence"}
DESCRIPTION_DA = {
    "paradigm": "Styringsparadigmet: de regler, der giver aktørerne deres roller og kommunen dens udgangspunkt",
    "savings_target": "Andel af personalebudgettet, der spares væk i forventning om, at borgerne overtager opgaverne",
    "budget_per_citizen": "Kommunens budget til ydelsen pr. borger pr. måned, målt i medarbejdertimer",
    "frontline_autonomy": "Medarbejdernes lokale råderum: 0 = invitationer efter central kvote, "
                          "1 = efter egen vurdering af behov og parathed",
    "process_openness": "Hvor åbne processerne er: 0 = kun ressourcestærke insidere bliver hørt, "
                        "1 = alles input tæller lige meget",
    "outreach": "Opsøgende indsats for at invitere borgere med få ressourcer",
    "output_target_pressure": "Hvor hårdt resultatkrav og præstationsmåling trykker på medarbejderne",
    "facilitation_orientation": "Andel af medarbejdernes frie tid, som paradigmet beder dem bruge på at facilitere "
                                "samskabelse",
    "facilitation_skill": "Hvor godt medarbejderne faciliterer: mindsker koordineringsomkostninger og øger "
                          "optaget af borgernes input",
    "cp_level": "Niveau for samskabelse: individuel (gavner deltageren), gruppe (deles af deltagerne), "
                "kollektiv (gavner hele nabolaget, kræver kritisk masse)",
    "power_sharing": "Hvor meget magt deles: bestemmer, hvor sandsynligt borgernes input bliver taget op",
    "initiative_response": "Hvad kommunen gør med borgerinitiativer: støtter med tilskud, ignorerer eller overtager",
    "ngo_relation": "Kommunens forhold til foreninger: udenfor, kontraktleverandør eller partner",
}
CHOICE_WORDS_DA = {
    "individual": "individuel", "group": "gruppe", "collective": "kollektiv",
    "descriptive": "beskrivende", "intermediate": "mellem", "transformative": "transformativ",
    "support": "støtte", "ignore": "ignorere", "takeover": "overtage",
    "outside": "udenfor", "supplier": "leverandør", "partner": "partner",
}
PARADIGM_WORDS = {
    "en": {"traditional": "Client (traditional)", "npm": "Customer (NPM)", "npg": "Co-citizen (NPG)",
           "hybrid": "Hybrid (NPM + NPG)"},
    "da": {"traditional": "Klient (traditionel)", "npm": "Kunde (NPM)", "npg": "Medborger (NPG)",
           "hybrid": "Hybrid (NPM + NPG)"},
}
WORDS = {
    "en": {"title": "Co-production in the classroom", "language": "Language", "compare": "Side by side",
           "paradigm_a": "Paradigm", "paradigm_b": "Second paradigm (B)", "preset": "Story",
           "no_preset": "(choose a story)", "levers": "Levers (apply to both sides)", "citizens": "Citizens",
           "seed": "Seed", "month": "Month", "restart": "A change of lever starts the run again from month 0, same seed.",
           "side_a": "A only", "side_b": "B only", "redraw": "step + redraw",
           "paradigm_hint": "Paradigm: the rule set that gives actors their roles"},
    "da": {"title": "Samskabelse i undervisningen", "language": "Sprog", "compare": "Side om side",
           "paradigm_a": "Paradigme", "paradigm_b": "Andet paradigme (B)", "preset": "Fortælling",
           "no_preset": "(vælg en fortælling)", "levers": "Greb (gælder begge sider)", "citizens": "Borgere",
           "seed": "Frø", "month": "Måned",
           "restart": "Et nyt greb starter kørslen forfra fra måned 0 med samme frø.",
           "side_a": "kun A", "side_b": "kun B", "redraw": "skridt + tegning",
           "paradigm_hint": "Paradigme: de regler, der giver aktørerne deres roller"},
}
# The stories of the sources: each arm is a bundled scenario with extra overrides.
PRESETS = {
    "client_to_cocitizen": {
        "en": "From client to co-citizen", "da": "Fra klient til medborger",
        "arms": [("traditional", {}), ("default", {})]},
    "savings": {
        "en": "Savings dressed up as co-production", "da": "Besparelser forklædt som samskabelse",
        "arms": [("hybrid", {}), ("savings_cut", {"savings_target": 0.5})]},
    "takeover": {
        "en": "Taking over a citizens' initiative", "da": "Kommunen overtager et borgerinitiativ",
        "arms": [("npg_individual", {"initiative_response": "support"}), ("takeover", {})]},
    "collective": {
        "en": "Collective beats individual?", "da": "Slår kollektiv individuel?",
        "arms": [("npg_individual", {}), ("npg_collective", {})]},
}


def label(name: str, language: str) -> str:
    """A parameter's label on the page."""
    declared = PARAMETERS[name]
    if language == "da":
        return declared.label_da or LABEL_DA.get(name) or name
    return LABEL_EN.get(name) or name.replace("_", " ").capitalize()


def explanation(name: str, language: str) -> str:
    """A parameter's one-line explanation (shown on hover)."""
    if language == "da":
        return DESCRIPTION_DA.get(name, PARAMETERS[name].description)
    return PARAMETERS[name].description


def slider_step(name: str) -> float:
    declared = PARAMETERS[name]
    if declared.kind == "int":
        return 1
    span = float(declared.high) - float(declared.low)
    for step in (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0):
        if span / step <= 120:
            return step
    return span / 100


def default_settings() -> dict[str, Any]:
    """The page's starting point: one co-citizen (NPG) arm of 2,000 citizens, seed 0."""
    return {"seed": 0, "n_citizens": DEFAULT_CITIZENS, "compare": False, "language": "en", "preset": None,
            "arms": [{"paradigm": "npg", "overrides": {}}, {"paradigm": "traditional", "overrides": {}}],
            "common": {}}


def arm_parameters(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Model overrides of each arm: its paradigm, the preset's own values, then the levers moved on the page."""
    arms = settings["arms"][: 2 if settings["compare"] else 1]
    return [{"paradigm": arm["paradigm"], **arm["overrides"], **settings["common"],
             "n_citizens": int(settings["n_citizens"])} for arm in arms]


def lever_value(settings: dict[str, Any], name: str) -> Any:
    """What a lever shows: a moved value, else arm A's preset value, else A's paradigm rule, else the default."""
    if name in settings["common"]:
        return settings["common"][name]
    first = settings["arms"][0]
    if name in first["overrides"]:
        return first["overrides"][name]
    return paradigm_values(first["paradigm"]).get(name, PARAMETERS[name].default)


def apply_preset(settings: dict[str, Any], key: str) -> dict[str, Any]:
    """Settings for a story: two arms side by side, each a bundled scenario plus the story's values."""
    from coprod.experiments.scenarios import load_scenario

    arms = []
    for scenario, extra in PRESETS[key]["arms"]:
        parameters = dict(load_scenario(scenario).parameters)
        parameters.update(extra)
        paradigm = parameters.pop("paradigm")
        parameters.pop("n_citizens", None)
        arms.append({"paradigm": paradigm, "overrides": parameters})
    return {**settings, "arms": arms, "common": {}, "compare": True, "preset": key}


def classroom_settings(settings: dict[str, Any]) -> dict[str, Any]:
    return {"arms": arm_parameters(settings), "seed": int(settings["seed"])}


def build_page():
    """The solara page (imports solara and Mesa's visualisation only here)."""
    import solara
    from mesa.visualization import SolaraViz
    from mesa.visualization.utils import update_counter

    from coprod.experiments.animate import Classroom, Pictures

    problem = solara.reactive(None)  # one line shown on the page when a change cannot be made

    def rebuild_with(settings, model, new: dict[str, Any]) -> None:
        try:
            fresh = DashboardModel(settings=new)
        except (ValueError, InputError) as err:
            problem.value = str(err)
            return
        problem.value = None
        settings.value = new
        model.value = fresh

    class DashboardModel(Classroom):
        """The classroom as SolaraViz builds it: ``settings`` is the page's settings (a reactive)."""

        def __init__(self, settings: Any = None):
            settings = getattr(settings, "value", settings) or default_settings()
            super().__init__(classroom_settings(settings))
            self.language = settings.get("language", "en")
            self.pictures = None
            self.last_seconds = None

        def step(self) -> None:
            start = time.perf_counter()
            super().step()
            self._step_started = start

        def picture(self, language: str) -> bytes:
            """The current picture; the time from the start of the last step to here is recorded."""
            if self.pictures is None or self.pictures.language != language:
                self.pictures = Pictures(self, language=language, dpi=72, blit=True)
            else:
                self.pictures.update()
            image = self.pictures.png()
            started = getattr(self, "_step_started", None)
            if started is not None:
                self.last_seconds = time.perf_counter() - started
                self._step_started = None
            return image

    @solara.component
    def Levers(settings: solara.Reactive, model: solara.Reactive):
        s = settings.value
        lang = s["language"]
        words = WORDS[lang]

        def rebuild(new: dict[str, Any]) -> None:
            rebuild_with(settings, model, new)

        def set_lever(name: str, value: Any) -> None:
            current = settings.value
            if lever_value(current, name) == value:
                return
            rebuild({**current, "common": {**current["common"], name: value}, "preset": None})

        with solara.Sidebar():
            with solara.Card(words["levers"]):
                solara.Text(words["restart"], style={"font-size": "0.8em", "color": "#666"})
                for name in SLIDERS:
                    declared = PARAMETERS[name]
                    with solara.Tooltip(explanation(name, lang)):
                        with solara.Div(classes=[f"lever-{name}"]):
                            value = float(lever_value(s, name))
                            solara.Text(f"{label(name, lang)}: {value:g}", style={"font-size": "0.9em"})
                            solara.SliderFloat("", value=value, min=float(declared.low), max=float(declared.high),
                                               step=slider_step(name),
                                               on_value=lambda v, n=name: set_lever(n, round(float(v), 6)))
                for name in CHOICES:
                    declared = PARAMETERS[name]
                    shown = {c: (CHOICE_WORDS_DA.get(c, c) if lang == "da" else c) for c in declared.choices}
                    back = {v: k for k, v in shown.items()}
                    with solara.Tooltip(explanation(name, lang)):
                        with solara.Div(classes=[f"lever-{name}"]):
                            solara.Select(label(name, lang), value=shown[lever_value(s, name)],
                                          values=list(shown.values()),
                                          on_value=lambda v, n=name, b=back: set_lever(n, b[v]))

    @solara.component
    def Classroom_View(settings: solara.Reactive, model: solara.Reactive):
        update_counter.get()  # Mesa's Step / Play bump this after each step
        s = settings.value
        lang = s["language"]
        words = WORDS[lang]
        names = PARADIGM_WORDS[lang]
        back = {v: k for k, v in names.items()}
        m = model.value

        def rebuild(new: dict[str, Any]) -> None:
            rebuild_with(settings, model, new)

        def set_paradigm(index: int, shown: str) -> None:
            current = settings.value
            arms = [dict(a) for a in current["arms"]]
            arms[index] = {"paradigm": back[shown], "overrides": {}}
            rebuild({**current, "arms": arms, "preset": None})

        def set_preset(shown: str) -> None:
            for key, preset in PRESETS.items():
                if preset[settings.value["language"]] == shown:
                    try:
                        new = apply_preset(settings.value, key)
                    except InputError as err:
                        problem.value = str(err)
                        return
                    rebuild(new)

        def set_language(shown: str) -> None:
            code = "da" if shown == "Dansk" else "en"
            settings.value = {**settings.value, "language": code}

        def set_compare(on: bool) -> None:
            rebuild({**settings.value, "compare": bool(on)})

        def set_citizens(shown: str) -> None:
            rebuild({**settings.value, "n_citizens": int(shown)})

        def set_seed(value: int) -> None:
            rebuild({**settings.value, "seed": int(value)})

        with solara.Column(style={"padding": "0 12px"}):
            with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "16px"}):
                solara.Text(words["title"], classes=["coprod-title"], style={"font-size": "1.4em", "font-weight": "bold"})
                solara.Text(f"{words['month']} {m.arms[0].model.steps}", classes=["coprod-month"],
                            style={"font-size": "1.4em"})
                solara.ToggleButtonsSingle(value="Dansk" if lang == "da" else "English",
                                           values=["English", "Dansk"], on_value=set_language)
            with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "16px"}):
                with solara.Tooltip(WORDS[lang]["paradigm_hint"] + " — " + explanation("paradigm", lang)):
                    with solara.Div(classes=["paradigm-a"], style={"min-width": "230px"}):
                        solara.Select(words["paradigm_a"] + (" (A)" if s["compare"] else ""),
                                      value=names[s["arms"][0]["paradigm"]],
                                      values=[names[p] for p in PARADIGMS],
                                      on_value=lambda v: set_paradigm(0, v))
                solara.Checkbox(label=words["compare"], value=s["compare"], on_value=set_compare)
                if s["compare"]:
                    with solara.Div(classes=["paradigm-b"], style={"min-width": "230px"}):
                        solara.Select(words["paradigm_b"], value=names[s["arms"][1]["paradigm"]],
                                      values=[names[p] for p in PARADIGMS], on_value=lambda v: set_paradigm(1, v))
                preset_names = [p[lang] for p in PRESETS.values()]
                current = PRESETS[s["preset"]][lang] if s.get("preset") else None
                with solara.Div(classes=["preset"], style={"min-width": "300px"}):
                    solara.Select(words["preset"], value=current, values=preset_names, on_value=set_preset)
                with solara.Div(style={"width": "110px"}):
                    solara.Select(words["citizens"], value=str(s["n_citizens"]),
                                  values=[str(n) for n in CITIZEN_CHOICES], on_value=set_citizens)
                with solara.Div(style={"width": "90px"}):
                    solara.InputInt(words["seed"], value=int(s["seed"]), on_value=set_seed)
            if s["compare"]:
                extras = []
                for side, arm in zip("AB", s["arms"]):
                    if arm["overrides"]:
                        shown = ", ".join(f"{label(k, lang)} = {v}" for k, v in arm["overrides"].items())
                        extras.append(f"{side}: {shown}")
                if extras:
                    solara.Text(" | ".join(extras), style={"font-size": "0.85em", "color": "#555"})
            if problem.value:
                solara.Error(problem.value)
            image = m.picture(lang)
            solara.Image(image, classes=["coprod-picture"])
            if m.last_seconds is not None:
                solara.Text(f"{words['redraw']}: {1000 * m.last_seconds:.0f} ms", classes=["coprod-timing"],
                            style={"font-size": "0.8em", "color": "#888"})

    @solara.component
    def Page():
        settings = solara.use_reactive(solara.use_memo(default_settings, []))
        initial = solara.use_memo(lambda: DashboardModel(settings=settings.value), [])
        model = solara.use_reactive(initial)
        solara.Title(WORDS[settings.value["language"]]["title"])
        SolaraViz(model, components=[], model_params={"settings": settings}, name="coprod · samskabelse",
                  play_interval=50)
        with solara.Column():  # one level deeper, so the levers come below Mesa's controls
            Levers(settings, model)
        Classroom_View(settings, model)

    return Page


# --- coprod dashboard --------------------------------------------------------------------------

def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "dashboard", help="start the classroom dashboard in the browser",
        description="Start the classroom dashboard (a Mesa SolaraViz page served by solara). Ctrl-C stops it.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    parser.set_defaults(func=dashboard_command)


def cdn_packages() -> list[str]:
    """The npm packages (``name@version``) solara's page template loads from its CDN."""
    import re

    import solara.server
    from solara.server import settings

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    found = set(re.findall(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+@[\w.-]+)/", template.read_text(encoding="utf-8")))
    if settings.assets.fontawesome_enabled:
        found.add(settings.assets.fontawesome_path.strip("/").split("/")[0])
    return sorted(found)


def ensure_assets(quiet: bool = False) -> list[str]:
    """Put solara's browser assets into its local CDN cache, so the page works offline.

    Solara's server proxies its CDN and keeps what it fetched in a cache folder; without
    internet access the page stays blank. Each missing package is fetched once with ``npm pack``
    (from the npm registry) and unpacked there. Returns the packages still missing.
    """
    import tarfile
    import tempfile

    from solara.server import settings

    cache = Path(settings.assets.proxy_cache_dir)
    missing = [spec for spec in cdn_packages() if not (cache / spec).is_dir()]
    if not missing or shutil.which("npm") is None:
        return missing
    still = []
    for spec in missing:
        if not quiet:
            print(f"coprod dashboard: fetching browser assets {spec} (once) with npm", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            try:
                subprocess.run(["npm", "pack", spec, "--silent"], cwd=tmp, check=True, timeout=300,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                (tarball,) = Path(tmp).glob("*.tgz")
                unpacked = Path(tmp) / "unpacked"
                with tarfile.open(tarball) as archive:
                    archive.extractall(unpacked, filter="data")
                target = cache / spec
                target.parent.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".coprod-"))
                staging.rmdir()
                shutil.move(str(unpacked / "package"), staging)
                os.replace(staging, target)
            except (OSError, subprocess.SubprocessError, ValueError, tarfile.TarError) as err:
                if not quiet:
                    print(f"coprod dashboard: could not fetch {spec}: {err}", file=sys.stderr)
                still.append(spec)
    return still


def dashboard_command(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise InputError(f"--port: got {args.port}; allowed: an integer in [1, 65535]")
    try:
        import solara  # noqa: F401
        import mesa.visualization  # noqa: F401
    except ImportError as err:
        raise InputError(f"the dashboard needs solara (mesa[rec]): {err}") from None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((args.host, args.port))
        except OSError as err:
            raise InputError(f"--port {args.port} on --host {args.host}: cannot bind ({err.strerror}); "
                             "choose another port") from None
    ensure_assets()
    url = f"http://{'localhost' if args.host in ('127.0.0.1', '0.0.0.0') else args.host}:{args.port}/"
    command = [sys.executable, "-W", "ignore::UserWarning:solara.validate_hooks", "-m", "solara", "run", str(Path(__file__).resolve()), "--host", args.host,
               "--port", str(args.port), "--production", "--no-open"]
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    # Ctrl-C (SIGINT) and SIGTERM both stop the server, even when started from a script that
    # ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    previous_term = signal.signal(signal.SIGTERM, _interrupt)
    server = subprocess.Popen(command, env=env)
    print(f"coprod dashboard: serving on {url} (Ctrl-C stops it)", flush=True)
    try:
        if not args.no_browser:
            _open_when_ready(args.host, args.port, url, server)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(server)
        signal.signal(signal.SIGTERM, previous_term)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _open_when_ready(host: str, port: int, url: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with socket.create_connection((host if host != "0.0.0.0" else "127.0.0.1", port), timeout=1.0):
                webbrowser.open(url)
                return
        except OSError:
            time.sleep(0.3)


def _stop(server: subprocess.Popen) -> None:
    """Stop the solara server: politely, then for sure."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


if __name__ == "__main__":  # solara executes this file as __main__ to find the page
    Page = build_page()
