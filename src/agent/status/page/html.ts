/**
 * The status page's HTML. Static: every piece of data arrives later through the authenticated API, so this
 * document can be served without a token. Kept as a TS string so the package works from dist/ alone.
 */
export const PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>vosync status</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header class="top">
  <h1>vosync</h1>
  <div id="overall" class="badge state-starting" role="status" aria-live="polite">Connecting…</div>
  <div class="spacer"></div>
  <div class="actions" id="global-actions" hidden>
    <button type="button" id="pause-all">Pause all</button>
    <button type="button" id="resume-all">Resume all</button>
    <button type="button" id="rescan-all">Rescan all</button>
  </div>
</header>
<main>
  <p id="message" class="message" role="alert" hidden></p>
  <section id="auth-needed" class="notice" hidden>
    <h2>This page needs a fresh link</h2>
    <p>For your safety the status page opens only through a one-time link. Run
      <code>vosync status --open</code> and open the link it prints.</p>
  </section>
  <section id="unreachable" class="notice" hidden>
    <h2>The vosync daemon is not answering</h2>
    <p>It may have stopped. Start it with <code>vosync daemon</code> (or <code>vosync service install</code>);
      this page keeps trying.</p>
  </section>
  <div id="content" hidden>
    <section aria-labelledby="pairs-title">
      <h2 id="pairs-title">Folders</h2>
      <div id="pairs" class="pairs"></div>
    </section>
    <section aria-labelledby="transfers-title">
      <h2 id="transfers-title">Transfers</h2>
      <ul id="transfers" class="transfers"></ul>
      <p id="no-transfers" class="muted">No transfers running.</p>
    </section>
    <section aria-labelledby="conflicts-title">
      <h2 id="conflicts-title">Conflicts</h2>
      <table id="conflicts" class="list"><thead><tr><th>When</th><th>Folder</th><th>File</th><th>Other version</th><th>What happened</th></tr></thead><tbody></tbody></table>
      <p id="no-conflicts" class="muted">No conflicts.</p>
    </section>
    <section aria-labelledby="not-synced-title">
      <h2 id="not-synced-title">Not synced</h2>
      <table id="not-synced" class="list"><thead><tr><th>Folder</th><th>File</th><th>Why</th></tr></thead><tbody></tbody></table>
      <p id="no-not-synced" class="muted">Everything is synced.</p>
    </section>
    <section aria-labelledby="errors-title">
      <h2 id="errors-title">Errors</h2>
      <table id="errors" class="list"><thead><tr><th>When</th><th>Folder</th><th>File</th><th>Error</th><th>Retried</th></tr></thead><tbody></tbody></table>
      <p id="no-errors" class="muted">No errors.</p>
    </section>
    <section aria-labelledby="activity-title">
      <h2 id="activity-title">Recent activity</h2>
      <table id="activity" class="list"><thead><tr><th>When</th><th>Folder</th><th>File</th><th>Action</th><th>Result</th></tr></thead><tbody></tbody></table>
      <p id="no-activity" class="muted">Nothing yet.</p>
    </section>
  </div>
</main>
<footer class="muted">vosync <span id="version"></span> · <span id="updated">not yet updated</span></footer>
</body>
</html>
`;
