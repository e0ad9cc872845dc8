"""``coprod dashboard``: a classroom dashboard in the browser (served by solara).

The page lets a class pick a paradigm (client, customer, co-citizen or hybrid), move the levers
that matter most, step or play the months, and see the network of citizens and the five value
dimensions change; a second paradigm can run beside the first on the same seed, and presets
tell the stories of the source material. A lever moved mid-run applies from the next month, beside
a ghost of the run without the change (``animate.Arm.intervene``); the class can go back to a
month and try another change. The picture is drawn at the size the page has room for, so its text
is 18 px on any projector. Every word on the page switches between English and
Danish, so the controls are the page's own solara components (Mesa's SolaraViz controls cannot be
translated); the model is still a Mesa model (``Classroom``).

Each browser tab gets a ``Session``: one worker thread that alone steps, rebuilds and draws its
model, so nothing the class clicks while the run plays can meet a half-stepped model, and the
worker ends when the tab closes.

The command starts ``python -m solara run page.py`` (the page's components, ``classroom/page.py``)
in a subprocess bound to 127.0.0.1 by default; Ctrl-C stops it. Only the page imports solara, so
``coprod`` stays quick to start for every other command.
The page's browser files come installed (``solara-assets``): nothing is fetched at run time.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from pathlib import Path
from typing import Any

from coprod.core.errors import InputError
from coprod.core.parameters import PARAMETERS
from coprod.experiments.scenarios import load_scenario
from coprod.model.paradigms import paradigm_values

# The levers on the page. Ranges and defaults come from PARAMETERS; a paradigm's rule set gives
# the starting value of the levers it sets.
SLIDERS = ("savings_target", "budget_per_citizen", "frontline_autonomy", "process_openness", "outreach",
           "output_target_pressure", "facilitation_orientation", "facilitation_skill")
CHOICES = ("cp_level", "power_sharing", "initiative_response", "ngo_relation")
CITIZEN_CHOICES = (500, 1000, 2000, 5000, 10000, 20000)
DEFAULT_CITIZENS = 2000

# The page's own words (parameters and paradigms are named where they are declared).
WORDS = {
    "en": {"title": "Co-production in the classroom", "language": "Language", "compare": "Side by side",
           "paradigm_a": "Paradigm", "paradigm_b": "Second paradigm (B)", "preset": "Story",
           "no_preset": "(choose a story)", "levers": "Levers (apply to both sides)", "citizens": "Citizens",
           "seed": "Seed", "month": "Month",
           "restart": "A lever moved mid-run applies from the next month. A new story, number of citizens, seed or "
                      "side by side starts again at month 0.",
           "mid_run": "Move a lever while the run goes on: it applies from the next month, and a faint dashed line "
                      "shows what would have happened without any change.",
           "changed_at": "Changed at month", "ghost_hint": "(dashed: without any change)",
           "back_month": "Back to month", "back": "Go back", "close": "Close", "yes": "yes", "no": "no",
           "side_a": "A only", "side_b": "B only", "redraw": "step + redraw",
           "paradigm_hint": "Paradigm: the rule set that gives actors their roles",
           "step": "Step", "play": "▶ Play", "pause": "❚❚ Pause", "reset": "Start over", "speed": "Months per second",
           "stop": "Stop at month (0: never)", "present": "Presentation", "present_off": "All controls",
           "busy": "Building the model…", "download_png": "Picture (PNG)", "download_csv": "Data (CSV)",
           "info": "What am I looking at?", "side": "side"},
    "da": {"title": "Samskabelse i undervisningen", "language": "Sprog", "compare": "Side om side",
           "paradigm_a": "Paradigme", "paradigm_b": "Andet paradigme (B)", "preset": "Fortælling",
           "no_preset": "(vælg en fortælling)", "levers": "Greb (gælder begge sider)", "citizens": "Borgere",
           "seed": "Frø", "month": "Måned",
           "restart": "Et greb flyttet undervejs gælder fra næste måned. En ny fortælling, et nyt antal borgere, "
                      "et nyt frø eller side om side starter forfra fra måned 0.",
           "mid_run": "Flyt et greb, mens kørslen går: det gælder fra næste måned, og en svag stiplet linje viser, "
                      "hvad der ville være sket uden nogen ændring.",
           "changed_at": "Ændret i måned", "ghost_hint": "(stiplet: uden nogen ændring)",
           "back_month": "Tilbage til måned", "back": "Gå tilbage", "close": "Luk", "yes": "ja", "no": "nej",
           "side_a": "kun A", "side_b": "kun B", "redraw": "skridt + tegning",
           "paradigm_hint": "Paradigme: de regler, der giver aktørerne deres roller",
           "step": "Et skridt", "play": "▶ Afspil", "pause": "❚❚ Pause", "reset": "Start forfra",
           "speed": "Måneder pr. sekund",
           "stop": "Stop i måned (0: aldrig)", "present": "Præsentation", "present_off": "Alle knapper",
           "busy": "Bygger modellen…", "download_png": "Billede (PNG)", "download_csv": "Data (CSV)",
           "info": "Hvad ser jeg på?", "side": "side"},
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
    """A parameter's label on the page (declared with the parameter)."""
    return PARAMETERS[name].display(language)


def explanation(name: str, language: str) -> str:
    """A parameter's one-line explanation (shown on hover; declared with the parameter)."""
    return PARAMETERS[name].explain(language)


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
    arms = []
    for scenario, extra in PRESETS[key]["arms"]:
        parameters = dict(load_scenario(scenario).parameters)
        parameters.update(extra)
        paradigm = parameters.pop("paradigm")
        parameters.pop("n_citizens", None)
        arms.append({"paradigm": paradigm, "overrides": parameters})
    return {**settings, "arms": arms, "common": {}, "compare": True, "preset": key}


def classroom_settings(settings: dict[str, Any]) -> dict[str, Any]:
    # The compiled engine: a month of 2,000 citizens takes about 1 ms instead of 40 (the engines
    # agree; see tests/test_engine_equivalence.py).
    return {"arms": arm_parameters(settings), "seed": int(settings["seed"]), "engine": "numba"}


def lever_or_rule(parameters: dict[str, Any], name: str) -> Any:
    """A lever's value in an arm's overrides, else its paradigm's rule, else its default."""
    if name in parameters:
        return parameters[name]
    return paradigm_values(parameters["paradigm"]).get(name, PARAMETERS[name].default)


def download_name(settings: dict[str, Any], month: int, suffix: str) -> str:
    """A download's file name: the story (or paradigms), the month and the language."""
    language = settings.get("language", "en")
    if settings.get("preset"):
        what = settings["preset"]
    else:
        what = "-vs-".join(arm["paradigm"] for arm in settings["arms"][: 2 if settings["compare"] else 1])
    return f"coprod-{what}-{'maaned' if language == 'da' else 'month'}{int(month):03d}-{language}.{suffix}"


def lessons(language: str) -> list[tuple[str, str]]:
    """The lessons of docs/teaching/ in a language: (title, Markdown), in order. Read from the
    source tree (the dashboard runs from a checkout installed in place); none if it is not there."""
    folder = Path(__file__).resolve().parents[1] / "docs" / "teaching"
    found = []
    for path in sorted(folder.glob(f"lesson-*.{language}.md")):
        text = path.read_text(encoding="utf-8")
        title, _, body = text.partition("\n")
        found.append((title.lstrip("# ").strip(), body.strip()))
    return found



INFO = {
    "en": """
**The five value dimensions** (each 0 to 1; thin line: this month, thick line: 6-month average; the
numbers beside each plot are the current values, A in blue, B in red):

- **Innovation**: new ideas from citizens taken up in the service.
- **Wellbeing & empowerment**: how well citizens fare and how much they feel they can act.
- **Efficiency & precision**: how well the service's hours meet the needs that are there.
- **Resource mobilisation**: citizens' own time and resources added to the service.
- **Democracy**: whose voice is heard and taken up.

**Inequality**: solid line the Gini of wellbeing (the number shown), dashed the share of the richest
fifth taking part, dotted the share of the poorest fifth.

**The paradigms**: the citizen as *client* (traditional administration: rules and professionals
decide), as *customer* (New Public Management: targets, choice, savings), as *co-citizen* (New
Public Governance: shared power, facilitation, networks), or a *hybrid* of NPM and NPG.

**The stories**: *From client to co-citizen* (the same town under the traditional paradigm and
under NPG); *Savings dressed up as co-production* (a hybrid, and the same with half the staff
budget cut in the hope that citizens take over); *Taking over a citizens' initiative* (the
municipality supports a citizens' initiative, or takes it over); *Collective beats individual?*
(individual against collective co-production).

**The network**: about 200 citizens; grey does not take part, blue individually, orange in a group,
green collectively; a ring marks a volunteer, squares are professionals (dotted lines: whom they
invited this month), stars are NGOs. Pause and hover over a citizen to see who they are.

**Levers mid-run**: move a lever while the run goes on: it applies from the next month. A vertical
dashed line marks the month, and a faint dashed line shows the same run without any change (the run
as it began: same seed, same random numbers), so the gap between the lines is what the changes did
together; a second or third change leaves that line where it is. *Back to month* returns to a
month before a change, so the class can try another; *Start over* begins again at month 0 with the
levers as they stand.

**Keys**: the space bar plays and pauses.

**Lessons** (10-15 minutes each; also in docs/teaching/):
""",
    "da": """
**De fem værdidimensioner** (hver fra 0 til 1; tynd linje: denne måned, tyk linje: 6-måneders
gennemsnit; tallene ved siden af hver graf er de aktuelle værdier, A i blåt, B i rødt):

- **Innovation**: nye idéer fra borgerne, som ydelsen tager op.
- **Trivsel & handlekraft**: hvordan borgerne har det, og hvor meget de føler, de kan handle.
- **Effektivitet & træfsikkerhed**: hvor godt ydelsens timer rammer de behov, der er.
- **Ressourcemobilisering**: borgernes egen tid og egne ressourcer, der lægges i ydelsen.
- **Demokrati**: hvis stemme bliver hørt og taget op.

**Ulighed**: fuldt optrukket linje er Gini for trivsel (tallet, der vises), stiplet andelen af den
rigeste femtedel, der deltager, prikket andelen af den fattigste femtedel.

**Paradigmerne**: borgeren som *klient* (traditionel forvaltning: regler og fagfolk bestemmer), som
*kunde* (ny offentlig ledelse, NPM: mål, frit valg, besparelser), som *medborger* (netværksstyring,
NPG: delt magt, facilitering, netværk) eller en *hybrid* af NPM og NPG.

**Fortællingerne**: *Fra klient til medborger* (samme by under det traditionelle paradigme og under
NPG); *Besparelser forklædt som samskabelse* (en hybrid, og den samme med halvdelen af
personalebudgettet sparet væk i håb om, at borgerne tager over); *Kommunen overtager et
borgerinitiativ* (kommunen støtter et borgerinitiativ eller overtager det); *Slår kollektiv
individuel?* (individuel mod kollektiv samskabelse).

**Netværket**: omkring 200 borgere; grå deltager ikke, blå individuelt, orange i en gruppe, grøn
kollektivt; en ring er en frivillig, firkanter er medarbejdere (prikkede linjer: hvem de inviterede
denne måned), stjerner er foreninger. Sæt på pause, og hold musen over en borger for at se, hvem det er.

**Greb undervejs**: flyt et greb, mens kørslen går: det gælder fra næste måned. En lodret stiplet
linje markerer måneden, og en svag stiplet linje viser den samme kørsel uden nogen ændring (kørslen,
som den begyndte: samme frø, samme tilfældige tal), så forskellen mellem linjerne er, hvad
ændringerne tilsammen gjorde; en anden eller tredje ændring flytter ikke den linje. *Tilbage til
måned* går tilbage til en måned før en ændring, så klassen kan prøve en anden; *Start forfra*
begynder igen fra måned 0 med grebene, som de står.

**Taster**: mellemrumstasten afspiller og sætter på pause.

**Lektioner** (10-15 minutter hver; se også docs/teaching/):
""",
}

# Every text on the page is at least 18 px (read from the back of a classroom, issue 26); the picture
# is built as SVG at the size the page has room for, with every text of it 18 px or more (chart.py).
CSS = """
.coprod-page * { font-size: 18px !important; line-height: 1.3; }
.coprod-bar, .coprod-changes { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px;
  padding: 4px 12px; }
.coprod-page .v-btn { text-transform: none; letter-spacing: 0; }
.coprod-page .v-label--active { transform: translateY(-22px) scale(1) !important; }
.coprod-bar .v-input, .coprod-changes .v-input { padding-top: 16px !important; }
.coprod-page .coprod-title { font-size: 24px !important; font-weight: bold; display: block; margin: 4px 0 8px; }
.coprod-page .coprod-month { font-size: 28px !important; font-weight: bold; min-width: 5.4em; }
.coprod-page .coprod-hint { flex: 1 1 400px; }
.coprod-body { display: flex; gap: 12px; align-items: flex-start; padding: 0 12px; }
.coprod-side { flex: 0 0 340px; max-width: 100%; max-height: calc(100vh - 150px); overflow-y: auto; }
@media (max-width: 1400px) { .coprod-side { flex-basis: 300px; } }
.coprod-main { flex: 1 1 600px; min-width: 0; }
.coprod-picture-box { position: relative; max-width: 100%; }
.coprod-chart svg.coprod-picture { display: block; }
.coprod-picture-box.busy svg.coprod-picture { opacity: 0.5; }
.coprod-page .coprod-label { color: #444; }
.coprod-page .coprod-change { font-weight: bold; color: #333; }
.coprod-page .coprod-busy { color: #b35900; font-weight: bold; }
.coprod-speed { width: 210px; }
.coprod-speed .v-input { margin-top: -6px; }
.coprod-stop { width: 205px; }
.coprod-back-month { width: 170px; }
.coprod-bar .v-input, .coprod-changes .v-input { margin-top: 0; padding-top: 4px; }
.coprod-bar .v-text-field__details, .coprod-changes .v-text-field__details { display: none; }
.coprod-info { position: fixed; top: 4vh; left: 5vw; right: 5vw; bottom: 4vh; overflow-y: auto; z-index: 20;
  background: white; padding: 16px 28px; box-shadow: 0 4px 24px rgba(0, 0, 0, 0.35); border-radius: 6px; }
.coprod-info .coprod-info-close { float: right; }
.coprod-info h1, .coprod-info h2, .coprod-info h3 { font-size: 22px !important; }
.coprod-lesson .coprod-lesson-title { font-weight: bold; white-space: normal; height: auto !important;
  min-height: 36px; text-align: left; justify-content: flex-start; }
"""


# --- coprod dashboard --------------------------------------------------------------------------

def register(parser: argparse.ArgumentParser) -> None:
    parser.description = "Start the classroom dashboard (a Mesa SolaraViz page served by solara). Ctrl-C stops it."
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    parser.set_defaults(func=dashboard_command)


def cdn_packages() -> list[str]:
    """The npm packages (``name@version``) solara's page template loads from its CDN."""
    # solara costs over a second of CPU to import, and `coprod --help` imports every command's
    # module: it is imported when the dashboard starts, not before.
    import ipyvue  # noqa: PLC0415
    import solara.server  # noqa: PLC0415
    from solara.server import settings  # noqa: PLC0415

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    found = set(re.findall(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+@[\w.-]+)/", template.read_text(encoding="utf-8")))
    # The template names the apps of both Vue versions; the page loads only the installed one's.
    unused = "solara-vuetify-app@" if ipyvue.__version__.startswith("3") else "solara-vuetify3-app@"
    found = {spec for spec in found if unused not in spec}
    if settings.assets.fontawesome_enabled:
        found.add(settings.assets.fontawesome_path.strip("/").split("/")[0])
    return sorted(found)


def missing_assets() -> list[str]:
    """The browser packages (``name@version``) the page needs that are not installed locally.

    The page's JavaScript and fonts come from solara's asset folder, which the ``solara-assets``
    package fills at install time (a project dependency), so the dashboard never fetches anything
    when it starts and works on a machine that was never online.
    """
    from solara.server import settings  # noqa: PLC0415 (imported when the dashboard starts: see cdn_packages)

    cache = Path(settings.assets.proxy_cache_dir)
    return [spec for spec in cdn_packages() if not (cache / spec).is_dir()]


# Where solara would fetch a file it lacks: nowhere (a closed local port fails at once), so a
# missing file is a quick 404 in the browser, never minutes of retries against the internet.
NO_CDN = "http://127.0.0.1:9/"
# A tab whose connection is gone (closed without goodbye, laptop asleep) is given this long to
# come back before its session is dropped; a tab that says goodbye ends its session at once.
SESSION_GRACE = "30s"


def dashboard_command(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise InputError(f"--port: got {args.port}; allowed: an integer in [1, 65535]")
    try:
        import solara  # noqa: F401, PLC0415 (is it installed? Imported only when the dashboard starts)
    except ImportError as err:
        raise InputError(f"the dashboard needs solara (mesa[rec]): {err}") from None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((args.host, args.port))
        except OSError as err:
            if err.errno in (errno.EADDRINUSE, errno.EACCES):  # the port is taken or privileged
                raise InputError(f"--port {args.port} on --host {args.host}: cannot bind ({err.strerror}); "
                                 "choose another port") from None
            raise InputError(f"--host {args.host}: cannot listen there ({err.strerror}); allowed: 127.0.0.1 (the "
                             "default) or an address of this machine") from None
    missing = missing_assets()
    if missing:
        raise InputError(f"the dashboard's browser files are not installed ({', '.join(missing)}): "
                         "run the README's install command again (pip install -e . brings them with solara-assets)")
    url = f"http://{'localhost' if args.host in ('127.0.0.1', '0.0.0.0') else args.host}:{args.port}/"
    page = Path(__file__).resolve().with_name("page.py")  # solara runs this file and shows its Page
    command = [sys.executable, "-W", "ignore::UserWarning:solara.validate_hooks", "-m", "solara", "run", str(page),
               "--host", args.host, "--port", str(args.port), "--production", "--no-open"]
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_ASSETS_PROXY": "True",
           "SOLARA_ASSETS_CDN": NO_CDN, "SOLARA_KERNEL_CULL_TIMEOUT": SESSION_GRACE,
           "SOLARA_THEME_SHOW_BANNER": "False",  # an English banner has no place on the Danish page
           # Two heap arenas, not eight per core: each tab's thread would otherwise get an arena of its
           # own that stays the size of its peak after the tab has gone (issue 26: 666 MB after a class).
           "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
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
