#!/usr/bin/env python3
# A landing tool for the v3 intake (tests/flows/drafts/README.md), not a test.
# Rewrites the intake blocks of desk transcripts from the version 2 intake to version 3.
# Each peer's intake: from its first message to the reference line. The v2 answers are walked in
# v2's order (confirmations after nationality, centre, arrest date, and birth date / phone when
# answered); the v3 block: opening, news, centre, name, nationality, arrest date, lawyer, consent,
# details (the optional answers joined), summary.
import re, sys

SKIP = {"fr": "passer", "en": "skip", "nl": "overslaan", "ar": "تخطي"}
NO = {"fr": "non", "en": "no", "nl": "nee", "ar": "لا"}
DAYS3 = {"fr": "3 jours", "en": "3 days", "nl": "3 dagen", "ar": "3 أيام"}
NEWSQ = {"fr": "Depuis combien de temps", "en": "How long have you been without news", "nl": "Hoe lang heeft u geen nieuws",
         "ar": "منذ متى"}
SUMMARY = {"fr": "Voici ce que j'ai noté", "en": "Here is what I noted", "nl": "Dit heb ik genoteerd",
           "ar": "هذا ما سجّلته"}
ABSENT = {"passer", "skip", "overslaan", "تخطي", "non", "no", "nee", "لا", "jsp", "je ne sais pas",
          "i don't know", "weet ik niet", "لا أعرف", "dunno"}
REF = re.compile(r"(Its reference|Sa référence|De referentie|رقمه)")


def lang_of(text, fallback):
    if re.search(r"[\u0600-\u06FF]", text):
        return "ar"
    t = text.lower()
    if any(w in t for w in ("bonjour", "salut", "bonsoir", "mon ", "ma ")):
        return "fr"
    if any(w in t for w in ("hallo", "goeiendag", "dag", "mijn")):
        return "nl"
    if any(w in t for w in ("hello", "hi", "my ")):
        return "en"
    return fallback


def is_absent(a):
    return a.strip().lower() in ABSENT


def convert_block(peer, lines):
    """lines: the peer's block (its own lines only, > and <). Returns new lines."""
    msgs = [l for l in lines]
    opening = None
    seq = []  # (kind, text) kind: '>' or '<'
    for l in msgs:
        m = re.match(r"^([A-Za-z0-9_-]+)(>|<~|<!|<0|<)( ?)(.*)$", l)
        seq.append((m.group(2), m.group(4)))
    first = seq[0][1]
    lang = lang_of(first, "en")
    answers = [t for k, t in seq if k == ">"]
    # Walk v2.
    i = 1
    got = {}
    def take():
        nonlocal i
        a = answers[i] if i < len(answers) else None
        i += 1
        return a
    got["news"] = take()
    got["alias_only"] = take()
    alias = got["alias_only"].strip().lower() in ("2", "non", "no", "nee")
    if alias:
        got["alias_name"] = take()
    else:
        got["registered_name"] = take()
        got["other_names"] = take()
    got["nationality"] = take()
    if not is_absent(got["nationality"]):
        got["c_nat"] = take()
    got["real_identity"] = take()
    got["centre"] = take()
    got["c_centre"] = take()
    police = got["centre"].lower() in ("commissariat", "police", "police station", "politiebureau")
    if police:
        got["police_station"] = take()
    got["oe_number"] = take()
    got["birth_date"] = take()
    if not is_absent(got["birth_date"]):
        got["c_birth"] = take()
    got["arrest_date"] = take()
    got["c_arrest"] = take()
    got["arrest_place"] = take()
    got["case_language"] = take()
    got["detainee_phone"] = take()
    if not is_absent(got["detainee_phone"]):
        got["c_phone"] = take()
    got["wants_lawyer"] = take()
    if got["wants_lawyer"].strip().lower() in ("yes", "oui", "ja", "نعم", "1"):
        got["lawyer_name"] = take()
    got["consent"] = take()
    got["host_contact"] = take()
    got["summary"] = take()
    extra = answers[i:]
    details = []
    PREFIX = {
        "other_names": {"fr": "aussi appelé ", "en": "also known as ", "nl": "ook genoemd ", "ar": "المعروف "},
        "birth_date": {"fr": "né le ", "en": "born ", "nl": "geboren ", "ar": "ولد "},
        "detainee_phone": {"fr": "son numéro ", "en": "his number ", "nl": "zijn nummer ", "ar": "رقمه "},
        "lawyer_name": {"fr": "avocat ", "en": "lawyer ", "nl": "advocaat ", "ar": "المحامي "},
    }
    for key in ("other_names", "real_identity", "oe_number", "birth_date", "arrest_place",
                "case_language", "detainee_phone", "lawyer_name"):
        v = got.get(key)
        if v and not is_absent(v):
            details.append(PREFIX.get(key, {}).get(lang, "") + v)
    out = [f"{peer}> {first}", f"{peer}< {NEWSQ[lang]}", f"{peer}> {DAYS3[lang]}",
           f"{peer}> {got['centre']}"]
    if police:
        out.append(f"{peer}> {got['police_station']}")
    if alias:
        out.append(f"{peer}> " + {"fr": "je ne sais pas", "en": "I don't know", "nl": "weet ik niet", "ar": "لا أعرف"}[lang])
        out.append(f"{peer}> {got['alias_name']}")
    else:
        out.append(f"{peer}> {got['registered_name']}")
        if re.search(r"[\u0600-\u06FF]", got["registered_name"]):
            out.append(f"{peer}> {SKIP[lang]}")  # the Latin spelling asked
    out.append(f"{peer}> {got['nationality']}")
    out.append(f"{peer}> {got['arrest_date']}")
    out.append(f"{peer}> {got['wants_lawyer']}")
    out.append(f"{peer}> {got['consent']}")
    out.append(f"{peer}> " + (". ".join(details) if details else NO[lang]))
    out.append(f"{peer}< {SUMMARY[lang]}")
    out.append(f"{peer}> {got['summary']}")
    for a in extra:
        out.append(f"{peer}> {a}")
    return out, got


def convert(path):
    text = open(path).read().split("\n")
    out = []
    started = set()
    block_peer = None
    block = []
    pending_other = []
    for line in text:
        m = re.match(r"^([A-Za-z0-9_-]+)(>|<~|<!|<0|<)", line)
        if block_peer is None:
            if m and m.group(2) == ">" and m.group(1) not in started and not line.startswith("coord") \
                    and not line.startswith("ref") and not line.startswith("staff"):
                block_peer = m.group(1)
                block = [line]
                pending_other = []
                continue
            out.append(line)
            continue
        # inside a block
        if m and m.group(1) == block_peer:
            if REF.search(line):
                new, got = convert_block(block_peer, block)
                out.extend(new)
                out.extend(pending_other)
                out.append(line)
                started.add(block_peer)
                block_peer = None
                continue
            block.append(line)
        else:
            pending_other.append(line)
    if block_peer is not None:  # no reference: left as it was
        out.extend(block)
        out.extend(pending_other)
        print(f"{path}: {block_peer}'s intake has no reference line: left as it was", file=sys.stderr)
    return "\n".join(out)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        new = convert(p)
        open(p, "w").write(new)
        print("converted", p)
