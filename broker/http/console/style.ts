// The console's style sheet: light and dark by the reader's preference, narrow screens too.

export const STYLE = `
  :root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #667; --line: #8884; --accent: #0b62c4;
    --bad: #b3261e; --good: #1e7a3c; --card: #f5f6f8; --c1: #0b62c4; --c2: #d97706; --c3: #1e7a3c; --c4: #9333ea; }
  @media (prefers-color-scheme: dark) {
    :root { --fg: #e6e8eb; --bg: #14161a; --muted: #9aa; --line: #fff3; --accent: #6cb0ff; --bad: #ff8a80;
      --good: #7bd88f; --card: #1e2127; --c1: #6cb0ff; --c2: #fbbf24; --c3: #7bd88f; --c4: #c4a1ff; }
  }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
  header { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; align-items: baseline; padding: .75rem 1rem; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 1.2rem; margin: 0; }
  header nav { display: flex; gap: 1rem; }
  main { padding: 0 1rem 2rem; max-width: 80rem; }
  a { color: var(--accent); }
  h2 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
  h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
  #status.ok { color: var(--good); } #status.unavailable, #status.offline { color: var(--bad); }
  .muted, td.empty { color: var(--muted); }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; }
  th, td { padding: .3rem .6rem; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; vertical-align: top; }
  th:first-child, td:first-child, td.text, th.text { text-align: left; }
  td.body { text-align: left; white-space: normal; }
  .num { font-variant-numeric: tabular-nums; }
  .badge { display: inline-block; font-size: .75rem; padding: 0 .4rem; margin-left: .35rem; border-radius: .6rem; border: 1px solid currentColor; color: var(--muted); }
  .badge.dlq { color: var(--bad); }
  pre { margin: 0; max-height: 12rem; max-width: 40rem; overflow: auto; white-space: pre-wrap; word-break: break-word; font-size: .85rem; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
  figure { margin: 0; padding: .5rem; background: var(--card); border-radius: .4rem; }
  figcaption { font-size: .85rem; color: var(--muted); }
  svg.chart { width: 100%; height: 8rem; display: block; }
  svg.chart .grid { stroke: var(--line); }
  svg.chart text { fill: var(--muted); font-size: 10px; }
  svg.chart polyline { fill: none; stroke-width: 1.5; }
  .s0 { stroke: var(--c1); color: var(--c1); } .s1 { stroke: var(--c2); color: var(--c2); }
  .legend span { margin-right: .8rem; font-size: .85rem; } .legend span::before { content: "━ "; }
  dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
  dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
  .actions { display: flex; flex-wrap: wrap; gap: .5rem; margin: .75rem 0; }
  button { font: inherit; padding: .35rem .8rem; border-radius: .3rem; border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; }
  button.danger { border-color: var(--bad); color: var(--bad); }
  button[aria-pressed="true"] { border-color: var(--accent); color: var(--accent); font-weight: 600; }
  input, textarea { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: .3rem; padding: .3rem; width: 100%; max-width: 40rem; }
  form label { display: block; margin: .5rem 0 .2rem; }
  #notice { margin: .75rem 0 0; min-height: 1.2rem; }
  #notice.error { color: var(--bad); } #notice.done { color: var(--good); }
  dialog { color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: .5rem; max-width: 32rem; }
  dialog::backdrop { background: #0006; }
  .hint { font-size: .8rem; color: var(--muted); }
  @media (max-width: 40rem) { main { padding: 0 .5rem 2rem; } th, td { padding: .25rem .4rem; } }
`
