"""Mathematical equality of two parsed answers (SymPy objects).

Used by the ``latex`` and ``symbolic`` tiers inside the sandbox worker. Rules:

* rationals compare exactly; a side containing a Float (a decimal the author
  wrote) compares with a relative tolerance; other constants (``\\sqrt2/2`` vs
  ``1/\\sqrt2``) are evaluated to 30 digits and must agree to 1e-12 relative —
  never "round both to 6 places", which makes ``1/2^{99}`` equal ``1/2^{98}``;
* tuples are ordered, sets (``\\{…\\}``, bare lists) are order-free, intervals
  must agree on endpoints and on open/closed ends; an open interval ``(a, b)``
  and a 2-tuple ``(a, b)`` are the same text and compare element-wise;
* equations: the same equation up to a non-zero factor, or ``y = f`` against
  ``f`` when one side is a single-variable assignment;
* expressions with variables: evaluation at random exact rational points (30
  digits). A counterexample proves "not equal"; agreement at every point where
  both sides are defined (at least 4) is accepted as equal; with fewer defined
  points ``simplify(a - b) == 0`` decides. This is the issue's "simplify with a
  random-point fallback" reordered for speed: simplify never turns a numeric
  counterexample into equality, and a simplify failure on equal expressions is
  exactly when the fallback answers, so only the cost differs (simplify is
  10-100 ms; the points are ~1 ms).
"""

from __future__ import annotations

import contextlib
import random
import zlib

import mpmath
import sympy
from sympy import Basic

from .tiers.base import Equal, Match, NotEqual, Undecided, short

TIGHT_REL_TOL = 1e-12
POSITIVE_POINTS = 4
NEGATIVE_POINTS = 2
MIN_AGREEING_POINTS = 4
_CONSTANT_SYMBOLS = {sympy.Symbol("e"): sympy.E, sympy.Symbol("i"): sympy.I}
_LOGICAL = (sympy.core.relational.Relational, sympy.And, sympy.Or, sympy.Contains)
_UNEVALUATED = (sympy.Sum, sympy.Integral, sympy.Product, sympy.Limit, sympy.Derivative)
_INEQUALITY = (sympy.StrictLessThan, sympy.LessThan, sympy.StrictGreaterThan, sympy.GreaterThan)


def prepare(expr: Basic) -> Basic:
    """Evaluate held operations; read a free ``e`` as Euler's number and ``i`` as the imaginary unit.

    Both sides get the same reading, so this only matters for identities like
    ``e^{i\\pi} = -1``; in final answers ``e`` and ``i`` are almost never variables.
    """
    if isinstance(expr, sympy.MatrixBase):
        return expr
    if isinstance(expr, Basic) and expr.has(*_UNEVALUATED):
        return expr  # a sum or integral the answer left unevaluated is compared as written, never computed
        # never doit(): Eq(0, 1).doit() is False, and a relation must never collapse to a truth value
        if expr.free_symbols & _CONSTANT_SYMBOLS.keys():
            replaced = expr.xreplace(_CONSTANT_SYMBOLS)
            if not isinstance(replaced, sympy.logic.boolalg.BooleanAtom):
                return replaced
        return expr
    with contextlib.suppress(Exception):  # doit on odd objects is best effort
        expr = expr.doit()
    if isinstance(expr, Basic) and expr.free_symbols & _CONSTANT_SYMBOLS.keys():
        expr = expr.xreplace(_CONSTANT_SYMBOLS)
    return expr


def equal(a: Basic, b: Basic, rel_tol: float = 1e-6) -> Match:
    """Compare ``a`` (prediction) with ``b`` (gold)."""
    return _Comparer(rel_tol).compare(prepare(a), prepare(b))


class _Comparer:
    def __init__(self, rel_tol: float) -> None:
        self.rel_tol = rel_tol

    def compare(self, a, b) -> Match:
        if a == b:
            return Equal("identical")
        if isinstance(a, sympy.logic.boolalg.BooleanAtom) or isinstance(b, sympy.logic.boolalg.BooleanAtom):
            return NotEqual("a statement that is simply true or false")
        if isinstance(a, Basic) and isinstance(b, Basic) and (a.has(*_UNEVALUATED) or b.has(*_UNEVALUATED)):
            # the gold itself is unevaluated (the grader's refusal of an unevaluated prediction came earlier):
            # structural equality only (SymPy orders commutative arguments), no symbolic summation
            if sympy.srepr(a) == sympy.srepr(b):
                return Equal("the same unevaluated expression")
            return NotEqual("different unevaluated expressions")
        for check in (self._matrices, self._set_statements, self._relations, self._intervals, self._containers):
            result = check(a, b)
            if result is not None:
                return result
        if isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr):
            return self.expressions(a, b)
        return NotEqual(f"different kinds: {type(a).__name__} vs {type(b).__name__}")

    # -- structures ----------------------------------------------------------
    def _matrices(self, a, b) -> Match | None:
        am, bm = isinstance(a, sympy.MatrixBase), isinstance(b, sympy.MatrixBase)
        if not (am or bm):
            return None
        if am and bm:
            if a.shape != b.shape:
                return NotEqual("matrix shapes differ")
            return self._all_pairs(list(a), list(b))
        matrix, other = (a, b) if am else (b, a)
        if isinstance(other, sympy.Tuple) and 1 in matrix.shape and len(other) == len(matrix):
            return self._all_pairs(list(a), list(b))  # a column or row vector written as a tuple
        return NotEqual("matrix vs non-matrix")

    # -- sets written as statements: x \in S, -2 \le x \le 7, x > 2 ----------------------------
    def _set_statements(self, a, b) -> Match | None:
        statement = (sympy.Contains, sympy.And) + _INEQUALITY
        if not (isinstance(a, statement) or isinstance(b, statement)):
            return None
        if isinstance(a, _INEQUALITY) and isinstance(b, _INEQUALITY):
            return None  # two inequalities: compared as relations
        va, vb = _set_view(a, solved_only=True), _set_view(b, solved_only=False)
        if va is None and vb is not None and _is_statement(a):
            return NotEqual("an unsolved inequality against a set (solve it)")
        if va is None or vb is None:
            if isinstance(a, (sympy.Contains, sympy.And)) or isinstance(b, (sympy.Contains, sympy.And)):
                if va is None and _is_statement(a):
                    return NotEqual("an unsolved inequality against a set (solve it)")
                return NotEqual("a set statement against something else")
            return None
        (var_a, set_a), (var_b, set_b) = va, vb
        if var_a is not None and var_b is not None and var_a != var_b:
            return NotEqual(f"about {var_a}, not {var_b}")
        return self._sets(set_a, set_b)

    def _sets(self, a: sympy.Set, b: sympy.Set) -> Match:
        if a == b:
            return Equal("the same set")
        if isinstance(a, sympy.Interval) and isinstance(b, sympy.Interval):
            return self._intervals(a, b) or NotEqual("different intervals")
        if isinstance(a, sympy.Union) and isinstance(b, sympy.Union):
            return self._unordered(list(a.args), list(b.args))
        if isinstance(a, sympy.FiniteSet) and isinstance(b, sympy.FiniteSet):
            return self._unordered(list(a), list(b))
        return NotEqual(f"different sets: {short(a)} vs {short(b)}")

    def _relations(self, a, b) -> Match | None:
        ar, br = (
            isinstance(a, sympy.core.relational.Relational),
            isinstance(b, sympy.core.relational.Relational),
        )
        if not (ar or br):
            return None
        if ar and br:
            for kind in (sympy.Eq, sympy.Ne):
                if isinstance(a, kind) and isinstance(b, kind):
                    return self._equations(a, b)
            if isinstance(a, (sympy.Eq, sympy.Ne)) or isinstance(b, (sympy.Eq, sympy.Ne)):
                return NotEqual(f"{type(a).__name__} vs {type(b).__name__}")
            return self._inequalities(a, b)
        rel, other = (a, b) if ar else (b, a)
        if isinstance(other, sympy.Tuple) and len(other) == 2 and not isinstance(rel, sympy.Eq):
            other = _as_open_interval(other)  # "(2, \\infty)" is written like a pair
        if isinstance(rel, sympy.Eq) and isinstance(rel.lhs, sympy.Symbol):
            return self.compare(rel.rhs, other) if ar else self.compare(other, rel.rhs)
        if not isinstance(rel, sympy.Eq) and isinstance(other, sympy.Set):
            return self._inequality_vs_set(rel, other)  # x > 2 and (2, oo) name the same set
        return NotEqual("relation vs value")

    def _equations(self, a, b) -> Match:
        if a.lhs == b.lhs:
            return self.compare(a.rhs, b.rhs)
        da, db = a.lhs - a.rhs, b.lhs - b.rhs
        if len(a.free_symbols | b.free_symbols) == 1 and _solved(b) and not _solved(a):
            return NotEqual("an unsolved equation (solve it for the variable)")  # 2x = 6 against x = 3
        if not (isinstance(da, sympy.Expr) and isinstance(db, sympy.Expr)):
            return NotEqual("equations of different kinds")
        if _constant_ratio(da, db, positive=False):
            return Equal("same equation up to a factor")
        return NotEqual("different equations")

    def _inequalities(self, a, b) -> Match:
        ka, kb = _canonical_inequality(a), _canonical_inequality(b)
        if ka[1] != kb[1]:
            return NotEqual("strict vs non-strict")
        symbols = a.free_symbols | b.free_symbols
        if len(symbols) == 1 and not _solved(a) and _solved(b):
            return NotEqual("an unsolved inequality (solve it for the variable)")
        if ka[0] == kb[0] or sympy.expand(ka[0] - kb[0]) == 0:
            return Equal("same inequality")
        if len(symbols) == 1:
            if not _solved(a):
                # 2x > 6 against x > 3 is the question half-solved: only the gold's own unsolved form matches it
                if not _solved(b) and _constant_ratio(ka[0], kb[0], positive=True):
                    return Equal("the same unsolved inequality up to a positive factor")
                return NotEqual("an unsolved inequality (solve it for the variable)")
            try:
                sa, sb = _simple_solution_set(a) or a.as_set(), _simple_solution_set(b) or b.as_set()
            except Exception:  # noqa: BLE001 - as_set raises for non-polynomial cases
                return Undecided("no_match", "cannot solve inequality")
            return Equal("same solution set") if sa == sb else NotEqual("different solution sets")
        if _constant_ratio(ka[0], kb[0], positive=True):
            return Equal("same inequality up to a positive factor")
        return NotEqual("different inequalities")

    def _inequality_vs_set(self, rel, other: sympy.Set) -> Match:
        if len(rel.free_symbols) != 1:
            return NotEqual("relation vs set")
        try:
            solution = _simple_solution_set(rel) or rel.as_set()
            return (
                Equal("inequality solution set")
                if solution == other
                else NotEqual("different sets")
            )
        except Exception:  # noqa: BLE001
            return Undecided("no_match", "cannot solve inequality")

    def _intervals(self, a, b) -> Match | None:
        ai, bi = isinstance(a, sympy.Interval), isinstance(b, sympy.Interval)
        if not (ai or bi):
            if isinstance(a, sympy.Union) and isinstance(b, sympy.Union):
                return self._unordered(list(a.args), list(b.args))
            return None
        if ai and bi:
            if (a.left_open, a.right_open) != (b.left_open, b.right_open):
                return NotEqual("open/closed ends differ")
            return self._all_pairs([a.start, a.end], [b.start, b.end])
        interval, other = (a, b) if ai else (b, a)
        if (
            isinstance(other, sympy.Tuple)
            and len(other) == 2
            and interval.left_open
            and interval.right_open
        ):
            pairs = ([a.start, a.end], list(b)) if ai else (list(a), [b.start, b.end])
            return self._all_pairs(*pairs)
        return NotEqual("interval vs other")

    def _containers(self, a, b) -> Match | None:
        a_set, b_set = isinstance(a, sympy.FiniteSet), isinstance(b, sympy.FiniteSet)
        a_tup, b_tup = isinstance(a, sympy.Tuple), isinstance(b, sympy.Tuple)
        if not (a_set or b_set or a_tup or b_tup):
            return None
        if a_tup and b_tup:
            if len(a) != len(b):
                return NotEqual("tuple lengths differ")
            return self._all_pairs(list(a), list(b))
        if (a_set or a_tup) and (b_set or b_tup):
            return self._unordered(list(a), list(b))  # a set against a written list
        if a_set and len(a) == 1:
            return self.compare(next(iter(a)), b)
        if b_set and len(b) == 1:
            return self.compare(a, next(iter(b)))
        return NotEqual("collection vs single value")

    def _all_pairs(self, xs: list, ys: list) -> Match:
        for x, y in zip(xs, ys):
            result = self.compare(prepare(x), prepare(y))
            if not isinstance(result, Equal):
                return (
                    result
                    if isinstance(result, NotEqual)
                    else Undecided(result.reason, result.detail)
                )
        return Equal("element-wise")

    def _unordered(self, xs: list, ys: list) -> Match:
        if len(xs) != len(ys):
            return NotEqual(f"{len(xs)} vs {len(ys)} elements")
        remaining = list(ys)
        for x in xs:
            for k, y in enumerate(remaining):
                if isinstance(self.compare(prepare(x), prepare(y)), Equal):
                    del remaining[k]
                    break
            else:
                return NotEqual("element without a partner")
        return Equal("same elements")

    # -- scalar expressions ----------------------------------------------------
    def expressions(self, a: sympy.Expr, b: sympy.Expr) -> Match:
        symbols = a.free_symbols | b.free_symbols
        if not symbols:
            return self.numbers(a, b)
        return self._functions(a, b, sorted(symbols, key=str))

    def numbers(self, a: sympy.Expr, b: sympy.Expr) -> Match:
        if a.is_Rational and b.is_Rational:
            return Equal("same rational") if a == b else NotEqual(f"{short(a)} != {short(b)}")
        inexact = a.has(sympy.Float) or b.has(sympy.Float)
        tol = self.rel_tol if inexact else TIGHT_REL_TOL
        va, vb = _value(a), _value(b)
        if va is None or vb is None:
            return Undecided("no_match", "not a finite number")
        if _close(va, vb, tol):
            return Equal("numerically equal")
        return NotEqual(f"{short(va)} != {short(vb)}")

    def _functions(self, a: sympy.Expr, b: sympy.Expr, symbols: list) -> Match:
        tol = self.rel_tol if (a.has(sympy.Float) or b.has(sympy.Float)) else TIGHT_REL_TOL
        valid = 0
        # Every point is tried, negatives included: stopping after the positive ones let |x| equal x.
        for k, point in enumerate(_points(symbols, a, b)):
            subs = dict(zip(symbols, point))
            ea, eb = a.xreplace(subs), b.xreplace(subs)
            if ea.is_Rational and eb.is_Rational:  # polynomials and rational functions: exact
                valid += 1
                if ea != eb:
                    return NotEqual(f"differ at {short(subs)}")
                continue
            va, vb = _value(ea), _value(eb)
            if va is None or vb is None:
                continue
            if k >= POSITIVE_POINTS and (va.imag != 0 or vb.imag != 0):
                continue  # negative points only count where both sides stay real
            valid += 1
            if not _close(va, vb, tol):
                return NotEqual(f"differ at {short(subs)}")
        if valid >= MIN_AGREEING_POINTS:
            return Equal(f"agree at {valid} random exact points")
        with contextlib.suppress(Exception):  # simplify can fail on exotic input
            if sympy.expand(a - b) == 0 or sympy.simplify(a - b) == 0:
                return Equal("simplify(a - b) == 0")
        return Undecided(
            "no_match", f"only {valid} points where both sides are defined; simplify inconclusive"
        )


def _points(symbols: list, a: sympy.Expr, b: sympy.Expr):
    """Rational evaluation points: 4 positive, 2 negative, seeded by the pair (reproducible,
    but not a fixed list a policy could learn to fit)."""
    rng = random.Random(zlib.crc32(f"{short(a, 400)}|{short(b, 400)}".encode()))
    for k in range(POSITIVE_POINTS + NEGATIVE_POINTS):
        sign = 1 if k < POSITIVE_POINTS else -1
        yield tuple(sign * sympy.Rational(rng.randint(11, 97), rng.randint(7, 31)) for _ in symbols)


def _solved(rel) -> bool:
    """``x > 2``, ``3 \\ge y``, ``-x > -1``: the variable alone (up to its sign) against a number; not
    ``x + 3 < 10`` or ``2x > 6``, which are the question half-way, not its answer."""
    sides = (rel.lhs, rel.rhs)
    alone = any(isinstance(s, sympy.Symbol) or (isinstance(-s, sympy.Symbol)) for s in sides)
    return alone and any(s.is_number for s in sides)


def _chain(statement) -> tuple[sympy.Expr, sympy.Set] | None:
    """``a < E < b`` → (E, the interval between a and b), whatever E is."""
    if not isinstance(statement, sympy.And) or len(statement.args) != 2:
        return None
    first, second = statement.args
    if not (isinstance(first, _INEQUALITY) and isinstance(second, _INEQUALITY)):
        return None
    # sympy may reorder And's arguments: find the shared middle
    for left, right in ((first, second), (second, first)):
        lo_op, mid, hi_op_mid, hi = left, left.rhs, right.lhs, right.rhs
        if mid == hi_op_mid and left.lhs.is_number and hi.is_number:
            increasing = isinstance(left, (sympy.StrictLessThan, sympy.LessThan)) and isinstance(
                right, (sympy.StrictLessThan, sympy.LessThan)
            )
            decreasing = isinstance(left, (sympy.StrictGreaterThan, sympy.GreaterThan)) and isinstance(
                right, (sympy.StrictGreaterThan, sympy.GreaterThan)
            )
            if not (increasing or decreasing):
                return None
            lo, hi_v = (left.lhs, hi) if increasing else (hi, left.lhs)
            lo_open = isinstance(lo_op if increasing else right, (sympy.StrictLessThan, sympy.StrictGreaterThan))
            hi_open = isinstance(right if increasing else lo_op, (sympy.StrictLessThan, sympy.StrictGreaterThan))
            return mid, sympy.Interval(lo, hi_v, left_open=lo_open, right_open=hi_open)
    return None


def _is_statement(obj) -> bool:
    """An inequality or an inequality chain (solved or not), told apart without solving it."""
    return _chain(obj) is not None or (isinstance(obj, _INEQUALITY) and len(obj.free_symbols) == 1)


def _set_view(obj, *, solved_only: bool):
    """(variable or None, the set ``obj`` names), or None when it names no set.

    ``solved_only`` (the prediction): an inequality counts only when solved (a bare symbol against numbers);
    an echo of the question (``2 \\le x + 1 \\le 8``) is not an answer. A gold may be unsolved (it is solved here).
    """
    if isinstance(obj, sympy.Contains):
        element, the_set = obj.args
        return (element if isinstance(element, sympy.Symbol) else None), the_set
    if isinstance(obj, sympy.Set):
        return None, obj
    if isinstance(obj, sympy.Tuple) and len(obj) == 2:
        interval = _as_open_interval(obj)
        return (None, interval) if isinstance(interval, sympy.Set) else None
    chain = _chain(obj)
    if chain is not None:
        middle, interval = chain
        if isinstance(middle, sympy.Symbol):
            return middle, interval
        if solved_only:
            return None
        symbols = middle.free_symbols
        if len(symbols) == 1:
            try:
                return next(iter(symbols)), obj.as_set()
            except Exception:  # noqa: BLE001 - not solvable: the chain's own interval
                return None, interval
        return None, interval  # 0 < f(x) < 1: the interval f(x) ranges over
    if isinstance(obj, _INEQUALITY) and len(obj.free_symbols) == 1:
        if solved_only and not _solved(obj):
            return None
        symbol = next(iter(obj.free_symbols))
        try:
            return symbol, _simple_solution_set(obj) or obj.as_set()
        except Exception:  # noqa: BLE001
            return None
    return None


def _simple_solution_set(rel) -> sympy.Set | None:
    """``x > 2`` → (2, oo) without SymPy's inequality solver (which costs ~20 ms)."""
    lhs, rhs = rel.lhs, rel.rhs
    flipped = False
    if isinstance(rhs, sympy.Symbol) and lhs.is_number:
        lhs, rhs, flipped = rhs, lhs, True
    if not (isinstance(lhs, sympy.Symbol) and rhs.is_number and rhs.is_real):
        return None
    greater = isinstance(rel, (sympy.StrictGreaterThan, sympy.GreaterThan)) != flipped
    strict = isinstance(rel, (sympy.StrictGreaterThan, sympy.StrictLessThan))
    if greater:
        return sympy.Interval(rhs, sympy.oo, left_open=strict, right_open=True)
    return sympy.Interval(-sympy.oo, rhs, left_open=True, right_open=strict)


def _as_open_interval(pair: sympy.Tuple) -> sympy.Basic:
    try:
        return sympy.Interval.open(pair[0], pair[1])
    except (TypeError, ValueError):
        return pair


def _constant_ratio(x: sympy.Expr, y: sympy.Expr, *, positive: bool) -> bool:
    """Is ``x = c·y`` for a constant c ≠ 0 (c > 0 when ``positive``)? Cheap checks before simplify."""
    if y == 0 or x == 0:
        return False
    if sympy.expand(x - y) == 0:
        return True
    if not positive and sympy.expand(x + y) == 0:
        return True
    symbols = sorted(x.free_symbols | y.free_symbols, key=str)
    ratios = []
    for point in _points(symbols, x, y):
        subs = dict(zip(symbols, point))
        ex, ey = x.xreplace(subs), y.xreplace(subs)
        if ex.is_Rational and ey.is_Rational:  # polynomials: exact, and no simplify (10-100 ms) needed
            if ey != 0:
                exact = ex / ey
                with mpmath.workdps(30):
                    ratios.append(mpmath.mpc(mpmath.mpf(exact.p) / exact.q, 0))
            continue
        vx, vy = _value(ex), _value(ey)
        if vx is not None and vy is not None and vy != 0:
            ratios.append(vx / vy)
    if len(ratios) >= MIN_AGREEING_POINTS:
        first = ratios[0]
        if first == 0 or not all(_close(r, first, TIGHT_REL_TOL) for r in ratios):
            return False
        return first.real > 0 and first.imag == 0 if positive else True
    ratio = sympy.simplify(x / y)
    if not (ratio.is_number and ratio.is_finite and ratio != 0):
        return False
    return bool(ratio.is_positive) if positive else True


def _canonical_inequality(rel) -> tuple[sympy.Expr, bool]:
    """``a < b`` and ``b > a`` both become (b - a, strict): "this is positive"."""
    strict = isinstance(rel, (sympy.StrictLessThan, sympy.StrictGreaterThan))
    return rel.gts - rel.lts, strict


def _value(expr: sympy.Expr) -> mpmath.mpc | None:
    """A 30-digit numerical value, or None when undefined, infinite or symbolic."""
    try:
        v = sympy.N(expr, 30)
        if not v.is_number or v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            return None
        re_part, im_part = v.as_real_imag()
        return mpmath.mpc(_mpf(re_part), _mpf(im_part))
    except Exception:  # noqa: BLE001 - evaluation of odd objects is best effort
        return None


def _mpf(x: sympy.Expr) -> mpmath.mpf:
    return mpmath.mpf(sympy.Float(x, 30)._mpf_)


def _close(x: mpmath.mpc, y: mpmath.mpc, tol: float) -> bool:
    """Relative closeness at 30-digit precision (no float underflow: 1/2004! != 1/2006!)."""
    if x == y:
        return True
    with mpmath.workdps(30):
        scale = max(abs(x), abs(y))
        return abs(x - y) <= tol * scale
