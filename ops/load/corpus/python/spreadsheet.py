"""A small spreadsheet engine: cells hold numbers, text or formulas.

Formulas are parsed into an expression tree, dependencies are tracked so a
change recalculates only what depends on it, and cycles are reported instead
of looping forever. The demo at the bottom builds a budget sheet, prints it,
changes a few inputs and prints what was recalculated.
"""

import math
import re
from collections import defaultdict, deque

# ---------------------------------------------------------------------------
# Cell references
# ---------------------------------------------------------------------------

REF_RE = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,5})$")


def column_index(letters):
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - ord("A") + 1)
    return n - 1


def column_letters(index):
    index += 1
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


def parse_ref(text):
    m = REF_RE.match(text.upper())
    if not m:
        raise ValueError(f"not a cell reference: {text!r}")
    return column_index(m.group(1)), int(m.group(2)) - 1


def ref_name(col, row):
    return f"{column_letters(col)}{row + 1}"


def expand_range(a, b):
    c1, r1 = parse_ref(a)
    c2, r2 = parse_ref(b)
    for r in range(min(r1, r2), max(r1, r2) + 1):
        for c in range(min(c1, c2), max(c1, c2) + 1):
            yield ref_name(c, r)


# ---------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------

TOKEN_SPEC = [
    ("NUMBER", r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?"),
    ("STRING", r'"(?:[^"\\]|\\.)*"'),
    ("RANGE", r"\$?[A-Z]{1,3}\$?[0-9]{1,5}:\$?[A-Z]{1,3}\$?[0-9]{1,5}"),
    ("REF", r"\$?[A-Z]{1,3}\$?[0-9]{1,5}"),
    ("NAME", r"[A-Z_][A-Z0-9_]*"),
    ("OP", r"<=|>=|<>|[-+*/^&=<>(),%]"),
    ("WS", r"\s+"),
]
TOKEN_RE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in TOKEN_SPEC), re.IGNORECASE)


class Token:
    __slots__ = ("kind", "text", "pos")

    def __init__(self, kind, text, pos):
        self.kind = kind
        self.text = text
        self.pos = pos

    def __repr__(self):
        return f"Token({self.kind}, {self.text!r})"


def tokenize(src):
    pos = 0
    tokens = []
    while pos < len(src):
        m = TOKEN_RE.match(src, pos)
        if not m:
            raise SyntaxError(f"unexpected character {src[pos]!r} at {pos}")
        kind = m.lastgroup
        text = m.group()
        if kind != "WS":
            if kind in ("REF", "RANGE", "NAME"):
                text = text.upper()
            tokens.append(Token(kind, text, pos))
        pos = m.end()
    tokens.append(Token("EOF", "", pos))
    return tokens


# ---------------------------------------------------------------------------
# Parser: precedence climbing into tuples
# ---------------------------------------------------------------------------

BINARY = {
    "=": (1, "left"), "<>": (1, "left"), "<": (1, "left"), ">": (1, "left"), "<=": (1, "left"), ">=": (1, "left"),
    "&": (2, "left"),
    "+": (3, "left"), "-": (3, "left"),
    "*": (4, "left"), "/": (4, "left"),
    "^": (5, "right"),
}


class Parser:
    def __init__(self, src):
        self.tokens = tokenize(src)
        self.i = 0

    def peek(self):
        return self.tokens[self.i]

    def take(self, kind=None, text=None):
        tok = self.tokens[self.i]
        if kind and tok.kind != kind:
            raise SyntaxError(f"expected {kind} but found {tok.text!r} at {tok.pos}")
        if text and tok.text != text:
            raise SyntaxError(f"expected {text!r} but found {tok.text!r} at {tok.pos}")
        self.i += 1
        return tok

    def parse(self):
        node = self.expression(0)
        if self.peek().kind != "EOF":
            raise SyntaxError(f"unexpected {self.peek().text!r} at {self.peek().pos}")
        return node

    def expression(self, min_prec):
        left = self.unary()
        while True:
            tok = self.peek()
            if tok.kind != "OP" or tok.text not in BINARY:
                break
            prec, assoc = BINARY[tok.text]
            if prec < min_prec:
                break
            self.take()
            right = self.expression(prec + 1 if assoc == "left" else prec)
            left = ("bin", tok.text, left, right)
        return left

    def unary(self):
        tok = self.peek()
        if tok.kind == "OP" and tok.text in "+-":
            self.take()
            return ("neg", self.unary()) if tok.text == "-" else self.unary()
        node = self.primary()
        if self.peek().kind == "OP" and self.peek().text == "%":
            self.take()
            node = ("bin", "/", node, ("num", 100.0))
        return node

    def primary(self):
        tok = self.take()
        if tok.kind == "NUMBER":
            return ("num", float(tok.text))
        if tok.kind == "STRING":
            return ("str", tok.text[1:-1].replace('\\"', '"'))
        if tok.kind == "REF":
            return ("ref", tok.text.replace("$", ""))
        if tok.kind == "RANGE":
            a, b = tok.text.replace("$", "").split(":")
            return ("range", a, b)
        if tok.kind == "NAME":
            if tok.text in ("TRUE", "FALSE") and self.peek().text != "(":
                return ("bool", tok.text == "TRUE")
            self.take("OP", "(")
            args = []
            if self.peek().text != ")":
                args.append(self.expression(0))
                while self.peek().text == ",":
                    self.take()
                    args.append(self.expression(0))
            self.take("OP", ")")
            return ("call", tok.text, args)
        if tok.kind == "OP" and tok.text == "(":
            node = self.expression(0)
            self.take("OP", ")")
            return node
        raise SyntaxError(f"unexpected {tok.text!r} at {tok.pos}")


def references(node):
    """Every cell a formula reads."""
    kind = node[0]
    if kind == "ref":
        yield node[1]
    elif kind == "range":
        yield from expand_range(node[1], node[2])
    elif kind == "bin":
        yield from references(node[2])
        yield from references(node[3])
    elif kind == "neg":
        yield from references(node[1])
    elif kind == "call":
        for arg in node[2]:
            yield from references(arg)


# ---------------------------------------------------------------------------
# Errors and functions
# ---------------------------------------------------------------------------


class CellError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code

    def __str__(self):
        return self.code


def flatten(values):
    for v in values:
        if isinstance(v, list):
            yield from flatten(v)
        else:
            yield v


def numbers(values):
    for v in flatten(values):
        if isinstance(v, CellError):
            raise v
        if isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            yield float(v)


def fn_sum(args):
    return sum(numbers(args))


def fn_average(args):
    xs = list(numbers(args))
    if not xs:
        raise CellError("#DIV/0!")
    return sum(xs) / len(xs)


def fn_min(args):
    xs = list(numbers(args))
    return min(xs) if xs else 0.0


def fn_max(args):
    xs = list(numbers(args))
    return max(xs) if xs else 0.0


def fn_count(args):
    return float(len(list(numbers(args))))


def fn_if(args):
    if len(args) not in (2, 3):
        raise CellError("#N/A")
    return args[1] if truthy(args[0]) else (args[2] if len(args) == 3 else False)


def fn_round(args):
    digits = int(args[1]) if len(args) > 1 else 0
    return round(to_number(args[0]), digits)


def fn_sqrt(args):
    x = to_number(args[0])
    if x < 0:
        raise CellError("#NUM!")
    return math.sqrt(x)


def fn_concat(args):
    return "".join(to_text(v) for v in flatten(args))


def fn_len(args):
    return float(len(to_text(args[0])))


def fn_upper(args):
    return to_text(args[0]).upper()


def fn_pmt(args):
    rate, periods, principal = (to_number(a) for a in args[:3])
    if periods <= 0:
        raise CellError("#NUM!")
    if rate == 0:
        return -principal / periods
    return -principal * rate / (1 - (1 + rate) ** -periods)


def fn_stdev(args):
    xs = list(numbers(args))
    if len(xs) < 2:
        raise CellError("#DIV/0!")
    mean = sum(xs) / len(xs)
    return math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))


FUNCTIONS = {
    "SUM": fn_sum, "AVERAGE": fn_average, "MIN": fn_min, "MAX": fn_max, "COUNT": fn_count,
    "IF": fn_if, "ROUND": fn_round, "SQRT": fn_sqrt, "CONCAT": fn_concat, "LEN": fn_len,
    "UPPER": fn_upper, "PMT": fn_pmt, "STDEV": fn_stdev,
}


def to_number(v):
    if isinstance(v, CellError):
        raise v
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if v in ("", None):
        return 0.0
    try:
        return float(v)
    except (TypeError, ValueError):
        raise CellError("#VALUE!")


def to_text(v):
    if isinstance(v, CellError):
        raise v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:g}"
    return "" if v is None else str(v)


def truthy(v):
    if isinstance(v, str):
        if v.upper() in ("TRUE", "FALSE"):
            return v.upper() == "TRUE"
        raise CellError("#VALUE!")
    return to_number(v) != 0


# ---------------------------------------------------------------------------
# The sheet
# ---------------------------------------------------------------------------


class Sheet:
    def __init__(self):
        self.raw = {}
        self.trees = {}
        self.values = {}
        self.depends_on = defaultdict(set)
        self.dependents = defaultdict(set)
        self.recalculated = []

    def set(self, name, raw):
        name = name.upper()
        self.raw[name] = raw
        for ref in self.depends_on.pop(name, set()):
            self.dependents[ref].discard(name)
        self.trees.pop(name, None)
        if isinstance(raw, str) and raw.startswith("="):
            try:
                tree = Parser(raw[1:]).parse()
            except SyntaxError:
                tree = ("err", "#ERROR!")
            self.trees[name] = tree
            refs = set(references(tree))
            self.depends_on[name] = refs
            for ref in refs:
                self.dependents[ref].add(name)
        self.recalculate_from(name)

    def recalculate_from(self, start):
        order = self.topological_order(start)
        self.recalculated = []
        if order is None:
            for name in self.cycle_members(start):
                self.values[name] = CellError("#CYCLE!")
                self.recalculated.append(name)
            return
        for name in order:
            self.values[name] = self.compute(name)
            self.recalculated.append(name)

    def topological_order(self, start):
        affected = set()
        queue = deque([start])
        while queue:
            n = queue.popleft()
            if n in affected:
                continue
            affected.add(n)
            queue.extend(self.dependents.get(n, ()))
        indegree = {n: 0 for n in affected}
        for n in affected:
            for d in self.dependents.get(n, ()):
                if d in affected:
                    indegree[d] += 1
        ready = deque(sorted(n for n, k in indegree.items() if k == 0))
        order = []
        while ready:
            n = ready.popleft()
            order.append(n)
            for d in sorted(self.dependents.get(n, ())):
                if d in indegree:
                    indegree[d] -= 1
                    if indegree[d] == 0:
                        ready.append(d)
        return order if len(order) == len(affected) else None

    def cycle_members(self, start):
        seen, stack, members = set(), [(start, iter(self.depends_on.get(start, ())))], set()
        path = [start]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.pop()
                continue
            if nxt in path:
                members.update(path[path.index(nxt):])
                continue
            if nxt not in seen:
                seen.add(nxt)
                path.append(nxt)
                stack.append((nxt, iter(self.depends_on.get(nxt, ()))))
        return members or {start}

    def compute(self, name):
        raw = self.raw.get(name)
        if name not in self.trees:
            if isinstance(raw, str):
                try:
                    return float(raw)
                except ValueError:
                    return raw
            return raw
        try:
            return self.evaluate(self.trees[name])
        except CellError as e:
            return e
        except ZeroDivisionError:
            return CellError("#DIV/0!")
        except (OverflowError, ValueError):
            return CellError("#NUM!")

    def value(self, name):
        v = self.values.get(name)
        return v

    def evaluate(self, node):
        kind = node[0]
        if kind == "num":
            return node[1]
        if kind in ("str", "bool"):
            return node[1]
        if kind == "err":
            raise CellError(node[1])
        if kind == "ref":
            v = self.value(node[1])
            if isinstance(v, CellError):
                raise v
            return v
        if kind == "range":
            return [self.value(n) for n in expand_range(node[1], node[2])]
        if kind == "neg":
            return -to_number(self.evaluate(node[1]))
        if kind == "call":
            fn = FUNCTIONS.get(node[1])
            if fn is None:
                raise CellError("#NAME?")
            return fn([self.evaluate(a) for a in node[2]])
        op, a, b = node[1], self.evaluate(node[2]), self.evaluate(node[3])
        if op == "&":
            return to_text(a) + to_text(b)
        if op in ("=", "<>", "<", ">", "<=", ">="):
            if isinstance(a, str) or isinstance(b, str):
                a, b = to_text(a).lower(), to_text(b).lower()
            else:
                a, b = to_number(a), to_number(b)
            return {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        x, y = to_number(a), to_number(b)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            if y == 0:
                raise CellError("#DIV/0!")
            return x / y
        if op == "^":
            return x ** y
        raise CellError("#N/A")

    def render(self, cols, rows, width=12):
        header = " " * 4 + "".join(column_letters(c).center(width) for c in range(cols))
        lines = [header]
        for r in range(rows):
            cells = []
            for c in range(cols):
                v = self.values.get(ref_name(c, r))
                if v is None:
                    text = ""
                elif isinstance(v, float):
                    text = f"{v:,.2f}"
                else:
                    text = to_text(v)
                text = text[: width - 1]
                cells.append(text.rjust(width) if isinstance(v, float) else text.ljust(width))
            lines.append(f"{r + 1:>3} " + "".join(cells))
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# Demo: a monthly budget
# ---------------------------------------------------------------------------


def build_budget():
    sheet = Sheet()
    rows = [
        ("Item", "Jan", "Feb", "Mar", "Total"),
        ("Rent", 1200, 1200, 1250, None),
        ("Food", 420.5, 390, 455.25, None),
        ("Travel", 80, 310, 45, None),
        ("Books", 35, 0, 62.9, None),
        ("Power", 95, 88, 70, None),
    ]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None:
                sheet.set(ref_name(c, r), v if isinstance(v, str) else str(v))
    for r in range(1, len(rows)):
        sheet.set(f"E{r + 1}", f"=SUM(B{r + 1}:D{r + 1})")
    last = len(rows)
    sheet.set(f"A{last + 1}", "Total")
    for c in "BCDE":
        sheet.set(f"{c}{last + 1}", f"=SUM({c}2:{c}{last})")
    sheet.set(f"A{last + 2}", "Average")
    for c in "BCD":
        sheet.set(f"{c}{last + 2}", f"=ROUND(AVERAGE({c}2:{c}{last}), 2)")
    sheet.set(f"A{last + 3}", "Status")
    sheet.set(f"B{last + 3}", f'=IF(E{last + 1} > 5500, "over", "ok")')
    sheet.set(f"C{last + 3}", f'="spent " & ROUND(E{last + 1}, 0)')
    sheet.set(f"A{last + 4}", "Loan pmt")
    sheet.set(f"B{last + 4}", "=ROUND(PMT(0.05/12, 36, 10000), 2)")
    sheet.set(f"A{last + 5}", "Stdev")
    sheet.set(f"B{last + 5}", f"=ROUND(STDEV(B2:D{last}), 2)")
    return sheet, last


def self_test():
    checks = [
        ("=1+2*3", 7.0), ("=(1+2)*3", 9.0), ("=2^3^2", 512.0), ("=-2^2", 4.0), ("=10%", 0.1),
        ('="a" & "b"', "ab"), ("=IF(1>2, 1, 2)", 2.0), ("=SQRT(16)", 4.0), ('=LEN("hello")', 5.0),
        ('=UPPER("conveyor")', "CONVEYOR"), ("=MAX(1, 7, 3)", 7.0), ("=MIN(4, -1)", -1.0),
    ]
    sheet = Sheet()
    failures = 0
    for i, (formula, expected) in enumerate(checks):
        name = f"Z{i + 1}"
        sheet.set(name, formula)
        got = sheet.value(name)
        if got != expected:
            failures += 1
            print(f"FAIL {formula}: got {got!r}, expected {expected!r}")
    sheet.set("Y1", "=1/0")
    assert str(sheet.value("Y1")) == "#DIV/0!"
    sheet.set("Y2", "=Y3+1")
    sheet.set("Y3", "=Y2+1")
    assert str(sheet.value("Y3")) == "#CYCLE!", sheet.value("Y3")
    sheet.set("Y4", "=NOPE(1)")
    assert str(sheet.value("Y4")) == "#NAME?"
    print(f"self-test: {len(checks) - failures}/{len(checks)} formulas ok, errors and cycles reported")
    return failures == 0


def main():
    ok = self_test()
    sheet, last = build_budget()
    print()
    print(sheet.render(5, last + 5))
    print()
    sheet.set("C4", "1310")
    print("after changing C4 to 1310, recalculated:", ", ".join(sheet.recalculated))
    print("status now:", to_text(sheet.value(f"B{last + 3}")), "|", to_text(sheet.value(f"C{last + 3}")))
    sheet.set("B2", "=E7")
    print("B2 = E7 makes a cycle:", ", ".join(f"{n}={sheet.value(n)}" for n in sorted(sheet.recalculated)))
    sheet.set("B2", "1200")
    print("fixed again, grand total:", f"{sheet.value(f'E{last + 1}'):,.2f}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
