// SPDX-License-Identifier: GPL-2.0
/// Facts about every function of a driver file that the attach_dev
/// contract (SPEC §1) cares about, printed one per line for
/// static/attach_check.py, which follows them from the .attach_dev
/// callback through the helpers it returns through and judges them.
/// Nothing here decides a verdict: each rule only reports what it sees.
//
// Confidence: High for the facts; the judging is in the glue.
// Options: --no-includes

@initialize:python@
@@
def emit(*fields):
    print("\t".join(str(f).replace("\t", " ").replace("\n", " ") for f in fields))

def where(p):
    return p[0].file, p[0].line

// Every function body: what exists and can be analysed.
@def@
identifier fn;
position p;
@@
fn@p(...) { ... }

@script:python@
fn << def.fn;
p << def.p;
@@
emit("DEF", fn, *where(p))

// The parameter that carries the domain, and names derived from it.
@domparam@
identifier fn, d;
@@
fn(struct iommu_domain *d, ...) { ... }

@script:python@
fn << domparam.fn;
d << domparam.d;
@@
emit("DOMPARAM", fn, d)

@derived@
identifier domparam.fn, domparam.d, x;
type T;
expression E;
@@
fn(...) {
<...
(
 T x = <+... d ...+>;
|
 x = <+... d ...+>
|
 x = E->d
)
...>
}

@script:python@
fn << domparam.fn;
x << derived.x;
@@
emit("DERIVED", fn, x)

// The parameter that carries the device, and names derived from it.
@devparam@
identifier fn, d;
@@
fn(..., struct device *d, ...) { ... }

@script:python@
fn << devparam.fn;
d << devparam.d;
@@
emit("DEVPARAM", fn, d)

@devderived@
identifier devparam.fn, devparam.d, x;
type T;
@@
fn(...) {
<...
(
 T x = <+... d ...+>;
|
 x = <+... d ...+>
)
...>
}

@script:python@
fn << devparam.fn;
x << devderived.x;
@@
emit("DEVDERIVED", fn, x)

// if (cond) return -ECODE;
@ifcode@
identifier fn;
expression C;
constant E;
statement list SL;
position p;
@@
fn(...) { <...
(
 if (C) return@p -E;
|
 if (C) { SL return@p -E; }
)
...> }

@script:python@
fn << ifcode.fn;
c << ifcode.C;
e << ifcode.E;
p << ifcode.p;
@@
emit("IFCODE", fn, *where(p), e, c)

// return -ECODE;
@code@
identifier fn;
constant C;
position p;
@@
fn(...) { <... return@p -C; ...> }

@script:python@
fn << code.fn;
c << code.C;
p << code.p;
@@
emit("CODE", fn, *where(p), c, "")

// ret = -ECODE; ... return ret;
@codevar@
identifier fn, ret;
constant C;
expression E;
position pa, p;
@@
fn(...) { <...
 ret@pa = -C;
 ... when != ret = E
     when exists
 return@p ret;
...> }

@script:python@
fn << codevar.fn;
c << codevar.C;
pa << codevar.pa;
p << codevar.p;
@@
emit("CODE", fn, *where(p), c, pa[0].line)

// return NAME; where NAME may be a macro for a code
@macro@
identifier fn;
identifier M =~ "^[A-Z][A-Z0-9_]*$";
position p;
@@
fn(...) { <... return@p M; ...> }

@script:python@
fn << macro.fn;
m << macro.M;
p << macro.p;
@@
emit("MACRO", fn, *where(p), m)

// A print, then (on some path) a return; the glue drops returns of 0.
// "exists": every print is its own match, even where one path joins
// several of them on their way to a shared return.
@printed exists@
identifier fn;
identifier pr =~ "^(dev_err|dev_warn|dev_crit|dev_alert|dev_emerg|pr_err|pr_warn|pr_crit|pr_alert|pr_emerg|printk|WARN|WARN_ON|WARN_ONCE|WARN_ON_ONCE|WARN_TAINT|dev_err_ratelimited|dev_warn_ratelimited|pr_err_ratelimited|pr_warn_ratelimited|dev_err_once|dev_warn_once|pr_err_once|pr_warn_once|dev_dbg|pr_debug|dev_dbg_ratelimited|pr_debug_ratelimited)$";
expression E;
statement S;
position p1, p2;
@@
fn(...) {
 ...
(
 pr@p1(...);
|
 if (<+... pr@p1(...) ...+>) S
)
 ...
 return@p2 E;
}

@script:python@
fn << printed.fn;
pr << printed.pr;
e << printed.E;
p1 << printed.p1;
p2 << printed.p2;
@@
emit("PRINT", fn, *where(p2), pr, p1[0].line, e)

// if (WARN_ON(...)) return E;  and the same with a block
@printed_if@
identifier fn;
identifier pr =~ "^(dev_err|dev_warn|dev_crit|dev_alert|dev_emerg|pr_err|pr_warn|pr_crit|pr_alert|pr_emerg|printk|WARN|WARN_ON|WARN_ONCE|WARN_ON_ONCE|WARN_TAINT|dev_err_ratelimited|dev_warn_ratelimited|pr_err_ratelimited|pr_warn_ratelimited|dev_err_once|dev_warn_once|pr_err_once|pr_warn_once|dev_dbg|pr_debug|dev_dbg_ratelimited|pr_debug_ratelimited)$";
expression E;
position p1, p2;
@@
fn(...) { <...
(
 if (<+... pr@p1(...) ...+>) return@p2 E;
|
 if (<+... pr@p1(...) ...+>) { ... return@p2 E; }
)
...> }

@script:python@
fn << printed_if.fn;
pr << printed_if.pr;
e << printed_if.E;
p1 << printed_if.p1;
p2 << printed_if.p2;
@@
emit("PRINT", fn, *where(p2), pr, p1[0].line, e)

// ret = f(...); ... return ret;  and  return f(...);
@prop@
identifier fn, ret, api;
expression E;
type T;
position pa, p;
@@
fn(...) { <...
(
 ret = api@pa(...);
|
 T ret = api@pa(...);
)
 ... when != ret = E
     when exists
 return@p ret;
...> }

@script:python@
fn << prop.fn;
api << prop.api;
pa << prop.pa;
p << prop.p;
@@
emit("PROP", fn, *where(p), api, pa[0].line)

@propdirect@
identifier fn, api;
position p;
@@
fn(...) { <... return@p api(...); ...> }

@script:python@
fn << propdirect.fn;
api << propdirect.api;
p << propdirect.p;
@@
emit("PROP", fn, *where(p), api, p[0].line)

// x = f(...); ... return PTR_ERR(x);
@propptr@
identifier fn, x, api;
expression E;
position pa, p;
@@
fn(...) { <...
 x = api@pa(...);
 ... when != x = E
     when exists
 return@p PTR_ERR(x);
...> }

@script:python@
fn << propptr.fn;
api << propptr.api;
pa << propptr.pa;
p << propptr.p;
@@
emit("PROP", fn, *where(p), api, pa[0].line)

// if (cond) return 0;
@zero@
identifier fn;
expression C;
position p;
@@
fn(...) { <... if (C) return@p 0; ...> }

@script:python@
fn << zero.fn;
c << zero.C;
p << zero.p;
@@
emit("ZERO", fn, *where(p), c)
