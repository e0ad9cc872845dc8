"""Counter-based random numbers: a uniform draw is a hash of (seed, step, entity, stream).

Every citizen has its own stream per kind of draw, so a draw never depends on the order in which
citizens are processed, on the number of threads, or on what another scenario did (common random
numbers, as in Starsim). The public side draws the same way, keyed by (seed, month, entity,
purpose): an NGO's births, an initiative's death, a group's founding, a search step. So a lever
that does not change behaviour leaves every draw, and every outcome, bit-identical. The same
function runs vectorised in NumPy and, through ``register_jitable``, inside the compiled kernels.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, types
from numba.extending import overload, register_jitable

# SplitMix64 finaliser constants (Steele, Lea & Flood 2014).
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_UNIT = 1.0 / 9007199254740992.0  # 2**-53

# One stream per kind of draw a citizen makes in a step.
STREAM_INVITE = 0
STREAM_JOIN = 1
STREAM_PHASE = 2
STREAM_HEARD = 3
STREAM_VOLUNTEER = 4
STREAM_LEVEL = 5
STREAM_LIFE_EVENT = 6  # a life event this month (moving, a child starting school, retiring)
STREAM_ASSOCIATION = 7  # joining or leaving an association, and which activity
N_STREAMS = 8

# Purposes of the public side's draws (far from the citizens' streams and the network's 100, 101).
PUBLIC_FOUNDING = 200  # entity: group
PUBLIC_BIRTHS = 201  # entity: group (the NGO's home)
PUBLIC_DEATHS = 202  # entity: (group, initiative slot)
PUBLIC_TAKEOVER = 203  # entity: (group, initiative slot)
PUBLIC_TURBULENCE = 204  # entity: 0 (happens?) and 1 (which component)
PUBLIC_SEARCH = 205  # entity: trial number
PUBLIC_PROPOSAL = 206  # entity: group (order in which proposals are heard)
PUBLIC_JUDGEMENT = 207  # entity: caseload (its professionals' own bent; drawn once, month 0)
TRIAL_ASSIGNMENT = 300  # entity: citizen (randomised in-silico trials)
# An initiative is the entity (group << SLOT_BITS) | slot.
SLOT_BITS = 20


@register_jitable
def _mix(z):
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@register_jitable
def stream_key(seed, step, stream):
    """The key of one stream at one step: the part of a draw that is the same for every entity.
    A month's citizens share it, so the citizens' kernel computes it once a month
    (``month_keys``), not once a citizen (three of every four hashes, ~20% of a citizen's month)."""
    return _mix(_mix(seed * _GOLDEN + stream) + step * _GOLDEN)


@register_jitable
def keyed_uniform(key, index):
    """Uniform in [0, 1) of entity ``index`` (a scalar or an array) on the stream ``key`` (``stream_key``)."""
    return (_mix(key ^ (index * _GOLDEN + _GOLDEN)) >> _S11) * _UNIT


@register_jitable
def counter_uniform(seed, step, index, stream):
    """Uniform in [0, 1) from uint64 ``seed``, ``step``, ``index`` and ``stream`` (scalars or arrays)."""
    return keyed_uniform(stream_key(seed, step, stream), index)


@register_jitable
def month_keys(seed, step):
    """The keys of a citizen's streams at one step, STREAM_INVITE to STREAM_ASSOCIATION, for ``citizen_draws``."""
    return (stream_key(seed, step, np.uint64(STREAM_INVITE)), stream_key(seed, step, np.uint64(STREAM_JOIN)),
            stream_key(seed, step, np.uint64(STREAM_PHASE)), stream_key(seed, step, np.uint64(STREAM_HEARD)),
            stream_key(seed, step, np.uint64(STREAM_VOLUNTEER)), stream_key(seed, step, np.uint64(STREAM_LEVEL)),
            stream_key(seed, step, np.uint64(STREAM_LIFE_EVENT)),
            stream_key(seed, step, np.uint64(STREAM_ASSOCIATION)))


# A citizen's draws of one step, hashed only when read (``draw``): ``keys`` the step's ``month_keys``,
# ``index`` the citizen's.
CitizenDraws = namedtuple("CitizenDraws", ("keys", "index"))


@register_jitable
def citizen_draws(keys, index):
    """A citizen's draws of one step, for ``rules.citizen_month``, which reads them with ``draw``."""
    return CitizenDraws(keys, index)


def draw(draws, stream):
    """A citizen's uniform on ``stream`` this step. ``draws`` is either the step's draws as a tuple
    indexed by stream (the Mesa citizens, whose draws are made for all at once) or a
    ``CitizenDraws``, hashed here as it is read, so a branch of the month that needs no draw of a
    stream costs no hash (most citizens take no part in a month, about 95% at the npg defaults:
    no form, phase or hearing to draw).
    The same numbers as ``counter_uniform``'s, to the bit, either way."""
    if isinstance(draws, CitizenDraws):
        return keyed_uniform(draws.keys[stream], draws.index)
    return draws[stream]


@overload(draw)
def _draw_compiled(draws, stream):
    if isinstance(draws, types.BaseNamedTuple) and draws.instance_class is CitizenDraws:
        return lambda draws, stream: keyed_uniform(draws.keys[stream], draws.index)
    return lambda draws, stream: draws[stream]


assert N_STREAMS == 8 and STREAM_ASSOCIATION == N_STREAMS - 1  # month_keys lists every stream in order


def uniforms(seed: int, step: int, stream: int, n: int) -> np.ndarray:
    """The ``n`` citizens' draws of one stream at one step, as a float64 array."""
    index = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return counter_uniform(np.uint64(seed), np.uint64(step), index, np.uint64(stream))


def public_uniforms(seed: int, step: int, purpose: int, entities) -> np.ndarray:
    """The public side's draws for ``purpose`` at ``step``, one per entity (an int or an array).

    Compiled: the public side draws a handful of numbers a dozen times a month, where NumPy's
    per-call cost (about 30 us for the hash's twenty small array operations) was a third of a
    small run's month. Same integer arithmetic, so the same draws as ``counter_uniform``."""
    index = np.asarray(entities, dtype=np.uint64)
    draws = _uniforms_of(np.uint64(seed), np.uint64(step), np.uint64(purpose), index.ravel())
    return draws.reshape(index.shape)


@njit(cache=True)
def _uniforms_of(seed, step, stream, index):
    draws = np.empty(index.shape[0])
    for k in range(index.shape[0]):
        draws[k] = counter_uniform(seed, step, index[k], stream)
    return draws


def public_draws(seed: int, step: int, purpose: int, count: int) -> np.ndarray:
    """``public_uniforms`` for the entities 0, 1, ..., count - 1 (a month's search steps, say),
    without building the entities' array."""
    return _uniforms_of_range(np.uint64(seed), np.uint64(step), np.uint64(purpose), count)


@njit(cache=True)
def _uniforms_of_range(seed, step, stream, count):
    draws = np.empty(count)
    for k in range(count):
        draws[k] = counter_uniform(seed, step, np.uint64(k), stream)
    return draws
