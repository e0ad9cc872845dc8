"""Every model parameter, declared once: default, range, unit, source and meaning.

Validation, scenario loading, the ODD parameter table, sweeps and dashboard sliders all read
``PARAMETERS``; nothing else in the code base restates a default or a range.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    ``kind`` is ``float``, ``int``, ``bool`` or ``choice``. Numeric kinds carry an inclusive
    ``low``/``high`` range; ``choice`` carries ``choices``. ``source`` cites the literature
    behind the mechanism or the value, or says why it is an assumption.

    The words readers see are declared here too, in English and Danish: ``label`` (a short name;
    by default the name in words), ``description`` (one line), ``unit``, and for choices the
    Danish word of each value (``choices_da``). The command line, the reports, the ODD table and
    the dashboard read them from here.
    """

    name: str
    kind: str
    default: Any
    description: str
    source: str
    unit: str = "-"
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    group: str = "model"
    lever: bool = False
    label: str = ""
    label_da: str = ""
    description_da: str = ""
    choices_da: tuple[str, ...] = ()
    # The range over which the value is uncertain, where scenarios and claims share one: named once
    # here, referred to in their [uncertain] tables as "declared", and every range they write out
    # must lie inside it (scenarios.check_uncertain). None: only [low, high] bounds them.
    uncertain: tuple[float, float] | None = None
    # A narrower band inside ``uncertain`` that several scenarios share (e.g. today's staffing, where
    # a claim stress-tests the whole uncertain range): named once here, referred to as "typical".
    typical: tuple[float, float] | None = None

    def display(self, language: str = "en") -> str:
        """The parameter's short name for readers."""
        if language == "da" and self.label_da:
            return self.label_da
        return self.label or self.name.replace("_", " ").capitalize()

    def explain(self, language: str = "en") -> str:
        """The one-line explanation (English where no Danish is declared)."""
        return self.description_da if language == "da" and self.description_da else self.description

    def choice_word(self, value: str, language: str = "en") -> str:
        """How a reader names one of the choices."""
        if language == "da" and self.choices_da:
            return dict(zip(self.choices, self.choices_da))[value]
        return value

    def allowed(self) -> str:
        """Say in words what values this parameter accepts."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        return f"{'an integer' if self.kind == 'int' else 'a number'} in [{self.low}, {self.high}]"

    def widest_uncertain(self) -> tuple[float, float]:
        """The widest range a scenario, claim, sweep or calibration may sample: the declared
        ``uncertain`` range, else the allowed ``[low, high]``."""
        return self.uncertain or (self.low, self.high)

    def check(self, value: Any) -> Any:
        """Return ``value`` in this parameter's type, or raise ``ValueError`` saying what is allowed."""
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise ValueError(f"got {value!r}; allowed: {self.allowed()}")
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return value
            raise ValueError(f"got {value!r}; allowed: {self.allowed()}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"got {value!r}; allowed: {self.allowed()}")
        if self.kind == "int":
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError(f"got {value!r}; allowed: {self.allowed()}")
                value = int(value)
        else:
            value = float(value)
        if not (self.low <= value <= self.high):
            raise ValueError(f"got {value!r}; allowed: {self.allowed()}")
        return value

    def parse(self, text: str) -> Any:
        """Parse a command-line string (``--set key=value``) into this parameter's type."""
        if self.kind == "bool":
            # Only TOML's spellings: 1, yes or on would read as true here and fail in a scenario file.
            if text.strip() == "true":
                return True
            if text.strip() == "false":
                return False
            raise ValueError(f"got {text!r}; allowed: {self.allowed()}")
        if self.kind == "choice":
            return self.check(text.strip())
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"got {text!r}; allowed: {self.allowed()}") from None
        return self.check(number)


def _p(name, kind, default, description, source, **kw) -> Parameter:
    return Parameter(name=name, kind=kind, default=default, description=description, source=source, **kw)


PARADIGMS = ("traditional", "npm", "npg", "hybrid")

_PARAMETER_LIST: list[Parameter] = [
    # --- levers: what a municipality or a scenario chooses -----------------------------------
    _p("paradigm", "choice", "npg",
       "Governance paradigm: the rule set that gives actors their roles and the municipality its default levers",
       "Sørensen talk's role table, Norwegian samskaping talk (docs/background.md); Osborne 2006 on NPG; Hood 1991 on "
       "NPM",
       choices=PARADIGMS, group="lever", lever=True, label_da="Styringsparadigme",
       label='Paradigm',
       description_da='Styringsparadigmet: de regler, der giver aktørerne deres roller og kommunen dens udgangspunkt'),
    _p("cp_level", "choice", "individual",
       "Highest form of co-production the municipality offers and supports: individual only (benefits the "
       "participant), also group work (shared by co-participants), or also collective action (benefits the whole "
       "neighbourhood, needs a critical mass); citizens choose among the forms on offer",
       "Nabatchi, Sancino & Sicilia 2017; Pestoff 2014; Bovaird et al. 2015",
       choices=("individual", "group", "collective"), group="lever", lever=True, label_da="Samskabelsesniveau",
       label='Co-production level',
       description_da='Niveau for samskabelse: individuel (gavner deltageren), gruppe (deles af deltagerne), kollektiv '
                      '(gavner hele nabolaget, kræver kritisk masse)',
       choices_da=('individuel', 'gruppe', 'kollektiv')),
    _p("phase_commission", "bool", True, "Co-commissioning open: citizens help set priorities and frame problems",
       "Governance International cycle; Bovaird & Loeffler 2012", group="lever", lever=True,
       label_da="Fælles prioritering"),
    _p("phase_design", "bool", True, "Co-design open: citizens help design services",
       "Governance International cycle; Bovaird & Loeffler 2012", group="lever", lever=True, label_da="Fælles design"),
    _p("phase_deliver", "bool", True, "Co-delivery open: citizens contribute hours to producing services",
       "Governance International cycle; Bovaird & Loeffler 2012", group="lever", lever=True,
       label_da="Fælles levering"),
    _p("phase_assess", "bool", True, "Co-assessment open: citizens evaluate services",
       "Governance International cycle; Bovaird & Loeffler 2012", group="lever", lever=True,
       label_da="Fælles evaluering"),
    _p("power_sharing", "choice", "intermediate",
       "How far power is shared: sets how likely a citizen's input is taken up",
       "Needham & Carr 2009 (descriptive / intermediate / transformative); Arnstein 1969",
       choices=("descriptive", "intermediate", "transformative"), group="lever", lever=True, label_da="Magtdeling",
       label='Power sharing',
       description_da='Hvor meget magt deles: bestemmer, hvor sandsynligt borgernes input bliver taget op',
       choices_da=('beskrivende', 'mellem', 'transformativ')),
    _p("ngo_relation", "choice", "partner",
       "How the municipality relates to NGOs: outside (no ties), contracted supplier (funding with output control) or "
       "partner (funding with autonomy)",
       "docs/background.md; Samskabelse manifesto 2017; Frey & Jegen 2001 on control and crowding",
       choices=("outside", "supplier", "partner"), group="lever", lever=True, label_da="Forhold til foreninger",
       label='Relation to NGOs',
       description_da='Kommunens forhold til foreninger: udenfor, kontraktleverandør eller partner',
       choices_da=('udenfor', 'leverandør', 'partner')),
    _p("initiative_response", "choice", "support",
       "What the municipality does with bottom-up initiatives: support with grants, ignore, or take over",
       "Samskabelse manifesto 2017", choices=("support", "ignore", "takeover"), group="lever", lever=True,
       label_da="Svar på borgerinitiativer",
       label="Response to citizens' initiatives",
       description_da='Hvad kommunen gør med borgerinitiativer: støtter med tilskud, ignorerer eller overtager',
       choices_da=('støtte', 'ignorere', 'overtage')),
    _p("savings_target", "float", 0.0,
       "Share of the staff budget cut in the expectation that citizens substitute for the cut services",
       "Samskabelse manifesto 2017 ('savings dumped on citizens'); Parks et al. 1981 on substitution", low=0.0,
       high=0.6, unit="share of staff budget", group="lever", lever=True, label_da="Besparelse",
       label='Savings target',
       description_da='Andel af personalebudgettet, der spares væk i forventning om, at borgerne overtager opgaverne'),
    _p("savings_reinvested", "float", 0.0,
       "Share of the savings cut passed on to NGOs as grants (reinvested in civil society) rather than kept",
       "Pestoff 2012; Brandsen & Pestoff 2006 (the third sector as co-producer)", low=0.0, high=1.0, group="lever",
       lever=True, label_da="Geninvesteret besparelse"),
    _p("frontline_autonomy", "float", 0.5,
       "Professionals' local say over when and whom to invite: 0 = invitations by central quota, 1 = by professional "
       "judgement of need and readiness",
       "Samskabelse manifesto 2017; Lipsky 1980 on street-level discretion", low=0.0, high=1.0, group="lever",
       lever=True, label_da="Frontmedarbejderes autonomi",
       label='Frontline autonomy',
       description_da='Medarbejdernes lokale råderum: 0 = invitationer efter central kvote, 1 = efter egen vurdering '
                      'af behov og parathed'),
    _p("process_openness", "float", 0.5,
       "How open processes are: 0 = only well-resourced insiders are heard, 1 = everyone's input counts equally",
       "Samskabelse manifesto 2017; Fung 2006 (democracy cube)", low=0.0, high=1.0, group="lever", lever=True,
       label_da="Åbenhed",
       label='Openness of processes',
       description_da='Hvor åbne processerne er: 0 = kun ressourcestærke insidere bliver hørt, 1 = alles input tæller '
                      'lige meget'),
    _p("capture_by_organised", "float", 0.3,
       "Share of the open floor the organised and the resourceful take: in an open process, an unorganised citizen "
       "without resources has this much less access than an association or NGO volunteer (less the more resources "
       "they have)",
       "Fung 2006 (self-selection in open processes); Olson 1965; value an assumption", low=0.0, high=0.9,
       group="municipality", label_da="Organiseredes dominans",
       description_da="Hvor meget de organiserede fylder i åbne processer: uorganiserede borgeres input har så meget "
                      "mindre adgang"),
    _p("open_process_delay", "float", 0.3,
       "Share of a month's input an open process fails to take up because weighing more voices takes longer (at full "
       "openness)",
       "Irvin & Stansbury 2004 (costs of participation: time); value an assumption", low=0.0, high=0.8,
       group="municipality", label_da="Åbne processers langsomhed",
       description_da="Andel af en måneds input, som en helt åben proces ikke når at bruge, fordi flere stemmer tager "
                      "længere tid"),
    _p("consultation_fatigue", "float", 0.03,
       "Monthly loss of motivation, at full openness, for a citizen taking part in an input phase (asked again and "
       "again)",
       "Lowndes, Pratchett & Stoker 2001 (consultation fatigue); its spill-over, through motivation, into joining and "
       "staying in associations: Brodie et al. 2011, Pathways through participation (NCVO, IVR, Involve), where "
       "tokenistic, repetitive consultations made people withdraw from participation more widely (qualitative: the "
       "direction only); value an assumption", low=0.0, high=0.3,
       unit="1/month", group="citizen", label_da="Høringstræthed",
       description_da="Månedligt tab af motivation, ved fuld åbenhed, for en borger der deltager i høring, design "
                      "eller evaluering"),
    _p("outreach", "float", 0.2,
       "Outreach: share of professionals' time for visits to low-resource citizens (up to a fifth of their "
       "discretionary hours, taken from delivery)",
       "Jakobsen & Andersen 2013 (co-production and equity); a visit acts as an invitation, about the effect of a "
       "face-to-face contact in turnout experiments (Gerber & Green 2000; smaller in Europe: Bhatti et al. 2016); "
       "Danish municipal talk, Norwegian samskaping talk",
       low=0.0, high=1.0, group="lever", lever=True, label_da="Opsøgende indsats",
       label='Outreach', description_da='Opsøgende indsats for at invitere borgere med få ressourcer',
       # uncertain: all of it: from no outreach to visiting every least-resourced citizen (the inequality and savings
       # claims)
       uncertain=(0.0, 1.0)),
    _p("budget_per_citizen", "float", 1.2,
       "Public budget for the service per citizen per month, in professional-hour equivalents (staff, grants, "
       "take-overs); the staff part buys working hours at every level",
       "assumption: 1.2 pays one full post (120 working hours a month) per 100 citizens, Model 2's staffing; more "
       "budget buys more posts",
       low=0.1, high=5.0, unit="PHE/citizen/month", group="lever", lever=True, label_da="Budget pr. borger",
       label='Budget per citizen',
       description_da='Kommunens budget til ydelsen pr. borger pr. måned, målt i medarbejdertimer',
       # uncertain: assumption: the savings claim's range, from deep cuts to well above today's one post per 100
       # citizens; the scenarios keep a narrower band around today's staffing
       uncertain=(0.8, 3.0),
       # typical: the band around today's staffing that traditional, npm and the hybrid-strain claim share
       typical=(0.9, 1.8)),
    # --- paradigm-set roles (each paradigm gives its own default; scenarios may override) ------
    _p("output_target_pressure", "float", 0.3,
       "Strength of output targets and performance measurement on professionals",
       "Hood 1991 (NPM); Mortensen, Brix & Krogstrup 2020", low=0.0, high=1.0, group="professional",
       label_da="Resultatkrav",
       label='Output target pressure',
       description_da='Hvor hårdt resultatkrav og præstationsmåling trykker på medarbejderne',
       # uncertain: assumption: no targets to targets that rule the day (the frontline_autonomy claim's range); NPM's
       # and hybrid's are narrower
       uncertain=(0.0, 1.0)),
    _p("standardisation", "float", 0.3,
       "How standardised service production is: more service per paid hour (routines, no tailoring) but worse fit for "
       "citizens with unusual need",
       "Hood 1991 (NPM's promise of cheaper output); Boyne 2003 (mixed evidence); Lipsky 1980 on routines", low=0.0,
       high=1.0, group="professional", label_da="Standardisering"),
    _p("provider_choice", "float", 0.0,
       "Free choice of provider: budgets follow users' satisfaction and weaker providers close on the best (0 = "
       "assigned provider)",
       "Le Grand 2007 (choice and competition); Hirschman 1970 (exit)", low=0.0, high=1.0, group="municipality",
       label_da="Frit valg"),
    _p("rule_rigidity", "float", 0.0,
       "How rule-bound the administration is: services learn slowly from citizens' input, but rules keep them from "
       "being redesigned towards whoever is heard (equal treatment)",
       "Weber 1922 on rule-bound administration; Merton 1940 on bureaucratic rigidity", low=0.0, high=1.0,
       group="municipality", label_da="Regelstyring"),
    _p("facilitation_orientation", "float", 0.3,
       "Share of a professional's discretionary time the paradigm asks to spend facilitating co-production",
       "Sørensen talk role table; Sørensen & Torfing 2018", low=0.0, high=1.0, group="professional",
       label_da="Facilitatorrolle",
       label='Facilitator role',
       description_da='Andel af medarbejdernes frie tid, som paradigmet beder dem bruge på at facilitere samskabelse',
       # uncertain: assumption, the range hybrid and the frontline_autonomy claim shared
       uncertain=(0.1, 0.5)),
    # --- population and network ----------------------------------------------------------------
    _p("n_citizens", "int", 2000, "Number of citizens", "scale of the simulated municipality", low=10, high=20_000_000,
       unit="persons", group="population"),
    _p("n_groups", "int", 10, "Number of neighbourhood / social groups",
       "assumption; groups carry homophily (McPherson et al. 2001)", low=1, high=100_000, unit="groups",
       group="population"),
    _p("mean_degree", "int", 8, "Mean number of social ties per citizen",
       "assumption within the range of personal support networks (Dunbar 1998)", low=2, high=40, unit="ties",
       group="population"),
    _p("homophily", "float", 0.7,
       "Share of a citizen's ties inside their own group (bonding) rather than across groups (bridging)",
       "McPherson, Smith-Lovin & Cook 2001; Putnam 2000", low=0.0, high=1.0, group="population",
       # uncertain: assumption, the range the NPG scenarios shared: ties mostly inside the group
       # (McPherson et al. 2001 find strong homophily) but never all of them
       uncertain=(0.4, 0.9)),
    _p("resource_mean", "float", 0.3, "Mean of citizens' resources (time, skills, education) on a 0-1 scale",
       "Verba, Schlozman & Brady 1995 (resource model); assumption for the level (0.3 keeps the population of Model 2, "
       "mean 0.29)",
       low=0.15, high=0.5, group="population",
       label="Mean resources", label_da="Gennemsnitlige ressourcer",
       description_da="Borgernes gennemsnitlige ressourcer (tid, kompetencer, uddannelse) på en skala fra 0 til 1"),
    _p("resource_gini", "float", 0.35,
       "Inequality of citizens' resources: their Gini coefficient; raising it at a fixed mean is a mean-preserving "
       "spread (more poor and more rich)",
       "Verba, Schlozman & Brady 1995; assumption for the level (Model 2's population had Gini 0.345; Danish "
       "disposable-income Gini is about 0.28, education and free time are spread wider)",
       low=0.1, high=0.45, group="population",
       label="Resource inequality (Gini)", label_da="Ressourceulighed (Gini)",
       description_da="Uligheden i borgernes ressourcer målt som Gini-koefficient; højere ulighed ved samme gennemsnit "
                      "giver flere fattige og flere rige",
       # uncertain: assumption: the claims' range, from a very equal population to a markedly unequal one; Danish
       # disposable income's Gini is about 0.25-0.30 (Statistics Denmark)
       uncertain=(0.2, 0.45),
       # typical: the band traditional and savings_cut share, around Danish income inequality
       typical=(0.25, 0.45)),
    _p("group_resource_spread", "float", 0.4, "How much groups differ in mean resources (segregation of advantage)",
       "assumption; Sampson 2012 on neighbourhood inequality", low=0.0, high=1.0, group="population"),
    _p("initial_trust", "float", 0.5, "Mean initial trust in the public sector",
       "assumption; Danish institutional trust is high (OECD 2024)", low=0.0, high=1.0, group="population"),
    _p("citizens_per_professional", "int", 100, "Caseload: citizens per frontline professional", "assumption", low=5,
       high=5000, unit="citizens", group="professional"),
    _p("n_ngos", "int", 3, "NGOs / social enterprises at the start", "assumption", low=0, high=100_000,
       unit="organisations", group="ngo"),
    # --- citizen decision ------------------------------------------------------------------------
    _p("base_participation", "float", -7.0,
       "Intercept of the participation logit: propensity of a citizen with no push or pull",
       "set by hand, not fitted: chosen in Model 2 so that 5-20% take part in a month (Loeffler & Bovaird 2016) and "
       "the scorecard's participation patterns pass at defaults; `coprod calibrate` fits it over the scenarios' range "
       "[-8, -5], widened from [-7, -5] so that this default lies strictly inside",
       low=-10.0, high=2.0, unit="logit", group="citizen",
       # uncertain: the range above, where 5-20% take part in a month (Loeffler & Bovaird 2016)
       uncertain=(-8.0, -5.0)),
    _p("weight_need", "float", 1.0, "Participation logit weight of need", "Verba et al. 1995; Bovaird et al. 2015",
       low=0.0, high=5.0, unit="logit", group="citizen"),
    _p("weight_shortfall", "float", 0.0,
       "Participation logit weight of a shortfall in one's own outcomes (1 - wellbeing): citizens whose services "
       "fall short step in",
       "Parrado, Van Ryzin, Bovaird & Löffler 2013 (good outcomes somewhat discourage co-production; co-production "
       "depends in part on awareness of a shortfall): the direction; the size is an assumption. Default 0 (off) "
       "because the scorecard, the paradigm table and the claims were measured without it; turning it on at "
       "defaults is `coprod calibrate`'s job, not done",
       low=0.0, high=5.0, unit="logit", group="citizen",
       # uncertain: assumption: up to a shortfall of 0.5 moving the logit by 1.5, about the pull of being invited
       uncertain=(0.0, 3.0)),
    _p("weight_trust", "float", 1.5, "Participation logit weight of trust in the public sector",
       "Fledderus, Brandsen & Honingh 2014", low=0.0, high=5.0, unit="logit", group="citizen"),
    _p("weight_efficacy", "float", 2.5, "Participation logit weight of self-efficacy",
       "Van Eijk & Steen 2014; Bandura 1997", low=0.0, high=5.0, unit="logit", group="citizen"),
    _p("weight_resources", "float", 1.0, "Participation logit weight of resources (time, skills, education)",
       "Verba, Schlozman & Brady 1995", low=0.0, high=5.0, unit="logit", group="citizen"),
    _p("weight_peers", "float", 2.0, "Participation logit weight of the share of one's ties taking part",
       "Centola 2010; Granovetter 1978", low=0.0, high=6.0, unit="logit", group="citizen"),
    _p("weight_invited", "float", 1.5, "Participation logit weight of having been invited by a professional",
       "Verba et al. 1995 ('being asked'); Alford 2009", low=0.0, high=5.0, unit="logit", group="citizen",
       # uncertain: assumption, the range traditional and two claims shared
       uncertain=(0.5, 3.0)),
    _p("weight_habit", "float", 1.5, "Participation logit bonus for having taken part last month (habit)",
       "Wood & Neal 2007 (habits); persistence of volunteering (Wilson 2000)", low=0.0, high=5.0, unit="logit",
       group="citizen"),
    _p("propensity_spread", "float", 1.2,
       "Spread (standard deviation) of citizens' latent civic propensity, a lifelong logit offset on taking part and "
       "volunteering",
       "Mohan & Bulloch 2012 (the civic core)", low=0.0, high=4.0, unit="logit", group="citizen"),
    _p("efficacy_from_resources", "float", 0.4,
       "How much starting self-efficacy rises with resources (the rest is the citizen's own)",
       "Bandura 1997; Parrado et al. 2013 (self-efficacy, not education, predicts co-production)", low=0.0, high=1.5,
       group="citizen"),
    _p("know_how_base", "float", 0.7,
       "Chance that a citizen who wants to take part for the first time (no habit, no association, no active ties) "
       "finds out how by themselves; being told how closes the rest of the gap in proportion to self-efficacy",
       "Thomsen & Jakobsen 2015 (information booklet; self-efficacy moderates it); Verba, Schlozman & Brady 1995 "
       "(civic skills learnt in associations); assumption in value",
       low=0.0, high=1.0, unit="probability", group="citizen", label_da="Ved hvordan",
       description_da="Chancen for at en borger, der vil deltage første gang, selv finder ud af hvordan; information "
                      "lukker resten af hullet i forhold til borgerens mestringstro"),
    _p("solidary_taste", "float", 0.2,
       "Weight motivated citizens give to the solidary reward of doing things together when they choose a form of "
       "co-production",
       "Clark & Wilson 1961 (solidary incentives); Pestoff 2014", low=0.0, high=2.0, group="citizen"),
    _p("standard_fit_loss", "float", 0.4,
       "Share of public service value lost for the most atypical need under full standardisation",
       "assumption; Lipsky 1980 (routines serve the typical case)", low=0.0, high=1.0, group="professional"),
    _p("weight_motivation", "float", 1.0, "Participation logit weight of intrinsic motivation",
       "Alford 2009; Frey & Jegen 2001", low=0.0, high=5.0, unit="logit", group="citizen"),
    _p("planning_barrier", "float", 0.35,
       "Self-efficacy needed before a citizen takes part in planning phases (co-commission, co-design)",
       "Pestoff 2014; Arnstein 1969", low=0.0, high=1.0, group="citizen",
       # uncertain: assumption: the planning_beats_delivery claim's range
       uncertain=(0.2, 0.7),
       # typical: the band npg_individual and the openness claim share
       typical=(0.2, 0.6)),
    _p("trust_build_rate", "float", 0.02, "Rate at which good experiences raise trust", "Slovic 1993 (trust asymmetry)",
       low=0.001, high=0.3, unit="1/month", group="citizen",
       # uncertain: a quarter to three times the default, always below trust_loss_rate's 0.12 (Slovic 1993)
       uncertain=(0.005, 0.06)),
    _p("trust_loss_rate", "float", 0.12, "Rate at which bad experiences lower trust (faster than it builds)",
       "Slovic 1993; Van de Walle & Bouckaert 2003", low=0.001, high=0.6, unit="1/month", group="citizen",
       # uncertain: assumption: the claims' range, always above trust_build_rate's (Slovic 1993); the scenarios' is
       # narrower
       uncertain=(0.05, 0.4),
       # typical: the band npm and savings_cut share
       typical=(0.05, 0.3)),
    _p("service_expectation", "float", 0.55,
       "Share of need a citizen expects met; above it trust grows, below it trust falls",
       "expectancy-disconfirmation: Van Ryzin 2004", low=0.0, high=1.0, group="citizen"),
    _p("efficacy_gain", "float", 0.06, "Rise of self-efficacy when a citizen's contribution counts",
       "Bandura 1997 (mastery experience)", low=0.0, high=0.5, unit="1/month", group="citizen"),
    _p("efficacy_loss", "float", 0.06, "Fall of self-efficacy when input is asked for and ignored (tokenism)",
       "Arnstein 1969; Needham & Carr 2009", low=0.0, high=0.5, unit="1/month", group="citizen",
       # uncertain: assumption: the range the transformative_only and openness_sustains claims shared
       uncertain=(0.0, 0.2)),
    _p("efficacy_reversion", "float", 0.01,
       "Monthly drift of self-efficacy back to its initial level without participation", "assumption", low=0.0,
       high=0.2, unit="1/month", group="citizen"),
    _p("wellbeing_rate", "float", 0.1, "Speed at which wellbeing follows the share of need met",
       "assumption (monthly adjustment)", low=0.01, high=1.0, unit="1/month", group="citizen"),
    _p("crowding_strength", "float", 0.05,
       "How fast external control (contracts, take-overs) erodes volunteers' intrinsic motivation",
       "Frey & Jegen 2001; Deci, Koestner & Ryan 1999", low=0.0, high=0.5, unit="1/month", group="citizen",
       # uncertain: assumption: the contracting claim's range, from no crowding to Frey & Jegen 2001's strong effects;
       # the scenarios keep some crowding
       uncertain=(0.0, 0.2),
       # typical: the band the NPM, contracting and take-over scenarios share: some crowding always
       typical=(0.02, 0.2)),
    _p("motivation_recovery", "float", 0.02, "Monthly recovery of motivation towards its initial level", "assumption",
       low=0.0, high=0.3, unit="1/month", group="citizen",
       # uncertain: assumption, the range contracting and the contracting_crowds_out claim shared
       uncertain=(0.005, 0.05)),
    _p("coproduction_productivity", "float", 0.5, "Value of a citizen hour relative to a professional hour",
       "Parks et al. 1981; Alford 2009", low=0.0, high=1.5, group="citizen",
       # uncertain: assumption: the savings claim's range, up to citizens more productive than staff (Pestoff 2006 on
       # parents' work); the scenarios stop at staff's productivity
       uncertain=(0.2, 1.5),
       # typical: the band savings_cut and npg_individual share: citizens at most as productive as staff
       typical=(0.2, 1.0)),
    _p("hours_commission", "float", 3.0, "Hours a month a co-commissioning participant gives", "assumption", low=0.0,
       high=40.0, unit="h/month", group="citizen"),
    _p("hours_design", "float", 4.0, "Hours a month a co-design participant gives", "assumption", low=0.0, high=40.0,
       unit="h/month", group="citizen"),
    _p("hours_deliver", "float", 8.0, "Hours a month a co-delivery participant gives (scaled by their resources)",
       "assumption; volunteering hours in Denmark (Fridberg & Henriksen 2014)", low=0.0, high=80.0, unit="h/month",
       group="citizen"),
    _p("hours_assess", "float", 1.5, "Hours a month a co-assessment participant gives", "assumption", low=0.0,
       high=40.0, unit="h/month", group="citizen"),
    _p("need_per_citizen_hours", "float", 1.2, "Professional hours a month that meet an average citizen's need fully",
       "assumption: matches the default budget per citizen", low=0.1, high=20.0, unit="h/month", group="citizen"),
    # --- collective action and social capital ----------------------------------------------------
    _p("critical_mass", "float", 0.12, "Share of a group that must act collectively before collective action produces",
       "Oliver, Marwell & Teixeira 1985; Granovetter 1978", low=0.0, high=0.9, unit="share of group",
       group="collective",
       # uncertain: assumption: the range npg_collective and the collective_broader claim shared (Oliver & Marwell 1988
       # on critical mass); the default scenario's is narrower
       uncertain=(0.03, 0.3)),
    _p("coordination_cost", "float", 0.6, "Share of collective output lost to coordination when nobody facilitates",
       "Olson 1965; Ostrom 1990", low=0.0, high=1.0, group="collective",
       # uncertain: assumption: the range npg_collective and the collective_broader claim shared; the default scenario's
       # is narrower
       uncertain=(0.2, 0.9)),
    _p("collective_spillover", "float", 0.6,
       "Reach of collective output to non-participating members of the group (public-good share)",
       "Pestoff 2014; Ostrom 1996", low=0.0, high=1.0, group="collective",
       # uncertain: assumption, the range npg_collective and the collective_broader claim shared
       uncertain=(0.2, 0.9)),
    _p("tie_build_rate", "float", 0.1, "Growth of a tie's strength when both ends act together",
       "Putnam 2000; Granovetter 1973", low=0.0, high=1.0, unit="1/month", group="collective"),
    _p("tie_decay_rate", "float", 0.02, "Monthly decay of unused tie strength", "assumption", low=0.0, high=0.5,
       unit="1/month", group="collective"),
    # --- municipality: uptake, learning, innovation ---------------------------------------------
    _p("uptake_descriptive", "float", 0.1, "Chance that a citizen's input is taken up under descriptive co-production",
       "Needham & Carr 2009; Arnstein 1969 (tokenism)", low=0.0, high=1.0, group="municipality"),
    _p("uptake_intermediate", "float", 0.45,
       "Chance that a citizen's input is taken up under intermediate co-production", "Needham & Carr 2009", low=0.0,
       high=1.0, group="municipality"),
    _p("uptake_transformative", "float", 0.85,
       "Chance that a citizen's input is taken up under transformative co-production", "Needham & Carr 2009", low=0.0,
       high=1.0, group="municipality",
       # uncertain: assumption: the range the planning_beats_delivery and openness_sustains claims shared
       uncertain=(0.3, 1.0)),
    _p("fit_learning_rate", "float", 0.25,
       "How fast taken-up information from planning phases improves the fit of services to a group's needs",
       "Mortensen, Brix & Krogstrup 2020 (træfsikkerhed); Osborne, Radnor & Strokosch 2016", low=0.0, high=1.0,
       unit="1/month", group="municipality"),
    _p("professional_learning", "float", 0.05,
       "Monthly rate at which professionals with local say improve services' fit from their own casework (up to what "
       "they can see without citizens)",
       "Lipsky 1980 (street-level knowledge); assumption for the rate", low=0.0, high=0.5, unit="1/month",
       group="municipality"),
    _p("fit_drift", "float", 0.02, "Monthly drift of service fit back towards its base as needs change", "assumption",
       low=0.0, high=0.3, unit="1/month", group="municipality"),
    _p("agenda_capture", "float", 1.0,
       "How strongly services are redesigned towards the heard at the expense of groups whose voice falls short of "
       "their numbers",
       "Fung 2006; Verba, Schlozman & Brady 1995 (the well-resourced are heard)", low=0.0, high=5.0,
       group="municipality"),
    _p("provider_quality_spread", "float", 0.1, "Spread of providers' service per delivered hour", "assumption",
       low=0.0, high=0.4, group="municipality"),
    _p("base_fit", "float", 0.6, "Fit of services to needs without any citizen input", "assumption", low=0.0, high=1.0,
       group="municipality"),
    _p("nk_n", "int", 12, "Components of the service design (N of the NK landscape)", "Kauffman 1993; Levinthal 1997",
       low=4, high=16, group="innovation"),
    _p("nk_k", "int", 4, "Interdependence of components (K of the NK landscape): ruggedness",
       "Kauffman 1993; Levinthal 1997", low=0, high=15, group="innovation"),
    _p("professional_search", "int", 1, "Local one-component trials professionals make per month on their own",
       "Levinthal 1997 (local search)", low=0, high=10, unit="trials/month", group="innovation"),
    _p("perspective_width", "int", 3,
       "Components a group's perspective changes at once in a proposal (diverse heuristics)", "Hong & Page 2004", low=1,
       high=8, group="innovation"),
    _p("landscape_turbulence", "float", 0.1,
       "Monthly chance that one component's contribution is redrawn (changing needs)", "Siggelkow & Rivkin 2005",
       low=0.0, high=0.5, unit="1/month", group="innovation"),
    # --- professionals ----------------------------------------------------------------------------
    _p("facilitation_skill", "float", 0.5,
       "How well professionals facilitate: lowers coordination cost and lifts uptake",
       "Bovaird 2007; Sørensen & Torfing 2018", low=0.0, high=1.0, group="professional",
       # uncertain: assumption, the range the NPG and hybrid scenarios and the collective claim shared:
       # from weak to strong facilitation, never none or perfect
       uncertain=(0.2, 0.9),
       label='Facilitation skill', label_da='Facilitatorkompetence',
       description_da='Hvor godt medarbejderne faciliterer: mindsker koordineringsomkostninger og øger optaget af '
                      'borgernes input'),
    _p("invitation_hours", "float", 0.5, "Professional hours one invitation takes", "assumption", low=0.05, high=5.0,
       unit="h", group="professional"),
    _p("strain_sensitivity", "float", 1.5,
       "How strongly demands that do not fit in staff hours (what output targets count plus what co-production asks) "
       "raise role strain",
       "Kahn et al. 1964 (role conflict); Mortensen, Brix & Krogstrup 2020", low=0.0, high=5.0, group="professional",
       # uncertain: assumption: the hybrid_strains_staff claim's range; hybrid's is narrower
       uncertain=(0.3, 3.0)),
    _p("creaming_loss", "float", 0.25,
       "Share of delivered service that misses need at full frontline autonomy, full output-target pressure and full "
       "role strain: staff free to choose their cases, who cannot meet the counted targets in their hours, meet them "
       "with the easy cases (creaming)",
       "Lipsky 1980 (creaming); Koning & Heinrich 2013 (cream-skimming under performance contracts); assumption for "
       "the size",
       low=0.0, high=0.6, group="professional",
       label="Creaming under targets", label_da="Fløde-skumning under resultatkrav",
       description_da="Andel af den leverede service, der rammer ved siden af behovet, når medarbejdere med fuldt "
                      "råderum, der ikke kan nå resultatkravene, vælger de lette sager"),
    _p("judgement_spread", "float", 0.2,
       "How much professionals' own judgement differs at full frontline autonomy: each caseload's service per hour "
       "varies by up to this share, up or down (inconsistency, unequal treatment of like cases)",
       "Lipsky 1980 (discretion and unequal treatment); assumption for the size", low=0.0, high=0.5,
       group="professional",
       label="Spread of judgement", label_da="Spredning i skøn",
       description_da="Hvor forskelligt medarbejderne skønner ved fuldt råderum: servicen pr. time i en sagsstamme "
                      "varierer op til denne andel op eller ned"),
    _p("strain_absence", "float", 0.3, "Share of capacity lost at maximal role strain (absence, turnover)",
       "Maslach & Leiter 2016 (burnout)", low=0.0, high=0.8, group="professional",
       # uncertain: assumption, the range hybrid and the hybrid_strains_staff claim shared
       uncertain=(0.1, 0.5)),
    _p("strain_recovery", "float", 0.1, "Monthly recovery of strain towards its driven level", "assumption", low=0.01,
       high=1.0, unit="1/month", group="professional"),
    # --- politician ---------------------------------------------------------------------------
    _p("election_period", "int", 48, "Months between elections", "Danish municipal term (4 years)", low=6, high=120,
       unit="months", group="politician"),
    _p("approval_threshold", "float", 0.55,
       "Approval (mean of trust and wellbeing) below which politicians answer dissatisfaction with budget",
       "Downs 1957; retrospective voting (Fiorina 1981)", low=0.0, high=1.0, group="politician"),
    _p("budget_responsiveness", "float", 0.1,
       "Share by which an election raises the budget after low approval (and may relax the savings target)",
       "assumption", low=0.0, high=0.5, group="politician"),
    # --- NGOs and initiatives ----------------------------------------------------------------
    _p("volunteer_join_rate", "float", 0.01, "Monthly chance scale that a motivated citizen joins their group's NGO",
       "assumption; Wilson 2000", low=0.0, high=0.5, unit="1/month", group="ngo",
       # uncertain: assumption, the range takeover, contracting and two NGO claims shared
       uncertain=(0.005, 0.05)),
    _p("volunteer_need_pull", "float", 1.0,
       "How much unmet need raises a citizen's chance of joining a volunteer group (self-help where services fall "
       "short)",
       "Parks et al. 1981 (substitution); Samskabelse manifesto 2017", low=0.0, high=5.0, group="ngo"),
    _p("volunteer_leave_rate", "float", 0.05, "Monthly chance scale that an unmotivated volunteer leaves",
       "Wilson 2000", low=0.0, high=0.5, unit="1/month", group="ngo"),
    _p("association_join_rate", "float", 0.0045,
       "Monthly chance scale that a citizen outside associational life starts volunteering in a sports, cultural, "
       "social or local association (times resources, civic propensity, motivation, ties who volunteer, life events)",
       "Wilson 2000; Musick & Wilson 2008; value set by hand so that about 35-40% volunteer in a year (Fridberg & "
       "Henriksen 2014; denmark.dk) -- set to hit a figure",
       low=0.0, high=0.05, unit="1/month", group="civil society", label_da="Tilgang til foreninger",
       description_da="Månedlig skala for chancen for at en borger uden for foreningslivet begynder at arbejde "
                      "frivilligt i en forening"),
    _p("association_leave_rate", "float", 0.04,
       "Monthly chance scale that a new volunteer at average motivation, resources and propensity stops; it falls with "
       "tenure",
       "Wilson & Musick 1999 (attachment to volunteering); Wilson 2012; value an assumption (mean spell of several "
       "years)",
       low=0.0, high=0.3, unit="1/month", group="civil society", label_da="Afgang fra foreninger",
       description_da="Månedlig skala for chancen for at en ny frivillig stopper; den falder med anciennitet"),
    _p("association_commitment_months", "float", 24.0,
       "Months of volunteering after which the chance of stopping has halved and hours have reached three quarters of "
       "a committed volunteer's (role identity)",
       "Piliavin, Grube & Callero 2002 (role identity); Wilson & Musick 1999; value an assumption", low=1.0, high=120.0,
       unit="months", group="civil society", label_da="Fastholdelse",
       description_da="Måneder som frivillig, hvorefter chancen for at stoppe er halveret (frivillig identitet)"),
    _p("association_hours", "float", 4.8,
       "Hours a month a committed volunteer of civic propensity 0 gives associational life (newcomers give less, the "
       "civic-minded far more: hours scale with e^propensity)",
       "Fridberg & Henriksen 2014; denmark.dk: the typical Danish volunteer gives about 15-18 hours a month -- set by "
       "hand so that the mean volunteer-month lands on that figure; the spread of hours from Boraas 2003 and Mohan & "
       "Bulloch 2012",
       low=0.0, high=80.0, unit="h/month", group="civil society", label_da="Frivillige timer",
       description_da="Timer om måneden, som en fast frivillig med civil tilbøjelighed 0 giver foreningslivet (de mest "
                      "engagerede giver langt mere)"),
    _p("peer_recruitment", "float", 2.0,
       "How much having ties who volunteer raises the chance of starting (being asked): the factor is 1 + this times "
       "the share of ties who volunteer",
       "Wilson 2000; Musick & Wilson 2008 (most volunteers were asked, by someone they know); value an assumption",
       low=0.0, high=10.0, group="civil society", label_da="Rekruttering via netværk",
       description_da="Hvor meget frivillige i ens netværk øger chancen for at begynde (man bliver spurgt)"),
    _p("life_event_rate", "float", 0.02,
       "Monthly chance of a life-course transition (a move, a child starting school or sports, retirement, a new job)",
       "Wilson 2000 (life course); Statistics Norway 2017 (parents of school children volunteer most); value an "
       "assumption (about one every four years)",
       low=0.0, high=0.2, unit="1/month", group="civil society", label_da="Livsbegivenheder",
       description_da="Månedlig chance for en overgang i livet (flytning, barn i skole eller sport, pension, nyt job)"),
    _p("life_event_boost", "float", 4.0,
       "Factor by which a life event raises the chance of starting to volunteer that month (a new school, club or "
       "neighbourhood asks)",
       "Wilson 2000; Musick & Wilson 2008; value an assumption", low=1.0, high=20.0, group="civil society",
       label_da="Livsbegivenheders træk",
       description_da="Faktor, hvormed en livsbegivenhed øger chancen for at begynde som frivillig den måned"),
    _p("life_event_exit", "float", 0.25, "Chance that a life event ends a volunteer's spell (moving away, a new job)",
       "Wilson & Musick 1999 (more working hours end volunteering); value an assumption", low=0.0, high=1.0,
       unit="probability", group="civil society", label_da="Livsbegivenheders afgang",
       description_da="Chancen for at en livsbegivenhed afslutter en frivilligs indsats"),
    _p("initiative_birth_rate", "float", 0.05, "Initiatives born a month per 100 volunteer hours", "assumption",
       low=0.0, high=1.0, unit="1/month", group="ngo"),
    _p("initiative_hazard", "float", 0.04, "Monthly chance an unsupported initiative dies",
       "social-enterprise survival (Stinchcombe 1965 'liability of newness')", low=0.0, high=0.5, unit="1/month",
       group="ngo",
       # uncertain: assumption, the range takeover and the takeover_stifles and support_lengthens_lives claims shared
       uncertain=(0.01, 0.1)),
    _p("support_hazard_reduction", "float", 0.6, "Share of the hazard removed by economic support (grant or contract)",
       "Samskabelse manifesto 2017; claim 12", low=0.0, high=1.0, group="ngo",
       # uncertain: all of it: support that removes none to all of an initiative's hazard (the take-over and support
       # claims)
       uncertain=(0.0, 1.0)),
    _p("initiative_grant", "float", 6.0, "Grant a month for one supported or contracted initiative", "assumption",
       low=0.0, high=100.0, unit="PHE/month", group="ngo",
       # uncertain: assumption, the range contracting and the support_lengthens_lives claim shared
       uncertain=(2.0, 15.0)),
    _p("takeover_rate", "float", 0.05,
       "Monthly chance that the municipality takes over a given initiative when its response is take-over",
       "Samskabelse manifesto 2017", low=0.0, high=1.0, unit="1/month", group="ngo"),
    _p("contract_control", "float", 0.7, "External control a supplier contract puts on an NGO's volunteers",
       "Frey & Jegen 2001", low=0.0, high=1.0, group="ngo",
       # uncertain: assumption: the range contracting and the contracting_crowds_out claim shared, from light reporting
       # to close steering; NPM's is narrower (its contracts always steer)
       uncertain=(0.2, 1.0)),
    _p("takeover_control", "float", 0.9,
       "Control shock on an NGO's volunteers when one of its initiatives is taken over (loss of ownership)",
       "Samskabelse manifesto 2017; Frey & Jegen 2001; 0.9 rather than the maximum so that the takeover scenario's "
       "default lies strictly inside its uncertain range [0.3, 1.0]",
       low=0.0, high=1.0, group="ngo",
       # uncertain: assumption, the range takeover and the takeover_stifles claim shared
       uncertain=(0.3, 1.0)),
    _p("founding_rate", "float", 0.05,
       "Monthly chance that a group whose collective action passes the critical mass founds an NGO", "assumption",
       low=0.0, high=1.0, unit="1/month", group="ngo"),
]

PARAMETERS: dict[str, Parameter] = {p.name: p for p in _PARAMETER_LIST}


def defaults() -> dict[str, Any]:
    """The declared default of every parameter."""
    return {name: p.default for name, p in PARAMETERS.items()}


def validate(values: dict[str, Any], where: str = "parameters") -> dict[str, Any]:
    """Check every key and value against the declarations; return typed values.

    Raises ``ValueError`` with a one-line message naming ``where``, the key and what is allowed.
    """
    checked = {}
    for key, value in values.items():
        if key not in PARAMETERS:
            raise ValueError(f"{where}: unknown key {key!r}; allowed keys are the parameters listed by `coprod params`")
        try:
            checked[key] = PARAMETERS[key].check(value)
        except ValueError as err:
            raise ValueError(f"{where}: key {key!r}: {err}") from None
    return checked


def markdown_table() -> str:
    """The ODD parameter table, generated from the declarations (docs/ODD.md embeds it)."""
    lines = [
        "| parameter | label (English / Danish) | group | default | range | unit | meaning | source or reasoning |",
        "|---|---|---|---|---|---|---|---|"]
    for p in PARAMETERS.values():
        if p.kind == "choice":
            allowed = " / ".join(p.choices)
        elif p.kind == "bool":
            allowed = "true / false"
        else:
            allowed = f"{p.low} – {p.high}"
        default = str(p.default).lower() if p.kind == "bool" else str(p.default)
        label = p.display() + (f" / {p.label_da}" if p.label_da else "")
        lines.append(f"| `{p.name}` | {label} | {p.group} | {default} | {allowed} | {p.unit} | {p.description} "
                     f"| {p.source} |")
    return "\n".join(lines) + "\n"


def parameter_tuple(cls, p: dict):
    """``cls``, a ``NamedTuple`` of model parameters that compiled rules read, with its fields'
    values in ``p`` as floats (use as ``of = classmethod(parameter_tuple)``)."""
    return cls(*(float(p[name]) for name in cls._fields))


def parameter_values(cls, p: dict) -> tuple:
    """``cls.of(p)`` as a plain tuple, to hand to a compiled kernel, which names the fields again
    with ``cls(*values)`` (use as ``values = classmethod(parameter_values)``). Numba types a plain
    tuple of numbers in C, ~0.4 us a call, and a ``NamedTuple`` in Python, ~1.9 us a call: seven
    kernels a month read parameters."""
    if cls.of.__func__ is not parameter_tuple:  # a tuple with fields of its own making (not floats of ``p``)
        return tuple(cls.of(p))
    return tuple(map(float, _fields_getter(cls)(p)))


@functools.cache
def _fields_getter(cls):
    """Reads ``cls``'s fields from a dict, as a tuple, in one call."""
    getter = operator.itemgetter(*cls._fields)
    return getter if len(cls._fields) > 1 else (lambda p: (getter(p),))
