'use strict';
// A small Scheme-like interpreter: reader, environments, closures with
// proper tail calls, macros for `let`, `cond`, `and`, `or`, quasi-lists and a
// standard library. The demo runs a handful of programs and checks results.

class LispError extends Error {}

// ---------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------

class Sym {
  static table = new Map();
  constructor(name) {
    this.name = name;
  }
  static of(name) {
    let s = Sym.table.get(name);
    if (!s) {
      s = new Sym(name);
      Sym.table.set(name, s);
    }
    return s;
  }
  toString() {
    return this.name;
  }
}

const S = (n) => Sym.of(n);
const QUOTE = S('quote'), IF = S('if'), DEFINE = S('define'), LAMBDA = S('lambda'), BEGIN = S('begin'), SET = S('set!');
const LET = S('let'), COND = S('cond'), ELSE = S('else'), AND = S('and'), OR = S('or'), DEFMACRO = S('define-macro');

function tokenize(src) {
  const tokens = [];
  const re = /\s*(,@|[('`,)]|"(?:\\.|[^\\"])*"|;[^\n]*|[^\s('"`,;)]*)/g;
  let m;
  while ((m = re.exec(src)) !== null) {
    const tok = m[1];
    if (tok === '' && re.lastIndex >= src.length) break;
    if (tok === '') {
      re.lastIndex++;
      continue;
    }
    if (!tok.startsWith(';')) tokens.push(tok);
  }
  return tokens;
}

function readFrom(tokens) {
  if (tokens.length === 0) throw new LispError('unexpected end of input');
  const tok = tokens.shift();
  if (tok === '(') {
    const list = [];
    while (tokens[0] !== ')') {
      if (tokens.length === 0) throw new LispError('missing )');
      list.push(readFrom(tokens));
    }
    tokens.shift();
    return list;
  }
  if (tok === ')') throw new LispError('unexpected )');
  if (tok === "'") return [QUOTE, readFrom(tokens)];
  return atom(tok);
}

function atom(tok) {
  if (tok === '#t') return true;
  if (tok === '#f') return false;
  if (tok.startsWith('"')) return JSON.parse(tok);
  const n = Number(tok);
  if (!Number.isNaN(n)) return n;
  return S(tok);
}

function readAll(src) {
  const tokens = tokenize(src);
  const out = [];
  while (tokens.length) out.push(readFrom(tokens));
  return out;
}

function show(x) {
  if (x === true) return '#t';
  if (x === false) return '#f';
  if (x === null || x === undefined) return 'nil';
  if (Array.isArray(x)) return `(${x.map(show).join(' ')})`;
  if (typeof x === 'string') return JSON.stringify(x);
  if (x instanceof Procedure) return `#<procedure ${x.name ?? 'lambda'}>`;
  if (typeof x === 'function') return '#<builtin>';
  return String(x);
}

// ---------------------------------------------------------------------------
// Environments and procedures
// ---------------------------------------------------------------------------

class Env {
  constructor(params = [], args = [], outer = null) {
    this.vars = new Map();
    this.outer = outer;
    if (params instanceof Sym) {
      this.vars.set(params, args);
    } else {
      const rest = params.findIndex((p) => p.name === '.');
      if (rest >= 0) {
        params.slice(0, rest).forEach((p, i) => this.vars.set(p, args[i]));
        this.vars.set(params[rest + 1], args.slice(rest));
      } else {
        if (params.length !== args.length) throw new LispError(`expected ${params.length} arguments, got ${args.length}`);
        params.forEach((p, i) => this.vars.set(p, args[i]));
      }
    }
  }
  find(sym) {
    let e = this;
    while (e) {
      if (e.vars.has(sym)) return e;
      e = e.outer;
    }
    throw new LispError(`unbound symbol: ${sym}`);
  }
  get(sym) {
    return this.find(sym).vars.get(sym);
  }
  define(sym, value) {
    this.vars.set(sym, value);
  }
}

class Procedure {
  constructor(params, body, env, name) {
    this.params = params;
    this.body = body;
    this.env = env;
    this.name = name;
  }
}

const macros = new Map();

function expandLet([, bindings, ...body]) {
  return [[LAMBDA, bindings.map((b) => b[0]), ...body], ...bindings.map((b) => b[1])];
}

function expandCond([, ...clauses]) {
  if (clauses.length === 0) return false;
  const [[test, ...body], ...rest] = clauses;
  if (test === ELSE) return [BEGIN, ...body];
  return [IF, test, [BEGIN, ...body], [COND, ...rest]];
}

function expandAnd([, ...xs]) {
  if (xs.length === 0) return true;
  if (xs.length === 1) return xs[0];
  return [IF, xs[0], [AND, ...xs.slice(1)], false];
}

function expandOr([, ...xs]) {
  if (xs.length === 0) return false;
  if (xs.length === 1) return xs[0];
  const tmp = S(`__or${xs.length}`);
  return [LET, [[tmp, xs[0]]], [IF, tmp, tmp, [OR, ...xs.slice(1)]]];
}

// ---------------------------------------------------------------------------
// Evaluator with tail calls in a loop
// ---------------------------------------------------------------------------

let steps = 0;

function evaluate(x, env) {
  for (;;) {
    if (++steps > 5e6) throw new LispError('step limit exceeded');
    if (x instanceof Sym) return env.get(x);
    if (!Array.isArray(x)) return x;
    if (x.length === 0) return [];
    const op = x[0];
    if (op === QUOTE) return x[1];
    if (op === IF) {
      const test = evaluate(x[1], env);
      x = test !== false && test !== null ? x[2] : x.length > 3 ? x[3] : false;
      continue;
    }
    if (op === DEFINE) {
      if (Array.isArray(x[1])) {
        const [name, ...params] = x[1];
        env.define(name, new Procedure(params, [BEGIN, ...x.slice(2)], env, name.name));
      } else {
        env.define(x[1], evaluate(x[2], env));
      }
      return null;
    }
    if (op === SET) {
      env.find(x[1]).vars.set(x[1], evaluate(x[2], env));
      return null;
    }
    if (op === LAMBDA) return new Procedure(x[1], [BEGIN, ...x.slice(2)], env);
    if (op === BEGIN) {
      if (x.length === 1) return null;
      for (const e of x.slice(1, -1)) evaluate(e, env);
      x = x[x.length - 1];
      continue;
    }
    if (op === DEFMACRO) {
      const [name, ...params] = x[1];
      const proc = new Procedure(params, [BEGIN, ...x.slice(2)], env, name.name);
      macros.set(name, (form) => apply(proc, form.slice(1)));
      return null;
    }
    if (op === LET) { x = expandLet(x); continue; }
    if (op === COND) { x = expandCond(x); continue; }
    if (op === AND) { x = expandAnd(x); continue; }
    if (op === OR) { x = expandOr(x); continue; }
    if (op instanceof Sym && macros.has(op)) {
      x = macros.get(op)(x);
      continue;
    }
    const f = evaluate(op, env);
    const args = x.slice(1).map((a) => evaluate(a, env));
    if (f instanceof Procedure) {
      env = new Env(f.params, args, f.env);
      x = f.body;
      continue;
    }
    if (typeof f === 'function') return f(...args);
    throw new LispError(`not a procedure: ${show(f)}`);
  }
}

function apply(f, args) {
  if (f instanceof Procedure) return evaluate(f.body, new Env(f.params, args, f.env));
  if (typeof f === 'function') return f(...args);
  throw new LispError(`not a procedure: ${show(f)}`);
}

// ---------------------------------------------------------------------------
// Standard library
// ---------------------------------------------------------------------------

function numeric(name, fn) {
  return (...args) => {
    for (const a of args) if (typeof a !== 'number') throw new LispError(`${name}: not a number: ${show(a)}`);
    return fn(...args);
  };
}

function globalEnv() {
  const env = new Env();
  const lib = {
    '+': numeric('+', (...xs) => xs.reduce((a, b) => a + b, 0)),
    '-': numeric('-', (a, ...xs) => (xs.length ? xs.reduce((p, b) => p - b, a) : -a)),
    '*': numeric('*', (...xs) => xs.reduce((a, b) => a * b, 1)),
    '/': numeric('/', (a, b) => {
      if (b === 0) throw new LispError('division by zero');
      return a / b;
    }),
    quotient: numeric('quotient', (a, b) => Math.trunc(a / b)),
    remainder: numeric('remainder', (a, b) => a % b),
    '<': (a, b) => a < b, '>': (a, b) => a > b, '<=': (a, b) => a <= b, '>=': (a, b) => a >= b, '=': (a, b) => a === b,
    'eq?': (a, b) => a === b,
    'equal?': (a, b) => show(a) === show(b),
    not: (a) => a === false,
    car: (l) => {
      if (!Array.isArray(l) || l.length === 0) throw new LispError(`car of ${show(l)}`);
      return l[0];
    },
    cdr: (l) => {
      if (!Array.isArray(l) || l.length === 0) throw new LispError(`cdr of ${show(l)}`);
      return l.slice(1);
    },
    cons: (a, l) => [a, ...(Array.isArray(l) ? l : [l])],
    list: (...xs) => xs,
    'null?': (l) => Array.isArray(l) && l.length === 0,
    'pair?': (l) => Array.isArray(l) && l.length > 0,
    'number?': (x) => typeof x === 'number',
    'symbol?': (x) => x instanceof Sym,
    'procedure?': (x) => x instanceof Procedure || typeof x === 'function',
    length: (l) => l.length,
    append: (...ls) => [].concat(...ls),
    reverse: (l) => [...l].reverse(),
    map: (f, l) => l.map((x) => apply(f, [x])),
    filter: (f, l) => l.filter((x) => apply(f, [x]) !== false),
    'fold-left': (f, init, l) => l.reduce((acc, x) => apply(f, [acc, x]), init),
    apply: (f, args) => apply(f, args),
    sqrt: numeric('sqrt', Math.sqrt),
    abs: numeric('abs', Math.abs),
    max: numeric('max', Math.max),
    min: numeric('min', Math.min),
    'string-append': (...xs) => xs.join(''),
    'number->string': (n) => String(n),
    display: (x) => {
      out.push(typeof x === 'string' ? x : show(x));
      return null;
    },
    newline: () => {
      out.push('\n');
      return null;
    },
  };
  for (const [k, v] of Object.entries(lib)) env.define(S(k), v);
  return env;
}

let out = [];

function run(src, env = globalEnv()) {
  let result = null;
  for (const form of readAll(src)) result = evaluate(form, env);
  return result;
}

// ---------------------------------------------------------------------------
// Programs
// ---------------------------------------------------------------------------

const PRELUDE = `
(define (range a b) (if (>= a b) '() (cons a (range (+ a 1) b))))
(define (sum l) (fold-left + 0 l))
(define (compose f g) (lambda (x) (f (g x))))
(define-macro (unless c . body) (list 'if c #f (cons 'begin body)))
`;

const CASES = [
  ['(+ 1 2 (* 3 4))', 15],
  ['(let ((x 2) (y 3)) (* x y))', 6],
  ['(define (fact n) (if (<= n 1) 1 (* n (fact (- n 1))))) (fact 10)', 3628800],
  ['(define (loop n acc) (if (= n 0) acc (loop (- n 1) (+ acc 1)))) (loop 100000 0)', 100000],
  ['(sum (map (lambda (x) (* x x)) (range 1 11)))', 385],
  ["(cond ((> 1 2) 'a) ((< 1 2) 'b) (else 'c))", S('b')],
  ['(and 1 2 #f 3)', false],
  ['(or #f #f 7)', 7],
  ['((compose (lambda (x) (* x 2)) (lambda (x) (+ x 1))) 5)', 12],
  ['(unless (> 1 2) 10 20)', 20],
  ['(length (filter (lambda (x) (= 0 (remainder x 3))) (range 0 30)))', 10],
  ['(define counter ((lambda () (define n 0) (lambda () (set! n (+ n 1)) n)))) (counter) (counter) (counter)', 3],
];

const PROGRAMS = {
  primes: `
    (define (prime? n)
      (define (try d) (cond ((> (* d d) n) #t) ((= 0 (remainder n d)) #f) (else (try (+ d 1)))))
      (and (> n 1) (try 2)))
    (display (filter prime? (range 1 60))) (newline)`,
  hanoi: `
    (define moves 0)
    (define (hanoi n from to via)
      (unless (= n 0)
        (hanoi (- n 1) from via to)
        (set! moves (+ moves 1))
        (hanoi (- n 1) via to from)))
    (hanoi 12 'a 'c 'b)
    (display (string-append "hanoi 12 takes " (number->string moves) " moves")) (newline)`,
  queens: `
    (define (safe? q qs d)
      (or (null? qs)
          (and (not (= q (car qs)))
               (not (= (abs (- q (car qs))) d))
               (safe? q (cdr qs) (+ d 1)))))
    (define (queens n k)
      (if (= k 0)
          (list '())
          (fold-left append '()
            (map (lambda (qs) (map (lambda (q) (cons q qs)) (filter (lambda (q) (safe? q qs 1)) (range 0 n))))
                 (queens n (- k 1))))))
    (display (string-append "6 queens: " (number->string (length (queens 6 6))) " solutions")) (newline)`,
};

let passed = 0;
for (const [src, expected] of CASES) {
  const env = globalEnv();
  run(PRELUDE, env);
  let got;
  try {
    got = run(src, env);
  } catch (e) {
    got = e;
  }
  if (show(got) === show(expected)) passed++;
  else console.log(`FAIL ${src}\n  got ${got instanceof Error ? got.message : show(got)}, expected ${show(expected)}`);
}
console.log(`${passed}/${CASES.length} cases pass`);

for (const [name, src] of Object.entries(PROGRAMS)) {
  out = [];
  const env = globalEnv();
  run(PRELUDE, env);
  const t = Date.now();
  run(src, env);
  process.stdout.write(`${name}: ${out.join('')}`);
  console.log(`  (${Date.now() - t} ms, ${steps} steps so far)`);
}

try {
  run('(car (quote ()))');
} catch (e) {
  console.log('error reported:', e.message);
}
