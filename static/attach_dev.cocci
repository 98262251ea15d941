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
// The parameter that carries the domain being attached (the callback's
// first; 7.x adds a third, the old domain, which is not it) ...
@domparam@
identifier fn, d;
@@
fn(struct iommu_domain *d, ...) { ... }

@script:python@
fn << domparam.fn;
d << domparam.d;
@@
emit("DOMPARAM", fn, d)

// ... or, in a helper, the driver's own domain structure (struct
// dmar_domain *, struct arm_smmu_domain *, ...).
@drvdomparam@
identifier fn, d;
identifier T =~ "domain$";
@@
fn(..., struct T *d, ...) { ... }

@script:python@
fn << drvdomparam.fn;
t << drvdomparam.T;
d << drvdomparam.d;
@@
if t != "iommu_domain":
    emit("DOMPARAM", fn, d)

// The parameter that carries the device.
@devparam@
identifier fn, d;
@@
fn(..., struct device *d, ...) { ... }

@script:python@
fn << devparam.fn;
d << devparam.d;
@@
emit("DEVPARAM", fn, d)

// Every assignment and initialisation, with what it assigns: the glue
// works out which names stand for the domain or the device from these.
@setvar@
identifier x;
expression E;
type T;
position p;
@@
(
T x@p = E;
|
x@p = E
)

@script:python@
x << setvar.x;
e << setvar.E;
p << setvar.p;
@@
emit("SET", p[0].current_element, x, e)

// The rules below match statements wherever they are, and name the
// function from the position: inside a function's <... ...> a rule binds
// its metavariables once per function, so a second "return -EINVAL;" of
// the same function would be lost.

// return -ECODE;
@code@
constant C;
position p;
@@
return@p -C;

@script:python@
c << code.C;
p << code.p;
@@
emit("CODE", p[0].current_element, *where(p), c, "")

// ret = -ECODE; ... return ret;
@codevar@
identifier ret;
constant C;
expression E;
position pa, p;
@@
ret@pa = -C;
... when != ret = E
    when exists
return@p ret;

@script:python@
c << codevar.C;
pa << codevar.pa;
p << codevar.p;
@@
emit("CODE", p[0].current_element, *where(p), c, pa[0].line)

// return NAME; where NAME may be a macro for a code
@macro@
identifier M =~ "^[A-Z][A-Z0-9_]*$";
position p;
@@
return@p M;

@script:python@
m << macro.M;
p << macro.p;
@@
emit("MACRO", p[0].current_element, *where(p), m)

// Every if and else branch: its lines and its condition. A code or a
// print belongs to the innermost branch around it, so the glue knows the
// condition a code is returned on and which prints share its path.
// (Matched without the enclosing function: inside a function's <... ...>
// an if with a statement metavariable binds only once per function.)
@ifelse@
expression C;
statement S1, S2;
position p1, p2;
@@
if (C) S1@p1 else S2@p2

@script:python@
c << ifelse.C;
p1 << ifelse.p1;
p2 << ifelse.p2;
@@
emit("IF", p1[0].current_element, p1[0].line, p1[0].line_end, c)
emit("ELSE", p2[0].current_element, p2[0].line, p2[0].line_end, "!(" + c + ")")

@ifonly@
expression C;
statement S1;
position p1;
@@
if (C) S1@p1

@script:python@
c << ifonly.C;
p1 << ifonly.p1;
@@
emit("IF", p1[0].current_element, p1[0].line, p1[0].line_end, c)

// x = -ECODE; wherever it is
@assign@
identifier x;
constant E;
position p;
@@
x@p = -E

@script:python@
x << assign.x;
e << assign.E;
p << assign.p;
@@
emit("ASSIGN", p[0].current_element, p[0].line, x, e)

// Every kernel print and WARN, by line (in a condition too).
@printed@
identifier pr =~ "^(dev_err|dev_warn|dev_crit|dev_alert|dev_emerg|pr_err|pr_warn|pr_crit|pr_alert|pr_emerg|printk|WARN|WARN_ON|WARN_ONCE|WARN_ON_ONCE|WARN_TAINT|dev_err_ratelimited|dev_warn_ratelimited|pr_err_ratelimited|pr_warn_ratelimited|dev_err_once|dev_warn_once|pr_err_once|pr_warn_once|dev_dbg|pr_debug|dev_dbg_ratelimited|pr_debug_ratelimited)$";
position p;
@@
pr@p(...)

@script:python@
pr << printed.pr;
p << printed.p;
@@
emit("PRINT", p[0].current_element, p[0].line, pr)

// ret = f(...); ... return ret;  and  return f(...);
@prop@
identifier ret, api;
expression E;
type T;
position pa, p;
@@
(
ret = api@pa(...);
|
T ret = api@pa(...);
)
... when != ret = E
    when exists
return@p ret;

@script:python@
api << prop.api;
pa << prop.pa;
p << prop.p;
@@
emit("PROP", p[0].current_element, *where(p), api, pa[0].line)

@propdirect@
identifier api;
position p;
@@
return@p api(...);

@script:python@
api << propdirect.api;
p << propdirect.p;
@@
emit("PROP", p[0].current_element, *where(p), api, p[0].line)

// x = f(...); ... return PTR_ERR(x);
@propptr@
identifier x, api;
expression E;
position pa, p;
@@
x = api@pa(...);
... when != x = E
    when exists
return@p PTR_ERR(x);

@script:python@
api << propptr.api;
pa << propptr.pa;
p << propptr.p;
@@
emit("PROP", p[0].current_element, *where(p), api, pa[0].line)

// if (cond) return 0;
@zero@
expression C;
position p;
@@
if (C) return@p 0;

@script:python@
c << zero.C;
p << zero.p;
@@
emit("ZERO", p[0].current_element, *where(p), c)
