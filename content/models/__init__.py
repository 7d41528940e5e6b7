"""Content models: one module per concept."""

from .home import HomePage
from .regulations import Regulation, RegulationTopic

__all__ = ["HomePage", "Regulation", "RegulationTopic"]
