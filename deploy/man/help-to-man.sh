#!/usr/bin/env bash
# Writes the man page of one of gvo-bot's programs from its own --help and --version, so that
# the page and --help are one text: the usage lines become SYNOPSIS, the paragraphs DESCRIPTION,
# each "Heading:" block a section of its own (Options, Limits...), "Exit status: ..." EXIT STATUS;
# then the sections of EXTRA (roff: FILES, SEE ALSO...) are appended.
#   help-to-man.sh PROGRAM SECTION "SUMMARY" EXTRA.roff PAGE
set -euo pipefail
program="$1" section="$2" summary="$3" extra="$4" page="$5"
name=$(basename "$program")
version=$("$program" --version | awk '{ print $NF; exit }')
{
  printf '.TH %s %s "" "%s %s" "gvo-bot"\n' "${name^^}" "$section" "$name" "$version"
  printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
  "$program" --help | awk '
    function roff(line) {
      gsub(/\\/, "\\e", line)
      if (line ~ /^[.\047]/) line = "\\&" line
      return line
    }
    function close_block() { if (pre) print ".fi"; pre = 0 }
    BEGIN { state = "usage" }
    state == "usage" {
      if ($0 == "") { close_block(); state = "text"; next }
      if (!started) { print ".SH SYNOPSIS"; print ".nf"; pre = 1; started = 1; sub(/^Usage: /, "") }
      sub(/^       /, "")
      print roff($0)
      next
    }
    /^Exit status: / {
      close_block(); print ".SH \"EXIT STATUS\""; sub(/^Exit status: /, ""); print roff($0)
      state = "exit"; next
    }
    /^[A-Z][^ ].*:$/ || /^[A-Z][a-z]+ \(.*$/ {
      # "Options:", "Limits (PROTOCOL.md...) ...": a section of its own, kept as laid out.
      close_block()
      heading = $0; sub(/[ (:].*$/, "", heading)
      printf ".SH %s\n", toupper(heading)
      print ".nf"; pre = 1; state = "block"
      if ($0 !~ /:$/ || $0 ~ /\(/) print roff($0)
      next
    }
    state == "block" { print roff($0); next }
    state == "exit" { print roff($0); next }
    {
      if (!described) { print ".SH DESCRIPTION"; described = 1 }
      if ($0 == "") { print ".PP"; next }
      print roff($0)
    }
    END { close_block() }
  '
  cat "$extra"
} >"$page.new"
mv "$page.new" "$page"
