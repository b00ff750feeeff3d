#!/usr/bin/env bash
# The man pages the build made (deploy/man) are valid roff without a warning, each program's
# names what its --help names, and the configuration's page holds every key of README.md's table.
#   check_man_pages.sh MAN_DIR SOURCE_ROOT
set -euo pipefail
man_dir="$1" root="$2"
failed=0
for page in gvo-bot.1 gvo-relay.1 gvo-chat.1 gvo-bot.json.5; do
  if [[ ! -s "$man_dir/$page" ]]; then
    echo "$page: not made" >&2; failed=1; continue
  fi
  warnings=$(groff -man -Tutf8 -ww -z "$man_dir/$page" 2>&1 || true)
  if [[ -n $warnings ]]; then
    echo "$page: groff says: $warnings" >&2; failed=1
  fi
  for section in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
    grep -q "^\.SH \"\?$section\"\?$" "$man_dir/$page" || { echo "$page: no $section" >&2; failed=1; }
  done
done
for word in doctor backup restore "staff add" relay-claim --check-config "EXIT STATUS"; do
  grep -q -- "$word" "$man_dir/gvo-bot.1" || { echo "gvo-bot.1 lacks $word" >&2; failed=1; }
done
for word in --listen --tls-cert --sends-per-account LIMITS; do
  grep -q -- "$word" "$man_dir/gvo-relay.1" || { echo "gvo-relay.1 lacks $word" >&2; failed=1; }
done
keys=0
while read -r key; do
  keys=$((keys + 1))
  grep -qF "$key" "$man_dir/gvo-bot.json.5" || { echo "gvo-bot.json.5 lacks $key" >&2; failed=1; }
done < <(awk '/^### Configuration$/ { on = 1; next } on && /^##/ { exit }
              on && /^\| `/ { split($0, c, "`"); print c[2] }' "$root/README.md")
echo "man pages: 4 pages, $keys configuration keys"
((keys >= 20)) || { echo "README.md's configuration table was not found" >&2; failed=1; }
exit "$failed"
