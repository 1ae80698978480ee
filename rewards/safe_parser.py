"""Whitelisting recursive-descent parsers: plain-text maths and a common LaTeX subset.

Why our own parser:

* Safety. SymPy's ``sympify``/``parse_expr`` run Python's ``eval`` on the text.
  Here tokens become SymPy objects directly: no attribute access, no calls
  except the math functions listed below, and every power, factorial and
  binomial is size-checked before SymPy evaluates it (SymPy computes integer
  powers eagerly in C, where no time limit can interrupt it).
* Speed (LaTeX mode). latex2sympy2_extended's ANTLR parser costs 2–70 ms per
  answer; this one ~0.2 ms. LaTeX mode accepts only constructs whose meaning
  is unambiguous and matches latex2sympy2_extended's reading (``\\log`` is base
  10, ``2\\frac{1}{2}`` is a mixed number, ``(a, b)`` a pair); anything else
  raises :class:`ParseError` and the latex tier falls back to latex2sympy.

Grammar (loosest first)::

    answer   := item (',' item)*            -- a bare list is a set of answers
    item     := sum (relop sum)?
    sum      := term (('+'|'-') term)*
    term     := unary (('*'|'/'|'\\cdot'|'\\times'|'\\div'|implicit) unary)*
    unary    := ('-'|'+') unary | power
    power    := postfix (('^'|'**') unary)?
    postfix  := primary '!'*
    primary  := number | name | call | '(' sum ')' | tuple | interval | LaTeX forms
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import sympy

MAX_POWER_BITS = 100_000  # |exponent| × bits(base) for numeric powers
MAX_SYMBOLIC_EXPONENT = 1000
MAX_FACTORIAL = 10_000
MAX_BINOMIAL = 100_000
MAX_TOKENS = 400


class ParseError(ValueError):
    """Not mathematics this parser accepts."""


class TooLarge(ParseError):
    """Mathematics whose evaluation could take unbounded time or memory (refused, not parsed)."""


@dataclass(frozen=True)
class _Tok:
    kind: str  # num, name, op, cmd, end
    text: str


_PLAIN_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.\d*|\.\d+|\d+)"
    r"|(?P<name>[A-Za-zα-ωΑ-Ω]+(?:_\{?[A-Za-z0-9]+\}?)?)"
    r"|(?P<op>\*\*|<=|>=|!=|[-+*/^()\[\],!=<>×·÷−√π∞≤≥≠|]))"
)
_LATEX_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.\d+|\d+|\.\d+)"
    r"|(?P<cmd>\\\\|\\[A-Za-z]+|\\\{|\\\}|\\\|)"
    r"|(?P<name>[A-Za-z](?:_(?:\{[A-Za-z0-9]+\}|[A-Za-z0-9]))?)"
    r"|(?P<op><=|>=|!=|[-+*/^()\[\],!=<>{}_&|;]))"
)

_PLAIN_FUNCS = {
    "sqrt": sympy.sqrt,
    "cbrt": sympy.cbrt,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "cot": sympy.cot,
    "sec": sympy.sec,
    "csc": sympy.csc,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "arcsin": sympy.asin,
    "arccos": sympy.acos,
    "arctan": sympy.atan,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "exp": sympy.exp,
    "ln": sympy.log,
    "log": sympy.log,
    "abs": sympy.Abs,
    "floor": sympy.floor,
    "ceil": sympy.ceiling,
    "ceiling": sympy.ceiling,
    "factorial": None,
    "binomial": None,
    "binom": None,
}
_LATEX_FUNCS = {
    "\\sin": sympy.sin,
    "\\cos": sympy.cos,
    "\\tan": sympy.tan,
    "\\cot": sympy.cot,
    "\\sec": sympy.sec,
    "\\csc": sympy.csc,
    "\\arcsin": sympy.asin,
    "\\arccos": sympy.acos,
    "\\arctan": sympy.atan,
    "\\sinh": sympy.sinh,
    "\\cosh": sympy.cosh,
    "\\tanh": sympy.tanh,
    "\\exp": sympy.exp,
    "\\ln": sympy.log,
    "\\log": None,  # \log: base 10 (or _b), as latex2sympy2_extended reads it
}
_INVERSE = {sympy.sin: sympy.asin, sympy.cos: sympy.acos, sympy.tan: sympy.atan}
_CONSTANTS = {
    "pi": sympy.pi,
    "π": sympy.pi,
    "oo": sympy.oo,
    "inf": sympy.oo,
    "infty": sympy.oo,
    "infinity": sympy.oo,
    "∞": sympy.oo,
}
_GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Sigma",
    "Phi",
    "Psi",
    "Omega",
}
_RELATIONS = {
    "=": sympy.Eq,
    "!=": sympy.Ne,
    "\\neq": sympy.Ne,
    "\\ne": sympy.Ne,
    "≠": sympy.Ne,
    "≤": sympy.Le,
    "≥": sympy.Ge,
    "<": sympy.Lt,
    ">": sympy.Gt,
    "<=": sympy.Le,
    ">=": sympy.Ge,
    "\\le": sympy.Le,
    "\\leq": sympy.Le,
    "\\ge": sympy.Ge,
    "\\geq": sympy.Ge,
    "\\lt": sympy.Lt,
    "\\gt": sympy.Gt,
    "\\leqslant": sympy.Le,
    "\\geqslant": sympy.Ge,
    "\\in": None,  # membership: handled by the parser
}
_INEQUALITIES = (sympy.Lt, sympy.Le, sympy.Gt, sympy.Ge)
_SET_CONSTANTS = {
    "\\emptyset": sympy.S.EmptySet,
    "\\varnothing": sympy.S.EmptySet,
}
_BLACKBOARD = {
    "R": sympy.S.Reals,
    "Z": sympy.S.Integers,
    "N": sympy.S.Naturals0,
    "Q": sympy.S.Rationals,
    "C": sympy.S.Complexes,
}
_MATRIX_ENVS = {"pmatrix", "bmatrix", "Bmatrix", "matrix", "smallmatrix", "vmatrix", "Vmatrix", "array"}
MAX_MATRIX_ENTRIES = 100
_MUL_CMDS = {"\\cdot", "\\times"}
_MAX_SPLIT_NAME = 3  # plain "xy" → x*y; longer unknown words are not mathematics


def _tokenize(text: str, latex: bool) -> list[_Tok]:
    pattern = _LATEX_TOKEN if latex else _PLAIN_TOKEN
    tokens: list[_Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = pattern.match(text, pos)
        if not m or m.end() == pos:
            raise ParseError(f"unexpected character {text[pos]!r} at {pos}")
        pos = m.end()
        kind = m.lastgroup
        tokens.append(_Tok(kind, m.group(kind)))
        if len(tokens) > MAX_TOKENS:
            raise TooLarge("expression too long")
    tokens.append(_Tok("end", ""))
    return tokens


class _Parser:
    def __init__(self, text: str, latex: bool) -> None:
        self.latex = latex
        self.toks = _tokenize(text, latex)
        self.i = 0
        self.abs_depth = 0

    # -- token helpers --------------------------------------------------
    def peek(self, ahead: int = 0) -> _Tok:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def accept(self, *texts: str) -> str | None:
        tok = self.peek()
        if tok.kind in ("op", "cmd") and tok.text in texts:
            self.i += 1
            return tok.text
        return None

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise ParseError(f"expected {text!r}, got {self.peek().text!r}")

    # -- grammar --------------------------------------------------------
    def answer(self) -> sympy.Basic:
        items = [self.item()]
        while self.accept(","):
            items.append(self.item())
        if self.peek().kind != "end":
            raise ParseError(f"unexpected {self.peek().text!r}")
        return items[0] if len(items) == 1 else sympy.FiniteSet(*items)

    def item(self) -> sympy.Basic:
        """``a``, ``a = b``, ``x \\in [1, 4]``, ``x \\neq 3``, or an inequality chain ``-2 \\le x < 7``."""
        sides = [self.union()]
        ops: list[str] = []
        while (op := self._relation_op()) is not None:
            ops.append(op)
            rhs = self.union()
            sides.append(_pair_as_interval(rhs) if op == "\\in" else rhs)
        if not ops:
            return sides[0]
        relations = [_relation(op, a, b) for op, a, b in zip(ops, sides, sides[1:])]
        if len(relations) == 1:
            return relations[0]
        if all(isinstance(r, _INEQUALITIES) for r in relations):
            return sympy.And(*relations, evaluate=False)
        raise ParseError("chained relations")

    def _relation_op(self) -> str | None:
        tok = self.peek()
        if tok.kind == "cmd" and tok.text == "\\not" and self.peek(1).text == "=":
            self.i += 2
            return "\\neq"
        if tok.kind in ("op", "cmd") and tok.text in _RELATIONS:
            self.i += 1
            return tok.text
        return None

    def union(self) -> sympy.Basic:
        value = self.sum()
        while self.latex and (op := self.accept("\\cup", "\\cap", "\\setminus")):
            rhs = _pair_as_interval(self.sum())
            value = _pair_as_interval(value)
            if not (isinstance(value, sympy.Set) and isinstance(rhs, sympy.Set)):
                raise ParseError("set operation on non-sets")
            if op == "\\cup":
                value = sympy.Union(value, rhs)
            elif op == "\\cap":
                value = sympy.Intersection(value, rhs)
            else:
                value = sympy.Complement(value, rhs)
        return value

    def sum(self) -> sympy.Basic:
        value = self.term()
        while True:
            op = self.accept("+", "-", "−")
            if op is None:
                return value
            rhs = self.term()
            value = _combine(value, rhs, op)

    def term(self) -> sympy.Basic:
        value = self.unary()
        while True:
            op = self.accept("*", "/", "×", "·", "÷", "\\cdot", "\\times", "\\div")
            if op is not None:
                rhs = self.unary()
                if op in ("/", "÷", "\\div"):
                    _require_expr(value, rhs)
                    if rhs == 0:
                        raise ParseError("division by zero")
                    value = value / rhs
                else:
                    value = _product(value, rhs)
                continue
            if self._starts_primary(self.peek()):
                rhs = self.power()  # implicit multiplication: 2x, 2(x+1), 3\sqrt{2}, two matrices
                value = _product(value, rhs)
                continue
            return value

    def _starts_primary(self, tok: _Tok) -> bool:
        if tok.kind == "name":
            return True
        if tok.kind == "cmd":
            return (
                tok.text not in _RELATIONS
                and tok.text not in _MUL_CMDS
                and tok.text
                not in ("\\div", "\\cup", "\\cap", "\\setminus", "\\}", "\\{", "\\\\", "\\not", "\\end", "\\|")
            )
        if tok.kind == "op" and tok.text == "|":
            return self.abs_depth == 0
        return (
            tok.kind == "op"
            and tok.text in ("(", "√", "π", "∞")
            or (self.latex and tok.text == "{")
        )

    def unary(self) -> sympy.Basic:
        sign = 1
        while True:
            op = self.accept("-", "+", "−")
            if op is None:
                break
            if op != "+":
                sign = -sign
        value = self.power()
        if sign < 0:
            _require_expr(value)
            return -value
        return value

    def power(self) -> sympy.Basic:
        base = self.postfix()
        if self.accept("^", "**"):
            exponent = self._latex_arg() if self.latex else self.unary()
            _require_expr(base, exponent)
            return safe_pow(base, exponent)
        return base

    def postfix(self) -> sympy.Basic:
        value = self.primary()
        factorial = False
        while self.accept("!"):
            value = safe_factorial(value)
            factorial = True
        if factorial and self.peek().kind == "num":
            value = _product(value, self.postfix())  # 3!3! = 3!·3!
        return value

    def primary(self) -> sympy.Basic:
        tok = self.take()
        if tok.kind == "num":
            if self.peek().kind == "num":
                raise ParseError("two numbers in a row")
            value = _number(tok.text)
            if self.latex and self.peek().text == "\\frac" and value.is_Integer:
                return self._mixed_number(value)
            return value
        if tok.kind == "name":
            return self._latex_name(tok.text) if self.latex else self._plain_name(tok.text)
        if tok.kind == "cmd":
            return self._command(tok.text)
        if tok.kind == "op":
            if tok.text in ("π", "∞"):
                return _CONSTANTS[tok.text]
            if tok.text == "√":
                return sympy.sqrt(self.postfix())
            if tok.text in ("(", "["):
                return self._bracket(tok.text)
            if tok.text == "|":
                return self._absolute("|")
            if tok.text == "{" and self.latex:
                value = self.sum()
                self.expect("}")
                return value
        raise ParseError(f"unexpected {tok.text!r}")

    def _absolute(self, bar: str) -> sympy.Basic:
        self.abs_depth += 1
        try:
            value = self.sum()
        finally:
            self.abs_depth -= 1
        self.expect(bar)
        _require_expr(value)
        return sympy.Abs(value)

    def _bracket(self, opener: str) -> sympy.Basic:
        if opener == "[" and self.peek().text == "[":
            return self._list_matrix()
        first = self.sum()
        if self.accept(","):
            items = [first, self.sum()]
            while self.accept(","):
                items.append(self.sum())
            closer = self.accept(")", "]")
            if closer is None:
                raise ParseError("unclosed bracket")
            if len(items) == 2 and (opener == "[" or closer == "]"):
                return sympy.Interval(
                    items[0], items[1], left_open=opener == "(", right_open=closer == ")"
                )
            if opener == "[" or closer == "]":
                raise ParseError("mismatched brackets")
            return sympy.Tuple(*items)
        self.expect(")" if opener == "(" else "]")
        return first

    def _list_matrix(self) -> sympy.Basic:
        """``[[1, 2], [3, 4]]``: a matrix written as nested lists (rows of equal length)."""
        rows: list[list[sympy.Basic]] = []
        while True:
            self.expect("[")
            row = [self.sum()]
            while self.accept(","):
                row.append(self.sum())
            self.expect("]")
            _require_expr(*row)
            rows.append(row)
            if not self.accept(","):
                break
        self.expect("]")
        if len({len(r) for r in rows}) != 1:
            raise ParseError("ragged matrix")
        if len(rows) * len(rows[0]) > MAX_MATRIX_ENTRIES:
            raise TooLarge("matrix too large")
        return sympy.ImmutableMatrix(rows)

    # -- names, plain text -----------------------------------------------
    def _plain_name(self, name: str) -> sympy.Basic:
        lower = name.lower()
        if lower in _PLAIN_FUNCS:
            return self._plain_call(lower)
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if "_" in name or len(name) == 1 or name in _GREEK:
            return sympy.Symbol(name)
        if len(name) <= _MAX_SPLIT_NAME and name.isascii():
            return sympy.Mul(*[sympy.Symbol(ch) for ch in name])
        raise ParseError(f"unknown name {name!r}")

    def _plain_call(self, func: str) -> sympy.Basic:
        if not self.accept("("):
            raise ParseError(f"{func} needs parentheses")
        args = [self.sum()]
        while self.accept(","):
            args.append(self.sum())
        self.expect(")")
        _require_expr(*args)
        if func == "factorial" and len(args) == 1:
            return safe_factorial(args[0])
        if func in ("binomial", "binom") and len(args) == 2:
            return safe_binomial(args[0], args[1])
        if func == "log" and len(args) == 2:
            return sympy.log(args[0], args[1])
        if len(args) != 1 or _PLAIN_FUNCS.get(func) is None:
            raise ParseError(f"bad call to {func}")
        return _PLAIN_FUNCS[func](args[0])

    # -- LaTeX -------------------------------------------------------------
    def _latex_name(self, name: str) -> sympy.Basic:
        return sympy.Symbol(name)

    def _latex_arg(self) -> sympy.Basic:
        """A macro argument: ``{…}`` or one token (``\\frac12`` is handled by the caller)."""
        if self.accept("{"):
            value = self.sum()
            self.expect("}")
            return value
        tok = self.peek()
        if tok.kind == "num":
            self.take()
            return _number(tok.text)
        if tok.kind == "name":
            self.take()
            return self._latex_name(tok.text)
        if tok.kind == "cmd" and (tok.text in ("\\pi", "\\infty") or tok.text[1:] in _GREEK):
            self.take()
            return self._command(tok.text)
        if tok.kind == "op" and tok.text in ("-", "+"):
            self.take()
            value = self._latex_arg()
            _require_expr(value)
            return -value if tok.text == "-" else value
        raise ParseError(f"cannot read an argument at {tok.text!r}")

    def _frac_args(self) -> tuple[sympy.Basic, sympy.Basic]:
        tok = self.peek()
        if tok.kind == "num" and tok.text.isdigit() and len(tok.text) == 2:
            self.take()  # \frac12
            return sympy.Integer(int(tok.text[0])), sympy.Integer(int(tok.text[1]))
        if tok.kind == "num" and len(tok.text) > 2:
            raise ParseError("ambiguous \\frac digits")
        return self._latex_arg(), self._latex_arg()

    def _mixed_number(self, whole: sympy.Integer) -> sympy.Basic:
        """``2\\frac{1}{2}`` is 5/2 (a mixed number); ``2\\frac{x}{2}`` is a product."""
        self.expect("\\frac")
        num, den = self._frac_args()
        _require_expr(num, den)
        if den == 0:
            raise ParseError("division by zero")
        if num.is_Integer and den.is_Integer and num >= 0 and den > 0:
            return whole + num / den
        return whole * num / den

    def _command(self, cmd: str) -> sympy.Basic:
        name = cmd[1:]
        if cmd == "\\begin":
            return self._matrix()
        if cmd in _SET_CONSTANTS:
            return _SET_CONSTANTS[cmd]
        if cmd == "\\mathbb":
            letter = self._braced_word()
            if letter not in _BLACKBOARD:
                raise ParseError(f"unknown set \\mathbb{{{letter}}}")
            return _BLACKBOARD[letter]
        if cmd == "\\|":
            return self._absolute("\\|")
        if cmd == "\\frac":
            num, den = self._frac_args()
            _require_expr(num, den)
            if den == 0:
                raise ParseError("division by zero")
            return num / den
        if cmd == "\\sqrt":
            if self.accept("["):
                index = self.sum()
                self.expect("]")
                radicand = self._latex_arg()
                _require_expr(index, radicand)
                if index == 0:
                    raise ParseError("zeroth root")
                return safe_pow(radicand, 1 / index)
            return sympy.sqrt(_expr(self._latex_arg()))
        if cmd == "\\binom":
            n, k = self._latex_arg(), self._latex_arg()
            _require_expr(n, k)
            return safe_binomial(n, k)
        if cmd == "\\pi":
            return sympy.pi
        if cmd == "\\infty":
            return sympy.oo
        if name in _GREEK:
            return sympy.Symbol(name)
        if cmd == "\\{":
            items = [self.sum()]
            while self.accept(","):
                items.append(self.sum())
            self.expect("\\}")
            return sympy.FiniteSet(*items)
        if cmd in _LATEX_FUNCS:
            return self._latex_function(cmd)
        raise ParseError(f"unsupported command {cmd}")

    def _braced_word(self) -> str:
        self.expect("{")
        word = []
        while self.peek().kind == "name":
            word.append(self.take().text)
        self.expect("}")
        return "".join(word)

    def _matrix(self) -> sympy.Basic:
        """``\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}``.

        Also bmatrix, matrix, array; vmatrix is a determinant.
        """
        env = self._braced_word()
        if env not in _MATRIX_ENVS:
            raise ParseError(f"unsupported environment {env}")
        if env == "array":  # the column specification
            self.expect("{")
            while self.peek().kind != "end" and not self.accept("}"):
                self.take()
        rows: list[list[sympy.Basic]] = [[]]
        while True:
            if self.peek().text == "\\end":
                break
            entry = self.sum()
            _require_expr(entry)
            rows[-1].append(entry)
            if self.accept("&"):
                continue
            if self.accept("\\\\"):
                if self.peek().text != "\\end":
                    rows.append([])
                continue
            if self.peek().text != "\\end":
                raise ParseError(f"unexpected {self.peek().text!r} in a matrix")
        self.expect("\\end")
        if self._braced_word() != env:
            raise ParseError("mismatched \\end")
        if not rows[-1]:
            rows.pop()
        if not rows or len({len(r) for r in rows}) != 1:
            raise ParseError("ragged matrix")
        if len(rows) * len(rows[0]) > MAX_MATRIX_ENTRIES:
            raise TooLarge("matrix too large")
        matrix = sympy.ImmutableMatrix(rows)
        if env in ("vmatrix", "Vmatrix"):
            if matrix.rows != matrix.cols or matrix.rows > 4:
                raise ParseError("determinant of a non-square or large matrix")
            return matrix.det()
        return matrix

    def _latex_function(self, cmd: str) -> sympy.Basic:
        base = None
        if cmd == "\\log" and self.accept("_"):
            base = self._latex_arg()
        power = None
        if self.accept("^"):
            power = self._latex_arg()
        if self.peek().text in ("(", "{"):
            opener = self.take().text
            arg = self.sum()
            self.expect(")" if opener == "(" else "}")
        else:
            # \ln x, \log_2 8: one token, and nothing that would multiply into it
            tok = self.peek()
            if tok.kind not in ("num", "name"):
                raise ParseError(f"{cmd} without parentheses")
            self.take()
            arg = _number(tok.text) if tok.kind == "num" else self._latex_name(tok.text)
            follow = self.peek()
            if (
                follow.kind in ("num", "name")
                or (follow.kind == "cmd" and self._starts_primary(follow))
                or follow.text in ("(", "{", "^")
            ):
                raise ParseError(f"ambiguous argument of {cmd}")
        _require_expr(arg)
        if cmd == "\\log":
            value = sympy.log(arg, base if base is not None else 10)
        elif cmd == "\\ln":
            value = sympy.log(arg)
        else:
            func = _LATEX_FUNCS[cmd]
            if power == -1 and func in _INVERSE:
                return _INVERSE[func](arg)
            value = func(arg)
        if power is not None:
            _require_expr(power)
            value = safe_pow(value, power)
        return value


def _relation(op: str, a: sympy.Basic, b: sympy.Basic) -> sympy.Basic:
    if op == "\\in":
        if not isinstance(b, sympy.Set):
            raise ParseError("\\in needs a set on its right")
        return sympy.Contains(a, b, evaluate=False)
    if isinstance(a, sympy.Set) or isinstance(b, sympy.Set):
        raise ParseError("a relation between sets")
    return _RELATIONS[op](a, b, evaluate=False)


def _product(a: sympy.Basic, b: sympy.Basic) -> sympy.Basic:
    am, bm = isinstance(a, sympy.MatrixBase), isinstance(b, sympy.MatrixBase)
    if am and bm:
        if a.shape[1] != b.shape[0]:
            raise ParseError("matrix shapes do not multiply")
        return sympy.ImmutableMatrix(a * b)
    if am or bm:
        scalar, matrix = (b, a) if am else (a, b)
        _require_expr(scalar)
        return sympy.ImmutableMatrix(matrix * scalar)
    _require_expr(a, b)
    return a * b


def _combine(a: sympy.Basic, b: sympy.Basic, op: str) -> sympy.Basic:
    am, bm = isinstance(a, sympy.MatrixBase), isinstance(b, sympy.MatrixBase)
    if am or bm:
        if not (am and bm) or a.shape != b.shape:
            raise ParseError("adding a matrix to something of another shape")
        return sympy.ImmutableMatrix(a + b if op == "+" else a - b)
    _require_expr(a, b)
    return a + b if op == "+" else a - b


def _pair_as_interval(value: sympy.Basic) -> sympy.Basic:
    """In a union, ``(a, b)`` is an open interval, not a pair."""
    if isinstance(value, sympy.Tuple) and len(value) == 2:
        return sympy.Interval.open(value[0], value[1])
    return value


def _expr(value: sympy.Basic) -> sympy.Expr:
    _require_expr(value)
    return value


def _require_expr(*values: sympy.Basic) -> None:
    """Arithmetic only on scalar expressions (no ``(1,2) + 3``, no sets in powers)."""
    for v in values:
        if not isinstance(v, sympy.Expr):
            raise ParseError(f"arithmetic on {type(v).__name__}")


def _number(text: str) -> sympy.Number:
    if "." in text:
        whole, _, frac = text.partition(".")
        if not frac:
            return sympy.Integer(int(whole))
        return sympy.Float(text, max(15, len(text)))
    return sympy.Integer(int(text))


def _bits(value: sympy.Basic) -> int:
    if value.is_Integer:
        return abs(int(value)).bit_length()
    if value.is_Rational:
        return max(abs(int(value.p)).bit_length(), int(value.q).bit_length())
    return 64


def safe_pow(base: sympy.Basic, exponent: sympy.Basic) -> sympy.Expr:
    """``base ** exponent`` unless evaluating it could take unbounded time or memory."""
    if exponent.is_Number and exponent.is_finite:
        magnitude = abs(exponent)
        if base.is_Number and base.is_finite and abs(base) not in (0, 1):
            if exponent.is_Rational and _bits(base) * abs(int(exponent.p)) > MAX_POWER_BITS:
                raise TooLarge("power too large")
            if exponent.is_Float and magnitude > MAX_SYMBOLIC_EXPONENT:
                raise TooLarge("power too large")
        elif not base.is_Number and magnitude > MAX_SYMBOLIC_EXPONENT:
            raise TooLarge("exponent too large")
    return sympy.Pow(base, exponent)


def safe_factorial(value: sympy.Basic) -> sympy.Expr:
    _require_expr(value)
    if value.is_Number and (not value.is_finite or abs(value) > MAX_FACTORIAL):
        raise TooLarge("factorial too large")
    return sympy.factorial(value)


def safe_binomial(n: sympy.Basic, k: sympy.Basic) -> sympy.Expr:
    if (n.is_Number and abs(n) > MAX_BINOMIAL) or (k.is_Number and abs(k) > MAX_BINOMIAL):
        raise TooLarge("binomial too large")
    return sympy.binomial(n, k)


def _run(text: str, latex: bool) -> sympy.Basic:
    if not text or not text.strip():
        raise ParseError("empty")
    try:
        value = _Parser(text, latex).answer()
    except RecursionError as exc:
        raise ParseError("nested too deeply") from exc
    except (
        TypeError,
        AttributeError,
        ZeroDivisionError,
        OverflowError,
        MemoryError,
        ValueError,
    ) as exc:
        if isinstance(exc, ParseError):
            raise
        raise ParseError(f"cannot build expression: {type(exc).__name__}: {exc}"[:200]) from exc
    if isinstance(value, sympy.logic.boolalg.BooleanAtom):
        raise ParseError("a statement that is simply true or false")
    return value


@lru_cache(maxsize=4096)
def parse_plain(text: str) -> sympy.Basic:
    """Parse plain-text mathematics (``(x+1)**2``, ``sqrt(2)/2``) or raise :class:`ParseError`."""
    return _run(text, latex=False)


@lru_cache(maxsize=4096)
def parse_latex_subset(text: str) -> sympy.Basic:
    """Parse common LaTeX (``\\frac``, ``\\sqrt``, ``\\pi``, trig, sets, intervals) or raise ParseError."""
    return _run(text, latex=True)
