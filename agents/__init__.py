"""The actors of co-production: citizens, professionals, politicians and NGOs (Mesa agents),
and the citizens' rules shared with the compiled engine."""

from coprod.agents.citizen import Citizen
from coprod.agents.ngo import NGO
from coprod.agents.politician import Politician
from coprod.agents.professional import Professional

__all__ = ["Citizen", "NGO", "Politician", "Professional"]
