#!/usr/bin/env python3
# A landing tool for the v3 intake (tests/flows/drafts/README.md), not a test.
# Rewrites the scripted intakes of a C++ test file (for-loops over the answers of a whole v2
# intake: "hello", "3", "1", NAME, "skip", NATIONALITY, "yes", "skip", CENTRE, "yes", "skip",
# "skip", DATE, "yes", ...) to the v3 intake's answers: "hello", "3 days", CENTRE, NAME,
# NATIONALITY, DATE, LAWYER, CONSENT, DETAILS, "yes". Run: fix_scripted_intakes.py FILE...
# then clang-format -i FILE.
import re, sys

LOOP = re.compile(r"for \((const char\*|const std::string&) answer :\s*\{(.*?)\}\)", re.S)
ABSENT = {"skip", "no", "passer", "non"}


def items(body):
    out, depth, cur = [], 0, ""
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def literal(item):
    m = re.fullmatch(r'(?:std::string\()?"(.*)"\)?', item, re.S)
    return m.group(1) if m else None


def convert(kind, body):
    xs = items(body)
    val = [literal(x) for x in xs]
    i = 1
    def take():
        nonlocal i
        i += 1
        return i - 1
    take()  # news
    alias_only = take()
    name = take()
    other = take()
    nat = take()
    if val[nat] not in ABSENT:
        take()
    real = take()
    centre = take()
    take()  # centre confirmed
    oe = take()
    birth = take()
    if val[birth] not in ABSENT:
        take()
    arrest = take()
    take()  # confirmed
    place = take()
    language = take()
    phone = take()
    if val[phone] not in ABSENT:
        take()
    lawyer = take()
    lawyer_name = None
    if val[lawyer] in ("yes", "oui", "1"):
        lawyer_name = take()
    consent = take()
    contact = take()
    summary = take()
    assert summary == len(xs) - 1, (summary, len(xs), xs)
    details = []
    for at, prefix in ((other, "also known as "), (real, ""), (oe, ""), (birth, "born "),
                       (place, ""), (language, ""), (phone, "his number "),
                       (lawyer_name, "lawyer ")):
        if at is not None and val[at] not in ABSENT:
            details.append(prefix + val[at])
    def lit(text):
        return f'std::string("{text}")' if kind == "const std::string&" else f'"{text}"'
    new = [lit("hello"), lit("3 days"), xs[centre], xs[name], xs[nat], xs[arrest], xs[lawyer],
           xs[consent], lit(". ".join(details) if details else "no"), xs[summary]]
    return ", ".join(new)


for path in sys.argv[1:]:
    text = open(path).read()
    count = 0
    def repl(m):
        global count
        body = m.group(2)
        if '"hello"' not in body or literal(items(body)[1]) != "3":
            return m.group(0)
        count += 1
        return f"for ({m.group(1)} answer : {{{convert(m.group(1), body)}}})"
    text = LOOP.sub(repl, text)
    open(path, "w").write(text)
    print(path, count, "scripted intakes rewritten")
