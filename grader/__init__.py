"""grader: extract, normalize and compare answers for RL with verifiable rewards.

>>> import grader
>>> grader.grade("... so the answer is $\\frac{1}{20}$.", "0.05").correct
True
"""

from .api import grade, grade_many
from .types import GradeOptions, GradeResult, Status

__all__ = ["grade", "grade_many", "GradeOptions", "GradeResult", "Status", "__version__"]
__version__ = "0.1.0"
