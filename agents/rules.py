"""The citizen's rules, written once as plain functions of numbers.

The Mesa ``Citizen`` calls them one agent at a time; the Numba engine calls the very same
functions inside compiled kernels (``register_jitable`` keeps each one a normal Python function
that Numba can also inline). No objects or containers appear here, only floats, ints and bools,
so that both schedulers share one definition of each rule. Sources are cited in docs/ODD.md.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba.extending import overload, register_jitable

from coprod.core.streams import (
    STREAM_ASSOCIATION,
    STREAM_HEARD,
    STREAM_INVITE,
    STREAM_JOIN,
    STREAM_LEVEL,
    STREAM_LIFE_EVENT,
    STREAM_PHASE,
    STREAM_VOLUNTEER,
    draw,
)

# Participation modes (what a citizen does this month).
MODE_NONE = 0
MODE_INDIVIDUAL = 1
MODE_GROUP = 2
MODE_COLLECTIVE = 3

# Phases of the Governance International cycle.
PHASE_NONE = -1
PHASE_COMMISSION = 0
PHASE_DESIGN = 1
PHASE_DELIVER = 2
PHASE_ASSESS = 3

# Sharpness of the critical-mass step: how abruptly collective action switches on (in shares).
CRITICAL_MASS_WIDTH = 0.03
# Share of need that shared (group or collective) work must meet before a participant feels it produced.
SHARED_WORK_PRODUCED = 0.02
# Share of the hours given to group work and to collective action that coordination takes (meetings,
# agreeing, waiting on others) without a facilitator; an assumption (Ostrom 1990 on the costs of
# collective action; Bovaird et al. 2015 on why collective co-production is rarer).
COORDINATION_GROUP = 0.1
COORDINATION_COLLECTIVE = 0.2
# Spread of the logit choice among forms of co-production (in units of expected payoff).
LEVEL_CHOICE_SCALE = 0.25

# Associational life: the activity a citizen volunteers in (0 = none). Civil society of its own,
# whatever the municipality does; its social and local associations are the ones an NGO that
# co-produces with the municipality draws on.
ACTIVITY_NONE = 0
ACTIVITY_SPORTS = 1
ACTIVITY_CULTURE = 2
ACTIVITY_SOCIAL = 3
ACTIVITY_LOCAL = 4
# Shares of new volunteers by activity (cumulative: sports, culture, social), after the Nordic
# surveys: sports is the largest field, then social/humanitarian, local and cultural associations
# (Statistics Norway, living conditions survey 2017: unpaid work for a sports team 16% of adults,
# humanitarian and patient organisations 8%, music, theatre, art and outdoor 6%; Danmarks
# Statistik 2019: sports the largest field, social work 13%). An assumption in detail.
ACTIVITY_UP_TO_SPORTS = 0.40
ACTIVITY_UP_TO_CULTURE = 0.55
ACTIVITY_UP_TO_SOCIAL = 0.80
# How much more often an NGO working with the municipality asks a volunteer of a social or local
# association of its neighbourhood than an unorganised citizen (recruitment runs through
# organisations; Musick & Wilson 2008). An assumption.
ORGANISED_RECRUITMENT = 3.0


@register_jitable
def clip01(x):
    if x < 0.0:
        return 0.0
    if x > 1.0:
        return 1.0
    return x


@register_jitable
def logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


# How sharply outreach aims at the least-resourced: a citizen's share of the visits goes with
# (1 - resources) to this power, so the poorest fifth gets most of them. Outreach programmes seek out
# the disadvantaged (Jakobsen 2013's home-visit trial enrolled immigrant families); the power is an
# assumption (with a power of 1 visits spread over nearly everyone and barely narrowed the gap).
OUTREACH_FOCUS = 4


@register_jitable
def outreach_weight(resources):
    """How much of the outreach a citizen with these resources draws (also on NumPy arrays)."""
    return (1.0 - resources) ** OUTREACH_FOCUS


@register_jitable
def invitation_probability(invite_rate, outreach_rate, autonomy, output_pressure, need, resources, trust, efficacy):
    """Chance a professional invites this citizen this month.

    Under a central quota (autonomy 0) invitations fall at random. Professionals with local say
    aim at citizens with need who are ready to take part (Lipsky 1980; Samskabelse manifesto 2017), but under output
    pressure they also 'cream' the easy, well-resourced cases. Outreach visits, paid from the
    professional's own hours (``outreach_rate``), reach the low-resourced on top, the poorest most
    (``outreach_weight``; Jakobsen & Andersen 2013).
    """
    readiness = 0.5 * (trust + efficacy)
    aim = 1.0 + autonomy * ((need - 0.5) + (readiness - 0.5) + output_pressure * (resources - 0.3))
    if aim < 0.0:
        aim = 0.0
    return clip01(invite_rate * aim + outreach_rate * outreach_weight(resources))


@register_jitable
def participation_probability(base, w_need, w_trust, w_efficacy, w_resources, w_peers, w_invited, w_motivation,
                              need, trust, efficacy, resources, motivation, peer_share, invited,
                              propensity, w_habit, took_part_last, w_shortfall, wellbeing):
    """Logit of wanting to take part, driven by need, trust, self-efficacy, resources, peers and
    being asked (Verba, Schlozman & Brady 1995; Van Eijk & Steen 2014; Centola 2010), a citizen's
    own latent civic propensity (Mohan & Bulloch 2012: a civic core) and habit (Wood & Neal 2007:
    what one did last month one tends to do again). Whether the wish becomes taking part depends
    also on knowing how (``way_found``).

    A shortfall in one's own outcomes draws one in: co-production "depends in part on awareness of
    a shortfall in public performance on outcomes", and good outcomes somewhat discourage it
    (Parrado, Van Ryzin, Bovaird & Löffler 2013). The shortfall is read from the citizen's
    wellbeing (``1 - wellbeing``: need left unmet, weighed by need, smoothed over months), so a
    service cut pulls in those who notice it, as far as they can act (efficacy, resources, knowing
    how). Added last, so that at ``w_shortfall = 0`` the logit is the same number as without it."""
    x = (base + w_need * need + w_trust * trust + w_efficacy * efficacy + w_resources * resources
         + w_peers * peer_share + w_motivation * motivation + propensity)
    if invited:
        x += w_invited
    if took_part_last:
        x += w_habit
    x += w_shortfall * (1.0 - wellbeing)
    return logistic(x)


@register_jitable
def way_found(know_how_base, peer_active, efficacy, informed, experienced):
    """Chance that a citizen who wants to take part knows how: where to go, whom to ask, what is
    expected. Those who took part last month, and association volunteers, who learn civic skills
    in their associations (Verba, Schlozman & Brady 1995), know. Others find out by themselves
    with chance ``know_how_base``, or by asking ties who take part (Centola 2010). Being told how
    (an information booklet) closes the rest of the gap, but only for those confident enough to
    act on it: self-efficacy moderates the effect of knowing how (Thomsen & Jakobsen 2015;
    Thomsen 2017). So information helps only those who wanted to but did not know how, and its
    effect is small where most who want to already know: an outcome, not a set effect size."""
    if experienced:
        return 1.0
    own = know_how_base + (1.0 - know_how_base) * peer_active
    if informed:
        return own + (1.0 - own) * efficacy
    return own


@register_jitable
def collective_success(collective_share, facilitation, critical_mass):
    """How likely collective action is to produce, given the share acting together.

    A critical mass (Oliver, Marwell & Teixeira 1985): below it collective effort is wasted.
    Facilitation lowers the mass needed, because a facilitator carries part of the coordination.
    """
    needed = critical_mass * (1.0 - 0.5 * facilitation)
    return logistic((collective_share - needed) / CRITICAL_MASS_WIDTH)


@register_jitable
def group_critical_mass(critical_mass):
    """The critical mass of group work: a third of collective action's (a few people suffice)."""
    return critical_mass / 3.0


@register_jitable
def takes_part(mode):
    """Taking part in some form of co-production (what peers see and habit remembers)."""
    return mode != MODE_NONE


@register_jitable
def peer_shares(active, together, degree):
    """Shares of a citizen's ``degree`` ties who took part (``active`` of them) and who acted
    collectively (``together``) last month; a citizen without ties sees none."""
    if degree == 0:
        return 0.0, 0.0
    return active / degree, together / degree


@register_jitable
def peer_share(count, degree):
    """Share of a citizen's ``degree`` ties counted (e.g. volunteering in associations last month)."""
    if degree == 0:
        return 0.0
    return count / degree


@register_jitable
def plans(phase):
    """Taking part in planning: co-commissioning or co-design. (Also on NumPy arrays.)"""
    return (phase == PHASE_COMMISSION) | (phase == PHASE_DESIGN)


@register_jitable
def acts_collectively(mode, volunteer):
    """Counted as acting collectively: in collective co-production, or volunteering for an NGO.
    (Works on single citizens and, with NumPy arrays, on many.)"""
    return (mode == MODE_COLLECTIVE) | volunteer


@register_jitable
def level_expectation(level, peer_collective_share, facilitation, critical_mass):
    """What a citizen expects to come of an hour given at the offered level, as a share of what
    it is worth when it produces. Every form is worth the same when it produces; shared work
    costs more to get there (Olson 1965; Ostrom 1990; Pestoff 2014):

    - critical mass: group and collective work produce fully only when enough others take part.
      The citizen reads the share of their own ties already acting together as a local estimate
      (Granovetter 1978); group work needs a third of collective action's mass, and below it
      produces a part (half for a group, a quarter for collective action, whose output is spread
      thinner);
    - coordination: meetings, agreeing and waiting on others take part of the hours given
      (``COORDINATION_GROUP``, ``COORDINATION_COLLECTIVE``); a facilitator carries it.

    Individual co-production produces alone and needs no coordination.
    """
    if level == MODE_INDIVIDUAL:
        return 1.0
    if level == MODE_GROUP:
        produced = 0.5 + 0.5 * collective_success(peer_collective_share, facilitation,
                                                  group_critical_mass(critical_mass))
        return produced * (1.0 - COORDINATION_GROUP * (1.0 - facilitation))
    produced = 0.25 + 0.75 * collective_success(peer_collective_share, facilitation, critical_mass)
    return produced * (1.0 - COORDINATION_COLLECTIVE * (1.0 - facilitation))


@register_jitable
def choose_level(u, offered, peer_collective_share, facilitation, critical_mass, motivation, solidary_taste):
    """Which of the forms on offer a citizen takes up (a logit choice; McFadden 1974).

    ``offered`` is the highest form the municipality offers and supports: individual only, or
    also group work, or also collective action. Individual co-production pays off alone and is
    easiest (Pestoff 2014); shared forms pay what others' joint work is expected to bring, plus a
    solidary reward for the motivated (Clark & Wilson 1961). So collective work is chosen where
    ties already act together, and the 'gulf' between individual and collective co-production
    (Bovaird et al. 2015) is an outcome, not a setting.
    """
    if offered == MODE_INDIVIDUAL:
        return MODE_INDIVIDUAL
    solidary = solidary_taste * motivation
    v_individual = 1.0
    v_group = level_expectation(MODE_GROUP, peer_collective_share, facilitation, critical_mass) + 0.5 * solidary
    v_collective = -1e9
    if offered == MODE_COLLECTIVE:
        v_collective = level_expectation(MODE_COLLECTIVE, peer_collective_share, facilitation, critical_mass) + solidary
    w_individual = 1.0
    w_group = math.exp((v_group - v_individual) / LEVEL_CHOICE_SCALE)
    w_collective = math.exp((v_collective - v_individual) / LEVEL_CHOICE_SCALE) if offered == MODE_COLLECTIVE else 0.0
    x = u * (w_individual + w_group + w_collective)
    if x < w_individual:
        return MODE_INDIVIDUAL
    if x < w_individual + w_group:
        return MODE_GROUP
    return MODE_COLLECTIVE


@register_jitable
def choose_phase(u, efficacy, open_commission, open_design, open_deliver, open_assess, planning_barrier):
    """Pick one open phase. Planning phases (co-commission, co-design) ask more confidence of the
    citizen than co-delivery (Pestoff 2014; Arnstein 1969)."""
    ready = logistic((efficacy - planning_barrier) / 0.08)
    w0 = ready if open_commission else 0.0
    w1 = ready if open_design else 0.0
    w2 = 1.0 if open_deliver else 0.0
    w3 = 0.5 if open_assess else 0.0
    total = w0 + w1 + w2 + w3
    if total <= 0.0:
        return PHASE_NONE
    x = u * total
    if x < w0:
        return PHASE_COMMISSION
    if x < w0 + w1:
        return PHASE_DESIGN
    if x < w0 + w1 + w2:
        return PHASE_DELIVER
    return PHASE_ASSESS


@register_jitable
def uptake_probability(power_uptake, openness, resources, facilitation, organised, capture, delay):
    """Chance that a planning or assessment contribution is taken up this month.

    Power sharing sets the ceiling (Needham & Carr 2009). Closed processes hear mainly the
    well-resourced insiders (Samskabelse manifesto 2017; Fung 2006); facilitation helps every voice
    through. Open processes have the costs their critics name: they are slower, since more voices
    take longer to weigh, so less input is taken up in a month (``delay`` at full openness; Irvin &
    Stansbury 2004); and the open floor is taken by those who select themselves into it: the
    organised, association and NGO volunteers who know the process and turn up together, and the
    well-resourced; unorganised voices with few resources are crowded out (``capture``; Fung 2006
    on self-selection; Olson 1965). At full capture an open process hears the unorganised no more
    evenly than a closed one.
    """
    open_access = 1.0 if organised else 1.0 - capture * (1.0 - resources)
    access = openness * open_access + (1.0 - openness) * resources
    return clip01(power_uptake * access * (0.7 + 0.6 * facilitation) * (1.0 - delay * openness))


@register_jitable
def consultation_fatigue(motivation, openness, fatigue):
    """Taking part in an input phase (co-commissioning, co-design, co-assessment) of an open process
    wears motivation down: the same people are asked again and again (consultation fatigue;
    Lowndes, Pratchett & Stoker 2001). Grows with openness; motivation recovers as ever."""
    return clip01(motivation - fatigue * openness * motivation)


@register_jitable
def citizen_need_hours(need, need_per_citizen_hours):
    """Professional hours a month that would meet this citizen's need fully (need 0.5 is average)."""
    return 2.0 * need * need_per_citizen_hours


@register_jitable
def phase_hours(phase, resources, h_commission, h_design, h_deliver, h_assess):
    """Hours given this month: co-delivery scales with the citizen's time and skills."""
    if phase == PHASE_COMMISSION:
        return h_commission
    if phase == PHASE_DESIGN:
        return h_design
    if phase == PHASE_DELIVER:
        return h_deliver * (0.5 + resources)
    if phase == PHASE_ASSESS:
        return h_assess
    return 0.0


@register_jitable
def public_service_met(service_share, fit, quality, need, standardisation, standard_fit_loss):
    """Share of a citizen's need that public delivery meets: the hours their caseload gets,
    scaled by the fit of services to their group and the design's quality. Standardised services
    serve the typical case and fit those with unusual need worse (Hood 1991 on standardised
    output; Lipsky 1980 on routines): the loss grows with the distance of need from the middle."""
    atypical = 2.0 * abs(need - 0.5)
    return service_share * fit * quality * (1.0 - standard_fit_loss * standardisation * atypical)


@register_jitable
def individual_delivery_hours(capacity_hours, need_hours, public_met, productivity):
    """A citizen co-delivering for themselves gives the hours their own unmet need calls for, up to
    what their time allows: nobody does more homework than there is (so individual hours are all
    productive; Parks et al. 1981)."""
    unmet = need_hours * max(0.0, 1.0 - public_met)
    # Compared as values, not hours, so a near-zero productivity cannot overflow the division.
    if productivity * capacity_hours <= unmet:
        return capacity_hours
    return unmet / productivity


@register_jitable
def need_met(public_met, own_hours, productivity, need_hours, shared_benefit):
    """Share of the citizen's need met, and the part of it that citizens produced: public service,
    their own individual co-delivery, and what group, collective and NGO work brings them (Parks et
    al. 1981). When the sum exceeds the need, the parts are scaled down alike."""
    coproduced = shared_benefit
    if need_hours > 0.0:
        coproduced += productivity * own_hours / need_hours
    total = public_met + coproduced
    met = clip01(total)
    if total <= 0.0:
        return met, 0.0
    return met, met * coproduced / total


@register_jitable
def update_wellbeing(wellbeing, need, met, rate):
    """Wellbeing follows the share of need met: unmet need weighs more when need is high."""
    target = 1.0 - need * (1.0 - met)
    return clip01(wellbeing + rate * (target - wellbeing))


@register_jitable
def update_trust(trust, met, expectation, heard, ignored, build_rate, loss_rate):
    """Asymmetric trust (Slovic 1993): trust moves towards the level that experience supports, slowly
    up and fast down. Experience is met need against expectation (Van Ryzin 2004), plus being heard
    or being asked and ignored; it supports trust 0.5 when need is met just as expected. Moving
    towards a level (rather than adding up surprises) lets trust settle where experience holds it."""
    signal = met - expectation
    if heard:
        signal += 0.3
    if ignored:
        signal -= 0.3
    target = clip01(0.5 + signal)
    if target > trust:
        return clip01(trust + build_rate * (target - trust))
    return clip01(trust + loss_rate * (target - trust))


@register_jitable
def update_efficacy(efficacy, initial, counted, ignored, gain, loss, reversion):
    """Self-efficacy grows by mastery when a contribution counts, shrinks when input is asked for
    and ignored (tokenism), and otherwise drifts back to where it began (Bandura 1997)."""
    if counted:
        efficacy += gain * (1.0 - efficacy)
    elif ignored:
        efficacy -= loss * efficacy
    else:
        efficacy += reversion * (initial - efficacy)
    return clip01(efficacy)


@register_jitable
def update_motivation(motivation, initial, control, crowding, recovery):
    """Motivation crowding (Frey & Jegen 2001): external control erodes intrinsic motivation;
    without it, motivation recovers towards its initial level."""
    motivation += recovery * (initial - motivation) - crowding * control * motivation
    return clip01(motivation)


@register_jitable
def welfare_activity(activity):
    """Social and local associations: the ones whose volunteers an NGO working with the
    municipality draws on (sports and culture rarely co-produce welfare services)."""
    return activity == ACTIVITY_SOCIAL or activity == ACTIVITY_LOCAL


@register_jitable
def pick_activity(x):
    """The activity a new volunteer takes up, from a uniform ``x`` (the Nordic shares above)."""
    if x < ACTIVITY_UP_TO_SPORTS:
        return ACTIVITY_SPORTS
    if x < ACTIVITY_UP_TO_CULTURE:
        return ACTIVITY_CULTURE
    if x < ACTIVITY_UP_TO_SOCIAL:
        return ACTIVITY_SOCIAL
    return ACTIVITY_LOCAL


@register_jitable
def human_capital(resources):
    """How much a citizen's resources (education, income, skills) raise joining and staying in
    associational life, 1 at resources 0.3 (about the population's mean): volunteering rises
    steeply with education (Wilson & Musick 1997; Wilson 2000: the 'dominant status' model; US BLS
    2010: 42% of graduates, 9% without a diploma; Statistics Norway 2010: 54% against 34%)."""
    return (0.05 + resources) / 0.35


@register_jitable
def association_join_chance(join_rate, resources, motivation, civic_pull, peer_volunteering, peer_recruitment,
                            life_event, life_event_boost, welfare_pull):
    """Monthly chance that a citizen outside associational life starts volunteering.

    Most volunteers start because someone asked them, and the asking runs through ties to those
    already active (Wilson 2000; Musick & Wilson 2008): ``peer_volunteering`` is the share of a
    citizen's ties who volunteer. Life-course transitions open windows: a move, a child starting
    school or sports, retirement (Wilson 2000; Statistics Norway 2017: 44% of parents of school
    children did unpaid work for a sports team). Resources (human capital), civic propensity
    (``civic_pull`` = e^propensity; Mohan & Bulloch 2012) and intrinsic motivation raise it (unmet
    need acts on joining the NGO, self-help where services fall short, not on sports or choirs). A
    funded NGO working with the municipality (``welfare_pull`` above 1) recruits harder for the
    social and local share of associations (a paid coordinator asks people; Wilson 2000)."""
    chance = (join_rate * human_capital(resources) * civic_pull * (0.5 + motivation)
              * (1.0 + peer_recruitment * peer_volunteering))
    if life_event:
        chance *= life_event_boost
    if welfare_pull > 1.0:
        chance *= 1.0 + (1.0 - ACTIVITY_UP_TO_CULTURE) * (welfare_pull - 1.0)
    return chance


@register_jitable
def association_leave_chance(leave_rate, resources, motivation, civic_pull, tenure, commitment_months,
                             life_event, life_event_exit):
    """Monthly chance that a volunteer stops. Volunteering persists: the hazard falls as the role
    becomes part of who one is (role identity; Piliavin, Grube & Callero 2002; Wilson 2012), so it
    halves after ``commitment_months``; the resourced and the civic-minded stay longer (Wilson &
    Musick 1999, attachment to volunteering), the unmotivated leave sooner (controlling contracts
    crowd motivation out: Frey & Jegen 2001). A life event (a move, a new job) ends some spells."""
    hazard = (leave_rate * (1.5 - motivation) * commitment_months / (commitment_months + tenure)
              / (civic_pull * human_capital(resources)))
    if life_event:
        hazard = hazard + (1.0 - hazard) * life_event_exit
    return hazard


@register_jitable
def association_transition(u, activity, tenure, chance):
    """The new (activity, tenure in months) from one uniform ``u``. ``chance`` is the chance of
    leaving for a volunteer (``association_leave_chance``) and of joining for anyone else
    (``association_join_chance``); a joiner's activity is drawn from the same uniform (given
    u < chance, u / chance is uniform again)."""
    if activity != ACTIVITY_NONE:
        if u < chance:
            return ACTIVITY_NONE, 0.0
        return activity, tenure + 1.0
    if u < chance:
        return pick_activity(u / chance), 1.0
    return ACTIVITY_NONE, 0.0


@register_jitable
def association_hours(activity, civic_pull, tenure, hours_mean, commitment_months):
    """Hours a volunteer gives associational life this month: newcomers give a little, committed
    volunteers more (hours and tenure go together; Wilson & Musick 1999), and the civic-minded far
    more. Volunteer hours are heavy-tailed: in the US survey a fifth of volunteers gave 1-14 hours in
    the year and 6% gave 500 or more (median 52; Boraas 2003, Monthly Labor Review), and a small core
    gives most of the hours (Reed & Selbee 2001; Mohan & Bulloch 2012), the same people who are most
    likely to join and to stay. So the hours scale with the citizen's lifelong civic propensity
    (``civic_pull`` = e^propensity, which also drives joining and staying), not with their current
    motivation toward the municipality: no source links consultation fatigue or contract control to
    the hours given to a sports club or a choir. ``hours_mean`` is a committed volunteer's month at
    propensity 0; the Danish surveys' typical volunteer gives about 15-18 hours a month (Fridberg &
    Henriksen 2014; denmark.dk)."""
    if activity == ACTIVITY_NONE:
        return 0.0
    commitment = 0.5 + 0.5 * tenure / (tenure + commitment_months)
    return hours_mean * civic_pull * commitment


@register_jitable
def volunteer_transition(u, is_volunteer, ngo_pull, motivation, peer_collective_share, join_rate, leave_rate,
                         trust, unmet, need_pull, civic_pull, activity):
    """Join or leave the group's NGO: the association that co-produces with the municipality
    (Wilson 2000). Motivated citizens with active ties join; so do those who trust the institutions
    around them (Putnam 2000) and those whose needs go unmet, who organise to fill the gap
    (substitution: Parks et al. 1981; Samskabelse manifesto 2017); an NGO that is funded recruits
    harder (``ngo_pull`` > 1; 0 = no NGO). It asks the volunteers of the neighbourhood's social
    and local associations first (``ORGANISED_RECRUITMENT``): some volunteers co-produce, and some
    co-producers come from outside associational life. A citizen's civic propensity makes them
    join more and stay longer (Mohan & Bulloch 2012): ``civic_pull`` is e^propensity, kept with
    the citizen so the month needs no exponential. Returns the new membership."""
    if ngo_pull <= 0.0:
        return False
    if is_volunteer:
        return not (u * civic_pull < leave_rate * (1.0 - motivation) * 2.0)
    chance = (join_rate * motivation * (1.0 + 3.0 * peer_collective_share) * (0.5 + trust)
              * (1.0 + need_pull * unmet) * ngo_pull * civic_pull)
    if welfare_activity(activity):
        chance *= ORGANISED_RECRUITMENT
    return u < chance


@register_jitable
def volunteer_hours(motivation, resources, h_deliver):
    """Hours a volunteer gives their NGO this month."""
    return 0.5 * h_deliver * motivation * (0.5 + resources)


@register_jitable
def acted_together(mode_a, mode_b, group_a, group_b, volunteer_a, volunteer_b):
    """Two neighbours acted together this month: both collective (possibly across groups, which
    builds bridging ties), both in group work in the same group, or both volunteering for their
    group's NGO."""
    if volunteer_a and volunteer_b and group_a == group_b:
        return True
    if mode_a == MODE_COLLECTIVE and mode_b == MODE_COLLECTIVE:
        return True
    return mode_a == MODE_GROUP and mode_b == MODE_GROUP and group_a == group_b


@register_jitable
def may_act_together(mode, volunteer):
    """Whether a citizen could have acted together with any neighbour this month (the citizen's
    side of ``acted_together``): when not, none of their ties can grow, whoever the neighbour."""
    return volunteer or mode == MODE_COLLECTIVE or mode == MODE_GROUP


@register_jitable
def update_tie(strength, acted_together, build_rate, decay_rate):
    """A tie grows when both ends act together and fades otherwise (Putnam 2000)."""
    if acted_together:
        return strength + build_rate * (1.0 - strength)
    return strength - decay_rate * strength


# --- one citizen's month, composed from the rules above -------------------------------------------
# The parameters a citizen's month reads travel as one float vector, ``theta``, in this order.
THETA_NAMES = (
    "base_participation", "weight_need", "weight_trust", "weight_efficacy", "weight_resources",
    "weight_peers", "weight_invited", "weight_motivation", "planning_barrier",
    "trust_build_rate", "trust_loss_rate", "service_expectation",
    "efficacy_gain", "efficacy_loss", "efficacy_reversion", "wellbeing_rate",
    "crowding_strength", "motivation_recovery", "coproduction_productivity",
    "hours_commission", "hours_design", "hours_deliver", "hours_assess",
    "need_per_citizen_hours", "critical_mass", "frontline_autonomy",
    "output_target_pressure", "process_openness", "volunteer_join_rate", "volunteer_leave_rate",
    "weight_habit", "know_how_base", "solidary_taste", "standardisation", "standard_fit_loss",
    "volunteer_need_pull", "association_join_rate", "association_leave_rate", "association_commitment_months",
    "association_hours", "peer_recruitment", "life_event_rate", "life_event_boost", "life_event_exit",
    "capture_by_organised", "open_process_delay", "consultation_fatigue", "weight_shortfall",
    # derived from levers by the model (not parameters themselves):
    "level", "power_uptake", "open_commission", "open_design", "open_deliver", "open_assess",
)
(T_BASE, T_W_NEED, T_W_TRUST, T_W_EFFICACY, T_W_RESOURCES, T_W_PEERS, T_W_INVITED, T_W_MOTIVATION,
 T_PLANNING_BARRIER, T_TRUST_BUILD, T_TRUST_LOSS, T_EXPECTATION, T_EFF_GAIN, T_EFF_LOSS, T_EFF_REVERSION,
 T_WELLBEING_RATE, T_CROWDING, T_MOT_RECOVERY, T_PRODUCTIVITY, T_H_COMMISSION, T_H_DESIGN, T_H_DELIVER,
 T_H_ASSESS, T_NEED_HOURS, T_CRITICAL_MASS, T_AUTONOMY, T_OUTPUT_PRESSURE, T_OPENNESS,
 T_JOIN_RATE, T_LEAVE_RATE, T_W_HABIT, T_KNOW_HOW, T_SOLIDARY, T_STANDARDISATION, T_STANDARD_FIT_LOSS,
 T_NEED_PULL, T_ASSOCIATION_JOIN, T_ASSOCIATION_LEAVE, T_COMMITMENT_MONTHS, T_ASSOCIATION_HOURS, T_PEER_RECRUITMENT,
 T_LIFE_EVENT_RATE, T_LIFE_EVENT_BOOST, T_LIFE_EVENT_EXIT, T_CAPTURE, T_OPEN_DELAY, T_FATIGUE, T_W_SHORTFALL, T_LEVEL,
 T_POWER_UPTAKE,
 T_OPEN_COMMISSION, T_OPEN_DESIGN, T_OPEN_DELIVER,
 T_OPEN_ASSESS) = range(len(THETA_NAMES))


# A citizen's stored values, read as the rules compute with them: a float64 and an int64 (a code).
# In Python (the Mesa citizens) ``float`` and ``int``; compiled, ``np.float64`` and ``np.int64``,
# because Numba's ``float()`` leaves a float32 record field a float32 (so that ``a - b`` of two
# stored values would be computed in float32: a last-bit difference from the agents).
def real(value):
    return float(value)


def code(value):
    return int(value)


@overload(real)
def _real_compiled(value):
    return lambda value: np.float64(value)


@overload(code)
def _code_compiled(value):
    return lambda value: np.int64(value)


# What a citizen did this month in co-production (``take_part``): the inputs of the rest of the month.
Part = namedtuple("Part", ("invited", "mode", "phase", "hours", "heard", "ignored", "need_hours", "public_met"))


# The month's three parts are inlined into the kernel by Numba itself (``inline="always"``): as
# calls they took the offer (a named tuple of arrays) and the records by value at every citizen,
# which made the compiled month about 3x slower (measured at 2,000 citizens, one thread).
@register_jitable(inline="always")
def take_part(theta, traits, citizen, peers, offer, caseload, group, draws):
    """Be invited or not, decide to take part, in which form and phase, give hours, be heard or
    not (a ``Part``). Arguments as ``citizen_month``'s."""
    need, resources, trust = real(traits.need), real(traits.resources), real(citizen.trust)
    efficacy, motivation, propensity = real(citizen.efficacy), real(citizen.motivation), real(traits.propensity)
    informed, is_volunteer, activity = bool(traits.informed), bool(citizen.is_volunteer), code(citizen.activity)
    took_part_last = takes_part(citizen.mode)
    peer_active, peer_collective = peers[0], peers[1]
    facilitation = offer.facilitation[caseload]
    u_join = draw(draws, STREAM_JOIN)
    invited = draw(draws, STREAM_INVITE) < invitation_probability(
        offer.invite_rate[caseload], offer.outreach_rate[caseload], theta[T_AUTONOMY], theta[T_OUTPUT_PRESSURE], need,
        resources, trust, efficacy)
    p_join = participation_probability(theta[T_BASE], theta[T_W_NEED], theta[T_W_TRUST], theta[T_W_EFFICACY],
                                       theta[T_W_RESOURCES], theta[T_W_PEERS], theta[T_W_INVITED],
                                       theta[T_W_MOTIVATION], need, trust, efficacy, resources, motivation,
                                       peer_active, invited, propensity, theta[T_W_HABIT], took_part_last,
                                       theta[T_W_SHORTFALL], real(citizen.wellbeing))
    p_join *= way_found(theta[T_KNOW_HOW], peer_active, efficacy, informed,
                        took_part_last or activity != ACTIVITY_NONE)
    # The form only matters for those who may join (its expectation is at most 1), so the choice is
    # skipped for the rest: same results, and most citizens' months need no exponentials for it.
    level = MODE_INDIVIDUAL
    if u_join < p_join:
        level = choose_level(draw(draws, STREAM_LEVEL), int(theta[T_LEVEL]), peer_collective, facilitation,
                             theta[T_CRITICAL_MASS], motivation, theta[T_SOLIDARY])
        p_join *= level_expectation(level, peer_collective, facilitation, theta[T_CRITICAL_MASS])
    phase = PHASE_NONE
    if u_join < p_join:
        phase = choose_phase(draw(draws, STREAM_PHASE), efficacy, theta[T_OPEN_COMMISSION] > 0.5,
                             theta[T_OPEN_DESIGN] > 0.5, theta[T_OPEN_DELIVER] > 0.5, theta[T_OPEN_ASSESS] > 0.5,
                             theta[T_PLANNING_BARRIER])
    mode = MODE_NONE if phase == PHASE_NONE else level
    need_hours = citizen_need_hours(need, theta[T_NEED_HOURS])
    public_met = public_service_met(offer.service_share[caseload], offer.fit[group], offer.quality, need,
                                    theta[T_STANDARDISATION], theta[T_STANDARD_FIT_LOSS])
    hours = phase_hours(phase, resources, theta[T_H_COMMISSION], theta[T_H_DESIGN], theta[T_H_DELIVER],
                        theta[T_H_ASSESS])
    if phase == PHASE_DELIVER and mode == MODE_INDIVIDUAL:
        hours = individual_delivery_hours(hours, need_hours, public_met, theta[T_PRODUCTIVITY])

    heard = False
    ignored = False
    if phase == PHASE_COMMISSION or phase == PHASE_DESIGN or phase == PHASE_ASSESS:
        heard = draw(draws, STREAM_HEARD) < uptake_probability(
            theta[T_POWER_UPTAKE], theta[T_OPENNESS], resources, facilitation,
            is_volunteer or activity != ACTIVITY_NONE, theta[T_CAPTURE], theta[T_OPEN_DELAY])
        ignored = not heard
    return Part(invited, mode, phase, hours, heard, ignored, need_hours, public_met)


@register_jitable(inline="always")
def citizen_month(theta, traits, citizen, peers, offer, caseload, group, draws):
    """One citizen's month: take part or not (``take_part``), then update wellbeing, trust,
    self-efficacy, motivation, associational life and volunteering for the NGO (``civic_life``).

    Reads only the citizen's own state: ``traits``, what the month never changes, and ``citizen``,
    the rest (records of the numba engine's store, or both the Mesa ``Citizen``, whose attributes
    have the same names; agents/state.py), ``peers``: the shares
    of their ties that took part, acted together and volunteered in associations last month, the
    public side's ``offer`` (model/offer.py), read at their ``caseload`` and ``group``, and the
    month's ``draws`` (one per stream, core/streams.py). Writes what they did and their new state
    into ``citizen``.
    """
    part = take_part(theta, traits, citizen, peers, offer, caseload, group, draws)
    mode, phase, hours, heard, ignored = part.mode, part.phase, part.hours, part.heard, part.ignored
    need, wellbeing, trust = real(traits.need), real(citizen.wellbeing), real(citizen.trust)
    efficacy, efficacy0 = real(citizen.efficacy), real(traits.efficacy0)
    motivation, motivation0 = real(citizen.motivation), real(traits.motivation0)
    is_volunteer = bool(citizen.is_volunteer)
    group_benefit = offer.group_benefit[group]
    collective_participant_benefit = offer.collective_participant_benefit[group]
    # Benefits: own individual co-delivery counts at once; group and collective work pays out
    # what last month's co-participants produced; collective output also reaches non-participants.
    own_hours = hours if (phase == PHASE_DELIVER and mode == MODE_INDIVIDUAL) else 0.0
    shared = offer.collective_member_benefit[group] + offer.ngo_benefit[group]
    if phase == PHASE_DELIVER and mode == MODE_GROUP:
        shared += group_benefit
    if phase == PHASE_DELIVER and mode == MODE_COLLECTIVE:
        shared += collective_participant_benefit
    met, met_coproduced = need_met(part.public_met, own_hours, theta[T_PRODUCTIVITY], part.need_hours, shared)

    new_wellbeing = update_wellbeing(wellbeing, need, met, theta[T_WELLBEING_RATE])
    new_trust = update_trust(trust, met, theta[T_EXPECTATION], heard, ignored,
                             theta[T_TRUST_BUILD], theta[T_TRUST_LOSS])
    # A contribution counts when it is taken up, or when delivery at this level produced.
    counted = heard
    if phase == PHASE_DELIVER:
        if mode == MODE_INDIVIDUAL:
            counted = own_hours > 0.0
        elif mode == MODE_GROUP:
            counted = group_benefit > SHARED_WORK_PRODUCED
        else:
            counted = collective_participant_benefit > SHARED_WORK_PRODUCED
    new_efficacy = update_efficacy(efficacy, efficacy0, counted, ignored,
                                   theta[T_EFF_GAIN], theta[T_EFF_LOSS], theta[T_EFF_REVERSION])
    control = offer.ngo_control[group] if is_volunteer else 0.0
    new_motivation = update_motivation(motivation, motivation0, control, theta[T_CROWDING], theta[T_MOT_RECOVERY])
    if heard or ignored:  # took part in an input phase
        new_motivation = consultation_fatigue(new_motivation, theta[T_OPENNESS], theta[T_FATIGUE])
    activity, tenure, association_given, volunteer, given = civic_life(theta, traits, citizen, peers, offer, group,
                                                                        draws, new_motivation, new_trust, met)
    citizen.mode, citizen.phase, citizen.hours, citizen.invited = mode, phase, hours, part.invited
    citizen.heard, citizen.ignored, citizen.met, citizen.met_coproduced = heard, ignored, met, met_coproduced
    citizen.wellbeing, citizen.trust, citizen.efficacy = new_wellbeing, new_trust, new_efficacy
    citizen.motivation, citizen.activity, citizen.tenure = new_motivation, activity, tenure
    citizen.association_hours, citizen.is_volunteer, citizen.volunteer_hours = association_given, volunteer, given


@register_jitable(inline="always")
def civic_life(theta, traits, citizen, peers, offer, group, draws, new_motivation, new_trust, met):
    """Associational life and volunteering for the NGO this month, after the month's motivation,
    trust and need met: the new (activity, tenure, association hours, volunteering, NGO hours)."""
    resources, civic_pull, tenure = real(traits.resources), real(traits.civic_pull), real(citizen.tenure)
    activity, is_volunteer = code(citizen.activity), bool(citizen.is_volunteer)
    peer_collective, peer_volunteering = peers[1], peers[2]
    ngo_pull = offer.ngo_pull[group]
    u_life, u_association = draw(draws, STREAM_LIFE_EVENT), draw(draws, STREAM_ASSOCIATION)
    # Associational life goes on whatever the municipality does; it reads the interface only
    # through the funded NGO's pull (grants) and, via motivation, the control put on volunteers.
    event = u_life < theta[T_LIFE_EVENT_RATE]
    if activity == ACTIVITY_NONE:
        chance = association_join_chance(theta[T_ASSOCIATION_JOIN], resources, new_motivation, civic_pull,
                                         peer_volunteering, theta[T_PEER_RECRUITMENT], event,
                                         theta[T_LIFE_EVENT_BOOST], ngo_pull)
    else:
        chance = association_leave_chance(theta[T_ASSOCIATION_LEAVE], resources, new_motivation, civic_pull, tenure,
                                          theta[T_COMMITMENT_MONTHS], event, theta[T_LIFE_EVENT_EXIT])
    new_activity, new_tenure = association_transition(u_association, activity, tenure, chance)
    association_given = association_hours(new_activity, civic_pull, new_tenure, theta[T_ASSOCIATION_HOURS],
                                          theta[T_COMMITMENT_MONTHS])
    new_volunteer = volunteer_transition(draw(draws, STREAM_VOLUNTEER), is_volunteer, ngo_pull, new_motivation,
                                         peer_collective, theta[T_JOIN_RATE], theta[T_LEAVE_RATE], new_trust,
                                         1.0 - met, theta[T_NEED_PULL], civic_pull, new_activity)
    given = volunteer_hours(new_motivation, resources, theta[T_H_DELIVER]) if new_volunteer else 0.0
    return new_activity, new_tenure, association_given, new_volunteer, given
