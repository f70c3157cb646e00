"""grader: verifiers for RL with verifiable rewards: extract, normalize and compare answers.

>>> import grader
>>> grader.grade("... so the answer is $\\frac{1}{20}$.", "0.05").correct
True
"""

from .api import grade, grade_many
from .rewards import Rewards
from .types import Check, GradeResult, Item, Status
from .verifiers.math import MathOptions

__all__ = ["grade", "grade_many", "Check", "GradeResult", "Item", "MathOptions", "Rewards", "Status", "__version__"]
__version__ = "0.2.0"
