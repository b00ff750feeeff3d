#!/usr/bin/env bash
# Writes gvo-bot.json(5), the configuration file's man page, from README.md's "Configuration"
# section, so that the page and the README are one text: its paragraphs, its example lines and its
# table of keys (each key with its default and meaning); then the sections of EXTRA (roff).
#   config-to-man.sh README.md VERSION EXTRA.roff PAGE
set -euo pipefail
readme="$1" version="$2" extra="$3" page="$4"
{
  printf '.TH GVO-BOT.JSON 5 "" "gvo-bot %s" "gvo-bot"\n' "$version"
  printf '.SH NAME\ngvo-bot.json \\- the configuration file of gvo-bot\n'
  printf '.SH SYNOPSIS\n/etc/gvo-bot/config.json, read with gvo-bot \\-\\-config FILE\n'
  printf '.SH DESCRIPTION\n'
  awk '
    function roff(line) {
      gsub(/\\/, "\\e", line)
      gsub(/`/, "", line)
      gsub(/\*\*/, "", line)
      gsub(/—/, "\\(em", line)
      if (line ~ /^[.\047]/) line = "\\&" line
      return line
    }
    function trim(text) { sub(/^ +/, "", text); sub(/ +$/, "", text); return text }
    /^### Configuration$/ { inside = 1; next }
    inside && /^##/ { exit }
    !inside { next }
    /^```/ { code = !code; print (code ? ".PP\n.nf" : ".fi"); next }
    code { print roff($0); next }
    /^\| key \|/ || /^\| --- / { if (!keys) { print ".SH KEYS"; keys = 1 } next }
    /^\| / {
      n = split($0, cell, " \\| ")
      key = trim(cell[1]); sub(/^\| */, "", key)
      meaning = trim(cell[3]); sub(/ *\|$/, "", meaning)
      value = trim(cell[2]); sub(/^— */, "", value)
      print ".TP"
      print "\\fB" roff(key) "\\fR" (value == "" ? "" : " (default: " roff(value) ")")
      print roff(meaning)
      next
    }
    /^$/ { if (!keys || after) print ".PP"; next }
    { if (keys && !after) { print ".SH NOTES"; after = 1 } print roff($0) }
  ' "$readme"
  cat "$extra"
} >"$page.new"
mv "$page.new" "$page"
