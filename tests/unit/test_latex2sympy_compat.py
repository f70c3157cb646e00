"""The one patch grader applies to latex2sympy2_extended, and the check that fails loudly
when an upgrade moves what it replaces."""

import pytest
from latex2sympy2_extended import latex2sympy2 as l2s
from sympy import Float, Integer, Rational

from grader.verifiers.math import latex2sympy_compat as compat
from grader.verifiers.math.symbolic import latex_to_sympy


def test_the_pinned_upstream_has_what_the_patch_replaces():
    compat.check_upstream()
    assert l2s._Latex2Sympy.parse_number is compat.read_number_token  # installed by symbolic
    assert l2s.convert_number is compat.read_number_literal


def test_numbers_are_read_without_sympify():
    assert compat.read_number_token(None, "1,000") == Integer(1000)
    assert compat.read_number_token(None, "0.25") == Float("0.25")
    assert compat.read_number_literal("0,5") == Float("0.5")
    assert latex_to_sympy(r"\frac{3}{4}") == Rational(3, 4)


@pytest.mark.parametrize("missing", ["_Latex2Sympy", "convert_number"])
def test_an_upstream_change_fails_loudly(monkeypatch, missing):
    monkeypatch.delattr(l2s, missing)
    with pytest.raises(RuntimeError, match="latex2sympy2_extended changed"):
        compat.check_upstream()


def test_a_changed_signature_fails_loudly(monkeypatch):
    monkeypatch.setattr(l2s._Latex2Sympy, "parse_number", lambda self, token, base=10: None)
    with pytest.raises(RuntimeError, match="signature"):
        compat.check_upstream()
