#!/usr/bin/env bash
# Argos (GNOME Shell) plugin for vosync: the daemon's state in the top bar, with pause, resume, rescan and the
# status page in its menu. Install: copy into ~/.config/argos/ and make it executable (chmod +x). In the name,
# "r" puts it on the right of the top bar and "30s" is how often Argos refreshes it. See packaging/README.md.
#
# Settings (environment, or edit the two lines below):
#   VOSYNC         command that runs vosync (a full path if the shell cannot find it)
#   VOSYNC_CONFIG  config file (empty: the default location)

export PATH="$HOME/.npm-global/bin:$HOME/.local/bin:/usr/local/bin:$PATH"
VOSYNC="${VOSYNC:-vosync}"
VOSYNC_CONFIG="${VOSYNC_CONFIG:-}"

if ! command -v "$VOSYNC" >/dev/null 2>&1; then
  echo "✖ vosync | color=#b3261e"
  echo "---"
  echo "vosync not found: set VOSYNC in this script to its full path"
  exit 0
fi

args=(status --tray argos)
if [ -n "$VOSYNC_CONFIG" ]; then
  args+=(--config "$VOSYNC_CONFIG")
fi
exec "$VOSYNC" "${args[@]}"
