#!/usr/bin/env bash
# <xbar.title>vosync</xbar.title>
# <xbar.version>v0.1.0</xbar.version>
# <xbar.author>vosync</xbar.author>
# <xbar.desc>State of the vosync daemon (sync with CANFAR Vault and ARC): up to date, syncing, paused, error, offline; pause, resume, rescan and the status page from the menu.</xbar.desc>
# <xbar.dependencies>node,vosync</xbar.dependencies>
# <xbar.var>string(VOSYNC="vosync"): Command that runs vosync (a full path if the menu bar cannot find it).</xbar.var>
# <xbar.var>string(VOSYNC_CONFIG=""): Config file (empty: the default location).</xbar.var>
#
# xbar (macOS) plugin. Install: copy into ~/Library/Application Support/xbar/plugins/ and make it executable
# (chmod +x). The "30s" in the name is how often xbar refreshes it. See packaging/README.md.
# The menu's own actions run vosync through the absolute path of node, so they work with xbar's short PATH.

# Menu bar apps start with a minimal PATH: add the usual places of node and npm's global bin.
export PATH="/opt/homebrew/bin:/usr/local/bin:$HOME/.npm-global/bin:$HOME/.local/bin:$PATH"
VOSYNC="${VOSYNC:-vosync}"

if ! command -v "$VOSYNC" >/dev/null 2>&1; then
  echo "✖ vosync | color=#b3261e"
  echo "---"
  echo "vosync not found: set VOSYNC in the plugin settings to its full path"
  exit 0
fi

args=(status --tray xbar)
if [ -n "${VOSYNC_CONFIG:-}" ]; then
  args+=(--config "$VOSYNC_CONFIG")
fi
exec "$VOSYNC" "${args[@]}"
