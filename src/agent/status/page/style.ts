/** The status page's style sheet (served as /app.css; a TS string so the package works from dist/). */
export const PAGE_STYLE = String.raw`:root {
  color-scheme: light dark;
  --bg: #f7f7f5; --fg: #1d1f21; --muted: #6b6f76; --card: #ffffff; --line: #e2e2de;
  --ok: #1f7a3a; --busy: #1f5fa8; --warn: #9a6400; --bad: #b3261e; --off: #5f6368;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #17191c; --fg: #e8e8e6; --muted: #9aa0a6; --card: #1f2226; --line: #33373c;
    --ok: #5fc27e; --busy: #7fb0f0; --warn: #e0b050; --bad: #f28b82; --off: #9aa0a6; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
header.top { display: flex; align-items: center; gap: 1rem; padding: 0.8rem 1.5rem; background: var(--card); border-bottom: 1px solid var(--line); flex-wrap: wrap; }
header.top h1 { font-size: 1.3rem; margin: 0; letter-spacing: 0.02em; }
.spacer { flex: 1; }
main { max-width: 70rem; margin: 0 auto; padding: 1rem 1.5rem 2rem; }
h2 { font-size: 1.05rem; margin: 1.6rem 0 0.6rem; }
h3 { font-size: 1rem; margin: 0; }
.muted { color: var(--muted); }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.92em; }
button { font: inherit; padding: 0.3rem 0.8rem; border-radius: 6px; border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; }
button:hover { border-color: var(--muted); }
.actions, .pair-actions { display: flex; gap: 0.4rem; }
.pair-actions { margin-left: auto; }
.badge { display: inline-block; padding: 0.15rem 0.7rem; border-radius: 999px; font-weight: 600; font-size: 0.9rem; color: #fff; background: var(--off); }
.state-ok { background: var(--ok); }
.state-idle, .state-scanning, .state-syncing, .state-starting { background: var(--busy); }
.state-paused, .state-stale { background: var(--warn); }
.state-error { background: var(--bad); }
.state-offline { background: var(--off); }
.notice, .message { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--warn); padding: 0.6rem 1rem; border-radius: 6px; }
.message { border-left-color: var(--bad); }
.pairs { display: grid; gap: 0.8rem; }
.pair { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 0.8rem 1rem; }
.pair-head { display: flex; align-items: center; gap: 0.7rem; flex-wrap: wrap; }
.paths { margin: 0.4rem 0; color: var(--muted); font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85rem; overflow-wrap: anywhere; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; margin: 0.4rem 0 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.warn { color: var(--warn); }
.bad { color: var(--bad); }
.transfers { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.3rem; }
.transfer { display: grid; grid-template-columns: 7rem 1fr 12rem 9rem; gap: 0.6rem; align-items: center; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 0.35rem 0.7rem; }
.transfer .path { overflow-wrap: anywhere; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85rem; }
.transfer progress { width: 100%; }
.transfer .amount { color: var(--muted); font-size: 0.85rem; text-align: right; }
table.list { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 6px; font-size: 0.88rem; }
table.list th, table.list td { text-align: left; padding: 0.3rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
table.list th { color: var(--muted); font-weight: 600; }
footer { text-align: center; padding: 1rem; font-size: 0.85rem; }
@media (max-width: 40rem) { .transfer { grid-template-columns: 1fr; } }
`;
